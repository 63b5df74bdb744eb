import Foundation

/// What a point of tissue is. Raw values are stable (they appear in masks handed to callers).
public enum TissueClass: UInt8, Sendable, CaseIterable {
    case gel = 0, skin, fat, superficialAponeurosis, belly, defect, vessel, deepAponeurosis, deepMuscle, bone
}

/// The rest geometry and material properties of the tissue, in material coordinates (mm):
/// X from the left edge of the imaging region, Y depth from its top edge, both at rest with no
/// probe jitter. Surfaces are tabulated once; everything here is pure and deterministic.
struct TissueModel: Sendable {
    let p: SimulationParameters
    let fovW: Double
    let fovH: Double
    let xc0: Double
    let skinTop = 0.2

    // Surface tables over X.
    let tableX0: Double
    let tableStep = 0.05
    let sTab: [Double]   // superficial aponeurosis inner (lower) edge
    let aTab: [Double]   // superficial aponeurosis outer (upper) edge
    let dTab: [Double]   // deep aponeurosis inner (upper) edge
    let bTab: [Double]   // deep aponeurosis outer (lower) edge
    let boneTab: [Double] // bone surface, 1e9 without bone (finite: tables are interpolated)

    /// Fascicle line direction in material coordinates (radians from +X, y down).
    let beta: Double
    let betaDeep: Double
    /// Mean tilt of the deep aponeurosis.
    let tauDeep: Double

    // Lesion.
    let hasDefect: Bool
    let isFull: Bool
    let xd: Double
    let defectTop: Double
    let defectBottom: Double
    let faceY0: Double
    let faceStep = 0.02
    let leftFace: [Double]   // NaN where the defect does not reach
    let rightFace: [Double]
    let zoneD0: Double
    let zoneD1: Double
    /// Half the stump split at full activation (mm).
    let splitH: Double
    let exclusionL: Double
    let exclusionR: Double

    // Distractors.
    let vessel: (cx: Double, cy: Double, rx: Double, ry: Double, tilt: Double)?
    let band: (cx: Double, halfWidth: Double, slope: Double)?

    /// Centres of `p.darkDistractors` in material mm.
    let darkCentres: [(x: Double, y: Double)]

    let seeds: [UInt64]
    /// Seed of everything anatomical (surfaces, fascicle pattern, lesion shape, specular phases).
    let anatomySeed: UInt64

