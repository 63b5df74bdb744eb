import Foundation

/// The fascicle geometry of one frame (spec: `fascicleAngleDeg`, `deepAponeurosisAngleDeg`,
/// `pennationAngleDeg`, `fascicleLengthMm`). Angles are in degrees against the image x axis as seen
/// on screen, physical (the spacing's aspect applied): a line rising towards +x on screen is
/// positive, so in pixel coordinates (y down) a line at angle a has dy/dx = -tan(a) (for square pixels).
public struct FascicleEstimate: Sendable, Equatable {
    /// Dominant fascicle direction in the belly.
    public var fascicleAngleDeg: Double
    /// Direction of the deep aponeurosis' inner edge (its tangent at the region's centre column).
    public var deepAponeurosisAngleDeg: Double
    /// Direction of the superficial aponeurosis' inner edge, same place.
    public var superficialAponeurosisAngleDeg: Double
    /// `fascicleAngleDeg - deepAponeurosisAngleDeg`.
    public var pennationAngleDeg: Double
    /// Length of the straight fascicle line between the two inner edges, in mm on the spacing the
    /// estimator was given (`FascicleEstimator.length`); nil where the line meets an edge nowhere sensible.
    public var fascicleLengthMm: Double?
    /// Where that line meets the deep and the superficial inner edge (imaging-region pixels), for drawing.
    public var deepPoint: SIMD2<Double>?
    public var superficialPoint: SIMD2<Double>?
    /// How clearly the belly shows one direction: the projection's F ratio at the peak (1 = no
    /// oriented texture at all; the clearer the striations, the larger).
    public var strength: Double

    public init(fascicleAngleDeg: Double, deepAponeurosisAngleDeg: Double, superficialAponeurosisAngleDeg: Double,
                pennationAngleDeg: Double, fascicleLengthMm: Double?, deepPoint: SIMD2<Double>?, superficialPoint: SIMD2<Double>?,
                strength: Double) {
        self.fascicleAngleDeg = fascicleAngleDeg
        self.deepAponeurosisAngleDeg = deepAponeurosisAngleDeg
        self.superficialAponeurosisAngleDeg = superficialAponeurosisAngleDeg
        self.pennationAngleDeg = pennationAngleDeg
        self.fascicleLengthMm = fascicleLengthMm
        self.deepPoint = deepPoint
        self.superficialPoint = superficialPoint
        self.strength = strength
    }
}

