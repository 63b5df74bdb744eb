import MSKImage

/// A depth scale read from the ruler a scanner draws beside the image (calibration source
/// `screen`). It gives the vertical (depth) scale only; scanner displays draw square pixels, so
/// `mmPerPixel` gives the same value for x (an assumption the calibration record should state).
public struct DepthScale: Sendable, Equatable {
    /// How the millimetres of one tick interval were decided.
    public enum Basis: String, Sendable, Codable {
        /// Longer ticks every 2nd or 4th tick: the short ticks are 5 mm apart (1 or 2 cm between
        /// the long ones), as GE, Philips-style and the project's simulator draw them.
        case majorEvery2or4
        /// Longer ticks every 10th tick: the short ticks are 1 mm apart.
        case majorEvery10
        /// All ticks alike (apart from the two ends): taken as 1 cm apart, as Telemed draws them.
        /// The most common convention, but a convention: the confidence is lowered.
        case uniformCentimetre
    }
    public enum Side: String, Sendable, Codable { case left, right }

    /// Millimetres per pixel row (depth).
    public var mmPerPixelY: Double
    /// [x, y]: x taken equal to y (square display pixels).
    public var mmPerPixel: [Double] { [mmPerPixelY, mmPerPixelY] }
    public var tickSpacingPx: Double
    public var tickSpacingMm: Double
    /// Ticks found (of the regular run) and the rows of the first and last.
    public var ticks: Int
    public var firstTickY: Double
    public var lastTickY: Double
    /// The frame column where the ticks were read, and on which side of the image.
    public var column: Int
    public var side: Side
    public var basis: Basis
    /// RMS distance of the ticks from a perfectly regular run, in pixels.
    public var residualPx: Double
    /// 0...1: the share of the run's ticks found, its length against the image height, its
    /// regularity, and the convention used for the tick interval.
    public var confidence: Double
}