    init(parameters p: SimulationParameters, imagingWidthMm: Double, imagingHeightMm: Double) {
        self.p = p
        fovW = imagingWidthMm
        fovH = imagingHeightMm
        xc0 = imagingWidthMm / 2
        anatomySeed = p.anatomySeed ?? p.seed
        var rng = SplitMix64(seed: mix64(anatomySeed ^ 0x5EED_0A0A))
        seeds = (0..<16).map { _ in rng.next() }

        // Surfaces.
        let margin = 12 + p.restGapMm + p.gapWideningMm + p.shortening * imagingWidthMm + 2 * p.jitterMm
        tableX0 = -margin
        let n = Int(((imagingWidthMm + 2 * margin) / tableStep).rounded(.up)) + 2
        let tanS = tan(0.4 * p.axisTiltDeg * .pi / 180)
        let tanD = tan(p.axisTiltDeg * .pi / 180)
        let s0 = skinTop + p.skinThicknessMm + p.fatThicknessMm + p.aponeurosisThicknessMm
        var sT = [Double](), aT = [Double](), dT = [Double](), bT = [Double](), boneT = [Double]()
        sT.reserveCapacity(n)
        let deepRoom = imagingHeightMm - (s0 + p.restThicknessMm + p.aponeurosisThicknessMm)
        let hasBone = p.bone && deepRoom > 7
        let boneDepth = max(3.5, 0.42 * deepRoom)
        for i in 0..<n {
            let X = -margin + Double(i) * 0.05
            let u = min(max((X - imagingWidthMm / 2) / (imagingWidthMm / 2), -1.6), 1.6)
            let s = s0 + tanS * (X - imagingWidthMm / 2) - p.aponeurosisCurvatureMm * (1 - u * u)
                + 0.12 * fractalNoise(seeds[0], X / 6)
            let t = p.restThicknessMm * (1 + 0.03 * valueNoise(seeds[1], X / 12)) + (tanD - tanS) * (X - imagingWidthMm / 2)
            let a = s - p.aponeurosisThicknessMm * (1 + 0.15 * valueNoise(seeds[2], X / 5))
            let d = s + t
            let b = d + 1.1 * p.aponeurosisThicknessMm * (1 + 0.15 * valueNoise(seeds[3], X / 5))
            sT.append(s); aT.append(a); dT.append(d); bT.append(b)
            boneT.append(hasBone ? b + boneDepth + 1.5 * u * u + 0.1 * valueNoise(seeds[4], X / 4) : 1e9)
        }
        sTab = sT; aTab = aT; dTab = dT; bTab = bT; boneTab = boneT
        tauDeep = atan(tanD)
        let dir = Double(p.fascicleDirection >= 0 ? 1 : -1)
        beta = tauDeep - dir * p.pennationDeg * .pi / 180
        betaDeep = tauDeep + dir * 0.6 * p.pennationDeg * .pi / 180

        // Lesion geometry.
        let xd = p.defectCentreFraction * imagingWidthMm
        self.xd = xd
        hasDefect = p.tearCase != .none
        isFull = p.tearCase == .full || p.tearCase == .fullSubtle
        let sAt = Self.interp(sT, x0: -margin, step: 0.05, xd)
        let dAt = Self.interp(dT, x0: -margin, step: 0.05, xd)
        let g0 = p.restGapMm
        faceY0 = sAt - 2
        let m = Int(((dAt - sAt + 4) / 0.02).rounded(.up)) + 1
        var left = [Double](repeating: .nan, count: m), right = left
        var top = sAt, bottom = dAt
        var d0 = xd, d1 = xd
        if hasDefect && isFull {
            var r = p.faceRaggedness * g0
            var o = g0 >= 3 ? rng.uniform(-0.1...0.1) : 0
            if let deg = p.faceObliquityDeg { o = tan(deg * .pi / 180) }
            let mid = (sAt + dAt) / 2
            for _ in 0..<4 {
                for i in 0..<m {
                    let Y = sAt - 2 + Double(i) * 0.02
                    left[i] = xd - g0 / 2 + r * fractalNoise(seeds[5], Y / 0.8) + o * (Y - mid)
                    right[i] = xd + g0 / 2 + r * fractalNoise(seeds[6], Y / 0.8) + o * (Y - mid)
                }
                d0 = left.max()! + 0.01; d1 = right.min()! - 0.01
                if d1 - d0 >= 0.35 * g0 { break }
                o *= 0.5; r *= 0.6
            }
        } else if hasDefect {
            let t = dAt - sAt
            let h = p.partialDepthFraction * t
            let (yc, hl): (Double, Double)
            switch p.partialSite {
            case .deep: (yc, hl) = (dAt, 2 * h)
            case .superficial: (yc, hl) = (sAt, 2 * h)
            case .central: (yc, hl) = (sAt + t / 2 + rng.uniform(-0.1...0.1) * t, h)
            }
            top = max(sAt, yc - hl / 2); bottom = min(dAt, yc + hl / 2)
            for i in 0..<m {
                let Y = sAt - 2 + Double(i) * 0.02
                let v = abs(Y - yc) / (hl / 2)
                guard v < 1 else { continue }
                let hw = g0 / 2 * pow(1 - v * v * v, 1.0 / 3)
                let rag = p.faceRaggedness * hw
                left[i] = xd - hw + rag * fractalNoise(seeds[5], Y / 0.8)
                right[i] = xd + hw + rag * fractalNoise(seeds[6], Y / 0.8)
            }
        }
        leftFace = left; rightFace = right
        defectTop = top; defectBottom = bottom
        zoneD0 = d0; zoneD1 = d1
        if hasDefect {
            let lo = left.filter { !$0.isNaN }.min() ?? xd, hi = right.filter { !$0.isNaN }.max() ?? xd
            exclusionL = lo - 0.5; exclusionR = hi + 0.5
        } else {
            exclusionL = .infinity; exclusionR = -.infinity
        }
        // Widening at the mid line = g(1 - shortening) + 2H  ->  H so that it equals the set widening.
        if hasDefect && isFull {
            let mi = Int(((top + bottom) / 2 - (sAt - 2)) / 0.02)
            let gMid = right[mi] - left[mi]
            splitH = max(0, (p.gapWideningMm + p.shortening * gMid) / 2)
        } else {
            splitH = 0
        }

        // Distractors (in the belly, away from the edges).
        darkCentres = p.darkDistractors.map { dd in
            let x = dd.centreX * imagingWidthMm
            let sx = Self.interp(sT, x0: -margin, step: 0.05, x), dx = Self.interp(dT, x0: -margin, step: 0.05, x)
            return (x, sx + dd.centreDepth * (dx - sx))
        }
        switch p.distractor {
        case .vessel:
            vessel = (cx: rng.uniform(0.3...0.7) * imagingWidthMm, cy: sAt + rng.uniform(0.35...0.65) * (dAt - sAt),
                      rx: rng.uniform(4...7), ry: rng.uniform(0.9...1.4), tilt: rng.uniform(-0.05...0.05))
            band = nil
        case .darkBand:
            vessel = nil
            band = (cx: rng.uniform(0.3...0.7) * imagingWidthMm, halfWidth: rng.uniform(1.5...3), slope: rng.uniform(-0.3...0.3))
        case .none:
            vessel = nil; band = nil
        }
    }

