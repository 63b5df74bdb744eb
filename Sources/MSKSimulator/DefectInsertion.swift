import Foundation
import MSKImage
import MSKLabels

/// The defect a semi-synthetic clip gets: what is drawn into a real healthy clip's belly.
/// Lengths in mm; echogenicity as a share of the belly's mean grey level.
public struct InsertionSpec: Codable, Sendable, Equatable {
    public var tearCase: TearCase
    public var seed: UInt64
    /// Defect length along the axis at rest, half-way through its depth.
    public var restGapMm: Double = 5
    /// Widening of the gap from rest to full contraction (stumps retracting; full tears only).
    public var wideningMm: Double = 4
    /// Partial tears: depth extent over the local belly thickness (< 0.9).
    public var depthFraction: Double = 0.5
    public var site: DefectSite = .deep
    /// Mean grey of the fluid or haematoma over the belly's mean grey, 0...0.5.
    public var echogenicity: Double = 0.1
    /// 0...1: how much debris and clot the fluid holds (bright specks, denser low down).
    public var debris: Double = 0.5
    /// Thin bright internal echoes (septa) across the defect.
    public var septa: Int = 1
    /// Amplitude of the end faces' raggedness, mm.
    public var raggednessMm: Double = 0.6
    /// Tilt of the end faces against the vertical, degrees (an oblique tear).
    public var obliquityDeg: Double = 0
    /// Posterior enhancement: grey gain just below the defect (0.25 = 25 % brighter), fading with depth.
    public var enhancement: Double = 0.2
    /// Defect centre across the imaging region, 0...1.
    public var centreFraction: Double = 0.5
    /// Length over which the stumps' retraction fades into the surrounding belly, mm.
    public var retractionFadeMm: Double = 15

    public init(tearCase: TearCase, seed: UInt64) {
        self.tearCase = tearCase
        self.seed = seed
    }

    /// The fixed distribution of semi-synthetic defects (`Docs/simulator.md`): same case and seed,
    /// same defect.
    public static func randomised(case tearCase: TearCase, seed: UInt64) -> InsertionSpec {
        var r = SplitMix64(seed: mix64(seed ^ 0xBAC6_0D))
        var s = InsertionSpec(tearCase: tearCase, seed: seed)
        s.echogenicity = r.uniform(0...0.5)
        s.debris = r.uniform(0.1...0.9)
        s.septa = Int(r.next() % 3)
        s.obliquityDeg = r.uniform(-25...25)
        s.enhancement = r.uniform(0.1...0.35)
        s.centreFraction = r.uniform(0.4...0.6)
        s.retractionFadeMm = r.uniform(10...20)
        switch tearCase {
        case .full:
            s.restGapMm = r.uniform(3.5...9)
            s.wideningMm = r.uniform(2.5...7)
            s.raggednessMm = r.uniform(0.3...1.0)
        case .fullSubtle:
            s.restGapMm = r.uniform(1...2)
            s.wideningMm = r.uniform(2.5...5)
            s.raggednessMm = r.uniform(0.15...0.35)
            s.echogenicity = r.uniform(0.15...0.5)
            s.enhancement = r.uniform(0.05...0.15)
        case .partial:
            s.restGapMm = r.uniform(4...9)
            s.wideningMm = 0
            s.depthFraction = r.uniform(0.3...0.7)
            s.site = DefectSite.allCases[Int(r.next() % 3)]
            s.raggednessMm = r.uniform(0.3...0.8)
        case .none:
            s.restGapMm = 0
            s.wideningMm = 0
        }
        return s
    }

    public func problems() -> [String] {
        var p: [String] = []
        if tearCase != .none && !(restGapMm > 0) { p.append("the rest gap must be > 0 mm") }
        if !(0...0.5).contains(echogenicity) { p.append("echogenicity \(echogenicity) outside 0...0.5") }
        if tearCase == .partial && !(0.1..<0.9).contains(depthFraction) { p.append("a partial tear's depth fraction must be in 0.1..<0.9") }
        if wideningMm < 0 { p.append("widening < 0") }
        if !(0.1...0.9).contains(centreFraction) { p.append("centre fraction outside 0.1...0.9") }
        return p
    }
}