/// Reads the depth ruler beside the imaging region: short horizontal tick marks at a regular
/// spacing along a column left or right of the image. Returns a scale only for a confident
/// reading (at least 6 regular ticks over at least 70 % of the image height, starting at the
/// image's top row, in a tick pattern whose millimetres are known); on a layout without a ruler
/// it returns nil. It never invents a scale.
///
/// Method (`Docs/methods.md`, "Screen calibration"): on the mean of the frames, a pixel outside
/// the image is a tick pixel when it is brighter (or darker) by `contrast` grey levels than the
/// pixels 3 rows above and below it (a thin horizontal line; the ruler's own vertical line and
/// flat canvas give nothing). In every column, rows where three adjacent columns agree are tick
/// centres. Each column's longest regular run (arithmetic progression, one missing tick in four
/// allowed, for markers drawn over the ruler) is judged; the accepted run covering the most of
/// the image is the ruler; a least-squares fit gives the spacing in pixels. Tick lengths (a
/// label drawn beside a tick counting with it) tell the pattern: longer ticks every 2nd or 4th
/// interior tick mean 5 mm ticks, every 10th 1 mm ticks, none (only the ends) 1 cm ticks.
public struct DepthScaleReader: Sendable {
    public struct Params: Sendable {
        /// Grey-level difference between a tick pixel and the pixels 3 rows above and below.
        public var contrast: Float = 20
        /// Fewest ticks in the run.
        public var minimumTicks: Int = 6
        /// The run must cover at least this fraction of the image height.
        public var minimumSpan: Double = 0.7
        /// At most this fraction of the run's ticks may be missing.
        public var maximumMissing: Double = 0.25
        /// Largest RMS deviation from a regular run, as a fraction of the spacing (and at most 1.5 px).
        public var maximumResidual: Double = 0.02
        /// The first tick (depth 0) must lie within this fraction of the spacing (at least 4 px)
        /// of the image's top row: scanners start the ruler at the skin line.
        public var zeroTolerance: Double = 0.25
        /// Readings below this confidence are not returned.
        public var minimumConfidence: Double = 0.5
        /// Plausible scales (mm per pixel) and image depths (mm) of a musculoskeletal scanner display.
        public var plausibleMmPerPixel: ClosedRange<Double> = 0.02...0.5
        public var plausibleDepthMm: ClosedRange<Double> = 10...160
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The depth scale beside `region` (the imaging region's bounds), from a few frames of the
    /// clip (their mean is read: the ruler is static). Nil when no confident reading exists.
    public func read(frames: [GreyImage], region: PixelRect) -> DepthScale? {
        guard let first = frames.first else { return nil }
        let w = first.width, h = first.height
        let usable = frames.filter { $0.width == w && $0.height == h }
        var mean = [Float](repeating: 0, count: w * h)
        mean.withUnsafeMutableBufferPointer { m in
            for frame in usable {
                frame.pixels.withUnsafeBufferPointer { p in for i in 0..<(w * h) { m[i] += Float(p[i]) } }
            }
            let k = Float(max(1, usable.count))
            for i in 0..<(w * h) { m[i] /= k }
        }
        let r = region.clamped(width: w, height: h)
        guard r.height >= 40 else { return nil }
        let margin = r.height / 10
        let y0 = max(3, r.y - margin), y1 = min(h - 3, r.maxY + margin)
        guard y1 - y0 > 40 else { return nil }
        // Tick response per pixel of the search band (outside the image), +1 bright, -1 dark, 0 none.
        var columns: [Int] = []
        if r.x >= 4 { columns += Array(1..<(r.x - 1)) }
        if r.maxX + 2 < w - 1 { columns += Array((r.maxX + 1)..<(w - 1)) }
        guard !columns.isEmpty else { return nil }
        let bandH = y1 - y0
        var response = [Int8](repeating: 0, count: w * bandH)
        let c = params.contrast
        mean.withUnsafeBufferPointer { m in
            for x in columns {
                for y in y0..<y1 {
                    let v = m[y * w + x], up = m[(y - 3) * w + x], down = m[(y + 3) * w + x]
                    if v - up > c && v - down > c { response[(y - y0) * w + x] = 1 } else if up - v > c && down - v > c { response[(y - y0) * w + x] = -1 }
                }
            }
        }
        func hit(_ x: Int, _ j: Int) -> Bool {
            guard x >= 0, x < w, j >= 0, j < bandH else { return false }
            return response[j * w + x] != 0
        }
        func hitNear(_ x: Int, _ j: Int) -> Bool { hit(x, j) || hit(x, j - 1) || hit(x, j + 1) }
        // Tick centres per column: runs of rows where this column and both neighbours respond.
        // Every column's longest regular run is judged alone; the accepted run covering the most
        // of the image (then with the most ticks, then the most regular) is the ruler.
        var best: (run: Run, x: Int)?
        for x in columns where x >= 1 && x < w - 1 {
            var centres: [Double] = []
            var start: Int?
            for j in 0...bandH {
                let on = j < bandH && hit(x, j) && hitNear(x - 1, j) && hitNear(x + 1, j)
                if on { if start == nil { start = j } } else if let s = start {
                    if j - s <= 5 { centres.append(Double(y0) + Double(s + j - 1) / 2) }
                    start = nil
                }
            }
            guard centres.count >= params.minimumTicks, centres.count <= 120 else { continue }
            guard let run = Self.regularRun(centres, minimumSpacing: 6, maximumSpacing: Double(r.height) / 3),
                  accepted(run, imageTop: r.y, imageHeight: r.height) else { continue }
            if let b = best {
                let key = (Int(run.span / run.spacing + 0.5), run.ticks.count, -run.rms)
                let bestKey = (Int(b.run.span / b.run.spacing + 0.5), b.run.ticks.count, -b.run.rms)
                if run.span > b.run.span + run.spacing / 2 || (abs(run.span - b.run.span) <= run.spacing / 2 && key > bestKey) { best = (run, x) }
            } else {
                best = (run, x)
            }
        }
        guard let (run, x) = best else { return nil }
        let span = run.span
        let expected = Int((span / run.spacing).rounded()) + 1
        let found = run.ticks.count
        // Tick lengths: along the tick's row (the best of it and its neighbours), the extent of
        // pixels that differ from the canvas beside the ruler, across gaps of up to 3 pixels, so a
        // depth label drawn beside a long tick counts with it (scanners label the long ticks).
        let canvas: Float = {
            var values: [Float] = []
            for y in stride(from: y0, to: y1, by: 2) { values.append(mean[y * w + x]) }
            values.sort()
            return values[values.count / 2]
        }()
        let lengths: [Int] = run.ticks.map { y in
            var bestLength = 0
            for yy in [Int(y.rounded()) - 1, Int(y.rounded()), Int(y.rounded()) + 1] where yy >= 0 && yy < h {
                func on(_ xx: Int) -> Bool { xx >= 0 && xx < w && !r.contains(x: xx, y: yy) && abs(mean[yy * w + xx] - canvas) > c }
                guard on(x) else { continue }
                var a = x, b = x, gap = 0
                var xx = x - 1
                while xx >= 0, gap <= 3 { if on(xx) { a = xx; gap = 0 } else { gap += 1 }; xx -= 1 }
                gap = 0; xx = x + 1
                while xx < w, gap <= 3 { if on(xx) { b = xx; gap = 0 } else { gap += 1 }; xx += 1 }
                bestLength = max(bestLength, b - a + 1)
            }
            return bestLength
        }
        // The short ticks' length: the lower quartile (half the ticks may be long ones).
        let sortedLengths = lengths.sorted()
        let typical = Double(sortedLengths[sortedLengths.count / 4])
        let indices = run.indices
        let last = indices.last!
        let interiorMajors = zip(indices, lengths).filter { $0.0 > 0 && $0.0 < last && Double($0.1) >= 1.4 * typical }.map(\.0)
        var basis: DepthScale.Basis
        var tickMm: Double
        if interiorMajors.isEmpty {
            basis = .uniformCentimetre
            tickMm = 10
        } else if let k = Self.majorPeriod(interiorMajors, indices: indices) {
            switch k {
            case 2, 4: basis = .majorEvery2or4; tickMm = 5
            case 10: basis = .majorEvery10; tickMm = 1
            default: return nil
            }
        } else {
            return nil
        }
        let mmPerPixel = tickMm / run.spacing
        guard params.plausibleMmPerPixel.contains(mmPerPixel), params.plausibleDepthMm.contains(mmPerPixel * Double(r.height)) else {
            return nil
        }
        let completeness = Double(found) / Double(expected)
        let coverage = min(1, span / (0.8 * Double(r.height)))
        let regularity = max(0, 1 - run.rms / (params.maximumResidual * run.spacing))
        let convention = basis == .uniformCentimetre ? 0.75 : 1.0
        let confidence = completeness * coverage * (0.5 + 0.5 * regularity) * convention
        guard confidence >= params.minimumConfidence else { return nil }
        return DepthScale(mmPerPixelY: mmPerPixel, tickSpacingPx: run.spacing, tickSpacingMm: tickMm, ticks: found,
                          firstTickY: run.ticks.first!, lastTickY: run.ticks.last!, column: x,
                          side: x < r.x ? .left : .right, basis: basis, residualPx: run.rms, confidence: confidence)
    }

    /// A regular run of tick rows: the rows, their indices along the run (gaps for missing ticks),
    /// the fitted spacing and the RMS residual.
    struct Run {
        var ticks: [Double]
        var indices: [Int]
        var spacing: Double
        var rms: Double
        var span: Double { (ticks.last ?? 0) - (ticks.first ?? 0) }
    }

    /// Enough ticks, over enough of the image, few missing, regular.
    func accepted(_ run: Run, imageTop: Int, imageHeight: Int) -> Bool {
        let expected = Int((run.span / run.spacing).rounded()) + 1
        return run.ticks.count >= params.minimumTicks
            && abs(run.ticks[0] - Double(imageTop)) <= max(4, params.zeroTolerance * run.spacing)
            && run.span >= params.minimumSpan * Double(imageHeight)
            && Double(expected - run.ticks.count) <= params.maximumMissing * Double(expected)
            && run.rms <= min(1.5, params.maximumResidual * run.spacing)
    }

    /// The longest run of `centres` (sorted rows) spaced regularly, allowing single missing ticks.
    static func regularRun(_ centres: [Double], minimumSpacing: Double, maximumSpacing: Double) -> Run? {
        var candidates: [Double] = []
        for i in 1..<centres.count {
            let d = centres[i] - centres[i - 1]
            if d >= minimumSpacing && d <= maximumSpacing && !candidates.contains(where: { abs($0 - d) < 1 }) { candidates.append(d) }
        }
        var best: Run?
        for d in candidates {
            let tol = max(1.5, 0.03 * d)
            for s in 0..<centres.count {
                if let b = best, centres.count - s <= b.ticks.count { break }
                var ticks = [centres[s]], indices = [0]
                var cur = centres[s], index = 0, j = s + 1
                while j < centres.count {
                    // The next tick one or two spacings on (a marker may hide one).
                    var matched = false
                    for step in 1...2 {
                        let target = cur + Double(step) * d
                        var k = j
                        while k < centres.count, centres[k] < target - tol { k += 1 }
                        if k < centres.count, abs(centres[k] - target) <= tol {
                            ticks.append(centres[k]); index += step; indices.append(index)
                            cur = centres[k]; j = k + 1; matched = true
                            break
                        }
                    }
                    if !matched { break }
                }
                guard ticks.count >= 3 else { continue }
                // Least-squares fit y = a + spacing * index.
                let n = Double(ticks.count)
                let sx = indices.reduce(0.0) { $0 + Double($1) }, sy = ticks.reduce(0, +)
                let sxx = indices.reduce(0.0) { $0 + Double($1 * $1) }
                let sxy = zip(indices, ticks).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                let den = n * sxx - sx * sx
                guard den > 0 else { continue }
                let spacing = (n * sxy - sx * sy) / den, a = (sy - spacing * sx) / n
                let rms = (zip(indices, ticks).reduce(0.0) { acc, p in
                    let e = p.1 - (a + spacing * Double(p.0))
                    return acc + e * e
                } / n).squareRoot()
                let run = Run(ticks: ticks, indices: indices, spacing: spacing, rms: rms)
                if let b = best {
                    if run.ticks.count > b.ticks.count || (run.ticks.count == b.ticks.count && run.rms < b.rms) { best = run }
                } else {
                    best = run
                }
            }
        }
        return best
    }

    /// The period k (2, 4, 5 or 10) of the longer ticks: every interior major sits at one residue
    /// modulo k, and at least 70 % of the interior ticks at that residue are majors. Nil when no
    /// period fits.
    static func majorPeriod(_ majors: [Int], indices: [Int]) -> Int? {
        let last = indices.last ?? 0
        let interior = Set(indices.filter { $0 > 0 && $0 < last })
        for k in [2, 4, 5, 10] {
            let residues = Set(majors.map { $0 % k })
            guard residues.count == 1, let res = residues.first else { continue }
            let slots = interior.filter { $0 % k == res }
            guard !slots.isEmpty, majors.count >= 2 || slots.count == 1 else { continue }
            if Double(majors.count) >= 0.7 * Double(slots.count) { return k }
        }
        return nil
    }
}
