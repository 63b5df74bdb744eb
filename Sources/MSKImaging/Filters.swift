/// Neighbourhood filters on `FloatImage`. Each is separable and written as an interior loop with
/// no bounds checks and a thin border where the window is clipped (the mean is then taken over
/// the pixels that exist, so borders are not darkened). Values keep their range: a mean of grey
/// levels is a grey level.
public enum Filters {
    /// Mean over a (2 rx + 1) x (2 ry + 1) window (running sums: cost independent of the radius).
    /// With `rows`, only those rows of the result are made (the returned image is `rows.count`
    /// high; its row k is row `rows.lowerBound + k` of the full result, windows still clipped to the
    /// whole image), reading only the source rows the windows reach.
    public static func boxMean(_ image: FloatImage, radiusX rx: Int, radiusY ry: Int, rows: Range<Int>? = nil) -> FloatImage {
        let h = image.height
        let wanted = (rows ?? 0..<h).clamped(to: 0..<h)
        let r = max(0, ry)
        let reach = max(0, wanted.lowerBound - r)..<min(h, wanted.upperBound + r)
        let horizontal = boxRows(image, radius: max(0, rx), rows: r > 0 ? reach : wanted)
        return r > 0 ? boxColumns(horizontal, radius: r, firstRow: reach.lowerBound, imageHeight: h, rows: wanted) : horizontal
    }

    /// Running-sum mean down each column, kept as one accumulator row so every inner loop runs
    /// along contiguous memory (no transposes). `band` holds image rows from `firstRow` on; the
    /// result holds `rows`, each the mean over its window clipped to the image's `imageHeight` rows.
    static func boxColumns(_ band: FloatImage, radius r: Int, firstRow s0: Int, imageHeight h: Int, rows: Range<Int>) -> FloatImage {
        let w = band.width, outH = rows.count
        guard w > 0, outH > 0 else { return FloatImage(width: w, height: max(0, outH)) }
        var sums = [Float](repeating: 0, count: w)
        let firstInWindow = max(0, rows.lowerBound - r)
        let out = [Float](unsafeUninitializedCapacity: w * outH) { dst, initialised in
            band.pixels.withUnsafeBufferPointer { src in
                sums.withUnsafeMutableBufferPointer { acc in
                    let a = acc.baseAddress!, s = src.baseAddress!, d = dst.baseAddress!
                    var count = 0
                    for y in firstInWindow..<min(h, rows.lowerBound + r) {
                        Rows.add(a, s + (y - s0) * w, w)
                        count += 1
                    }
                    for y in rows {
                        let add = y + r
                        if add < h {
                            Rows.add(a, s + (add - s0) * w, w)
                            count += 1
                        }
                        let drop = y - r - 1
                        if drop >= firstInWindow {
                            Rows.subtract(a, s + (drop - s0) * w, w)
                            count -= 1
                        }
                        Rows.scale(d + (y - rows.lowerBound) * w, a, 1 / Float(count), w)
                    }
                }
            }
            initialised = w * outH
        }
        return FloatImage(width: w, height: outH, pixels: out)
    }

    /// An approximately Gaussian blur of standard deviation sigma (pixels) per axis: three box passes.
    public static func gaussian(_ image: FloatImage, sigmaX: Double, sigmaY: Double) -> FloatImage {
        var out = image
        let rx = boxRadius(sigma: sigmaX), ry = boxRadius(sigma: sigmaY)
        for _ in 0..<3 { out = boxMean(out, radiusX: rx, radiusY: ry) }
        return out
    }

    /// Radius of a box whose three-fold repetition has about the variance of a Gaussian of `sigma`.
    static func boxRadius(sigma: Double) -> Int {
        guard sigma > 0.3 else { return 0 }
        // Variance of a box of width w = 2r+1 is (w^2 - 1) / 12; three passes triple it.
        // Clamped before the conversion: a sigma from a hostile spacing never traps.
        let r = (((4 * sigma * sigma + 1)).squareRoot() - 1) / 2 + 0.5
        return Int(min(max(r, 0), Double(Spacing.maxPixels)))
    }