    static func interp(_ t: [Double], x0: Double, step: Double, _ x: Double) -> Double {
        let f = (x - x0) / step
        let i = min(max(Int(f.rounded(.down)), 0), t.count - 2)
        let w = min(max(f - Double(i), 0), 1)
        return t[i] + (t[i + 1] - t[i]) * w
    }

    @inline(__always) func s(_ X: Double) -> Double { Self.interp(sTab, x0: tableX0, step: tableStep, X) }
    @inline(__always) func a(_ X: Double) -> Double { Self.interp(aTab, x0: tableX0, step: tableStep, X) }
    @inline(__always) func d(_ X: Double) -> Double { Self.interp(dTab, x0: tableX0, step: tableStep, X) }
    @inline(__always) func b(_ X: Double) -> Double { Self.interp(bTab, x0: tableX0, step: tableStep, X) }
    @inline(__always) func boneTop(_ X: Double) -> Double { Self.interp(boneTab, x0: tableX0, step: tableStep, X) }

    /// Face positions at depth Y (NaN where the defect does not reach that depth).
    func faces(_ Y: Double) -> (left: Double, right: Double) {
        let f = (Y - faceY0) / faceStep
        guard f >= 0, f < Double(leftFace.count - 1) else { return (.nan, .nan) }
        let i = Int(f), w = f - Double(i)
        return (leftFace[i] + (leftFace[i + 1] - leftFace[i]) * w, rightFace[i] + (rightFace[i + 1] - rightFace[i]) * w)
    }

    /// Class of the material point, from the exact geometry.
    func classify(_ X: Double, _ Y: Double) -> TissueClass {
        if Y < skinTop { return .gel }
        if Y < skinTop + p.skinThicknessMm { return .skin }
        let aX = a(X)
        if Y < aX { return .fat }
        let sX = s(X)
        if Y < sX { return .superficialAponeurosis }
        let dX = d(X)
        if Y < dX {
            if hasDefect {
                let f = faces(Y)
                if !f.left.isNaN && X > f.left && X < f.right { return .defect }
            }
            if let v = vessel {
                let dx = X - v.cx, dy = Y - v.cy - v.tilt * dx
                let r = (dx * dx) / (v.rx * v.rx) + (dy * dy) / ((v.ry + 0.25) * (v.ry + 0.25))
                if r < 1 { return .vessel }
            }
            return .belly
        }
        if Y < b(X) { return .deepAponeurosis }
        if Y < boneTop(X) { return .deepMuscle }
        return .bone
    }

    /// Attenuation of a class, dB per mm of depth, round trip, at the transmit frequency.
    func attenuationPerMm(_ c: TissueClass, fluidLumen: Bool = true) -> Double {
        let am = p.attenuationDbPerCmMHz
        let alpha: Double
        switch c {
        case .gel: alpha = 0.002
        case .skin: alpha = 1.4 * am
        case .fat: alpha = 0.9 * am
        case .superficialAponeurosis, .deepAponeurosis: alpha = 1.8 * am
        case .belly, .deepMuscle: alpha = am
        case .defect: alpha = 0.25 * am   // hematoma with clot and debris, not clear fluid
        case .vessel: alpha = 0.05 * am
        case .bone: alpha = 30
        }
        return p.roundTripDbPerMm(alpha)
    }