/// Dominant fascicle orientation in the muscle belly, by projection (a discrete Radon transform)
/// of the high-passed, decimated belly band.
///
/// Method.
/// 1. The region between the two inner edges is cut into cells about `Params.cellMm` square (block
///    means): this averages speckle away and keeps the striations, which are several cells apart.
/// 2. The cells are high-passed (minus their local mean over +-`highPassMm`) so the depth
///    gradient of brightness (attenuation, gain) does not favour one direction.
/// 3. Only cells in the middle of the belly are used (`bellyFraction` of the local thickness,
///    centred), away from the aponeuroses' own bright bands.
/// 4. For each candidate angle the cells are summed along parallel lines at that angle
///    (1-cell bins across the lines); the score is the analysis-of-variance F ratio of the bins
///    (between-line variance over within-line variance), which does not favour angles whose lines
///    are short. Along the fascicles the lines are alternately bright and dark, and F peaks.
///    Angles within `minPennationDeg` of the aponeuroses' mean direction are not searched (the
///    bands and their side lobes would win there).
/// 5. An angle scores its F ratio minus its mirror image's about the aponeuroses' direction:
///    texture lying along the aponeuroses (side lobes, laterally stretched speckle, motion blur)
///    is symmetric about it and cancels, the fascicles lie on one side. A coarse search over
///    +-`maxAngleDeg` is refined around its best angle and interpolated by a parabola.
///
/// Cost: one pass over the band for the cells, then one pass over the cells per angle (about 60
/// angles); at 640x480 with 0.3 mm cells that is a few hundred thousand additions per frame.
public struct FascicleEstimator: Sendable {
    public struct Params: Sendable, Codable, Equatable {
        /// Cell size for the block means (mm, on the working spacing).
        public var cellMm: Double = 0.3
        /// Radius of the local mean removed from the cells (mm): two cells, so what is left is the
        /// striations' own scale, not the belly's broader bright and dark patches, which lie along the
        /// aponeuroses and pull the angle towards them. 0.6 since session 15 (1.5 before): on the
        /// development halves of the labelled sets, fascicle angle MAE tt1 2.25 -> 1.55 deg, tt3
        /// 3.08 -> 2.25, tt4 1.04 -> 1.04; simulated development pennation MAE 4.92 -> 4.39 deg;
        /// every call of the first development set unchanged, one of the second (Docs/methods.md,
        /// "High-pass radius"); 0.9 scored 1.59, 2.53, 0.87, 4.52; 0.3 and 3 worse.
        public var highPassMm: Double = 0.6
        /// Middle fraction of the local thickness used.
        public var bellyFraction: Double = 0.8
        /// Where that fraction is centred, as a share of the local thickness from the superficial
        /// inner edge (0.5: the middle of the belly).
        public var bandCentre: Double = 0.5
        /// Weight of the mirror image's F ratio subtracted from an angle's (step 5 of the method; 0: none).
        /// 3 since session 20 (1 before): the texture along the aponeuroses is not exactly symmetric
        /// about their mean direction (speckle is stretched along the image's horizontal, each
        /// aponeurosis has its own direction), so an equal weight left a steady low reading. On the
        /// development halves, fascicle angle MAE tt1 1.60 -> 1.42 deg, tt3 2.25 -> 1.79, tt4 A
        /// 1.04 -> 1.00, real-cine against UltraTrack 5.67 -> 4.27 (bias -5.54 -> -3.71); simulated
        /// pennation MAE (60 randomised development clips) 4.63 -> 3.88, no call changed. 4 read
        /// better on the real halves but estimated 12 % fewer simulated frames and lost a call.
        public var mirrorWeight: Double = 3
        /// Search range of fascicle angles (degrees, either sign).
        public var maxAngleDeg: Double = 70
        /// Angles this close to the aponeuroses' mean direction, or to either one's own direction
        /// (since session 19), are not searched (degrees).
        public var minPennationDeg: Double = 5
        /// Coarse and fine steps (degrees).
        public var coarseStepDeg: Double = 3
        public var fineStepDeg: Double = 0.5
        /// Fewest belly cells to estimate from.
        public var minCells: Int = 60
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The fascicle geometry in `image` (the imaging region) between `apo`'s inner edges, or nil
    /// when the belly is too small to tell or shows no direction: the belly's cells projected
    /// (steps 1-3 of the method, `bellyProjection`), the dominant direction searched (steps 4-5,
    /// `dominantDirection`), then the aponeuroses' angles, pennation and length at the centre column.
    public func estimate(_ image: FloatImage, aponeuroses apo: AponeurosisPair, spacing: Spacing) -> FascicleEstimate? {
        guard var bins = bellyProjection(image, aponeuroses: apo, spacing: spacing) else { return nil }
        // Aponeurosis directions at the centre column (pixel slopes, y down).
        let xc = Double(image.width) / 2
        let aspect = spacing.mmPerPixelY / spacing.mmPerPixelX
        func physicalDeg(pixelSlope: Double) -> Double { atan(-pixelSlope * aspect) * 180 / .pi }
        let deepDeg = physicalDeg(pixelSlope: apo.deepInner.slope(xc))
        let supDeg = physicalDeg(pixelSlope: apo.superficialInner.slope(xc))
        guard let best = dominantDirection(&bins, deepDeg: deepDeg, superficialDeg: supDeg, spacing: spacing) else { return nil }
        let fascicleDeg = atan(tan(best.pixelDeg * .pi / 180) * aspect) * 180 / .pi
        let geometry = Self.length(superficial: apo.superficialInner, deep: apo.deepInner, fasciclePixelDeg: best.pixelDeg, centreX: xc, spacing: spacing)
        return FascicleEstimate(fascicleAngleDeg: fascicleDeg, deepAponeurosisAngleDeg: deepDeg, superficialAponeurosisAngleDeg: supDeg,
                                pennationAngleDeg: fascicleDeg - deepDeg, fascicleLengthMm: geometry?.lengthMm,
                                deepPoint: geometry?.deep, superficialPoint: geometry?.superficial, strength: best.f)
    }

