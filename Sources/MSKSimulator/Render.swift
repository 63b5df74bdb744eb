import Foundation
import MSKImage
import MSKLabels

extension CineSimulator {
    /// Renders the detected envelope (linear, after TGC, before log compression) of frame `index`
    /// over the imaging region, with the tissue class and shadow flag of every pixel.
    public func renderEnvelope(_ index: Int) -> EnvelopeFrame {
        precondition(index >= 0 && index < frameCount, "frame \(index) outside 0..<\(frameCount)")
        let p = parameters
        let st = state(index)
        let w = imagingRegion.width, h = imagingRegion.height
        let sx = p.mmPerPixelX, sy = p.mmPerPixelY
        let m = model

        // Per-column geometry of this frame.
        var colXo = [Double](repeating: 0, count: w), colXm = colXo, colXt = colXo, colA = colXo, colS = colXo
        // Inside the opening gap the tissue field is sampled from the nearer stump's rigid map, clamped
        // to mid-gap, so the stumps' blurred edges move with them instead of being smeared across the gap.
        let q0 = phi(m.zoneD0, st), q1 = phi(m.zoneD1, st), midZone = (m.zoneD0 + m.zoneD1) / 2
        let kShort = 1 - st.shortening
        var colBellyEnd = colXo, colDeepEnd = colXo, colDeepShift = colXo, colBelowShift = colXo
        for px in 0..<w {
            let xq = (Double(px) + 0.5) * sx - st.jx
            let xm = phiInverse(xq, st)
            let sM = m.s(xm), dM = m.d(xm), bM = m.b(xm)
            colXo[px] = xq; colXm[px] = xm; colA[px] = m.a(xm); colS[px] = sM
            colXt[px] = xm
            if st.h > 0 && xq > q0 && xq < q1 {
                colXt[px] = xq - q0 < q1 - xq ? min(m.zoneD0 + (xq - q0) / kShort, midZone)
                    : max(m.zoneD1 - (q1 - xq) / kShort, midZone)
            }
            colBellyEnd[px] = sM + (dM - sM) * st.stretch
            colDeepShift[px] = (dM - sM) * (st.stretch - 1)
            colDeepEnd[px] = bM + colDeepShift[px]
            colBelowShift[px] = (m.d(xq) - m.s(xq)) * (st.stretch - 1)
        }
        let fluidShift = phi(m.xd, st) - m.xd
        let cphi = Float(cos(st.phi)), sphi = Float(sin(st.phi))
        let cf = Float(cos(st.phiFluid)), sf = Float(sin(st.phiFluid))
        let dbToNeper = Float(log(10.0) / 20)
        let muscleRT = m.attenuationPerMm(.belly)
        let om = mix64(p.seed ^ mix64(UInt64(index) &+ 0xAB))
        let nox = Int(om % UInt64(w)), noy = Int((om >> 32) % UInt64(h))

        var tissue = [UInt8](repeating: 0, count: w * h)
        var shadow = [Bool](repeating: false, count: w * h)
        var env = [Float](repeating: 0, count: w * h)
        var cum = [Float](repeating: 0, count: w)
        let hasFluid = m.hasDefect
        let openGapFromRestGap = p.openGapFromRestGap
        // The lateral beam's Gaussian width (mm), as the tissue field is filtered with.
        let beamSigmaMm = max(0.5 * sx, p.lateralFNumber * p.wavelengthMm / 2.355)
        let nx = self.nx, ny = self.ny, gX0 = self.gX0, gY0 = self.gY0, gx = self.gx, gy = self.gy
        let rx = rhoX, ry = rhoY

        /// Bilinear weights and the factor that keeps the variance of the PSF-filtered incoherent
        /// field constant whatever the sub-cell position (its correlation at one step is rx, ry).
        @inline(__always) func weights(_ fx: Double, _ fy: Double) -> (Int, Float, Float, Float) {
            let i = min(max(Int(fx.rounded(.down)), 0), nx - 2)
            let j = min(max(Int(fy.rounded(.down)), 0), ny - 2)
            let wx = Float(min(max(fx - Double(i), 0), 1)), wy = Float(min(max(fy - Double(j), 0), 1))
            let vx = (1 - wx) * (1 - wx) + wx * wx + 2 * wx * (1 - wx) * rx
            let vy = (1 - wy) * (1 - wy) + wy * wy + 2 * wy * (1 - wy) * ry
            return (j * nx + i, wx, wy, 1 / (vx * vy).squareRoot())
        }

        incP.withUnsafeBufferPointer { P in
        incQ.withUnsafeBufferPointer { Q in
        coh.withUnsafeBufferPointer { R in
        fluidP.withUnsafeBufferPointer { FP in
        fluidQ.withUnsafeBufferPointer { FQ in
        cls.withUnsafeBufferPointer { C in
        noise.withUnsafeBufferPointer { N in
        attenuationByClass.withUnsafeBufferPointer { AT in
        env.withUnsafeMutableBufferPointer { E in
        tissue.withUnsafeMutableBufferPointer { T in
        shadow.withUnsafeMutableBufferPointer { SH in
        cum.withUnsafeMutableBufferPointer { CUM in
            for py in 0..<h {
                let yq = (Double(py) + 0.5) * sy - st.jy
                let depth = (Double(py) + 0.5) * sy
                let gain = Float(pow(10, p.tgcCompensation * muscleRT * depth / 20))
                let nrow = ((py + noy) % h) * w
                for px in 0..<w {
                    let X: Double, Y: Double
                    var layer: TissueClass? = nil
                    if yq < colA[px] { X = colXo[px]; Y = yq }
                    else if yq < colS[px] { X = colXm[px]; Y = yq; layer = .superficialAponeurosis }
                    else if yq < colBellyEnd[px] { X = colXm[px]; Y = colS[px] + (yq - colS[px]) / st.stretch; layer = .belly }
                    else if yq < colDeepEnd[px] { X = colXm[px]; Y = yq - colDeepShift[px]; layer = .deepAponeurosis }
                    else { X = colXo[px]; Y = yq - colBelowShift[px] }

                    let fx = (X - gX0) / gx, fy = (Y - gY0) / gy
                    let ni = Int((fx + 0.5).rounded(.down)), nj = Int((fy + 0.5).rounded(.down))
                    var c = TissueClass(rawValue: C[min(max(nj, 0), ny - 1) * nx + min(max(ni, 0), nx - 1)]) ?? .gel
                    switch layer {
                    case .belly?: if c != .defect && c != .vessel { c = .belly }
                    case .some(let l): c = l
                    case nil:
                        if yq < colA[px] { if c.rawValue > TissueClass.fat.rawValue { c = .fat } }
                        else if c.rawValue < TissueClass.deepMuscle.rawValue { c = .deepMuscle }
                    }
                    // Tissue field through the deformation (near a stump face it carries the
                    // blurred edge of the stump, so faces are as soft as the PSF makes them).
                    // With `openGapFromRestGap`, a fluid pixel of an opened gap takes the field
                    // of its own row's nearer stump face, carried rigidly (the face's blurred edge,
                    // as wide as the beam), clamped at the row's rest mid-gap and faded out beyond
                    // it over the lateral beam width, instead of the zone-wide clamp, which repeats
                    // one column's field across the gap (belly echo in the fluid, in horizontal
                    // stripes, where an oblique stump crosses the zone's middle).
                    var fieldX = layer == .belly ? colXt[px] : X
                    var fade: Float = 1
                    if openGapFromRestGap && c == .defect && layer == .belly && st.h > 0 {
                        let f = m.faces(Y)
                        if !f.left.isNaN {
                            let dL = colXo[px] - phi(f.left, st), dR = phi(f.right, st) - colXo[px]
                            let mid = (f.left + f.right) / 2, half = (f.right - f.left) / 2 * kShort
                            fieldX = dL <= dR ? min(f.left + dL / kShort, mid) : max(f.right - dR / kShort, mid)
                            let beyond = max(0, min(dL, dR) - half)
                            fade = Float(exp(-beyond * beyond / (2 * beamSigmaMm * beamSigmaMm)))
                        }
                    }
                    let (k0, wx, wy, vn) = weights((fieldX - gX0) / gx, fy)
                    let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                    let a = 2 * k0, b = a + 2, cc = a + 2 * nx, d = cc + 2
                    let pr = w00 * P[a] + w10 * P[b] + w01 * P[cc] + w11 * P[d]
                    let pi = w00 * P[a + 1] + w10 * P[b + 1] + w01 * P[cc + 1] + w11 * P[d + 1]
                    let qr = w00 * Q[a] + w10 * Q[b] + w01 * Q[cc] + w11 * Q[d]
                    let qi = w00 * Q[a + 1] + w10 * Q[b + 1] + w01 * Q[cc + 1] + w11 * Q[d + 1]
                    let rr = w00 * R[a] + w10 * R[b] + w01 * R[cc] + w11 * R[d]
                    let ri = w00 * R[a + 1] + w10 * R[b + 1] + w01 * R[cc + 1] + w11 * R[d + 1]
                    var zr = fade * (vn * (cphi * pr + sphi * qr) + rr)
                    var zi = fade * (vn * (cphi * pi + sphi * qi) + ri)
                    if c == .defect && hasFluid {
                        // Fluid does not strain with the muscle: its debris field is sampled in image coordinates.
                        let (k0, wx, wy, vn) = weights((colXo[px] - fluidShift - gX0) / gx, (yq - gY0) / gy)
                        let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                        let a = 2 * k0, b = a + 2, cc = a + 2 * nx, d = cc + 2
                        let ar = w00 * FP[a] + w10 * FP[b] + w01 * FP[cc] + w11 * FP[d]
                        let ai = w00 * FP[a + 1] + w10 * FP[b + 1] + w01 * FP[cc + 1] + w11 * FP[d + 1]
                        let br = w00 * FQ[a] + w10 * FQ[b] + w01 * FQ[cc] + w11 * FQ[d]
                        let bi = w00 * FQ[a + 1] + w10 * FQ[b + 1] + w01 * FQ[cc + 1] + w11 * FQ[d + 1]
                        zr += vn * (cf * ar + sf * br); zi += vn * (cf * ai + sf * bi)
                    }
                    let amp = exp(-CUM[px] * dbToNeper)
                    let idx = py * w + px
                    let nk = 2 * (nrow + (px + nox) % w)
                    let re = amp * zr + N[nk], im = amp * zi + N[nk + 1]
                    E[idx] = gain * (re * re + im * im).squareRoot()
                    T[idx] = c.rawValue
                    SH[idx] = Double(CUM[px]) - muscleRT * depth > 10
                    CUM[px] += AT[Int(c.rawValue)] * Float(sy)
                }
            }
        }}}}}}}}}}}}
        return EnvelopeFrame(width: w, height: h, envelope: env, tissue: tissue, shadow: shadow)
    }