/// Draws a defect into the frames of a real healthy clip, frame by frame, with exact truth.
///
/// Geometry lives in belly coordinates: `u` = depth fraction between the aponeuroses' inner edges
/// (0 superficial, 1 deep), along-axis offsets in mm from the defect centre. The band and the
/// defect centre move with the tracked tissue (`offsets`); the stumps retract by
/// `wideningMm / 2 * contraction` each, through a displacement field that is whole at the faces
/// and fades to nothing `retractionFadeMm` away (raised cosine), inside the belly only.
public struct DefectInserter: Sendable {
    public let spec: InsertionSpec
    public let band: MuscleBand
    public let region: PixelRect
    public let mmPerPixelX: Double
    public let mmPerPixelY: Double
    /// Per frame: tissue displacement at the defect from the first frame (pixels).
    public let offsets: [(dx: Double, dy: Double)]
    /// Per frame: vertical shift of the superficial and the deep inner edge from the first frame
    /// (pixels), tracked on the aponeuroses themselves (they do not move as the belly's middle does).
    public let edges: [(top: Double, bottom: Double)]
    /// Per frame, 0...1.
    public let contraction: [Double]
    /// Mean grey of the belly around the defect in the first frame, and the darkest grey the
    /// scanner shows there (0.1st percentile of the region: its noise floor, the level fluid
    /// cannot be drawn under). The 2nd percentile, used up to `semi-synthetic-1`, lies in the
    /// darkest tissue of an image without anechoic areas: on the real-cine backgrounds about 0.4
    /// of the belly's level, where their darkest pixels are 0.2-0.3 of it (Docs/simulator.md).
    public let bellyGrey: Double
    public let floorGrey: Double
    /// The grey share of the belly's level the fluid shows: the drawn `echogenicity`, or the
    /// floor's share where that is brighter.
    public var shownFluidShare: Double { max(spec.echogenicity, bellyGrey > 0 ? floorGrey / bellyGrey : 0) }
    /// Speckle grain of the background's belly (FWHM of the autocovariance), mm, lateral and axial:
    /// the fluid's speckle gets the same grain.
    public let grainMm: (x: Double, y: Double)
    let centreX: Double
    /// Two complex speckle fields (re, im interleaved) with the background's grain, in pixels
    /// around the defect centre (`fieldW` x `fieldH`, centre at the middle): the fluid's speckle,
    /// blended slowly from one to the other over the clip (the fluid does not move with the fibres).
    let fieldA: [Float]
    let fieldB: [Float]
    let fieldW: Int
    let fieldH: Int
    let seeds: [UInt64]
    let uTop: Double
    let uBottom: Double
    let septa: [(u: Double, angle: Double, along: Double)]

    public init(spec: InsertionSpec, band: MuscleBand, region: PixelRect, mmPerPixelX: Double, mmPerPixelY: Double,
                offsets: [(dx: Double, dy: Double)], edges: [(top: Double, bottom: Double)]? = nil,
                contraction: [Double], firstFrame: GreyImage) {
        self.edges = edges ?? offsets.map { ($0.dy, $0.dy) }
        self.spec = spec
        self.band = band
        self.region = region
        self.mmPerPixelX = mmPerPixelX
        self.mmPerPixelY = mmPerPixelY
        self.offsets = offsets
        self.contraction = contraction
        centreX = band.x0
        var r = SplitMix64(seed: mix64(spec.seed ^ 0x1A5E_47))
        seeds = (0..<8).map { _ in r.next() }
        switch spec.tearCase {
        case .full, .fullSubtle, .none: (uTop, uBottom) = (-0.03, 1.03)
        case .partial:
            let f = spec.depthFraction
            switch spec.site {
            case .deep: (uTop, uBottom) = (1 - f, 1.03)
            case .superficial: (uTop, uBottom) = (-0.03, f)
            case .central: (uTop, uBottom) = (0.5 - f / 2, 0.5 + f / 2)
            }
        }
        septa = (0..<spec.septa).map { _ in (u: r.uniform(0.25...0.75), angle: r.uniform(-0.6...0.6), along: r.uniform(-0.3...0.3)) }
        // Belly level: mean grey between the edges, +-8 mm around the centre.
        var sum = 0.0, n = 0.0
        var hist = [Int](repeating: 0, count: 256)
        let half = Int(8 / mmPerPixelX)
        for x in max(region.x, Int(band.x0) - half)..<min(region.x + region.width, Int(band.x0) + half) {
            let s = Int(band.superficial(Double(x)).rounded(.up)) + 2, d = Int(band.deep(Double(x))) - 2
            guard s < d else { continue }
            for y in s..<d { sum += Double(firstFrame[x, y]); n += 1 }
        }
        for y in region.y..<(region.y + region.height) {
            for x in region.x..<(region.x + region.width) { hist[Int(firstFrame[x, y])] += 1 }
        }
        bellyGrey = n > 0 ? sum / n : 60
        let gx = Self.grain(firstFrame, band: band, region: region, horizontal: true)
        let gy = Self.grain(firstFrame, band: band, region: region, horizontal: false)
        grainMm = (max(0.3, gx * mmPerPixelX), max(0.15, gy * mmPerPixelY))
        let thickPx = band.height(band.x0)
        let extentMm = spec.restGapMm + spec.wideningMm + 6 * spec.raggednessMm + 2 * abs(tan(spec.obliquityDeg * .pi / 180)) * thickPx * mmPerPixelY + 4
        let fw = Int(extentMm / mmPerPixelX) + 2 * Int(max(abs(band.superficialSlope), abs(band.deepSlope)) * 0) + 8
        let fh = Int(thickPx * 1.2) + Int(abs(offsets.map(\.dy).max() ?? 0)) + 16
        fieldW = fw; fieldH = fh
        let sx = max(0.7, gx / 2.355), sy = max(0.7, gy / 2.355)
        fieldA = Self.speckleField(width: fw, height: fh, sigmaX: sx, sigmaY: sy, seed: seeds[3])
        fieldB = Self.speckleField(width: fw, height: fh, sigmaX: sx, sigmaY: sy, seed: seeds[4])
        var acc = 0, floor = 0
        let total = hist.reduce(0, +)
        for (v, c) in hist.enumerated() { acc += c; if Double(acc) >= Self.floorQuantile * Double(total) { floor = v; break } }
        floorGrey = Double(floor)
    }