    /// Steps 1-3 of the method: the belly band's block means, high-passed, the cells in the middle
    /// `bellyFraction` of each column's thickness gathered for projection. Nil when the band is under
    /// 8 x 4 cells or holds fewer than `minCells` belly cells.
    func bellyProjection(_ image: FloatImage, aponeuroses apo: AponeurosisPair, spacing: Spacing) -> Projection? {
        let w = image.width, h = image.height
        let cell = max(1, Int((params.cellMm / min(spacing.mmPerPixelX, spacing.mmPerPixelY)).rounded()))
        let gw = w / cell, gh = h / cell
        guard gw >= 8, gh >= 4 else { return nil }
        // Rows that can hold belly cells.
        var top = h, bottom = 0
        for gx in 0..<gw {
            let x = (Double(gx) + 0.5) * Double(cell)
            let s = apo.superficialInner.y(x), d = apo.deepInner.y(x)
            guard d > s else { continue }
            top = min(top, Int(s)); bottom = max(bottom, Int(d.rounded(.up)))
        }
        top = max(0, top); bottom = min(h, bottom)
        guard bottom - top >= 4 * cell else { return nil }
        let gy0 = top / cell, gy1 = min(gh, (bottom + cell - 1) / cell)
        let rows = gy1 - gy0
        // Block means over the band's rows.
        var cells = [Float](repeating: 0, count: gw * rows)
        let norm = 1 / Float(cell * cell)
        image.pixels.withUnsafeBufferPointer { p in
            cells.withUnsafeMutableBufferPointer { c in
                for gy in 0..<rows {
                    let y0 = (gy0 + gy) * cell
                    guard y0 + cell <= h else { continue }
                    for yy in y0..<(y0 + cell) {
                        let row = yy * w
                        for gx in 0..<gw {
                            var s: Float = 0
                            let x0 = row + gx * cell
                            for k in 0..<cell { s += p[x0 + k] }
                            c[gy * gw + gx] += s
                        }
                    }
                    for gx in 0..<gw { c[gy * gw + gx] *= norm }
                }
            }
        }
        // High-pass: minus the local box mean.
        let r = max(1, Int((params.highPassMm / params.cellMm).rounded()))
        let local = Filters.boxMean(FloatImage(width: gw, height: rows, pixels: cells), radiusX: r, radiusY: r)
        // Belly cells (cell coordinates relative to the band) and their values.
        var bins = Projection()
        let half = params.bellyFraction / 2
        let loShare = max(0, params.bandCentre - half), hiShare = min(1, params.bandCentre + half)
        for gx in 0..<gw {
            let x = (Double(gx) + 0.5) * Double(cell)
            let s = apo.superficialInner.y(x), d = apo.deepInner.y(x)
            let t = d - s
            guard t > 0 else { continue }
            let lo = s + loShare * t, hi = s + hiShare * t
            // The band's rows in this column: one run, the cells whose centres lie within lo...hi.
            func inBand(_ gy: Int) -> Bool {
                let y = (Double(gy0 + gy) + 0.5) * Double(cell)
                return y >= lo && y <= hi
            }
            guard let first = (0..<rows).first(where: inBand) else { continue }
            let end = (first..<rows).first { !inBand($0) } ?? rows
            bins.append(column: gx, fromRow: first, (first..<end).lazy.map { gy in cells[gy * gw + gx] - local.pixels[gy * gw + gx] })
        }
        return bins.cellCount >= params.minCells ? bins : nil
    }