    /// Scattering amplitude of the point relative to the belly background (linear), the share of it
    /// that is coherent (specular), and a key that gives coherent scatterers of one structure one phase.
    func scattering(_ X: Double, _ Y: Double, _ c: TissueClass, row: Int) -> (e: Double, rho: Double, key: UInt64) {
        let belly = pow(10, p.bellyEchoOffsetDb / 20)
        switch c {
        case .gel: return (0.015, 0, 0)
        case .skin:
            if Y < skinTop + 0.3 { return (14, 0.8, 0x100 &+ UInt64(row)) }
            return (4 * (0.7 + 0.3 * valueNoise(seeds[7], X / 0.7, Y / 0.5)), 0.2, 0x200 &+ UInt64(row))
        case .fat:
            let sp = 2.2
            let m = (Y + 0.9 * fractalNoise(seeds[8], X / 7) + 0.08 * X) / sp
            let k = m.rounded()
            let dist = abs(m - k) * sp
            let sigma = max(0.09, 0.45 * max(p.mmPerPixelX, p.mmPerPixelY))
            let strength = max(0, 0.35 + 0.9 * valueNoise(seeds[9] ^ UInt64(bitPattern: Int64(k)), X / 5))
            let line = 5 * strength * exp(-dist * dist / (2 * sigma * sigma))
            let bg = 0.45 * (1 + 0.25 * valueNoise(seeds[10], X / 2, Y / 1.5))
            return (bg + line, 0.6 * line / (bg + line), 0x300 &+ UInt64(bitPattern: Int64(k)))
        case .superficialAponeurosis, .deepAponeurosis:
            let top = c == .superficialAponeurosis ? a(X) : d(X)
            let bottom = c == .superficialAponeurosis ? s(X) : b(X)
            let lam = 0.75 + 0.25 * cos(2 * .pi * (Y - top) / max(0.3, (bottom - top) * 0.5))
            let amp = (c == .superficialAponeurosis ? 11.0 : 13.0) * (0.8 + 0.2 * valueNoise(seeds[11], X / 3))
            return (amp * lam, 0.75, (c == .superficialAponeurosis ? 0x400 : 0x500) &+ UInt64(row))
        case .belly, .deepMuscle:
            let deep = c == .deepMuscle
            let ang = deep ? betaDeep : beta
            let sp = p.fascicleSpacingMm * (deep ? 1.2 : 1)
            let n = -X * sin(ang) + Y * cos(ang)
            let t = X * cos(ang) + Y * sin(ang)
            let warped = n + 0.5 * sp * fractalNoise(seeds[12], t / 9)
            let m = warped / sp + 0.3 * valueNoise(seeds[13], warped / (2.5 * sp))
            let k = m.rounded()
            let dist = abs(m - k) * sp
            let sigma = max(0.09, 0.45 * max(p.mmPerPixelX, p.mmPerPixelY))
            let strength = min(1, max(0, 0.55 + 0.7 * valueNoise(seeds[14] ^ UInt64(bitPattern: Int64(k)), t / 4)))
            let line = (deep ? 0.8 : 1) * p.fascicleContrast * strength * exp(-dist * dist / (2 * sigma * sigma))
            var bg = (deep ? 0.85 : 1) * (1 + 0.2 * valueNoise(seeds[15], X / 4, Y / 2.5))
            if let band, !deep {
                let off = abs(X - band.cx - band.slope * (Y - s(band.cx)))
                bg *= 1 - 0.7 * max(0, min(1, (band.halfWidth + 0.5 - off) / 1.0))
            }
            var e = (bg + line) * belly
            if !deep && !p.darkDistractors.isEmpty {
                for (k, dd) in p.darkDistractors.enumerated() {
                    let c = darkCentres[k]
                    let dx = X - c.x, dy = Y - c.y
                    switch dd.kind {
                    case .patch:
                        let r = (dx * dx) / (dd.halfLengthMm * dd.halfLengthMm) + (dy * dy) / (dd.halfWidthMm * dd.halfWidthMm)
                        if r < 1.6 { e *= 1 - (1 - dd.darkness) * max(0, min(1, (1.6 - r) / 0.6)) }
                    case .interfascicular:
                        let along = dx * cos(beta) + dy * sin(beta), across = -dx * sin(beta) + dy * cos(beta)
                        let ra = abs(along) / dd.halfLengthMm, rc = abs(across) / dd.halfWidthMm
                        if ra < 1 && rc < 1.5 { e = bg * belly * (1 - (1 - dd.darkness) * max(0, min(1, (1.5 - rc) / 0.5)) * (1 - ra * ra)) }
                    case .vessel:
                        let r = (dx * dx) / (dd.halfLengthMm * dd.halfLengthMm) + (dy * dy) / (dd.halfWidthMm * dd.halfWidthMm)
                        let rw = (dx * dx) / ((dd.halfLengthMm + 0.3) * (dd.halfLengthMm + 0.3)) + (dy * dy) / ((dd.halfWidthMm + 0.3) * (dd.halfWidthMm + 0.3))
                        if r < 1 { return (0.02 + dd.darkness * 0.05, 0, 0) }
                        if rw < 1 { return (6, 0.6, 0xA00 &+ UInt64(k) &* 0x40 &+ UInt64(row)) }
                    }
                }
            }
            if hasDefect && !deep {
                let f = faces(Y)
                if !f.left.isNaN {
                    let dist = X <= f.left ? f.left - X : (X >= f.right ? X - f.right : 0)
                    if dist < 1.2 {
                        let fray = (isFull ? 1.0 : 0.5) * (1 - dist / 1.2) * (0.6 + 0.4 * valueNoise(seeds[5] ^ 77, Y / 0.4))
                        e *= 1 + fray
                    }
                }
            }
            return (e, 0.35 * line / (bg + line), (deep ? 0x700 : 0x600) &+ UInt64(bitPattern: Int64(k)))
        case .defect:
            // Most of the fluid's echo comes from the image-anchored fluid field (`fluidScattering`).
            return (0.5 * p.fluidEchogenicity * fluidDepthGain(Y), 0, 0)
        case .vessel:
            guard let v = vessel else { return (0.02, 0, 0) }
            let dx = X - v.cx, dy = Y - v.cy - v.tilt * dx
            let r = (dx * dx) / (v.rx * v.rx) + (dy * dy) / (v.ry * v.ry)
            return r < 1 ? (0.02, 0, 0) : (7, 0.7, 0x800 &+ UInt64(row))
        case .bone:
            if Y < boneTop(X) + 0.4 { return (45, 0.9, 0x900 &+ UInt64(row)) }
            return (1.5, 0, 0)
        }
    }