    public var frameCount: Int { contraction.count }

    /// The share of the region's pixels at or under the noise floor (`floorGrey`).
    static let floorQuantile = 0.001

    /// Complex Gaussian noise blurred by separable Gaussians (sigma in pixels), scaled so the
    /// magnitude has mean 1 (Rayleigh: E|z| = sqrt(pi) / 2 * sqrt(E|z|^2)).
    static func speckleField(width w: Int, height h: Int, sigmaX: Double, sigmaY: Double, seed: UInt64) -> [Float] {
        var r = SplitMix64(seed: seed)
        var f = [Float](repeating: 0, count: 2 * w * h)
        for i in 0..<(w * h) { let (a, b) = r.normalPair(); f[2 * i] = Float(a); f[2 * i + 1] = Float(b) }
        func kernel(_ s: Double) -> [Float] {
            let rad = Int((3 * s).rounded(.up))
            let k = (-rad...rad).map { exp(-Double($0 * $0) / (2 * s * s)) }
            let e = k.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return k.map { Float($0 / e) }
        }
        CineSimulator.convolveSeparable(&f, width: w, height: h, lateral: kernel(sigmaX), axial: kernel(sigmaY))
        // Unit power per component pair -> E|z|^2 = 2 (each of re, im has variance 1 after the unit-energy kernels).
        let scale = Float(1 / (2.0.squareRoot() * Double.pi.squareRoot() / 2))
        for i in 0..<f.count { f[i] *= scale }
        return f
    }

    /// FWHM (pixels) of the grey autocovariance along x or y over the middle half of the belly,
    /// +-120 px around the band's centre column; 2 when it cannot be measured.
    static func grain(_ img: GreyImage, band: MuscleBand, region: PixelRect, horizontal: Bool) -> Double {
        let x0 = max(region.x, Int(band.x0) - 120), x1 = min(region.x + region.width, Int(band.x0) + 120)
        let sTop = Int(band.superficial(band.x0) + 0.25 * band.height(band.x0))
        let sBot = Int(band.superficial(band.x0) + 0.75 * band.height(band.x0))
        guard x1 - x0 > 40, sBot - sTop > 10 else { return 2 }
        var sum = 0.0, n = 0.0
        for y in sTop..<sBot { for x in x0..<x1 { sum += Double(img[x, y]); n += 1 } }
        let mean = sum / n
        func cov(_ lag: Int) -> Double {
            var c = 0.0, m = 0.0
            for y in sTop..<(sBot - (horizontal ? 0 : lag)) {
                for x in x0..<(x1 - (horizontal ? lag : 0)) {
                    let a = Double(img[x, y]) - mean
                    let b = Double(horizontal ? img[x + lag, y] : img[x, y + lag]) - mean
                    c += a * b; m += 1
                }
            }
            return m > 0 ? c / m : 0
        }
        let c0 = cov(0)
        guard c0 > 1e-6 else { return 2 }
        var prev = 1.0
        for lag in 1...40 {
            let r = cov(lag) / c0
            if r < 0.5 { return 2 * (Double(lag - 1) + (prev - 0.5) / max(prev - r, 1e-6)) }
            prev = r
        }
        return 80
    }