    /// Steps 4-5 of the method: the direction (pixel-angle degrees, cells are square) whose F ratio
    /// less `mirrorWeight` times its mirror image's about the aponeuroses' mean direction scores
    /// highest, away from the aponeuroses' own directions; coarse, then fine, then a parabola. `f`
    /// is the F ratio at that direction. Nil when no direction has F over 1 and a positive score.
    /// `bins` is inout for the projection's scratch buffers, reused from angle to angle.
    func dominantDirection(_ bins: inout Projection, deepDeg: Double, superficialDeg supDeg: Double, spacing: Spacing) -> (pixelDeg: Double, f: Double)? {
        // Search in pixel-angle space (cells are square): tan(pixel angle) = tan(physical) / aspect.
        let apoPixelDeg = Self.pixelDegrees((deepDeg + supDeg) / 2, spacing: spacing)
        // Angles within `minPennationDeg` of either aponeurosis' own direction, or of their mean, are
        // not searched: where the two diverge, texture along one of them lies outside the mean's zone.
        let deepPixelDeg = Self.pixelDegrees(deepDeg, spacing: spacing), supPixelDeg = Self.pixelDegrees(supDeg, spacing: spacing)
        func nearAnAponeurosis(_ deg: Double) -> Bool {
            abs(deg - apoPixelDeg) < params.minPennationDeg || abs(deg - deepPixelDeg) < params.minPennationDeg
                || abs(deg - supPixelDeg) < params.minPennationDeg
        }
        func fRatio(_ deg: Double) -> Double { bins.fRatio(tangent: Float(tan(deg * .pi / 180))) }
        // The score of an angle: its F ratio minus the F ratio of its mirror image about the
        // aponeuroses' direction. Texture that lies along the aponeuroses (their side lobes, speckle
        // stretched laterally, motion blur) is symmetric about that direction and cancels; the
        // fascicles lie on one side only. The coarse grid is laid out from the aponeuroses'
        // direction, so every angle's mirror is on it and each F ratio is computed once.
        let step = params.coarseStepDeg
        let reach = Int(((params.maxAngleDeg + abs(apoPixelDeg)) / step).rounded(.up))
        // F at apoPixelDeg + k step, stored at k + reach (nil beyond +-89 degrees: no line there).
        let coarse: [Double?] = (-reach...reach).map { k in
            let deg = apoPixelDeg + Double(k) * step
            return abs(deg) < 89 ? fRatio(deg) : nil
        }
        var best = (deg: 0.0, f: 0.0, score: 0.0)
        for k in -reach...reach {
            let deg = apoPixelDeg + Double(k) * step
            guard abs(deg) <= params.maxAngleDeg, !nearAnAponeurosis(deg), let f = coarse[k + reach] else { continue }
            let score = f - params.mirrorWeight * (coarse[reach - k] ?? 0)
            if score > best.score { best = (deg, f, score) }
        }
        guard best.f > 1, best.score > 0 else { return nil }
        func score(_ deg: Double) -> (f: Double, score: Double) {
            if nearAnAponeurosis(deg) { return (0, 0) }
            let f = fRatio(deg), mirror = 2 * apoPixelDeg - deg
            return (f, abs(mirror) < 89 ? f - params.mirrorWeight * fRatio(mirror) : f)
        }
        var fine: [(Double, Double)] = []
        for deg in stride(from: best.deg - step, through: best.deg + step, by: params.fineStepDeg) {
            let s = score(deg)
            fine.append((deg, s.score))
            if s.score > best.score { best = (deg, s.f, s.score) }
        }
        var pixelDeg = best.deg
        if let i = fine.firstIndex(where: { $0.0 == best.deg }), i > 0, i < fine.count - 1 {
            let a = fine[i - 1].1, b = fine[i].1, c = fine[i + 1].1
            let denom = a - 2 * b + c
            if denom < 0 { pixelDeg += max(-0.5, min(0.5, 0.5 * (a - c) / denom)) * params.fineStepDeg }
        }
        return (pixelDeg, best.f)
    }

    /// The fascicle length rule. A straight line at the fascicle angle through the belly's centre
    /// point (centre column, half-way between the inner edges) is cut by each inner edge's tangent
    /// at that column; the length is the distance between the two cuts, in mm on `spacing`. Where the
    /// aponeuroses run parallel this is exactly thickness / sin(pennation); where they converge or
    /// diverge it is the fascicle through the middle of the belly, the same line a sonographer
    /// draws from one aponeurosis to the other (and as TimTrack and UltraTrack extrapolate it).
    /// Nil when the line runs within 2 degrees of either tangent.
    /// Conversions between physical angles and the pixel angles this takes: `pixelDegrees(_:spacing:)`.
    public static func length(superficial: Quadratic, deep: Quadratic, fasciclePixelDeg: Double, centreX xc: Double, spacing: Spacing)
        -> (lengthMm: Double, deep: SIMD2<Double>, superficial: SIMD2<Double>)? {
        let a = fasciclePixelDeg * .pi / 180
        let u = SIMD2(cos(a), -sin(a))
        let sy = superficial.y(xc), dy = deep.y(xc)
        let p = SIMD2(xc, (sy + dy) / 2)
        func cut(_ y0: Double, _ slope: Double) -> SIMD2<Double>? {
            // p + t u on y = y0 + slope (x - xc).
            let denom = u.y - slope * u.x
            let edge = atan(-slope), line = atan2(-u.y, u.x)
            guard abs(denom) > 1e-9, abs(sin(line - edge)) > sin(2 * .pi / 180) else { return nil }
            let t = (y0 - p.y) / denom
            return p + t * u
        }
        guard let d = cut(dy, deep.slope(xc)), let s = cut(sy, superficial.slope(xc)) else { return nil }
        let dx = (d.x - s.x) * spacing.mmPerPixelX, dyMm = (d.y - s.y) * spacing.mmPerPixelY
        return ((dx * dx + dyMm * dyMm).squareRoot(), d, s)
    }
}

extension FascicleEstimator {
    /// The pixel-grid angle (degrees) of a physical angle on `spacing` (equal for square pixels).
    public static func pixelDegrees(_ physical: Double, spacing: Spacing) -> Double {
        atan(tan(physical * .pi / 180) * spacing.mmPerPixelX / spacing.mmPerPixelY) * 180 / .pi
    }
}

/// Cell values projected along lines, for the F ratio of an angle. The cells lie on an integer
/// grid, column by column: each column is one run of consecutive rows, its values stored in order.
/// On a line family y = -tan(angle) x + c, a column's run falls into consecutive 1-cell bins, so
/// projecting is one contiguous add per column (no per-cell bin arithmetic): this is the
/// estimator's inner loop, about 60 angles a frame over thousands of cells.
struct Projection {
    /// One column's run: grid column `x`, rows `y0 ..< y0 + count`, values `start ..< start + count`.
    struct Run { var x: Int; var y0: Int; var start: Int; var count: Int }
    private var runs: [Run] = []
    private var values: [Float] = []
    private var sum: [Float] = []
    private var count: [Float] = []
    /// Sum and sum of squares of the values: the same for every angle.
    private var total = 0.0, totalSq = 0.0
    /// The grid's extent: columns xLo...xHi, rows yLo..<yHi.
    private var xLo = Int.max, xHi = Int.min, yLo = Int.max, yHi = Int.min