    /// Running-sum mean along each row, for the image rows `rows` (the result is `rows.count` high).
    /// Each row is a left border (window clipped on the left), an interior where the window is
    /// whole (one add, one drop, a constant count: no branches) and a right border; the sums are
    /// made in the same order in all three, so the result does not depend on the split.
    static func boxRows(_ image: FloatImage, radius r: Int, rows: Range<Int>) -> FloatImage {
        let w = image.width, outH = rows.count
        guard w > 0, outH > 0 else { return FloatImage(width: w, height: max(0, outH)) }
        let out = [Float](unsafeUninitializedCapacity: w * outH) { dst, initialised in
            image.pixels.withUnsafeBufferPointer { source in
                let base = source.baseAddress!, outBase = dst.baseAddress!
                guard r > 0 else {
                    for y in rows { (outBase + (y - rows.lowerBound) * w).update(from: base + y * w, count: w) }
                    return
                }
                // The window drops a pixel from x = r + 1 on and adds one up to x = w - r - 1.
                let interiorStart = min(r + 1, w), interiorEnd = max(interiorStart, w - r)
                var y = rows.lowerBound
                // Four rows at a time, one per lane: each lane's running sum is made exactly as
                // a single row's is (same order), but four sums advance together.
                while y + 4 <= rows.upperBound {
                    let s0 = base + y * w, s1 = s0 + w, s2 = s1 + w, s3 = s2 + w
                    let d0 = outBase + (y - rows.lowerBound) * w, d1 = d0 + w, d2 = d1 + w, d3 = d2 + w
                    @inline(__always) func at(_ x: Int) -> SIMD4<Float> { SIMD4(s0[x], s1[x], s2[x], s3[x]) }
                    @inline(__always) func store(_ x: Int, _ v: SIMD4<Float>) { d0[x] = v[0]; d1[x] = v[1]; d2[x] = v[2]; d3[x] = v[3] }
                    var sum = SIMD4<Float>(repeating: 0)
                    var count = 0
                    for x in 0..<min(r, w) { sum += at(x); count += 1 }
                    for x in 0..<interiorStart {
                        if x + r < w { sum += at(x + r); count += 1 }
                        if x - r - 1 >= 0 { sum -= at(x - r - 1); count -= 1 }
                        store(x, sum / SIMD4(repeating: Float(count)))
                    }
                    let divisor = SIMD4<Float>(repeating: Float(count))
                    var x = interiorStart
                    while x < interiorEnd {
                        sum += at(x &+ r)
                        sum -= at(x &- r &- 1)
                        store(x, sum / divisor)
                        x &+= 1
                    }
                    for x in interiorEnd..<w {
                        if x + r < w { sum += at(x + r); count += 1 }
                        if x - r - 1 >= 0 { sum -= at(x - r - 1); count -= 1 }
                        store(x, sum / SIMD4(repeating: Float(count)))
                    }
                    y += 4
                }
                // The last rows one at a time.
                while y < rows.upperBound {
                    let src = base + y * w, d = outBase + (y - rows.lowerBound) * w
                    var sum: Float = 0
                    var count = 0
                    // Window [x - r, x + r] clipped to [0, w).
                    for x in 0..<min(r, w) { sum += src[x]; count += 1 }
                    func border(_ x: Int) {
                        let add = x + r
                        if add < w { sum += src[add]; count += 1 }
                        let drop = x - r - 1
                        if drop >= 0 { sum -= src[drop]; count -= 1 }
                        d[x] = sum / Float(count)
                    }
                    for x in 0..<interiorStart { border(x) }
                    let divisor = Float(count)
                    var x = interiorStart
                    while x < interiorEnd {
                        sum += src[x &+ r]
                        sum -= src[x &- r &- 1]
                        d[x] = sum / divisor
                        x &+= 1
                    }
                    for x in interiorEnd..<w { border(x) }
                    y += 1
                }
            }
            initialised = w * outH
        }
        return FloatImage(width: w, height: outH, pixels: out)
    }
}