    /// Half the stump split at frame `k`, mm.
    func split(_ k: Int) -> Double {
        (spec.tearCase == .full || spec.tearCase == .fullSubtle) ? spec.wideningMm / 2 * contraction[k] : 0
    }

    /// Face offsets (mm from the centre, along x) at depth fraction `u` in the tissue's rest state;
    /// nil where the defect does not reach that depth.
    func faces(_ u: Double, thicknessMm t: Double) -> (left: Double, right: Double)? {
        guard spec.tearCase != .none, u >= uTop, u <= uBottom else { return nil }
        let yMm = u * t
        let tilt = tan(spec.obliquityDeg * .pi / 180) * (u - 0.5) * t
        var half = spec.restGapMm / 2
        if spec.tearCase == .partial {
            let mid = (uTop + uBottom) / 2, hl = (uBottom - uTop) / 2
            // Lens-shaped: full width at the middle of its depth extent, closing at its ends.
            let v = min(1, abs(u - mid) / max(hl, 1e-6))
            let cut = (spec.site == .deep && u > mid) || (spec.site == .superficial && u < mid) ? 0 : v
            half *= pow(max(0, 1 - cut * cut * cut), 1.0 / 3)
            if half < 0.05 { return nil }
        }
        let rag = spec.raggednessMm
        let l = -half + rag * (0.7 * fractalNoise(seeds[0], yMm / 0.8) + 0.5 * valueNoise(seeds[0] ^ 9, yMm / 3)) + tilt
        let r = half + rag * (0.7 * fractalNoise(seeds[1], yMm / 0.8) + 0.5 * valueNoise(seeds[1] ^ 9, yMm / 3)) + tilt
        // Keep a minimum of a third of the rest gap open, so raggedness never closes the defect.
        let minOpen = spec.restGapMm / 3
        if r - l < minOpen { let c = (l + r) / 2; return (c - minOpen / 2, c + minOpen / 2) }
        return (l, r)
    }

    /// Depth-fraction range of the defect and the line its gap width is measured on.
    public var depthRange: (top: Double, bottom: Double, mid: Double) {
        let top = max(0, uTop), bottom = min(1, uBottom)
        return (top, bottom, (top + bottom) / 2)
    }

    /// Truth of frame `k` (lengths rounded to 0.001 mm).
    public func truth(_ k: Int) -> FrameLabel {
        var label = FrameLabel(index: k)
        label.contraction = (contraction[k] * 10000).rounded() / 10000
        guard spec.tearCase != .none else {
            label.gapWidthMm = 0; label.endSeparationMm = 0; label.defectDepthFraction = 0
            return label
        }
        let o = offsets[k], h = split(k)
        let cx = centreX + o.dx
        let t = thicknessMm
        func point(_ u: Double, _ alongMm: Double) -> (x: Double, y: Double) {
            let x = cx + alongMm / mmPerPixelX
            let s = band.superficial(x - o.dx) + edges[k].top, d = band.deep(x - o.dx) + edges[k].bottom
            return (x * mmPerPixelX, (s + u * (d - s)) * mmPerPixelY)
        }
        let range = depthRange
        if let f = faces(range.mid, thicknessMm: t) {
            let a = point(range.mid, f.left - h), b = point(range.mid, f.right + h)
            label.gapWidthMm = ((hypot(b.x - a.x, b.y - a.y)) * 1000).rounded() / 1000
        }
        var l = (x: 0.0, y: 0.0), r = (x: 0.0, y: 0.0), n = 0.0
        for i in 0...64 {
            let u = range.top + (range.bottom - range.top) * Double(i) / 64
            guard let f = faces(u, thicknessMm: t) else { continue }
            let a = point(u, f.left - h), b = point(u, f.right + h)
            l.x += a.x; l.y += a.y; r.x += b.x; r.y += b.y; n += 1
        }
        label.endSeparationMm = n > 0 ? (hypot((r.x - l.x) / n, (r.y - l.y) / n) * 1000).rounded() / 1000 : 0
        label.defectDepthFraction = spec.tearCase == .partial ? (spec.depthFraction * 10000).rounded() / 10000 : 1
        return label
    }

