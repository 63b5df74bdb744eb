import MSKImage

/// A number printed beside a ruler tick, as read (`DigitFont`).
public struct TickLabel: Sendable, Equatable, Codable {
    /// The tick's index along the ruler (0 = the top tick, depth 0) and its row.
    public var tick: Int
    public var row: Double
    /// The digits read, and their value.
    public var text: String
    public var value: Double
    /// The glyphs' bounding box in frame pixels.
    public var box: PixelRect
    /// Read from mirrored glyphs (a flipped screen capture).
    public var mirrored: Bool
    /// The weakest glyph's correlation with its template.
    public var score: Double
}

/// The ruler's ticks as found, whether or not the scale could be read from them.
public struct RulerTicks: Sendable, Equatable {
    /// The ticks' rows (sub-pixel: each tick's contrast-weighted centre over its rows) and their
    /// indices along the run (a gap where a tick is hidden).
    public var rows: [Double]
    public var indices: [Int]
    /// Least-squares period in pixels over all the ticks, and the RMS residual of the fit.
    public var spacingPx: Double
    public var residualPx: Double
    /// The frame column where the ticks were read, and on which side of the image.
    public var column: Int
    public var side: DepthScale.Side
    /// The row of depth 0 (the fitted first tick).
    public var zeroRow: Double

    public init(rows: [Double], indices: [Int], spacingPx: Double, residualPx: Double, column: Int, side: DepthScale.Side, zeroRow: Double) {
        self.rows = rows
        self.indices = indices
        self.spacingPx = spacingPx
        self.residualPx = residualPx
        self.column = column
        self.side = side
        self.zeroRow = zeroRow
    }
}

/// A depth scale read from the ruler a scanner draws beside the image (calibration source
/// `screen`). It gives the vertical (depth) scale only; scanner displays draw square pixels, so
/// `mmPerPixel` gives the same value for x (an assumption the calibration record states).
public struct DepthScale: Sendable, Equatable {
    /// How the millimetres of one tick interval were decided.
    public enum Basis: String, Sendable, Codable {
        /// From the numbers printed beside the ticks (their unit, mm or cm, the only one giving a
        /// plausible tick interval and image depth).
        case labels
        /// From the depth the user read off the screen (`--depth-mm`): the ticks' interval at that
        /// depth is a round number of millimetres.
        case depthSetting
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
    /// regularity, and how many labels agree.
    public var confidence: Double
    /// Every tick's row and index (the evidence).
    public var tickRows: [Double] = []
    public var tickIndices: [Int] = []
    /// The labels read and used (empty for `depthSetting`).
    public var labels: [TickLabel] = []
    /// The labels' unit ("mm" or "cm"; nil for `depthSetting`).
    public var labelUnit: String?
    /// Frames averaged for the reading.
    public var frames: Int = 0
}

/// Why no depth scale was read (one line for the user, with what to type).
public enum DepthScaleFailure: Sendable, Equatable, CustomStringConvertible {
    /// No regular run of ticks starting at the image's top row beside the image.
    case noRuler
    /// Ticks found, but no number beside them could be read.
    case labelsUnreadable(ticks: Int, spacingPx: Double)
    /// Numbers read that do not fit one linear scale starting at 0 at the top tick.
    case labelsInconsistent(String)
    /// The numbers fit both mm and cm, or neither gives a plausible depth.
    case unitUndecided(String)

