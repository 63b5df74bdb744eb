import MSKImage

/// The B-mode image found inside a scanner export (pixels of the frame).
public struct ImagingRegion: Sendable, Equatable {
    /// `rectangle`: a linear-probe image filling its bounding rectangle. `fan`: an image whose
    /// left or right side slants (a sector or curved-array fan, a steered parallelogram or a
    /// trapezoid), so its bounding rectangle holds canvas in the corners.
    public enum Shape: String, Sendable, Codable { case rectangle, fan }

    /// The bounding rectangle of the B-mode image, in frame pixels.
    public var bounds: PixelRect
    /// The largest axis-aligned rectangle that holds image only: what the analysis should use
    /// (measurements there see no canvas). Equal to `bounds` for a rectangle.
    public var inscribed: PixelRect
    public var shape: Shape
    /// True when the image was found from temporal change (a cine clip whose image moves); false
    /// when only spatial texture was available (a still, or frames that repeat).
    public var fromMotion: Bool
    /// A curved (convex) array's sector, whose tissue layers are arcs: a fan widening with depth
    /// whose sides run straight down to a bottom that turns in, or whose top (the probe's face)
    /// sags at the centre (`Docs/methods.md`, "Imaging region").
    public var curvedArray: Bool

    public init(bounds: PixelRect, inscribed: PixelRect, shape: Shape, fromMotion: Bool, curvedArray: Bool = false) {
        self.bounds = bounds
        self.inscribed = inscribed
        self.shape = shape
        self.fromMotion = fromMotion
        self.curvedArray = curvedArray
    }
}

/// Finds the B-mode image inside a scanner export: black or grey canvases, depth rulers on either
/// side, text bars above or below, colour bars, logos and orientation markers around it, linear
/// (rectangular) or sector/steered (fan) images.
///
/// Method (`Docs/methods.md`, "Imaging region"):
/// 1. Per pixel, over the buffered frames: local texture (5x5 standard deviation, averaged over a
///    few frames), temporal change (standard deviation over all frames) and colour (RGB frames).
///    When most textured pixels also change over time (a cine clip whose image moves), *image*
///    means "changes over time": text, rulers, logos and colour bars are static and drop out
///    whatever their texture. Otherwise (a still, or repeated frames) *image* means "textured".
///    Coloured pixels are never image.
/// 2. The frame is cut into square cells (about 1/72 of the smaller side). A cell is *core* when
///    most of its pixels are image. The largest 4-connected group of core cells is the seed:
///    text lines, ruler ticks and logos form small groups or none (their cells are mostly flat).
/// 3. The seed's bounding box is refined to pixel precision from column and row profiles of the
///    image mask: the column run over the seed (gaps of 2 columns joined, so a ruler beside the
///    image is not), the row run, extended up and down over rows still a fifth image that vary
///    along themselves (a canvas row or frame line stops it, so a text bar is not joined), then
///    trimmed of the flat or black lines that the 5x5 texture spreads into the margin.
/// 4. The left and right extent of the image in every row tell a fan from a rectangle (a side
///    whose extent follows a straight slant); for a fan the bounds take the widest extents and
///    `inscribed` is the largest rectangle inside every row's extent.
/// 5. A fan widening with depth whose sides turn in at the bottom, or whose top sags at the
///    centre, is a curved array's (`curvedArray`); its `inscribed` rectangle starts at the top
///    arc's lowest point.
public struct ImagingRegionDetector: Sendable {
    public struct Params: Sendable {
        /// Local (5x5) standard deviation, in grey levels, above which a pixel counts as textured.
        public var textureThreshold: Float = 1.5
        /// Standard deviation over the frames, in grey levels, above which a pixel counts as live.
        public var temporalThreshold: Float = 1.5
        /// A pixel whose RGB channels differ by more than this is a coloured marker.
        public var colourThreshold: Int = 40
        /// Frames whose local texture is measured (spread over those given); the temporal spread
        /// uses every frame given.
        public var textureFrames: Int = 2
        /// The clip counts as moving when at least this fraction of its textured pixels is live.
        public var liveFraction: Double = 0.5
        /// Cell side as a fraction of the smaller frame side (at least 4 pixels).
        public var cellFraction: Double = 1.0 / 72
        /// A cell is core when at least this fraction of its pixels is image.
        public var coreDensity: Double = 0.75
        /// A column is image when at least this fraction of its pixels (in the seed's rows) is image:
        /// a wide anechoic defect leaves only the layers above and below it textured (about a
        /// third of the column).
        public var columnFraction: Double = 0.25
        /// A row is image when at least this fraction of the region's columns is image.
        public var fraction: Double = 0.5
        /// Rows beyond the image's run are still image while at least this fraction of their
        /// pixels is image (and the row varies along itself): deep rows under a muscle can be dark
        /// (a hypoechoic muscle below, an acoustic shadow).
        public var rowFraction: Double = 0.2
        /// Mean grey level at or below which a pixel counts as black margin when trimming the edges.
        public var blackLevel: Float = 12
        /// Deepest nearly black strip dropped from a side after a sharp step down (`paddingDropped`:
        /// the rest of a video codec's 16-pixel block; 0: none).
        public var maxPaddingPx: Int = 16
        /// The share of a side's rows (from its first with an extent) that must lie on a straight
        /// slant when the whole side does not: a curved array's bottom arc takes the rest (by the
        /// geometry, 18-28 % of the rows for a 40 mm radius, a 36 mm deep image, +-24 to 30 degrees).
        public var curvedSideRows: Double = 0.7
        /// A top that sags in the middle by more than this fraction of the height (and 4 px),
        /// falling from the sides to the centre, is a curved array's face.
        public var minTopSagFraction: Double = 0.02
        /// A slanted side's extents lie within this fraction of the width (RMS) of their line.
        public var maxSideRMSFraction: Double = 0.03
        /// A side is slanted (a fan) when its extent moves by more than this fraction of the width
        /// (and at least 8 pixels) along a straight line from top to bottom.
        public var slantFraction: Double = 0.04
        /// Smallest region accepted, as a fraction of the frame's width and height.
        public var minimumSide: Double = 0.2
        /// In a moving clip, the row extension crosses a band of rows that are image (a fifth of
        /// their pixels textured or moving, as `rowFraction`) but flat in the mean image (nearly
        /// black speckle: a hypoechoic layer under a low gain) when the band is at most this
        /// fraction of the frame's height and beyond it the rows extend again for at least
        /// `bridgeMinRunFraction` of the height. A canvas row (between the image and a text bar)
        /// holds no such pixels and still stops the extension.
        public var bridgeMaxFraction: Double = 0.15
        public var bridgeMinRunFraction: Double = 0.1
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The bounding rectangle of the B-mode image, or nil when no image of plausible size is found.
    /// `frames` should be a handful of frames spread over the start of the clip. For a fan
    /// (sector, steered) image this is the bounding rectangle; `detectRegion` also gives the
    /// inscribed rectangle the analysis should use.
    public func detect(frames: [GreyImage], rgb: [RGBImage] = []) -> PixelRect? {
        detectRegion(frames: frames, rgb: rgb)?.bounds
    }