/// Element-wise operations on rows of floats, eight lanes at a time: each element gets the same
/// single operation as a scalar loop would give it (so the same value, bit for bit).
enum Rows {
    /// acc[x] += src[x]
    @inline(__always)
    static func add(_ acc: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        let ra = UnsafeMutableRawPointer(acc), rs = UnsafeRawPointer(src)
        var x = 0
        while x &+ 8 <= n {
            let v = ra.loadUnaligned(fromByteOffset: x &* 4, as: SIMD8<Float>.self) + rs.loadUnaligned(fromByteOffset: x &* 4, as: SIMD8<Float>.self)
            ra.storeBytes(of: v, toByteOffset: x &* 4, as: SIMD8<Float>.self)
            x &+= 8
        }
        while x < n { acc[x] += src[x]; x &+= 1 }
    }

    /// acc[x] -= src[x]
    @inline(__always)
    static func subtract(_ acc: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        let ra = UnsafeMutableRawPointer(acc), rs = UnsafeRawPointer(src)
        var x = 0
        while x &+ 8 <= n {
            let v = ra.loadUnaligned(fromByteOffset: x &* 4, as: SIMD8<Float>.self) - rs.loadUnaligned(fromByteOffset: x &* 4, as: SIMD8<Float>.self)
            ra.storeBytes(of: v, toByteOffset: x &* 4, as: SIMD8<Float>.self)
            x &+= 8
        }
        while x < n { acc[x] -= src[x]; x &+= 1 }
    }

    /// dst[x] = src[x] * factor
    @inline(__always)
    static func scale(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ factor: Float, _ n: Int) {
        let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
        let f = SIMD8<Float>(repeating: factor)
        var x = 0
        while x &+ 8 <= n {
            rd.storeBytes(of: rs.loadUnaligned(fromByteOffset: x &* 4, as: SIMD8<Float>.self) * f, toByteOffset: x &* 4, as: SIMD8<Float>.self)
            x &+= 8
        }
        while x < n { dst[x] = src[x] * factor; x &+= 1 }
    }
}