    /// Separable convolution of interleaved complex samples (`width` x `height`) with real kernels,
    /// edges replicated.
    static func convolveSeparable(_ buf: inout [Float], width w: Int, height h: Int, lateral kl: [Float], axial ka: [Float]) {
        let rl = kl.count / 2, ra = ka.count / 2
        var tmp = [Float](repeating: 0, count: 2 * w * h)
        var padded = [Float](repeating: 0, count: 2 * (w + 2 * rl))
        buf.withUnsafeBufferPointer { src in
        tmp.withUnsafeMutableBufferPointer { dst in
        padded.withUnsafeMutableBufferPointer { pad in
        kl.withUnsafeBufferPointer { K in
            for y in 0..<h {
                let row = 2 * y * w
                for x in 0..<(w + 2 * rl) {
                    let sxp = min(max(x - rl, 0), w - 1)
                    pad[2 * x] = src[row + 2 * sxp]; pad[2 * x + 1] = src[row + 2 * sxp + 1]
                }
                for x in 0..<w {
                    var re: Float = 0, im: Float = 0
                    for k in 0..<K.count {
                        re += K[k] * pad[2 * (x + k)]
                        im += K[k] * pad[2 * (x + k) + 1]
                    }
                    dst[row + 2 * x] = re; dst[row + 2 * x + 1] = im
                }
            }
        }}}}
        let rowLen = 2 * w
        tmp.withUnsafeBufferPointer { src in
        buf.withUnsafeMutableBufferPointer { dst in
        ka.withUnsafeBufferPointer { K in
            for y in 0..<h {
                let out = y * rowLen
                for i in 0..<rowLen { dst[out + i] = 0 }
                for k in 0..<K.count {
                    let sy = min(max(y + k - ra, 0), h - 1) * rowLen
                    let kk = K[k]
                    for i in 0..<rowLen { dst[out + i] += kk * src[sy + i] }
                }
            }
        }}}
    }

