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
        var colXo = [Double](repeating: 0, count: w), colXm = colXo, colA = colXo, colS = colXo
        var colBellyEnd = colXo, colDeepEnd = colXo, colDeepShift = colXo, colBelowShift = colXo
        for px in 0..<w {
            let xq = (Double(px) + 0.5) * sx - st.jx
            let xm = phiInverse(xq, st)
            let sM = m.s(xm), dM = m.d(xm), bM = m.b(xm)
            colXo[px] = xq; colXm[px] = xm; colA[px] = m.a(xm); colS[px] = sM
            colBellyEnd[px] = sM + (dM - sM) * st.stretch
            colDeepShift[px] = (dM - sM) * (st.stretch - 1)
            colDeepEnd[px] = bM + colDeepShift[px]
            colBelowShift[px] = (m.d(xq) - m.s(xq)) * (st.stretch - 1)
        }
        let fluidShift = phi(m.xd, st) - m.xd
        let twoK = 2 * (2 * Double.pi / p.wavelengthMm)
        let cphi = Float(cos(st.phi)), sphi = Float(sin(st.phi))
        let cf = Float(cos(st.phiFluid)), sf = Float(sin(st.phiFluid))
        let dbToNeper = Float(log(10.0) / 20)
        let muscleRT = m.attenuationPerMm(.belly)
        let noiseMask = CineSimulator.noiseTableSize - 1
        let noiseOffset = Int(truncatingIfNeeded: mix64(p.seed ^ mix64(UInt64(index) &+ 0xAB)) >> 20) & noiseMask

        var tissue = [UInt8](repeating: 0, count: w * h)
        var shadow = [Bool](repeating: false, count: w * h)
        var buf = [Float](repeating: 0, count: 2 * w * h)
        var cum = [Float](repeating: 0, count: w)
        let hasFluid = m.hasDefect
        let nx = self.nx, ny = self.ny, gX0 = self.gX0, gY0 = self.gY0, gx = self.gx, gy = self.gy

        field.withUnsafeBufferPointer { F in
        fluid.withUnsafeBufferPointer { FL in
        cls.withUnsafeBufferPointer { C in
        noise.withUnsafeBufferPointer { N in
        attenuationByClass.withUnsafeBufferPointer { AT in
        buf.withUnsafeMutableBufferPointer { B in
        tissue.withUnsafeMutableBufferPointer { T in
        shadow.withUnsafeMutableBufferPointer { SH in
        cum.withUnsafeMutableBufferPointer { CUM in
            for py in 0..<h {
                let yq = (Double(py) + 0.5) * sy - st.jy
                let depth = (Double(py) + 0.5) * sy
                for px in 0..<w {
                    let X: Double, Y: Double
                    var layer: TissueClass? = nil
                    if yq < colA[px] { X = colXo[px]; Y = yq }
                    else if yq < colS[px] { X = colXm[px]; Y = yq; layer = .superficialAponeurosis }
                    else if yq < colBellyEnd[px] { X = colXm[px]; Y = colS[px] + (yq - colS[px]) / st.stretch; layer = .belly }
                    else if yq < colDeepEnd[px] { X = colXm[px]; Y = yq - colDeepShift[px]; layer = .deepAponeurosis }
                    else { X = colXo[px]; Y = yq - colBelowShift[px] }

                    let fx = (X - gX0) / gx, fy = (Y - gY0) / gy
                    let i = min(max(Int(fx.rounded(.down)), 0), nx - 2)
                    let j = min(max(Int(fy.rounded(.down)), 0), ny - 2)
                    let wx = Float(min(max(fx - Double(i), 0), 1)), wy = Float(min(max(fy - Double(j), 0), 1))
                    let ni = Int((fx + 0.5).rounded(.down)), nj = Int((fy + 0.5).rounded(.down))
                    let near = min(max(nj, 0), ny - 1) * nx + min(max(ni, 0), nx - 1)
                    var c = TissueClass(rawValue: C[near]) ?? .gel
                    switch layer {
                    case .belly?: if c != .defect && c != .vessel { c = .belly }
                    case .some(let l): c = l
                    case nil:
                        if yq < colA[px] { if c.rawValue > TissueClass.fat.rawValue { c = .fat } }
                        else if c.rawValue < TissueClass.deepMuscle.rawValue { c = .deepMuscle }
                    }
                    let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                    let norm = 1 / (w00 * w00 + w10 * w10 + w01 * w01 + w11 * w11).squareRoot()
                    var zr: Float, zi: Float
                    var u = yq - Y
                    if c == .defect && hasFluid {
                        // Fluid does not strain with the muscle: sample the fluid field in image coordinates.
                        u = 0
                        let ffx = (colXo[px] - fluidShift - gX0) / gx, ffy = (yq - gY0) / gy
                        let fi = min(max(Int(ffx.rounded(.down)), 0), nx - 2)
                        let fj = min(max(Int(ffy.rounded(.down)), 0), ny - 2)
                        let vx = Float(min(max(ffx - Double(fi), 0), 1)), vy = Float(min(max(ffy - Double(fj), 0), 1))
                        let v00 = (1 - vx) * (1 - vy), v10 = vx * (1 - vy), v01 = (1 - vx) * vy, v11 = vx * vy
                        let vn = 1 / (v00 * v00 + v10 * v10 + v01 * v01 + v11 * v11).squareRoot()
                        let k0 = 4 * (fj * nx + fi), k1 = k0 + 4, k2 = k0 + 4 * nx, k3 = k2 + 4
                        let ar = v00 * FL[k0] + v10 * FL[k1] + v01 * FL[k2] + v11 * FL[k3]
                        let ai = v00 * FL[k0 + 1] + v10 * FL[k1 + 1] + v01 * FL[k2 + 1] + v11 * FL[k3 + 1]
                        let br = v00 * FL[k0 + 2] + v10 * FL[k1 + 2] + v01 * FL[k2 + 2] + v11 * FL[k3 + 2]
                        let bi = v00 * FL[k0 + 3] + v10 * FL[k1 + 3] + v01 * FL[k2 + 3] + v11 * FL[k3 + 3]
                        zr = vn * (cf * ar + sf * br); zi = vn * (cf * ai + sf * bi)
                    } else {
                        let k0 = 6 * (j * nx + i), k1 = k0 + 6, k2 = k0 + 6 * nx, k3 = k2 + 6
                        let pr = w00 * F[k0] + w10 * F[k1] + w01 * F[k2] + w11 * F[k3]
                        let pi = w00 * F[k0 + 1] + w10 * F[k1 + 1] + w01 * F[k2 + 1] + w11 * F[k3 + 1]
                        let qr = w00 * F[k0 + 2] + w10 * F[k1 + 2] + w01 * F[k2 + 2] + w11 * F[k3 + 2]
                        let qi = w00 * F[k0 + 3] + w10 * F[k1 + 3] + w01 * F[k2 + 3] + w11 * F[k3 + 3]
                        let rr = w00 * F[k0 + 4] + w10 * F[k1 + 4] + w01 * F[k2 + 4] + w11 * F[k3 + 4]
                        let ri = w00 * F[k0 + 5] + w10 * F[k1 + 5] + w01 * F[k2 + 5] + w11 * F[k3 + 5]
                        zr = norm * (cphi * pr + sphi * qr) + rr
                        zi = norm * (cphi * pi + sphi * qi) + ri
                    }
                    // Axial displacement turns the phase of the echo (baseband model of the carrier).
                    let ph = -twoK * u
                    let cr = Float(cos(ph)), ci = Float(sin(ph))
                    let amp = exp(-CUM[px] * dbToNeper)
                    let idx = py * w + px
                    let nk = 2 * ((noiseOffset + idx) & noiseMask)
                    B[2 * idx] = amp * (zr * cr - zi * ci) + N[nk]
                    B[2 * idx + 1] = amp * (zr * ci + zi * cr) + N[nk + 1]
                    T[idx] = c.rawValue
                    SH[idx] = Double(CUM[px]) - muscleRT * depth > 10
                    CUM[px] += AT[Int(c.rawValue)] * Float(sy)
                }
            }
        }}}}}}}}}

        convolveSeparable(&buf, width: w, height: h)

        // TGC, then envelope.
        var env = [Float](repeating: 0, count: w * h)
        buf.withUnsafeBufferPointer { B in
            env.withUnsafeMutableBufferPointer { E in
                for py in 0..<h {
                    let depth = (Double(py) + 0.5) * sy
                    let g = Float(pow(10, p.tgcCompensation * muscleRT * depth / 20))
                    let row = py * w
                    for px in 0..<w {
                        let re = B[2 * (row + px)], im = B[2 * (row + px) + 1]
                        E[row + px] = g * (re * re + im * im).squareRoot()
                    }
                }
            }
        }
        return EnvelopeFrame(width: w, height: h, envelope: env, tissue: tissue, shadow: shadow)
    }

    /// Separable convolution of interleaved complex pixels with the (real) lateral and axial kernels.
    func convolveSeparable(_ buf: inout [Float], width w: Int, height h: Int) {
        let kl = lateralKernel, ka = axialKernel
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
        let region = [UInt8](unsafeUninitializedCapacity: w * h) { out, n in
            env.envelope.withUnsafeBufferPointer { E in
                for i in 0..<(w * h) {
                    let v = a * log(max(E[i] * E[i], 1e-30)) + b
                    out[i] = UInt8(min(max(v.rounded(), 0), 255))
                }
            }
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
    static func echoIntensity(grey: GreyImage, region: ImagingRegion, tissue: [UInt8], shadow: [Bool]) -> Double? {
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