/// Small statistics helpers.
public enum Stats {
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Value at quantile q (0...1) by linear interpolation between order statistics. At 0.5 it is
    /// `median(v)` exactly: halving is exact in binary floating point, so a/2 + b/2 rounds as
    /// (a + b)/2 does.
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let pos = (q.isNaN ? 0 : min(max(q, 0), 1)) * Double(s.count - 1)
        let i = Int(pos), f = pos - Double(i)
        return i + 1 < s.count ? s[i] * (1 - f) + s[i + 1] * f : s[i]
    }

    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Value at quantile q (0...1) by linear interpolation.
    /// Exact (the same as sorting); large inputs go through a histogram in linear time and only
    /// the values in the one or two bins holding the wanted ranks are sorted.
    public static func quantile(_ values: [Float], _ q: Double) -> Float? {
        guard !values.isEmpty else { return nil }
        let n = values.count
        let pos = (q.isNaN ? 0 : min(max(q, 0), 1)) * Double(n - 1)
        let i = Int(pos), f = Float(pos - Double(i))
        guard n > 4096 else {
            let s = values.sorted()
            return i + 1 < n ? s[i] * (1 - f) + s[i + 1] * f : s[i]
        }
        let (a, b) = ranks(values, i)
        return i + 1 < n ? a * (1 - f) + b * f : a
    }

    /// The values of ranks k and k + 1 (0-based; the second is the first when k is the last) in
    /// `values`: one histogram pass, then a sort of the values in the bins holding those ranks.
    static func ranks(_ values: [Float], _ k: Int) -> (Float, Float) {
        values.withUnsafeBufferPointer { v in
            var lo = v[0], hi = v[0]
            for x in v { lo = min(lo, x); hi = max(hi, x) }
            guard hi > lo else { return (lo, lo) }
            let bins = 4096
            let scale = Float(bins - 1) / (hi - lo)
            var counts = [Int](repeating: 0, count: bins)
            counts.withUnsafeMutableBufferPointer { c in
                for x in v { c[Int((x - lo) * scale)] += 1 }
            }
            let k2 = min(k + 1, v.count - 1)
            var below = 0, bin = 0
            while below + counts[bin] <= k { below += counts[bin]; bin += 1 }
            var last = bin, belowLast = below
            while belowLast + counts[last] <= k2 { belowLast += counts[last]; last += 1 }
            var picked: [Float] = []
            picked.reserveCapacity(counts[bin] + (last != bin ? counts[last] : 0))
            for x in v {
                let b = Int((x - lo) * scale)
                if b == bin || b == last { picked.append(x) }
            }
            picked.sort()
            return (picked[k - below], picked[k2 - below])
        }
    }

    /// Quantile q (0...1) of grey levels (0...255) to 1/16 of a grey level, from a histogram:
    /// linear time, no sort. For thresholds, where that precision is plenty.
    public static func greyQuantile(_ values: [Float], _ q: Double) -> Float? {
        GreyHistogram(values)?.quantile(q)
    }

    /// Several grey quantiles of the same values from one histogram: each equal to
    /// `greyQuantile(values, q)`.
    public static func greyQuantiles(_ values: [Float], _ qs: [Double]) -> [Float]? {
        guard let histogram = GreyHistogram(values) else { return nil }
        return qs.map { histogram.quantile($0) }
    }

    /// The histogram behind `greyQuantile`: grey levels in 1/16 bins (0...255, clamped). Values
    /// can be counted straight in (`add`), so no list of them need be made; quantiles of the same
    /// values then cost one pass over the bins each.
    public struct GreyHistogram: Sendable {
        static let bins = 4096
        var counts: [Int32]
        /// Number of values counted.
        public private(set) var count: Int

        /// An empty histogram.
        public init() {
            counts = [Int32](repeating: 0, count: Self.bins)
            count = 0
        }

        /// The histogram of `values`; nil when there are none.
        public init?(_ values: [Float]) {
            guard !values.isEmpty, values.count < Int(Int32.max) else { return nil }
            self.init()
            counts.withUnsafeMutableBufferPointer { c in
                values.withUnsafeBufferPointer { v in
                    for x in v { c[min(Self.bins - 1, max(0, Int(x * 16)))] &+= 1 }
                }
            }
            count = values.count
        }

        @inline(__always)
        public mutating func add(_ x: Float) {
            counts[min(Self.bins - 1, max(0, Int(x * 16)))] &+= 1
            count += 1
        }

        /// The first bin whose cumulative count reaches q x count, interpolated inside that bin
        /// (the same value as `greyQuantile(values, q)`). Needs at least one value counted.
        public func quantile(_ q: Double) -> Float {
            let target = min(max(q, 0), 1) * Double(count)
            return counts.withUnsafeBufferPointer { c in
                var below = 0
                for b in 0..<Self.bins {
                    let n = Int(c[b])
                    let next = below + n
                    if n > 0, Double(next) >= target {
                        let f = (target - Double(below)) / Double(n)
                        return (Float(b) + Float(f)) / 16
                    }
                    below = next
                }
                return Float(Self.bins) / 16
            }
        }
    }

    /// Pearson correlation; nil when either series is constant.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double? {
        let n = min(a.count, b.count)
        guard n > 2 else { return nil }
        let ma = a.prefix(n).reduce(0, +) / Double(n), mb = b.prefix(n).reduce(0, +) / Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<n {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}

