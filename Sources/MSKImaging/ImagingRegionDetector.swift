import MSKImage

/// Finds the B-mode image inside a scanner export: the largest rectangle whose pixels carry
/// speckle texture or change over time, excluding flat or black margins, sparse text rows, thin
/// rulers, logos and coloured markers (colour is taken from RGB frames when given).
///
/// Method: over a few frames, a pixel is "image" when its local standard deviation (5x5) exceeds
/// `Params.textureThreshold` grey levels, or its level changes over time by more than
/// `Params.temporalThreshold`, and it is not coloured. The columns where at least half of the
/// rows are image form the horizontal extent (longest run); the rows where at least half of those
/// columns are image form the vertical extent (runs separated by short gaps are joined, so a dark
/// band inside the image, such as an acoustic shadow, does not cut it). Two rounds refine it.
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
        public var textureFrames: Int = 4
        /// Rows below the textured run are still image down to where fewer than this fraction of
        /// their pixels are textured: deep rows under a muscle can be dark (a hypoechoic muscle
        /// below, an acoustic shadow).
        public var rowFraction: Double = 0.2
        /// A column is image when at least this fraction of its pixels is textured: a wide anechoic
        /// defect leaves only the layers above and below it textured (about a third of the column).
        public var columnFraction: Double = 0.25
        /// Mean grey level at or below which a pixel counts as black margin when trimming the edges.
        public var blackLevel: Float = 12
        /// Fraction of a column (row) that must be image for the column (row) to belong to it.
        public var fraction: Double = 0.5
        /// Row gaps up to this fraction of the height are joined.
        public var maxRowGap: Double = 0.25
        /// Smallest region accepted, as a fraction of the frame's width and height.
        public var minimumSide: Double = 0.2
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The imaging region, or nil when no textured region of plausible size is found.
    /// `frames` should be a handful of frames spread over the start of the clip.
    public func detect(frames: [GreyImage], rgb: [RGBImage] = []) -> PixelRect? {
        guard let first = frames.first else { return nil }
        let w = first.width, h = first.height
        guard w >= 16, h >= 16 else { return nil }
        let n = w * h
        var image = [Bool](repeating: false, count: n)
        var textured = [Float](repeating: 0, count: n)
        var sum = [Float](repeating: 0, count: n), sumSq = [Float](repeating: 0, count: n)
        var used = 0, texturedFrames = 0
        // Spatial texture from at most `params.textureFrames` frames spread over the buffer (it
        // changes little from frame to frame); the temporal spread from all of them.
        let usable = frames.filter { $0.width == w && $0.height == h }
        let textureStride = max(1, usable.count / max(1, params.textureFrames))
        for (k, frame) in usable.enumerated() {
            let f = FloatImage(frame)
            if k % textureStride == 0 && texturedFrames < params.textureFrames {
                let localStd = Self.localStd(f, radius: 2)
                localStd.pixels.withUnsafeBufferPointer { s in
                    for i in 0..<n { textured[i] += s[i] }
                }
                texturedFrames += 1
            }
            f.pixels.withUnsafeBufferPointer { p in
                for i in 0..<n { sum[i] += p[i]; sumSq[i] += p[i] * p[i] }
            }
            used += 1
        }
        let k = Float(used)
        var coloured = [Bool](repeating: false, count: n)
        for frame in rgb where frame.width == w && frame.height == h {
            frame.pixels.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                    if max(r, g, b) - min(r, g, b) > params.colourThreshold { coloured[i] = true }
                }
            }
        }
        for i in 0..<n {
            let mean = sum[i] / k
            let temporal = used > 1 ? max(0, sumSq[i] / k - mean * mean).squareRoot() : 0
            image[i] = !coloured[i] && (textured[i] / Float(max(1, texturedFrames)) > params.textureThreshold || temporal > params.temporalThreshold)
        }

        var rect = PixelRect(x: 0, y: 0, width: w, height: h)
        for _ in 0..<2 {
            // Columns within the current rows.
            var colFrac = [Double](repeating: 0, count: w)
            for x in 0..<w {
                var c = 0
                for y in rect.y..<rect.maxY where image[y * w + x] { c += 1 }
                colFrac[x] = Double(c) / Double(max(1, rect.height))
            }
            guard let cols = Self.longestRun(colFrac, threshold: params.columnFraction, maxGap: max(2, w / 100)) else { return nil }
            var rowFrac = [Double](repeating: 0, count: h)
            for y in 0..<h {
                var c = 0
                for x in cols where image[y * w + x] { c += 1 }
                rowFrac[y] = Double(c) / Double(max(1, cols.count))
            }
            guard var rows = Self.longestRun(rowFrac, threshold: params.fraction, maxGap: Int(Double(h) * params.maxRowGap)) else { return nil }
            // Deep rows may be dark (a hypoechoic muscle below, a shadow) and still be image.
            while rows.upperBound < h, rowFrac[rows.upperBound] >= params.rowFraction { rows = rows.lowerBound..<(rows.upperBound + 1) }
            rect = PixelRect(x: cols.lowerBound, y: rows.lowerBound, width: cols.count, height: rows.count)
        }
        rect = trimmed(rect, meanGrey: sum.map { $0 / k }, width: w)
        guard Double(rect.width) >= params.minimumSide * Double(w), Double(rect.height) >= params.minimumSide * Double(h) else {
            return nil
        }
        return rect
    }

    /// `rect` with edge columns and rows dropped while they are mostly not image: black, or a
    /// flat line (a ruler or frame line runs unchanged along itself, speckle does not). The texture
    /// measure spreads a couple of pixels into the margins, and a ruler next to the image can join it.
    func trimmed(_ rect: PixelRect, meanGrey m: [Float], width w: Int) -> PixelRect {
        var r = rect
        let black = params.blackLevel
        func image(column x: Int) -> Double {
            var c = 0
            for y in r.y..<(r.maxY - 1) where m[y * w + x] > black && abs(m[(y + 1) * w + x] - m[y * w + x]) > 0.5 { c += 1 }
            return Double(c) / Double(max(1, r.height - 1))
        }
        func image(row y: Int) -> Double {
            var c = 0
            for x in r.x..<(r.maxX - 1) where m[y * w + x] > black && abs(m[y * w + x + 1] - m[y * w + x]) > 0.5 { c += 1 }
            return Double(c) / Double(max(1, r.width - 1))
        }
        while r.width > 16, image(column: r.x) < params.fraction { r.x += 1; r.width -= 1 }
        while r.width > 16, image(column: r.maxX - 1) < params.fraction { r.width -= 1 }
        while r.height > 16, image(row: r.y) < params.fraction { r.y += 1; r.height -= 1 }
        while r.height > 16, image(row: r.maxY - 1) < params.rowFraction { r.height -= 1 }
        return r
    }

    /// The longest run of indices whose value is at least `threshold`, joining runs separated by
    /// at most `maxGap` indices below it.
    static func longestRun(_ values: [Double], threshold: Double, maxGap: Int) -> Range<Int>? {
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
        return merged.max { $0.count < $1.count }
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