    public var description: String {
        switch self {
        case .noRuler:
            return "no depth ruler found beside the image"
        case let .labelsUnreadable(ticks, spacing):
            return String(format: "a ruler of %d ticks %.2f px apart was found but none of its numbers could be read", ticks, spacing)
        case let .labelsInconsistent(detail):
            return "the ruler's numbers do not fit one scale (\(detail))"
        case let .unitUndecided(detail):
            return "the ruler's numbers give no single plausible scale (\(detail))"
        }
    }
}

/// What the reader found: the scale, or the ticks without a scale and the reason.
public struct DepthScaleReading: Sendable, Equatable {
    public var scale: DepthScale?
    public var ticks: RulerTicks?
    public var failure: DepthScaleFailure?
}

/// Reads the depth ruler beside the imaging region: short horizontal tick marks at a regular
/// spacing along a column left or right of the image, and the numbers printed beside them. Returns
/// a scale only when the numbers are read and agree (at least 6 regular ticks over at least 70 % of
/// the image height, starting at the image's top row; the numbers on one line through 0 at the top
/// tick, in the one unit, mm or cm, that gives a usual tick interval and a plausible depth). Ticks
/// without readable numbers, numbers that disagree or an undecided unit give no scale and the
/// reason (`examine`); with the depth the user read off the screen (`scale(ticks:depthMm:...)`)
/// unlabelled ticks can still give one. It never guesses a tick's millimetres from its length.
///
/// Method (`Docs/methods.md`, "Screen calibration"): on the mean of the frames, a pixel outside
/// the image is a tick pixel when it is brighter (or darker) by `contrast` grey levels than the
/// pixels 3 rows above and below it (a thin horizontal line; the ruler's own vertical line and
/// flat canvas give nothing). In every column, rows where three adjacent columns agree are tick
/// centres. Each column's longest regular run (arithmetic progression, one missing tick in four
/// allowed, for markers drawn over the ruler) is judged; the accepted run covering the most of
/// the image is the ruler. Each tick's row is refined to its contrast-weighted centre and a
/// least-squares fit over all ticks gives the period in pixels. Glyph-sized blobs near the tick
/// column are read with `DigitFont`'s templates (mirrored too) and given to the nearest tick.
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
        /// Grey-level difference from the canvas of a label's glyph pixels.
        public var labelContrast: Float = 30
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
        examine(frames: frames, region: region).scale
    }

    /// The mean of the frames of the first frame's size, as Float grey levels.
    static func meanImage(_ frames: [GreyImage]) -> (pixels: [Float], width: Int, height: Int, count: Int)? {
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
        return (mean, w, h, usable.count)
    }

    /// The ruler's ticks and, when its numbers can be read, the scale; otherwise the reason. Stages:
    /// the mean of the frames, the ruler's run of ticks beside the image (`tickRun`), the numbers
    /// beside them (`readLabels`), and the scale those numbers give (`scaleFromLabels`).
    public func examine(frames: [GreyImage], region: PixelRect) -> DepthScaleReading {
        let none = DepthScaleReading(scale: nil, ticks: nil, failure: .noRuler)
        guard let (mean, w, h, frameCount) = Self.meanImage(frames) else { return none }
        let r = region.clamped(width: w, height: h)
        guard let (run, x) = tickRun(mean: mean, width: w, height: h, region: r) else { return none }
        let side: DepthScale.Side = x < r.x ? .left : .right
        let ticks = RulerTicks(rows: run.ticks, indices: run.indices, spacingPx: run.spacing, residualPx: run.rms,
                               column: x, side: side, zeroRow: run.intercept)
        let labels = readLabels(mean: mean, width: w, height: h, region: r, ticks: ticks)
        guard !labels.isEmpty else {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsUnreadable(ticks: run.ticks.count, spacingPx: run.spacing))
        }
        return scaleFromLabels(labels, ticks: ticks, region: r, frames: frameCount)
    }

    /// The ruler: on the mean image, outside the region `r`, the column whose tick centres form the
    /// longest accepted regular run (`regularRun`, `accepted`), each tick refined to its
    /// contrast-weighted centre and the run fitted again by least squares; with that column. Nil
    /// when the region is under 40 rows or no column holds an accepted run.
    func tickRun(mean: [Float], width w: Int, height h: Int, region r: PixelRect) -> (run: Run, column: Int)? {
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
        guard let (coarse, x) = best else { return nil }
        // Sub-pixel: each tick's centre is the contrast-weighted mean row over the tick's rows in
        // its three columns (the contrast against the rows 4 above and below), then the whole run is
        // fitted again by least squares.
        let refined: [Double] = coarse.ticks.map { yc in
            let yi = Int(yc.rounded())
            var sw = 0.0, swy = 0.0
            for xx in (x - 1)...(x + 1) where xx >= 0 && xx < w {
                for y in (yi - 3)...(yi + 3) where y - 4 >= 0 && y + 4 < h {
                    let base = (mean[(y - 4) * w + xx] + mean[(y + 4) * w + xx]) / 2
                    let d = Double(abs(mean[y * w + xx] - base)) - Double(c) / 2
                    if d > 0 { sw += d; swy += d * Double(y) }
                }
            }
            return sw > 0 ? swy / sw : yc
        }
        return (Self.fit(ticks: refined, indices: coarse.indices) ?? coarse, x)
    }

    /// The scale the numbers read beside the ruler's ticks give: one orientation (all mirrored or
    /// none), on one line through 0 at the top tick within 1 %, in the unit (mm or cm) that makes the
    /// tick interval a usual one and the scale and depth plausible, with a confidence from the
    /// ticks' completeness, coverage and regularity and the numbers' agreement; otherwise the reason.
    func scaleFromLabels(_ labels: [TickLabel], ticks: RulerTicks, region r: PixelRect, frames frameCount: Int) -> DepthScaleReading {
        let x = ticks.column, side = ticks.side
        // One orientation for the whole ruler: the labels read as mirrored glyphs, or not.
        let mirroredShare = Double(labels.filter(\.mirrored).count) / Double(labels.count)
        guard mirroredShare == 0 || mirroredShare == 1 else {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsInconsistent("some numbers read mirrored, some not"))
        }
        // The numbers must lie on one line through 0 at the top tick: value = unitsPerTick x index.
        let nonZero = labels.filter { $0.tick > 0 }
        guard !nonZero.isEmpty else {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsInconsistent("only the top tick's number was read"))
        }
        if let bad = labels.first(where: { $0.tick == 0 && $0.value != 0 }) {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsInconsistent("the top tick reads \(bad.text), not 0"))
        }
        let unitsPerTick = nonZero.map { $0.value / Double($0.tick) }
        let u = unitsPerTick.sorted()[unitsPerTick.count / 2]
        if let bad = nonZero.first(where: { abs($0.value - u * Double($0.tick)) > 0.01 * max(1, $0.value) }) {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsInconsistent(
                "\(bad.text) at tick \(bad.tick) against \(nonZero.map { "\($0.text)@\($0.tick)" }.joined(separator: ", "))"))
        }
        // The unit: the one (mm or cm) giving a usual tick interval and a plausible scale and depth.
        // 0.5 and 2.5 mm are left out: no scanner draws them, and a "4" misread as "1" at the
        // 4th tick of a 5 mm ruler in cm would give 2.5 mm.
        let usualTickMm: [Double] = [1, 2, 5, 10, 20]
        var fits: [(unit: String, tickMm: Double)] = []
        for (unit, factor) in [("mm", 1.0), ("cm", 10.0)] {
            let tickMm = u * factor
            let mmPerPixel = tickMm / ticks.spacingPx
            guard usualTickMm.contains(where: { abs($0 - tickMm) < 1e-6 * $0 }),
                  params.plausibleMmPerPixel.contains(mmPerPixel), params.plausibleDepthMm.contains(mmPerPixel * Double(r.height)) else { continue }
            fits.append((unit, tickMm))
        }
        guard fits.count == 1, let fit = fits.first else {
            let detail = String(format: "%g per tick", u) + (fits.isEmpty ? ": neither mm nor cm gives a plausible depth" : ": both mm and cm plausible")
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .unitUndecided(detail))
        }
        let mmPerPixel = fit.tickMm / ticks.spacingPx
        let span = ticks.rows.last! - ticks.rows.first!
        let expected = Int((span / ticks.spacingPx).rounded()) + 1
        let completeness = Double(ticks.rows.count) / Double(expected)
        let coverage = min(1, span / (0.8 * Double(r.height)))
        let regularity = max(0, 1 - ticks.residualPx / (params.maximumResidual * ticks.spacingPx))
        // Two numbers agreeing check each other; one number leans on depth 0 at the top tick.
        let agreement = nonZero.count + (labels.count > nonZero.count ? 1 : 0) >= 2 ? 1.0 : 0.85
        let confidence = completeness * coverage * (0.5 + 0.5 * regularity) * agreement
        guard confidence >= params.minimumConfidence else {
            return DepthScaleReading(scale: nil, ticks: ticks, failure: .labelsInconsistent(String(format: "confidence %.2f below %.2f", confidence, params.minimumConfidence)))
        }
        let scale = DepthScale(mmPerPixelY: mmPerPixel, tickSpacingPx: ticks.spacingPx, tickSpacingMm: fit.tickMm, ticks: ticks.rows.count,
                               firstTickY: ticks.rows.first!, lastTickY: ticks.rows.last!, column: x, side: side, basis: .labels,
                               residualPx: ticks.residualPx, confidence: confidence, tickRows: ticks.rows, tickIndices: ticks.indices,
                               labels: labels, labelUnit: fit.unit, frames: frameCount)
        return DepthScaleReading(scale: scale, ticks: ticks, failure: nil)
    }

    /// The scale of ticks whose labels could not be read, from the depth the user read off the
    /// screen: `depthMm` over the image's height gives an approximate scale; the tick interval at
    /// that scale must lie within `tolerance` of a usual interval (1, 2, 5 or 10 mm), and the
    /// ticks then give the precise scale. Nil when no usual interval is that close.
    public func scale(ticks: RulerTicks, depthMm: Double, imageHeight: Int, tolerance: Double = 0.03) -> DepthScale? {
        guard depthMm > 0, imageHeight > 0 else { return nil }
        let approx = depthMm / Double(imageHeight)
        let tickMm = approx * ticks.spacingPx
        guard let usual = [1.0, 2, 5, 10].first(where: { abs(tickMm - $0) <= tolerance * $0 }) else { return nil }
        let mmPerPixel = usual / ticks.spacingPx
        guard params.plausibleMmPerPixel.contains(mmPerPixel) else { return nil }
        return DepthScale(mmPerPixelY: mmPerPixel, tickSpacingPx: ticks.spacingPx, tickSpacingMm: usual, ticks: ticks.rows.count,
                          firstTickY: ticks.rows.first ?? 0, lastTickY: ticks.rows.last ?? 0, column: ticks.column, side: ticks.side,
                          basis: .depthSetting, residualPx: ticks.residualPx, confidence: 0.8,
                          tickRows: ticks.rows, tickIndices: ticks.indices, labels: [], labelUnit: nil, frames: 0)
    }

    /// The numbers beside the ticks: glyph-sized blobs (differing from the canvas by
    /// `labelContrast`) within `labelReach` of the tick column, outside the image, grouped into
    /// numbers by row, each glyph recognised (`DigitFont`), each number given to the nearest tick
    /// (within half a period). A number with one unread glyph is dropped; two numbers on one tick
    /// are both dropped. Stages: the band beside the ticks (`labelBand`), its blobs
    /// (`blobs(in:)`), the side the ticks point to (`tickPointing`), the blobs grouped into numbers
    /// (`numberGroups`), each number read and placed (`label(_:band:ticks:)`).
    func readLabels(mean: [Float], width w: Int, height h: Int, region r: PixelRect, ticks: RulerTicks) -> [TickLabel] {
        guard let band = labelBand(mean: mean, width: w, height: h, region: r, ticks: ticks) else { return [] }
        let pointing = tickPointing(mean: mean, width: w, height: h, band: band, ticks: ticks)
        var labels = numberGroups(blobs(in: band), band: band, ticks: ticks, pointing: pointing)
            .filter { $0.count <= 3 }
            .compactMap { label($0, band: band, ticks: ticks) }
        // Two numbers on one tick: neither is believed.
        let counts = Dictionary(grouping: labels, by: \.tick).mapValues(\.count)
        labels = labels.filter { counts[$0.tick] == 1 }
        // Orientation from the asymmetric numbers: a symmetric one ("0") follows them.
        if labels.contains(where: \.mirrored) {
            labels = labels.map { l in var m = l; if l.text.allSatisfy({ $0 == "0" || $0 == "8" }) { m.mirrored = true }; return m }
        }
        return labels.sorted { $0.tick < $1.tick }
    }

    /// The band the numbers are looked for in: within `reach` of the tick column (0.07 of the
    /// frame's height, at least 32 px), never inside the image, over the ticks' rows and half a
    /// period beyond; its canvas level (the band's median) and each pixel's difference from it.
    struct LabelBand {
        var xa: Int, ya: Int, bw: Int, bh: Int
        var reach: Int
        var canvas: Float
        var diff: [Float]
    }

    /// A connected blob of the band (8-neighbours), in band coordinates.
    struct Blob {
        var x0: Int, y0: Int, x1: Int, y1: Int, count: Int
        var width: Int { x1 - x0 + 1 }
        var height: Int { y1 - y0 + 1 }
    }

    func labelBand(mean: [Float], width w: Int, height h: Int, region r: PixelRect, ticks: RulerTicks) -> LabelBand? {
        let reach = max(32, Int(0.07 * Double(h)))
        var xa = max(0, ticks.column - reach), xb = min(w, ticks.column + reach + 1)
        if ticks.side == .left { xb = min(xb, r.x) } else { xa = max(xa, r.maxX) }
        let ya = max(0, Int(ticks.rows.first! - ticks.spacingPx / 2)), yb = min(h, Int(ticks.rows.last! + ticks.spacingPx / 2) + 1)
        let bw = xb - xa, bh = yb - ya
        guard bw >= 4, bh >= 8 else { return nil }
        var values: [Float] = []
        values.reserveCapacity(bw * bh)
        for y in ya..<yb { for x in xa..<xb { values.append(mean[y * w + x]) } }
        let canvas = values.sorted()[values.count / 2]
        var diff = [Float](repeating: 0, count: bw * bh)
        for j in 0..<bh {
            for i in 0..<bw { diff[j * bw + i] = abs(mean[(ya + j) * w + xa + i] - canvas) }
        }
        return LabelBand(xa: xa, ya: ya, bw: bw, bh: bh, reach: reach, canvas: canvas, diff: diff)
    }

    /// The band's connected blobs (8-neighbours) of pixels differing from the canvas by more than
    /// `labelContrast`.
    func blobs(in band: LabelBand) -> [Blob] {
        let bw = band.bw, bh = band.bh
        let mask = band.diff.map { $0 > params.labelContrast }
        var seen = [Bool](repeating: false, count: bw * bh)
        var blobs: [Blob] = []
        var stack: [Int] = []
        for start in 0..<(bw * bh) where mask[start] && !seen[start] {
            seen[start] = true
            stack.append(start)
            var b = Blob(x0: start % bw, y0: start / bw, x1: start % bw, y1: start / bw, count: 0)
            while let p = stack.popLast() {
                let px = p % bw, py = p / bw
                b.count += 1
                b.x0 = min(b.x0, px); b.x1 = max(b.x1, px); b.y0 = min(b.y0, py); b.y1 = max(b.y1, py)
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = px + dx, ny = py + dy
                        guard nx >= 0, nx < bw, ny >= 0, ny < bh else { continue }
                        let q = ny * bw + nx
                        if mask[q] && !seen[q] { seen[q] = true; stack.append(q) }
                    }
                }
            }
            blobs.append(b)
        }
        return blobs
    }

    /// Which way the ticks point (+1 right, -1 left, 0 not known): along each tick's row, how far
    /// the marks run left and right of the tick column. Where a vertical ruler line holds the ticks
    /// at one end, the numbers are on the side the ticks point to (a "2" in a box on the far side of
    /// the line is not a label).
    func tickPointing(mean: [Float], width w: Int, height h: Int, band: LabelBand, ticks: RulerTicks) -> Int {
        let reach = band.reach, canvas = band.canvas
        func differs(_ x: Int, _ y: Int) -> Bool { x >= 0 && x < w && y >= 0 && y < h && abs(mean[y * w + x] - canvas) > params.labelContrast }
        var lefts: [Int] = [], rights: [Int] = []
        for row in ticks.rows {
            let y = Int(row.rounded())
            var l = 0, rr = 0
            while l < reach, differs(ticks.column - l - 1, y) { l += 1 }
            while rr < reach, differs(ticks.column + rr + 1, y) { rr += 1 }
            lefts.append(l); rights.append(rr)
        }
        let l = lefts.sorted()[lefts.count / 2], rr = rights.sorted()[rights.count / 2]
        // The line: a column at a tick's end that differs from the canvas over 80 % of the rows between the ticks.
        let top = Int(ticks.rows.first!.rounded()), bottom = Int(ticks.rows.last!.rounded())
        func isLine(_ x: Int) -> Bool {
            guard bottom > top else { return false }
            var n = 0
            for y in top...bottom where differs(x, y) { n += 1 }
            return Double(n) >= 0.8 * Double(bottom - top + 1)
        }
        // The line at either end of the ticks (the one nearest the tick column); the ticks point away from it.
        guard let line = (-(l + 1)...(rr + 1)).sorted(by: { abs($0) < abs($1) }).first(where: { isLine(ticks.column + $0) }).map({ ticks.column + $0 }) else { return 0 }
        let extentRight = ticks.column + rr - line, extentLeft = line - (ticks.column - l)
        if extentRight >= 3 && extentLeft <= 1 { return 1 }
        if extentLeft >= 3 && extentRight <= 1 { return -1 }
        return 0
    }

    /// Numbers: blobs side by side (rows overlapping by 60 %, gap under 0.8 height). Every blob
    /// takes part, so a number with a mark beside it that is no glyph is not read short ("6" of a
    /// "60" whose "0" is cut). A number is kept when every blob is glyph-shaped (taller than wide,
    /// with a little slack; 5 to 40 rows and under 0.8 period tall), its heights within 1.3x, it is
    /// not cut by the band's edge, and it lies on the side the ticks point to (`pointing`).
    func numberGroups(_ blobs: [Blob], band: LabelBand, ticks: RulerTicks, pointing: Int) -> [[Blob]] {
        let maxHeight = min(40.0, 0.8 * ticks.spacingPx)
        func glyphShaped(_ b: Blob) -> Bool {
            b.height >= 5 && Double(b.height) <= maxHeight && Double(b.width) <= 1.2 * Double(b.height) && b.count >= 4
        }
        var groups: [[Blob]] = []
        for g in blobs.filter({ $0.count >= 4 && $0.height >= 4 }).sorted(by: { $0.x0 < $1.x0 }) {
            if let k = groups.firstIndex(where: { grp in
                let last = grp.last!
                let overlap = min(last.y1, g.y1) - max(last.y0, g.y0) + 1
                let gap = g.x0 - last.x1 - 1
                return Double(overlap) >= 0.6 * Double(min(last.height, g.height))
                    && gap >= -1 && Double(gap) <= 0.8 * Double(max(last.height, g.height))
            }) {
                groups[k].append(g)
            } else {
                groups.append([g])
            }
        }
        return groups.filter { grp in
            guard grp.allSatisfy(glyphShaped) else { return false }
            let hs = grp.map(\.height)
            guard Double(hs.max()!) <= 1.3 * Double(hs.min()!) else { return false }
            // Not cut by the band's edge (the image, the frame, or the reach).
            let x0 = grp.map(\.x0).min()!, x1 = grp.map(\.x1).max()!, y0 = grp.map(\.y0).min()!, y1 = grp.map(\.y1).max()!
            guard x0 > 0, x1 < band.bw - 1, y0 > 0, y1 < band.bh - 1 else { return false }
            if pointing > 0 && band.xa + x0 <= ticks.column { return false }
            if pointing < 0 && band.xa + x1 >= ticks.column { return false }
            return true
        }
    }

    /// One number read (each glyph recognised, as printed or mirrored, the better reading kept;
    /// symmetric glyphs read the same either way) and given to the nearest tick within half a
    /// period; nil when a glyph is unread or no tick is that near.
    func label(_ grp: [Blob], band: LabelBand, ticks: RulerTicks) -> TickLabel? {
        let bw = band.bw, ya = band.ya
        func readAs(mirrored: Bool) -> (String, Double)? {
            var text = "", worst = 1.0
            for g in (mirrored ? grp.reversed() : grp) {
                let cells = DigitFont.sample(width: g.width, height: g.height) { x, y in band.diff[(g.y0 + y) * bw + g.x0 + x] }
                guard let m = DigitFont.recognise(cells: cells, aspect: Double(g.width) / Double(g.height), mirrored: mirrored) else { return nil }
                text += String(m.digit)
                worst = min(worst, m.score)
            }
            return (text, worst)
        }
        let plain = readAs(mirrored: false), flipped = readAs(mirrored: true)
        var chosen: (String, Double, Bool)?
        if let p = plain, let f = flipped {
            // Symmetric glyphs ("0", "8") read both ways: the same number either way, or the better reading.
            chosen = p.0 == f.0 ? (p.0, max(p.1, f.1), false) : (p.1 >= f.1 ? (p.0, p.1, false) : (f.0, f.1, true))
        } else if let p = plain {
            chosen = (p.0, p.1, false)
        } else if let f = flipped {
            chosen = (f.0, f.1, true)
        }
        guard let (text, score, mirrored) = chosen, let value = Double(text) else { return nil }
        let x0 = grp.map(\.x0).min()!, x1 = grp.map(\.x1).max()!, gy0 = grp.map(\.y0).min()!, gy1 = grp.map(\.y1).max()!
        let centre = Double(ya + gy0 + ya + gy1) / 2
        // The nearest tick, within half a period.
        guard let k = ticks.rows.indices.min(by: { abs(ticks.rows[$0] - centre) < abs(ticks.rows[$1] - centre) }),
              abs(ticks.rows[k] - centre) <= ticks.spacingPx / 2 else { return nil }
        let symmetric = text.allSatisfy { $0 == "0" || $0 == "8" }
        return TickLabel(tick: ticks.indices[k], row: ticks.rows[k], text: text, value: value,
                         box: PixelRect(x: band.xa + x0, y: ya + gy0, width: x1 - x0 + 1, height: gy1 - gy0 + 1),
                         mirrored: symmetric ? false : mirrored, score: score)
    }

    /// A regular run of tick rows: the rows, their indices along the run (gaps for missing ticks),
    /// the fitted spacing and the RMS residual.
    struct Run {
        var ticks: [Double]
        var indices: [Int]
        var spacing: Double
        var rms: Double
        /// The fitted row of index 0.
        var intercept: Double = 0
        var span: Double { (ticks.last ?? 0) - (ticks.first ?? 0) }
    }

    /// Least-squares fit row = intercept + spacing x index.
    static func fit(ticks: [Double], indices: [Int]) -> Run? {
        guard ticks.count >= 3, ticks.count == indices.count else { return nil }
        let n = Double(ticks.count)
        let sx = indices.reduce(0.0) { $0 + Double($1) }, sy = ticks.reduce(0, +)
        let sxx = indices.reduce(0.0) { $0 + Double($1 * $1) }
        let sxy = zip(indices, ticks).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let den = n * sxx - sx * sx
        guard den > 0 else { return nil }
        let spacing = (n * sxy - sx * sy) / den, a = (sy - spacing * sx) / n
        let rms = (zip(indices, ticks).reduce(0.0) { acc, p in
            let e = p.1 - (a + spacing * Double(p.0))
            return acc + e * e
        } / n).squareRoot()
        return Run(ticks: ticks, indices: indices, spacing: spacing, rms: rms, intercept: a)
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
                let run = Run(ticks: ticks, indices: indices, spacing: spacing, rms: rms, intercept: a)
                if let b = best {
                    if run.ticks.count > b.ticks.count || (run.ticks.count == b.ticks.count && run.rms < b.rms) { best = run }
                } else {
                    best = run
                }
            }
        }
        return best
    }
}