    init() {}

    /// Appends a column's run of consecutive rows from `y0`.
    mutating func append(column x: Int, fromRow y0: Int, _ column: some Collection<Float>) {
        guard !column.isEmpty else { return }
        runs.append(Run(x: x, y0: y0, start: values.count, count: column.count))
        for v in column { values.append(v); total += Double(v); totalSq += Double(v) * Double(v) }
        xLo = min(xLo, x); xHi = max(xHi, x); yLo = min(yLo, y0); yHi = max(yHi, y0 + column.count)
    }

    var cellCount: Int { values.count }

    /// `sums[j] += values[j]`, `counts[j] += 1` for j < n, eight lanes at a time (each element
    /// the same single addition as one by one).
    @inline(__always)
    static func add(_ values: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>, counting counts: UnsafeMutablePointer<Float>, _ n: Int) {
        let rv = UnsafeRawPointer(values), rs = UnsafeMutableRawPointer(sums), rc = UnsafeMutableRawPointer(counts)
        let one = SIMD8<Float>(repeating: 1)
        var j = 0
        while j &+ 8 <= n {
            let o = j &* 4
            rs.storeBytes(of: rs.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + rv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self),
                          toByteOffset: o, as: SIMD8<Float>.self)
            rc.storeBytes(of: rc.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + one, toByteOffset: o, as: SIMD8<Float>.self)
            j &+= 8
        }
        while j < n { sums[j] += values[j]; counts[j] += 1; j &+= 1 }
    }

    /// ANOVA F ratio of the values grouped into 1-cell bins of s = y + x tan(angle) (lines y = -tan x + c).
    mutating func fRatio(tangent t: Float) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        // Bin of cell (x, y): floor(y + x t - lo + 1/2), lo the lowest y + x t; y is a whole
        // number, so a column's rows share floor(x t - lo + 1/2) and fill consecutive bins.
        let lo = Float(yLo) + min(Float(xLo) * t, Float(xHi) * t), hi = Float(yHi - 1) + max(Float(xLo) * t, Float(xHi) * t)
        let offset = 0.5 - lo
        let bins = Int(hi - lo) + 2
        if sum.count < bins {
            sum = [Float](repeating: 0, count: bins); count = [Float](repeating: 0, count: bins)
        } else {
            for i in 0..<bins { sum[i] = 0; count[i] = 0 }
        }
        runs.withUnsafeBufferPointer { rs in
            values.withUnsafeBufferPointer { v in
                sum.withUnsafeMutableBufferPointer { sm in
                    count.withUnsafeMutableBufferPointer { ct in
                        for r in rs {
                            let b0 = Int((Float(r.x) * t + offset).rounded(.down)) + r.y0
                            Self.add(v.baseAddress! + r.start, into: sm.baseAddress! + b0, counting: ct.baseAddress! + b0, r.count)
                        }
                    }
                }
            }
        }
        var between: Double = 0
        var used = 0
        for b in 0..<bins where count[b] > 0 {
            between += Double(sum[b] * sum[b] / count[b])
            used += 1
        }
        let mean = total / Double(n)
        let ssb = between - Double(n) * mean * mean
        let ssw = totalSq - between
        guard used > 1, n > used, ssw > 0 else { return 0 }
        return (ssb / Double(used - 1)) / (ssw / Double(n - used))
    }
}