/// Summed-area table of an image: the mean over any axis-aligned box in constant time. Used
/// where only a few box means are needed (edge profiles, a region's pixels), so a whole filtered
/// image need not be made.
public struct IntegralImage: Sendable {
    public let width: Int
    public let height: Int
    /// (width + 1) x (height + 1) sums; entry (x, y) is the sum over [0, x) x [0, y).
    private let sums: [Double]

    public init(_ image: FloatImage) {
        let w = image.width, h = image.height, stride = w + 1
        // Every entry is written below (the first row and column are zeros), so the table is
        // not zeroed first. Entry (x + 1, y + 1) is the entry above plus row y's running sum to x,
        // as in one pass a row; four rows advance together (their running sums one per lane, the
        // four entries of a column one after another), so the table is written in one sweep.
        let s = [Double](unsafeUninitializedCapacity: stride * (h + 1)) { out, initialised in
            image.pixels.withUnsafeBufferPointer { p in
                let o = out.baseAddress!
                o.initialize(repeating: 0, count: stride)
                for y in 0..<h { o[(y + 1) * stride] = 0 }
                guard w > 0, h > 0, let src = p.baseAddress else { return }
                var y = 0
                while y + 4 <= h {
                    let l0 = src + y * w, l1 = l0 + w, l2 = l1 + w, l3 = l2 + w
                    let above = o + y * stride + 1
                    let h0 = above + stride, h1 = h0 + stride, h2 = h1 + stride, h3 = h2 + stride
                    var row = SIMD4<Double>(repeating: 0)
                    for x in 0..<w {
                        row += SIMD4<Double>(Double(l0[x]), Double(l1[x]), Double(l2[x]), Double(l3[x]))
                        let a0 = above[x] + row[0]
                        h0[x] = a0
                        let a1 = a0 + row[1]
                        h1[x] = a1
                        let a2 = a1 + row[2]
                        h2[x] = a2
                        h3[x] = a2 + row[3]
                    }
                    y += 4
                }
                while y < h {
                    var row = 0.0
                    let above = o + y * stride + 1, here = above + stride, line = src + y * w
                    for x in 0..<w {
                        row += Double(line[x])
                        here[x] = above[x] + row
                    }
                    y += 1
                }
            }
            initialised = stride * (h + 1)
        }
        width = w
        height = h
        sums = s
    }

    /// Mean over the (2 rx + 1) x (2 ry + 1) window centred on pixel (x, y), clipped to the image.
    @inlinable
    public func mean(x: Int, y: Int, rx: Int, ry: Int) -> Float {
        let x0 = max(0, x - rx), x1 = min(width, x + rx + 1)
        let y0 = max(0, y - ry), y1 = min(height, y + ry + 1)
        guard x1 > x0, y1 > y0 else { return 0 }
        return Float(boxSum(x0, y0, x1, y1) / Double((x1 - x0) * (y1 - y0)))
    }

    @usableFromInline
    func boxSum(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Double {
        let stride = width + 1
        return sums[y1 * stride + x1] - sums[y0 * stride + x1] - sums[y1 * stride + x0] + sums[y0 * stride + x0]
    }

    /// The box mean at a sub-pixel position: linear between the two nearest columns, nearest row.
    public func sample(_ x: Double, _ y: Double, rx: Int, ry: Int) -> Float {
        // NaN goes to 0, and y is clamped before its conversion: no position traps.
        let cx = x.isNaN ? 0 : min(max(x, 0), Double(width - 1))
        let yi = y.isNaN ? 0 : Int(min(max(y.rounded(), 0), Double(height - 1)))
        let x0 = Int(cx), x1 = min(x0 + 1, width - 1)
        let f = Float(cx - Double(x0))
        return mean(x: x0, y: yi, rx: rx, ry: ry) * (1 - f) + mean(x: x1, y: yi, rx: rx, ry: ry) * f
    }
}