    /// The B-mode image (bounds, inscribed rectangle, shape), or nil when none is found.
    public func detectRegion(frames: [GreyImage], rgb: [RGBImage] = []) -> ImagingRegion? {
        guard let first = frames.first else { return nil }
        let w = first.width, h = first.height
        guard w >= 16, h >= 16 else { return nil }
        let features = Features(frames: frames, rgb: rgb, params: params)
        let mask = features.imageMask(params: params)
        let union = features.live ? features.unionMask(params: params) : mask
        guard let seed = seedRect(mask: mask, width: w, height: h) else { return nil }
        guard var rect = refined(seed, mask: mask, union: union, meanGrey: features.mean, live: features.live, width: w, height: h) else {
            return nil
        }
        rect = trimmed(rect, meanGrey: features.mean, width: w)
        guard Double(rect.width) >= params.minimumSide * Double(w), Double(rect.height) >= params.minimumSide * Double(h) else {
            return nil
        }
        return shaped(rect, mask: union, meanGrey: features.mean, width: w, height: h, fromMotion: features.live)
    }

    // MARK: - Pixel features

    struct Features {
        var mean: [Float]
        var texture: [Float]
        var temporal: [Float]
        var coloured: [Bool]
        var live: Bool
        let width: Int, height: Int

        init(frames: [GreyImage], rgb: [RGBImage], params: Params) {
            let w = frames[0].width, h = frames[0].height, n = w * h
            width = w; height = h
            var textured = [Float](repeating: 0, count: n)
            var sum = [UInt32](repeating: 0, count: n), sumSq = [UInt32](repeating: 0, count: n)
            let usable = frames.filter { $0.width == w && $0.height == h }
            let textureStride = max(1, usable.count / max(1, params.textureFrames))
            var texturedFrames = 0
            for (k, frame) in usable.enumerated() {
                if k % textureStride == 0 && texturedFrames < params.textureFrames {
                    ImagingRegionDetector.addLocalStd5x5(frame, to: &textured)
                    texturedFrames += 1
                }
                frame.pixels.withUnsafeBufferPointer { p in
                    sum.withUnsafeMutableBufferPointer { s in
                        sumSq.withUnsafeMutableBufferPointer { q in
                            for i in 0..<n {
                                let v = UInt32(p[i])
                                s[i] &+= v; q[i] &+= v &* v
                            }
                        }
                    }
                }
            }
            let k = Float(max(1, usable.count)), tk = Float(max(1, texturedFrames))
            var coloured = [Bool](repeating: false, count: n)
            for frame in rgb where frame.width == w && frame.height == h {
                frame.pixels.withUnsafeBufferPointer { p in
                    for i in 0..<n {
                        let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                        if max(r, g, b) - min(r, g, b) > params.colourThreshold { coloured[i] = true }
                    }
                }
            }
            var mean = [Float](repeating: 0, count: n), temporal = [Float](repeating: 0, count: n)
            var texturedCount = 0, liveCount = 0
            let several = usable.count > 1
            let textureThreshold = params.textureThreshold, temporalThreshold = params.temporalThreshold
            sum.withUnsafeBufferPointer { s in
                sumSq.withUnsafeBufferPointer { q in
                    coloured.withUnsafeBufferPointer { c in
                        textured.withUnsafeMutableBufferPointer { t in
                            mean.withUnsafeMutableBufferPointer { mo in
                                temporal.withUnsafeMutableBufferPointer { to in
                                    for i in 0..<n {
                                        let m = Float(s[i]) / k
                                        mo[i] = m
                                        let spread = several ? max(0, Float(q[i]) / k - m * m).squareRoot() : 0
                                        to[i] = spread
                                        let tx = t[i] / tk
                                        t[i] = tx
                                        if !c[i] && tx > textureThreshold {
                                            texturedCount += 1
                                            if spread > temporalThreshold { liveCount += 1 }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            self.mean = mean
            self.texture = textured
            self.temporal = temporal
            self.coloured = coloured
            live = texturedCount > 0 && Double(liveCount) >= params.liveFraction * Double(texturedCount)
        }

        /// Image pixels: live ones in a moving clip, textured ones otherwise; never coloured.
        func imageMask(params: Params) -> [Bool] {
            let n = width * height
            var mask = [Bool](repeating: false, count: n)
            for i in 0..<n where !coloured[i] {
                mask[i] = live ? temporal[i] > params.temporalThreshold : texture[i] > params.textureThreshold
            }
            return mask
        }

        /// Textured or live pixels, never coloured.
        func unionMask(params: Params) -> [Bool] {
            let n = width * height
            var mask = [Bool](repeating: false, count: n)
            for i in 0..<n where !coloured[i] {
                mask[i] = temporal[i] > params.temporalThreshold || texture[i] > params.textureThreshold
            }
            return mask
        }
    }

    // MARK: - Seed: the largest group of dense cells

    func seedRect(mask: [Bool], width w: Int, height h: Int) -> PixelRect? {
        let c = max(4, Int((Double(min(w, h)) * params.cellFraction).rounded()))
        let gw = w / c, gh = h / c
        guard gw >= 2, gh >= 2 else { return nil }
        var count = [Int](repeating: 0, count: gw * gh)
        mask.withUnsafeBufferPointer { m in
            for y in 0..<(gh * c) {
                let row = y * w, cy = (y / c) * gw
                for x in 0..<(gw * c) where m[row + x] { count[cy + x / c] += 1 }
            }
        }
        let need = Int((params.coreDensity * Double(c * c)).rounded(.up))
        let core = count.map { $0 >= need }
        // Largest 4-connected component (flood fill with an explicit stack).
        var label = [Int](repeating: -1, count: gw * gh)
        var best: (size: Int, x0: Int, y0: Int, x1: Int, y1: Int) = (0, 0, 0, 0, 0)
        var stack: [Int] = []
        var next = 0
        for start in 0..<(gw * gh) where core[start] && label[start] < 0 {
            var size = 0, x0 = gw, y0 = gh, x1 = -1, y1 = -1
            label[start] = next
            stack.append(start)
            while let i = stack.popLast() {
                size += 1
                let x = i % gw, y = i / gw
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
                for j in [x > 0 ? i - 1 : -1, x < gw - 1 ? i + 1 : -1, y > 0 ? i - gw : -1, y < gh - 1 ? i + gw : -1]
                where j >= 0 && core[j] && label[j] < 0 {
                    label[j] = next
                    stack.append(j)
                }
            }
            if size > best.size { best = (size, x0, y0, x1, y1) }
            next += 1
        }
        guard best.size >= 4 else { return nil }
        return PixelRect(x: best.x0 * c, y: best.y0 * c, width: (best.x1 - best.x0 + 1) * c, height: (best.y1 - best.y0 + 1) * c)
    }

    // MARK: - Refinement from profiles

    func refined(_ seed: PixelRect, mask: [Bool], union: [Bool], meanGrey m: [Float], live: Bool, width w: Int, height h: Int) -> PixelRect? {
        var rect = seed
        func colFractions(_ source: [Bool], rows: Range<Int>) -> [Double] {
            var out = [Double](repeating: 0, count: w)
            source.withUnsafeBufferPointer { p in
                var counts = [Int](repeating: 0, count: w)
                for y in rows {
                    let row = y * w
                    for x in 0..<w where p[row + x] { counts[x] += 1 }
                }
                for x in 0..<w { out[x] = Double(counts[x]) / Double(max(1, rows.count)) }
            }
            return out
        }
        func rowFractions(_ source: [Bool], cols: Range<Int>) -> [Double] {
            var out = [Double](repeating: 0, count: h)
            source.withUnsafeBufferPointer { p in
                for y in 0..<h {
                    var c = 0
                    let row = y * w
                    for x in cols where p[row + x] { c += 1 }
                    out[y] = Double(c) / Double(max(1, cols.count))
                }
            }
            return out
        }
        // A row varies along itself (speckle) or not (canvas, and the rows between a text bar and
        // the image, which the 5x5 texture blurs over).
        func rowVariation(cols: Range<Int>) -> [Double] {
            var out = [Double](repeating: 0, count: h)
            m.withUnsafeBufferPointer { g in
                for y in 0..<h {
                    var c = 0
                    let row = y * w
                    for x in cols.lowerBound..<max(cols.lowerBound, cols.upperBound - 1) where abs(g[row + x + 1] - g[row + x]) > 0.5 { c += 1 }
                    out[y] = Double(c) / Double(max(1, cols.count - 1))
                }
            }
            return out
        }
        for _ in 0..<2 {
            // Columns within the current rows: the run of image columns over the seed (a gap of
            // two columns is joined; a ruler a few pixels beside the image is not), widened over
            // columns that are nearly all image in either sense (a static, blurred image edge).
            let colFrac = colFractions(mask, rows: rect.y..<rect.maxY)
            guard var cols = Self.run(colFrac, threshold: params.columnFraction, maxGap: 2, overlapping: rect.x..<rect.maxX) else {
                return nil
            }
            if live {
                let unionCol = colFractions(union, rows: rect.y..<rect.maxY)
                while cols.lowerBound > 0, unionCol[cols.lowerBound - 1] >= 0.8 { cols = (cols.lowerBound - 1)..<cols.upperBound }
                while cols.upperBound < w, unionCol[cols.upperBound] >= 0.8 { cols = cols.lowerBound..<(cols.upperBound + 1) }
            }
            // Rows: the run over the seed, then extended up and down while the row is still a
            // fifth image in either sense, textured or moving (a dark band, an acoustic shadow, dark
            // deep rows, a static bright near field), and varies along itself. A canvas row or a
            // frame line stops it, so a text bar above or below is not joined.
            let rowFrac = rowFractions(mask, cols: cols)
            guard var rows = Self.run(rowFrac, threshold: params.fraction, maxGap: 0, overlapping: rect.y..<rect.maxY) else {
                return nil
            }
            let unionFrac = live ? rowFractions(union, cols: cols) : rowFrac
            let variation = rowVariation(cols: cols)
            func extendable(_ y: Int) -> Bool {
                max(rowFrac[y], unionFrac[y]) >= params.rowFraction && variation[y] >= params.rowFraction
            }
            // A band of rows that are image but fail the "varies along itself" test (flat in the
            // mean image), with rows beyond it that extend again (moving clips only): the first row
            // past the band when it may be crossed, else nil. A row with too few image pixels
            // (canvas) ends the band uncrossed.
            let maxGap = Int(params.bridgeMaxFraction * Double(h)), minRun = max(1, Int(params.bridgeMinRunFraction * Double(h)))
            func bridged(from y: Int, step: Int) -> Int? {
                guard live else { return nil }
                var k = y, gap = 0
                while k >= 0, k < h, !extendable(k) {
                    guard gap < maxGap, max(rowFrac[k], unionFrac[k]) >= params.rowFraction else { return nil }
                    k += step; gap += 1
                }
                for j in 0..<minRun {
                    let r = k + j * step
                    guard r >= 0, r < h, extendable(r) else { return nil }
                }
                return k
            }
            while true {
                while rows.lowerBound > 0, extendable(rows.lowerBound - 1) { rows = (rows.lowerBound - 1)..<rows.upperBound }
                guard rows.lowerBound > 0, let beyond = bridged(from: rows.lowerBound - 1, step: -1) else { break }
                rows = beyond..<rows.upperBound
            }
            while true {
                while rows.upperBound < h, extendable(rows.upperBound) { rows = rows.lowerBound..<(rows.upperBound + 1) }
                guard rows.upperBound < h, let beyond = bridged(from: rows.upperBound, step: 1) else { break }
                rows = rows.lowerBound..<(beyond + 1)
            }
            rect = PixelRect(x: cols.lowerBound, y: rows.lowerBound, width: cols.count, height: rows.count)
        }
        return rect
    }

    /// `rect` with a few edge columns and rows dropped while they are mostly not image: black
    /// (unless it varies, as dark speckle does), or a flat line (a ruler or frame line runs unchanged along itself, speckle does not). The texture
    /// measure spreads a couple of pixels into the margins, and a ruler next to the image can join it.
    func trimmed(_ rect: PixelRect, meanGrey m: [Float], width w: Int) -> PixelRect {
        var r = rect
        let black = params.blackLevel
        func image(column x: Int) -> Double {
            var c = 0
            for y in r.y..<(r.maxY - 1) {
                let d = abs(m[(y + 1) * w + x] - m[y * w + x])
                if d > 1 || (d > 0.5 && m[y * w + x] > black) { c += 1 }
            }
            return Double(c) / Double(max(1, r.height - 1))
        }
        func image(row y: Int) -> Double {
            var c = 0
            for x in r.x..<(r.maxX - 1) {
                let d = abs(m[y * w + x + 1] - m[y * w + x])
                if d > 1 || (d > 0.5 && m[y * w + x] > black) { c += 1 }
            }
            return Double(c) / Double(max(1, r.width - 1))
        }
        // Columns: at most 8 (the texture's spread, a frame line, a ruler line a few pixels
        // beside the image). Rows: at most 3 (the spread and a frame line), since a bright skin
        // line at the top is flat along itself too, and is image.
        var k = 0
        while k < 8, r.width > 16, image(column: r.x) < params.fraction { r.x += 1; r.width -= 1; k += 1 }
        k = 0
        while k < 8, r.width > 16, image(column: r.maxX - 1) < params.fraction { r.width -= 1; k += 1 }
        k = 0
        while k < 3, r.height > 16, image(row: r.y) < params.fraction { r.y += 1; r.height -= 1; k += 1 }
        k = 0
        while k < 3, r.height > 16, image(row: r.maxY - 1) < params.rowFraction { r.height -= 1; k += 1 }
        return paddingDropped(r, meanGrey: m, width: w)
    }

    /// `rect` without a nearly black strip, at most `params.maxPaddingPx` deep, that ends it on a side
    /// after a sharp step down from the image: a video codec codes whole blocks (16 pixels), and
    /// where the image ends inside one the rest of the block is canvas carrying the codec's faint
    /// ringing, which varies enough to pass for dark image. The strip is dropped when its mean grey
    /// stays under `blackLevel` and the image line next to it is at least 4 times as bright (and
    /// brighter than 4 x `blackLevel`): dark speckle fades gradually, it does not step down.
    func paddingDropped(_ rect: PixelRect, meanGrey m: [Float], width w: Int) -> PixelRect {
        let limit = params.maxPaddingPx
        guard limit > 0 else { return rect }
        var r = rect
        let black = Double(params.blackLevel)
        func rowMean(_ y: Int) -> Double {
            var s = 0.0
            for x in r.x..<r.maxX { s += Double(m[y * w + x]) }
            return s / Double(max(1, r.width))
        }
        func columnMean(_ x: Int) -> Double {
            var s = 0.0
            for y in r.y..<r.maxY { s += Double(m[y * w + x]) }
            return s / Double(max(1, r.height))
        }
        // The number of lines to drop from one side: `lines` from the side inward, each mean taken once.
        func strip(_ lines: [Int], _ mean: (Int) -> Double) -> Int {
            var k = 0, darkest = 0.0, inner = 0.0
            while k < lines.count {
                inner = mean(lines[k])
                guard k < limit, inner < black else { break }
                darkest = max(darkest, inner)
                k += 1
            }
            return k > 0 && k < lines.count && inner >= 4 * black && inner >= 4 * darkest ? k : 0
        }
        guard r.height > 2 * limit, r.width > 2 * limit else { return r }
        let bottom = strip(Array((r.y..<r.maxY).reversed().prefix(limit + 1)), rowMean)
        r.height -= bottom
        let top = strip(Array((r.y..<r.maxY).prefix(limit + 1)), rowMean)
        r.y += top; r.height -= top
        let right = strip(Array((r.x..<r.maxX).reversed().prefix(limit + 1)), columnMean)
        r.width -= right
        let left = strip(Array((r.x..<r.maxX).prefix(limit + 1)), columnMean)
        r.x += left; r.width -= left
        return r
    }

    // MARK: - Shape: rectangle or fan

    /// The region's shape: a rectangle, or a fan (a sector image: slanted sides, or a curved
    /// array's arcs) with its bounds and the largest rectangle inside it. Stages: each row's extent
    /// (`rowExtents`), whether the extents draw a curved array (`isCurvedArray`), then the fan's
    /// bounds and inscribed rectangle from the extents.
    func shaped(_ rect: PixelRect, mask: [Bool], meanGrey: [Float], width w: Int, height h: Int, fromMotion: Bool) -> ImagingRegion {
        let rectangle = ImagingRegion(bounds: rect, inscribed: rect, shape: .rectangle, fromMotion: fromMotion)
        let e = rowExtents(rect, mask: mask, meanGrey: meanGrey, width: w, height: h)
        let curved = isCurvedArray(e, rect: rect)
        guard slantedLine(e.left, rect: rect) != nil || slantedLine(e.right, rect: rect) != nil || curved else { return rectangle }
        // A fan: the rows' extents, each the median over 15 rows (a side need not be one straight
        // line); the bounds hold them (1st and 99th percentiles), the inscribed rectangle is the
        // largest one inside every row's extent.
        let lefts = Self.runningMedian(e.left, radius: 7), rights = Self.runningMedian(e.right, radius: 7)
        let ls = lefts.compactMap { $0 }.sorted(), rs = rights.compactMap { $0 }.sorted()
        guard ls.count > rect.height / 2, rs.count > rect.height / 2 else { return rectangle }
        let bx0 = max(0, ls[ls.count / 100]), bx1 = min(w, rs[rs.count - 1 - rs.count / 100])
        guard bx1 - bx0 >= 16 else { return rectangle }
        let bounds = PixelRect(x: bx0, y: rect.y, width: bx1 - bx0, height: rect.height)
        // A curved array's: the largest from the first row whose centre is image (the top arc's
        // lowest point) down, since the largest anywhere lies deep, where the fan is wider, and
        // cuts off the muscle's top.
        let firstCentreRow = e.centreDense.firstIndex(of: true)
        guard let inner = Self.largestRectangle(left: lefts, right: rights, top: rect.y, fromRow: curved ? firstCentreRow : nil),
              inner.width >= 16, inner.height >= 16 else {
            return rectangle
        }
        return ImagingRegion(bounds: bounds, inscribed: inner, shape: .fan, fromMotion: fromMotion, curvedArray: curved)
    }

    /// Each row's extent across the image, for `shaped`.
    struct RowExtents {
        /// Per row of the rectangle: the first and last image column (nil: no image found there).
        var left: [Int?]
        var right: [Int?]
        /// Per row: whether the window at the rectangle's centre column is image.
        var centreDense: [Bool]
        /// Pixels that vary down their column, over columns x0 ..< x0 + bw from row yTop.
        var varying: [UInt8]
        var x0: Int
        var bw: Int
    }

    /// Each row's extent, walking out from the rectangle's centre column while a window of the
    /// row (5 rows high) is at least half image; searched a little beyond the rectangle, since a
    /// fan's slanted side has low column coverage and may be cut by the column profile.
    func rowExtents(_ rect: PixelRect, mask: [Bool], meanGrey: [Float], width w: Int, height h: Int) -> RowExtents {
        let margin = rect.width / 4
        let x0 = max(0, rect.x - margin), x1 = min(w, rect.maxX + margin)
        let window = max(6, rect.width / 60), half = window / 2
        let cx = rect.x + rect.width / 2, bridge = max(1, rect.width / 4)
        var left = [Int?](repeating: nil, count: rect.height), right = [Int?](repeating: nil, count: rect.height)
        var centreDense = [Bool](repeating: false, count: rect.height)
        // Image pixels that also vary down their column (speckle does; the canvas beside the
        // image, into which the 5x5 texture spreads, and a ruler's vertical line do not).
        let yTop = max(1, rect.y - 2), yBottom = min(h - 1, rect.maxY + 2), bw = x1 - x0
        var varying = [UInt8](repeating: 0, count: bw * max(0, yBottom - yTop))
        mask.withUnsafeBufferPointer { mk in
            meanGrey.withUnsafeBufferPointer { g in
                for y in yTop..<yBottom {
                    let row = y * w, out = (y - yTop) * bw
                    for x in x0..<x1 where mk[row + x] {
                        let v = g[row + x]
                        if abs(g[row + w + x] - v) > 1.5 || abs(g[row - w + x] - v) > 1.5 { varying[out + x - x0] = 1 }
                    }
                }
            }
        }
        varying.withUnsafeBufferPointer { m in
            var prefix = [Int](repeating: 0, count: bw + 1)
            var column = [Int](repeating: 0, count: bw)
            var curA = max(yTop, rect.y - 2), curB = curA
            for j in 0..<rect.height {
                // Running 5-row window of column counts.
                let yA = max(yTop, rect.y + j - 2), yB = min(yBottom, rect.y + j + 3)
                while curB < yB { let row = (curB - yTop) * bw; for i in 0..<bw { column[i] += Int(m[row + i]) }; curB += 1 }
                while curA < yA { let row = (curA - yTop) * bw; for i in 0..<bw { column[i] -= Int(m[row + i]) }; curA += 1 }
                for i in 0..<bw { prefix[i + 1] = prefix[i] + column[i] }
                let need = max(1, (yB - yA) * window / 2)
                func dense(_ a: Int) -> Bool { a >= x0 && a + window <= x1 && prefix[a + window - x0] - prefix[a - x0] >= need }
                // The walk starts at the centre column, or at the nearest image beside it within
                // `bridge` (an anechoic defect across the centre), and crosses a gap of at most
                // `bridge` that lies inside the rectangle (such a defect, a vessel), never one
                // beyond its columns (the canvas between the image and a ruler).
                var start = cx - half
                centreDense[j] = dense(start)
                if !dense(start), let d = (1...bridge).first(where: { dense(cx - half - $0) || dense(cx - half + $0) }) {
                    start = dense(cx - half - d) ? cx - half - d : cx - half + d
                }
                guard dense(start) else { continue }
                // Out from `start` one column a step (`step` -1 or +1): the last window's column.
                func walk(_ step: Int) -> Int {
                    var a = start
                    while true {
                        while dense(a + step) { a += step }
                        var k = a + 2 * step
                        func inside(_ k: Int) -> Bool { k >= rect.x && k + window <= rect.maxX && abs(k - a) <= bridge }
                        while inside(k), !dense(k) { k += step }
                        guard inside(k) else { return a }
                        a = k
                    }
                }
                left[j] = walk(-1) + half
                right[j] = walk(1) + window - half
            }
        }
        return RowExtents(left: left, right: right, centreDense: centreDense, varying: varying, x0: x0, bw: bw)
    }

    /// The least slant a fan's side travels over the rectangle's rows (px).
    func leastSlant(_ rect: PixelRect) -> Double { max(8.0, params.slantFraction * Double(rect.width)) }

    /// The line through a side's extents when it is slanted and straight: it travels more than
    /// `leastSlant`, within a fifth of the travel and within `maxSideRMSFraction` of the width (a
    /// side whose extents scatter over the image, where dark rows stop the walk at random columns,
    /// has a large travel and a larger scatter).
    func slantedLine(_ xs: [Int?], rect: PixelRect) -> (slope: Double, intercept: Double, rms: Double)? {
        guard let fit = Self.lineFit(xs) else { return nil }
        let travel = abs(fit.slope) * Double(xs.count)
        return travel > leastSlant(rect) && fit.rms < min(0.2 * travel, params.maxSideRMSFraction * Double(rect.width)) ? fit : nil
    }

    /// Whether the row extents draw a curved (convex) array's fan: both sides run straight down
    /// and lean out, then turn in along the bottom arc; or the top sags (the probe's face is an
    /// arc, lowest at the centre) with both sides leaning out.
    func isCurvedArray(_ e: RowExtents, rect: PixelRect) -> Bool {
        let slant = leastSlant(rect)
        // A curved array's side runs straight down to the bottom arc, along which the extents then
        // turn back in: the line of its upper `curvedSideRows` (from its first row with an extent),
        // when that part is slanted and leans out, so that the fan widens with depth (not a steered
        // parallelogram, whose sides lean one way). `inward` is +1 for the left side, -1 for the
        // right; `first` and `last` are the side's first and last rows with an extent.
        typealias UpperLine = (fit: (slope: Double, intercept: Double, rms: Double), first: Int, last: Int)
        func outwardUpperLine(_ xs: [Int?], inward: Double) -> UpperLine? {
            guard let first = xs.firstIndex(where: { $0 != nil }), let last = xs.lastIndex(where: { $0 != nil }),
                  let fit = slantedLine(Array(xs[first...(first + Int(params.curvedSideRows * Double(last - first)))]), rect: rect),
                  inward * fit.slope < 0 else { return nil }
            return (fit, first, last)
        }
        // Whether a side's lowest rows (the last 15 %) lie inside the line of its upper part (by
        // more than the least slant, on their median): a curved array's bottom arc turns both
        // sides of its fan in.
        func curvesIn(_ xs: [Int?], upper: UpperLine?, inward: Double) -> Bool {
            guard let u = upper else { return false }
            var below: [Double] = []
            for j in (u.last - (u.last - u.first) * 3 / 20)...u.last {
                guard let x = xs[j] else { continue }
                below.append(inward * (Double(x) - (u.fit.intercept + u.fit.slope * Double(j - u.first))))
            }
            below.sort()
            return below.count >= 8 && below[below.count / 2] > slant
        }
        // Or its top sags and both sides lean out (its bottom unseen, dark): a curved array's face
        // (the skin under it) is an arc, lowest at the centre, where a linear image, steered or
        // not, starts on one row. Each column's first image row (3 of a 5-row window varying) at
        // the centre and at 0.4 and 0.8 of the way to the sides of the first row whose centre is
        // image (inside the arc's span).
        func topRow(_ x: Int) -> Int? {
            let i = x - e.x0
            guard i >= 0, i < e.bw else { return nil }
            let rows = e.varying.count / e.bw
            var run = 0
            for j in 0..<rows {
                run += Int(e.varying[j * e.bw + i]) - (j >= 5 ? Int(e.varying[(j - 5) * e.bw + i]) : 0)
                if j >= 4, run >= 3 { return j - 4 }
            }
            return nil
        }
        let cx = rect.x + rect.width / 2
        let topSpan: Int? = e.centreDense.firstIndex(of: true).flatMap { j in
            guard let l = e.left[j], let r = e.right[j] else { return nil }
            return min(cx - l, r - cx)
        }
        let tops = [-0.8, -0.4, 0, 0.4, 0.8].map { f in topSpan.flatMap { topRow(cx + Int(f * Double($0))) } }
        let sags: Bool = {
            guard let a = tops[0], let b = tops[1], let c = tops[2], let d = tops[3], let e = tops[4] else { return false }
            let sag = Double(c) - Double(a + e) / 2
            return sag > max(4, params.minTopSagFraction * Double(rect.height)) && a <= b && b <= c && e <= d && d <= c
        }()
        // Each side's upper line, fitted once for both tests.
        let upperLeft = outwardUpperLine(e.left, inward: 1), upperRight = outwardUpperLine(e.right, inward: -1)
        return (curvesIn(e.left, upper: upperLeft, inward: 1) && curvesIn(e.right, upper: upperRight, inward: -1))
            || (sags && upperLeft != nil && upperRight != nil)
    }

    /// Least-squares line through the rows' extents (x against row index), refitted once
    /// without the rows more than 3 median deviations (at least 3 px) off: slope in pixels per
    /// row, intercept, RMS residual. The rows without an extent are skipped.
    static func lineFit(_ xs: [Int?]) -> (slope: Double, intercept: Double, rms: Double)? {
        func fit(_ keep: (Int, Int) -> Bool) -> (slope: Double, intercept: Double, rms: Double, residuals: [Double])? {
            var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for (j, v) in xs.enumerated() {
                guard let v, keep(j, v) else { continue }
                let t = Double(j), y = Double(v)
                n += 1; sx += t; sy += y; sxx += t * t; sxy += t * y
            }
            guard n >= 16 else { return nil }
            let den = n * sxx - sx * sx
            guard den > 0 else { return nil }
            let slope = (n * sxy - sx * sy) / den, icpt = (sy - slope * sx) / n
            var ss = 0.0
            var residuals: [Double] = []
            for (j, v) in xs.enumerated() {
                guard let v else { continue }
                let e = Double(v) - (icpt + slope * Double(j))
                residuals.append(abs(e))
                if keep(j, v) { ss += e * e }
            }
            return (slope, icpt, (ss / n).squareRoot(), residuals)
        }
        guard let first = fit({ _, _ in true }) else { return nil }
        let sorted = first.residuals.sorted()
        let limit = max(3, 3 * sorted[sorted.count / 2])
        guard let second = fit({ j, v in abs(Double(v) - (first.intercept + first.slope * Double(j))) <= limit }) else {
            return (first.slope, first.intercept, first.rms)
        }
        return (second.slope, second.intercept, second.rms)
    }

    /// Each value replaced by the median of the values present within `radius` of it (nil where
    /// none is).
    static func runningMedian(_ xs: [Int?], radius: Int) -> [Int?] {
        (0..<xs.count).map { j in
            let window = xs[max(0, j - radius)..<min(xs.count, j + radius + 1)].compactMap { $0 }.sorted()
            return window.isEmpty || xs[j] == nil ? nil : window[window.count / 2]
        }
    }

    /// The largest axis-aligned rectangle whose every row lies inside that row's extent; with
    /// `fromRow`, the largest of those whose top is that row.
    static func largestRectangle(left: [Int?], right: [Int?], top: Int, fromRow: Int? = nil) -> PixelRect? {
        let n = left.count
        var best: PixelRect?
        var bestArea = 0
        let starts = fromRow.map { $0..<min(n, $0 + 1) } ?? 0..<n
        for a in starts {
            var lo = Int.min, hi = Int.max
            for b in a..<n {
                guard let l = left[b], let r = right[b] else { break }
                lo = max(lo, l); hi = min(hi, r)
                guard hi > lo else { break }
                let area = (hi - lo) * (b - a + 1)
                if area > bestArea { bestArea = area; best = PixelRect(x: lo, y: top + a, width: hi - lo, height: b - a + 1) }
            }
        }
        return best
    }

    // MARK: - Helpers

    /// Runs of indices whose value is at least `threshold`, joining runs separated by at most
    /// `maxGap` indices below it; the run overlapping `target` most (the longest when none does).
    static func run(_ values: [Double], threshold: Double, maxGap: Int, overlapping target: Range<Int>) -> Range<Int>? {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, v) in values.enumerated() {
            if v >= threshold { if start == nil { start = i } } else if let s = start { runs.append(s..<i); start = nil }
        }
        if let s = start { runs.append(s..<values.count) }
        guard !runs.isEmpty else { return nil }
        var merged: [Range<Int>] = [runs[0]]
        for run in runs.dropFirst() {
            let last = merged[merged.count - 1]
            if run.lowerBound - last.upperBound <= maxGap {
                merged[merged.count - 1] = last.lowerBound..<run.upperBound
            } else {
                merged.append(run)
            }
        }
        func overlap(_ r: Range<Int>) -> Int { max(0, min(r.upperBound, target.upperBound) - max(r.lowerBound, target.lowerBound)) }
        return merged.max { (overlap($0), $0.count) < (overlap($1), $1.count) }
    }

    /// Adds each pixel's standard deviation over its 5x5 window (clipped at the borders) to
    /// `out`, in grey levels: integer running sums down the columns and along the rows.
    static func addLocalStd5x5(_ image: GreyImage, to out: inout [Float]) {
        let w = image.width, h = image.height, r = 2
        var colSum = [Int32](repeating: 0, count: w), colSq = [Int32](repeating: 0, count: w)
        // 1 / (rows x columns in the clipped window), for 1...5 rows and columns.
        var inverses = [Float](repeating: 0, count: 36)
        for rowsInWindow in 1...5 { for colsInWindow in 1...5 { inverses[rowsInWindow * 6 + colsInWindow] = 1 / Float(rowsInWindow * colsInWindow) } }
        image.pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                colSum.withUnsafeMutableBufferPointer { cs in
                    colSq.withUnsafeMutableBufferPointer { cq in
                        var rows = 0
                        func add(_ y: Int, _ sign: Int32) {
                            let row = y * w
                            for x in 0..<w { let v = Int32(p[row + x]); cs[x] += sign * v; cq[x] += sign * v * v }
                        }
                        for y in 0..<min(h, r) { add(y, 1); rows += 1 }
                        for y in 0..<h {
                            if y + r < h { add(y + r, 1); rows += 1 }
                            if y - r - 1 >= 0 { add(y - r - 1, -1); rows -= 1 }
                            let row = y * w
                            var s: Int32 = 0, q: Int32 = 0, cols = 0
                            for x in 0..<min(w, r) { s += cs[x]; q += cq[x]; cols += 1 }
                            for x in 0..<w {
                                if x + r < w { s += cs[x + r]; q += cq[x + r]; cols += 1 }
                                if x - r - 1 >= 0 { s -= cs[x - r - 1]; q -= cq[x - r - 1]; cols -= 1 }
                                let inverse = inverses[rows * 6 + cols]
                                let mean = Float(s) * inverse
                                o[row + x] += max(0, Float(q) * inverse - mean * mean).squareRoot()
                            }
                        }
                    }
                }
            }
        }
    }

    /// Standard deviation over a (2r+1)^2 window.
    static func localStd(_ image: FloatImage, radius r: Int) -> FloatImage {
        let mean = Filters.boxMean(image, radiusX: r, radiusY: r)
        var sq = image
        sq.pixels.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= p[i] } }
        let meanSq = Filters.boxMean(sq, radiusX: r, radiusY: r)
        var out = meanSq
        out.pixels.withUnsafeMutableBufferPointer { o in
            mean.pixels.withUnsafeBufferPointer { m in
                for i in 0..<o.count { o[i] = max(0, o[i] - m[i] * m[i]).squareRoot() }
            }
        }
        return out
    }
}