    /// Grey level (0...255) of an envelope value under this clip's log compression and gain.
    /// The belly background (unit scatterers) lands near grey 62 at 0 dB gain.
    public func greyLevel(envelope e: Float) -> UInt8 {
        let (a, b) = logMap()
        let v = a * log(max(e * e, 1e-30)) + b
        return UInt8(min(max(v.rounded(), 0), 255))
    }

    func logMap() -> (Float, Float) {
        let p = parameters
        let dr = p.dynamicRangeDb
        let refDb = -2.51 + dr - 62 * dr / 255 - p.gainDb
        // grey = 255/dr * (10 log10(e^2) - refDb + dr) = a ln(e^2) + b
        let a = 255 / dr * 10 / log(10.0)
        let b = 255 / dr * (dr - refDb)
        return (Float(a), Float(b))
    }

    /// Renders frame `index`: grey and RGB frames, tissue classes, and the full ground truth.
    public func renderFrame(_ index: Int) -> SimulatedFrame {
        let env = renderEnvelope(index)
        let (a, b) = logMap()
        let w = env.width, h = env.height
        let gamma = parameters.greyGamma
        let curve: [UInt8]? = gamma == 1 ? nil : (0...255).map { UInt8(min(255, max(0, (255 * pow(Double($0) / 255, gamma)).rounded()))) }
        let region = [UInt8](unsafeUninitializedCapacity: w * h) { out, n in
            env.envelope.withUnsafeBufferPointer { E in
                for i in 0..<(w * h) {
                    let v = a * log(max(E[i] * E[i], 1e-30)) + b
                    out[i] = UInt8(min(max(v.rounded(), 0), 255))
                }
            }
            if let curve { for i in 0..<(w * h) { out[i] = curve[Int(out[i])] } }
            n = w * h
        }
        let rgb: RGBImage
        if let canvas {
            rgb = canvas.compose(region: region, frameIndex: index)
        } else {
            rgb = RGBImage(width: w, height: h) { out in
                for i in 0..<(w * h) { out[3 * i] = region[i]; out[3 * i + 1] = region[i]; out[3 * i + 2] = region[i] }
            }
        }
        let grey = GreyImage(width: rgb.width, height: rgb.height) { out in
            rgb.pixels.withUnsafeBufferPointer { P in
                for i in 0..<(rgb.width * rgb.height) {
                    let r = Int(P[3 * i]), g = Int(P[3 * i + 1]), bl = Int(P[3 * i + 2])
                    out[i] = UInt8((77 * r + 150 * g + 29 * bl + 128) >> 8)
                }
            }
        }
        var truth = groundTruth(index)
        truth.echoIntensity = Self.echoIntensity(grey: grey, region: imagingRegion, tissue: env.tissue, shadow: env.shadow)
        return SimulatedFrame(index: index, grey: grey, rgb: rgb, tissue: env.tissue, shadow: env.shadow, truth: truth)
    }

    /// Mean grey of intact belly pixels (class belly, not shadowed) inside `region`, rounded to 0.01.
    static func echoIntensity(grey: GreyImage, region: PixelRect, tissue: [UInt8], shadow: [Bool]) -> Double? {
        var sum = 0, n = 0
        let belly = TissueClass.belly.rawValue
        for y in 0..<region.height {
            for x in 0..<region.width where tissue[y * region.width + x] == belly && !shadow[y * region.width + x] {
                sum += Int(grey.pixels[(y + region.y) * grey.width + x + region.x]); n += 1
            }
        }
        guard n > 0 else { return nil }
        return (Double(sum) / Double(n) * 100).rounded() / 100
    }

    /// Streams the clip one frame at a time (only the current frame is held).
    public func frames() -> AnySequence<SimulatedFrame> {
        AnySequence(sequence(state: 0) { (i: inout Int) -> SimulatedFrame? in
            guard i < self.frameCount else { return nil }
            defer { i += 1 }
            return self.renderFrame(i)
        })
    }
}