    /// Belly thickness at the defect centre (vertical height times the cosine of the axis tilt), mm.
    public var thicknessMm: Double {
        let slope = (band.superficialSlope + band.deepSlope) / 2
        return band.height(band.x0) * mmPerPixelY * cos(atan(slope * mmPerPixelY / mmPerPixelX))
    }

    /// Frame `k` with the defect drawn in.
    public func render(_ frame: GreyImage, index k: Int) -> GreyImage {
        guard spec.tearCase != .none else { return frame }
        var out = frame
        let o = offsets[k], h = split(k), hPx = h / mmPerPixelX
        let cx = centreX + o.dx
        let t = thicknessMm
        let fadePx = spec.retractionFadeMm / mmPerPixelX
        let reach = (spec.restGapMm / 2 + 3 * spec.raggednessMm + abs(tan(spec.obliquityDeg * .pi / 180)) * t + h + 1) / mmPerPixelX
        let x0 = max(region.x, Int(cx - reach - fadePx - 2)), x1 = min(region.x + region.width - 1, Int(cx + reach + fadePx + 2))
        let yBottom = region.y + region.height - 1
        let softPx = max(1.0, 0.5 * grainMm.x / mmPerPixelX)
        let softYPx = max(1.0, 0.5 * grainMm.y / mmPerPixelY)
        let taperPx = max(1.0, 0.4 / mmPerPixelY)
        let phase = 0.09 * Double(k)
        let (cp, sp) = (cos(phase), sin(phase))
        let bellyG = bellyGrey, floorG = floorGrey
        let fluidMean = max(floorG, spec.echogenicity * bellyG)
        let range = depthRange
        // The defect's deepest extent per column, for the posterior enhancement.
        var deepest = [Double](repeating: -1, count: x1 - x0 + 1)
        var weightBelow = [Double](repeating: 0, count: x1 - x0 + 1)
        let src = frame
        for x in x0...x1 {
            let xd = Double(x)
            let s = band.superficial(xd - o.dx) + edges[k].top, d = band.deep(xd - o.dx) + edges[k].bottom
            let hgt = d - s
            guard hgt > 4 else { continue }
            let along = (xd - cx) * mmPerPixelX
            let yStart = max(region.y, Int((s - 2 * taperPx).rounded(.down))), yEnd = min(yBottom, Int((d + 2 * taperPx).rounded(.up)))
            guard yStart <= yEnd else { continue }
            for y in yStart...yEnd {
                let yd = Double(y)
                let u = (yd - s) / hgt
                // Vertical weight of the belly: 1 between the inner edges, fading over taperPx.
                let wv = max(0, min(1, min(yd - s, d - yd) / taperPx + 1))
                guard wv > 0 else { continue }
                let f = faces(min(max(u, 0), 1), thicknessMm: t)
                // Backward map of the retraction: left of the centre the tissue shown at x came from x + shift.
                var value: Double
                var inside = 0.0
                if let f {
                    let l = f.left - h, r = f.right + h  // faces at this frame, mm from the centre
                    let dl = (along - l) / mmPerPixelX, dr = (r - along) / mmPerPixelX  // >0 inside
                    inside = max(0, min(1, (min(dl, dr) / softPx + 1) / 2))
                    // Softened at the top and bottom too (over half the axial grain), never past the edges.
                    let dv = min(u - range.top, range.bottom - u) * hgt / softYPx
                    inside *= max(0, min(1, dv + 0.5))
                    if u < range.top - 0.001 || u > range.bottom + 0.001 { inside = 0 }
                }
                let side: Double = along < (f.map { ($0.left + $0.right) / 2 } ?? 0) ? -1 : 1
                let dist = abs(xd - cx)
                let g = dist <= reach ? 1 : (dist >= reach + fadePx ? 0 : 0.5 + 0.5 * cos(.pi * (dist - reach) / fadePx))
                let shift = -side * hPx * g * wv
                value = sample(src, xd + shift, yd)
                // Frayed stump ends: brighter fibre ends within 1 mm of a face.
                if let f, inside < 1, u >= range.top - 0.02, u <= range.bottom + 0.02 {
                    let l = f.left - h, r = f.right + h
                    let gapDist = min(abs(along - l), abs(along - r))
                    if gapDist < 1 {
                        let fray = 0.35 * (1 - gapDist) * (0.6 + 0.4 * valueNoise(seeds[2], yd * mmPerPixelY / 0.4))
                        value *= 1 + fray * wv
                    }
                }
                // Near the edges, a pixel far brighter than the belly is aponeurosis: the defect
                // stops there (the band is an estimate; the fascia is not torn).
                if inside > 0 && (u < 0.15 || u > 0.85) && Double(src[x, y]) > 2.2 * bellyG { inside = 0 }
                if inside > 0 {
                    // Fluid: speckle of the background's own grain drifting slowly
                    // (the fluid is not anchored to the fibres), clot patches and debris denser low
                    // down, thin septa.
                    let fx = (xd - cx) * mmPerPixelX, fy = u * t
                    let gxm = grainMm.x, gym = grainMm.y
                    let fi = min(max(Int((xd - cx).rounded()) + fieldW / 2, 0), fieldW - 1)
                    let fj = min(max(Int((yd - s).rounded()) + 8, 0), fieldH - 1)
                    let q = 2 * (fj * fieldW + fi)
                    let re = cp * Double(fieldA[q]) + sp * Double(fieldB[q]), im = cp * Double(fieldA[q + 1]) + sp * Double(fieldB[q + 1])
                    let speckle = (re * re + im * im).squareRoot()
                    let sediment = 1 + 1.2 * spec.debris * max(0, u - 0.5)
                    var fluid = fluidMean * speckle * sediment
                    let clot = max(0, valueNoise(seeds[7] ^ 0xC1, fx / 1.5, fy / 1.2))
                    fluid += spec.debris * clot * 0.5 * bellyG * speckle * (0.4 + u)
                    let specks = max(0, valueNoise(seeds[7], fx / (0.6 * gxm), fy / (0.6 * gym)) - 0.6)
                        * max(0, valueNoise(seeds[7] ^ 0x5B, fx / (1.7 * gxm), fy / (1.3 * gym)))
                    fluid += spec.debris * specks * 4 * bellyG
                    for sep in septa {
                        let dy = fy - sep.u * t - sep.angle * (fx - sep.along * spec.restGapMm)
                        fluid += 0.7 * bellyG * exp(-dy * dy / (2 * 0.15 * 0.15)) * (0.5 + 0.5 * speckle)
                    }
                    fluid = max(floorG * (0.5 + 0.5 * speckle), fluid)
                    value = value * (1 - inside) + fluid * inside
                    if inside > 0.5 {
                        let i = x - x0
                        if yd > deepest[i] { deepest[i] = yd }
                        weightBelow[i] = max(weightBelow[i], inside)
                    }
                }
                out[x, y] = UInt8(max(0, min(255, value.rounded())))
            }
        }
        // Posterior enhancement below the defect: columns under it, fading over 12 mm of depth,
        // softened over 0.5 mm at the sides; full-thickness defects enhance below the deep edge.
        let fade = 12 / mmPerPixelY
        var smooth = weightBelow
        let sideSoft = max(1, Int(0.5 / mmPerPixelX))
        for i in 0..<smooth.count {
            let a = max(0, i - sideSoft), b = min(smooth.count - 1, i + sideSoft)
            smooth[i] = weightBelow[a...b].reduce(0, +) / Double(b - a + 1)
        }
        let gain = spec.enhancement * (1 - spec.echogenicity)
        for x in x0...x1 {
            let i = x - x0
            guard smooth[i] > 0.01 else { continue }
            var start = deepest[i]
            if start < 0 { start = (deepest[max(0, i - sideSoft)...min(smooth.count - 1, i + sideSoft)].max() ?? -1) }
            guard start >= 0 else { continue }
            let y0 = Int(start) + 1
            guard y0 <= yBottom else { continue }
            for y in y0...yBottom {
                let depth = Double(y) - start
                let k = 1 + gain * smooth[i] * exp(-depth / fade)
                out[x, y] = UInt8(max(0, min(255, (Double(out[x, y]) * k).rounded())))
            }
        }
        return out
    }

    /// Bilinear sample of `img` at (x, y), edges clamped.
    func sample(_ img: GreyImage, _ x: Double, _ y: Double) -> Double {
        let xc = min(max(x, 0), Double(img.width - 1)), yc = min(max(y, 0), Double(img.height - 1))
        let i = min(Int(xc), img.width - 2), j = min(Int(yc), img.height - 2)
        let wx = xc - Double(i), wy = yc - Double(j)
        let a = Double(img[i, j]), b = Double(img[i + 1, j]), c = Double(img[i, j + 1]), d = Double(img[i + 1, j + 1])
        return (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy
    }
}