    /// Echogenicity of the fluid filling a defect, in image-anchored coordinates (fluid does not
    /// strain with the muscle): anechoic base, clot patches and sparse debris, denser low down.
    func fluidScattering(_ x: Double, _ y: Double) -> Double {
        let dbr = p.debris
        let clot = 2.5 * dbr * max(0, valueNoise(seeds[9] ^ 0xF1, x / 2.5, y / 2))
        let spots = 1.6 * dbr * max(0, valueNoise(seeds[10] ^ 0xF2, x / 0.35, y / 0.35) - 0.5)
        let layering = 1 + 1.5 * dbr * smoothstep(min(1, max(0, (y - (defectTop + defectBottom) / 2) / max(1, defectBottom - defectTop))))
        guard p.fluidGreyShare != nil else { return p.fluidEchogenicity * (1 + clot) * layering + spots }
        // A drawn grey share: the debris spots scale with the fluid's level (four times its base at
        // their brightest share of 0.8), and the level holds at every depth of the fluid.
        return p.fluidEchogenicity * ((1 + clot) * layering + 4 * spots) * fluidDepthGain(y)
    }

    /// With a drawn grey share (`fluidGreyShare`), what keeps the fluid's level the same share of
    /// the belly's at every depth: the fluid attenuates less than the belly (`attenuationPerMm`), so
    /// under a depth gain set for tissue its echoes would brighten with depth into the fluid. This
    /// divides that gain out within the fluid; the enhancement beneath it stays. 1 without a share.
    func fluidDepthGain(_ y: Double) -> Double {
        guard p.fluidGreyShare != nil else { return 1 }
        let deficitDb = (attenuationPerMm(.belly) - attenuationPerMm(.defect)) * max(0, y - defectTop)
        return pow(10, -deficitDb / 20)
    }
}
