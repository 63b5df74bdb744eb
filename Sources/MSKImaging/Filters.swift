/// Neighbourhood filters on `FloatImage`. Each is separable and written as an interior loop with
/// no bounds checks and a thin border where the window is clipped (the mean is then taken over
/// the pixels that exist, so borders are not darkened). Values keep their range: a mean of grey
/// levels is a grey level.
public enum Filters {
    /// Mean over a (2 rx + 1) x (2 ry + 1) window (running sums: cost independent of the radius).
    public static func boxMean(_ image: FloatImage, radiusX rx: Int, radiusY ry: Int) -> FloatImage {
        let horizontal = rx > 0 ? boxRows(image, radius: rx) : image
        return ry > 0 ? transpose(boxRows(transpose(horizontal), radius: ry)) : horizontal
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
        return max(0, Int((((4 * sigma * sigma + 1)).squareRoot() - 1) / 2 + 0.5))
    }

    /// Running-sum mean along each row.
    static func boxRows(_ image: FloatImage, radius r: Int) -> FloatImage {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return image }
        let out = [Float](unsafeUninitializedCapacity: w * h) { dst, initialised in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let row = y * w
                    var sum: Float = 0
                    var count = 0
                    // Window [x - r, x + r] clipped to [0, w).
                    for x in 0..<min(r, w) { sum += src[row + x]; count += 1 }
                    for x in 0..<w {
                        let add = x + r
                        if add < w { sum += src[row + add]; count += 1 }
                        let drop = x - r - 1
                        if drop >= 0 { sum -= src[row + drop]; count -= 1 }
                        dst[row + x] = sum / Float(count)
                    }
                }
            }
            initialised = w * h
        }
        return FloatImage(width: w, height: h, pixels: out)
    }

    /// Transpose (so column filters reuse the contiguous row loop).
    public static func transpose(_ image: FloatImage) -> FloatImage {
        let w = image.width, h = image.height
        let out = [Float](unsafeUninitializedCapacity: w * h) { dst, initialised in
            image.pixels.withUnsafeBufferPointer { src in
                let block = 32
                var by = 0
                while by < h {
                    var bx = 0
                    while bx < w {
                        for y in by..<min(by + block, h) {
                            for x in bx..<min(bx + block, w) { dst[x * h + y] = src[y * w + x] }
                        }
                        bx += block
                    }
                    by += block
                }
            }
            initialised = w * h
        }
        return FloatImage(width: h, height: w, pixels: out)
    }

    /// Median of a 3x3 window (speckle-reducing; keeps edges). Border pixels are copied.
    public static func median3(_ image: FloatImage) -> FloatImage {
        let w = image.width, h = image.height
        guard w >= 3, h >= 3 else { return image }
        var out = image.pixels
        image.pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for y in 1..<(h - 1) {
                    for x in 1..<(w - 1) {
                        let i = y * w + x
                        var v = (s[i - w - 1], s[i - w], s[i - w + 1], s[i - 1], s[i], s[i + 1], s[i + w - 1], s[i + w], s[i + w + 1])
                        d[i] = median9(&v)
                    }
                }
            }
        }
        return FloatImage(width: w, height: h, pixels: out)
    }

    @inline(__always)
    private static func median9(_ v: inout (Float, Float, Float, Float, Float, Float, Float, Float, Float)) -> Float {
        // Paeth's median-of-9 sorting network.
        @inline(__always) func s(_ a: inout Float, _ b: inout Float) { if a > b { swap(&a, &b) } }
        s(&v.1, &v.2); s(&v.4, &v.5); s(&v.7, &v.8)
        s(&v.0, &v.1); s(&v.3, &v.4); s(&v.6, &v.7)
        s(&v.1, &v.2); s(&v.4, &v.5); s(&v.7, &v.8)
        s(&v.0, &v.3); s(&v.5, &v.8); s(&v.4, &v.7)
        s(&v.3, &v.6); s(&v.1, &v.4); s(&v.2, &v.5)
        s(&v.4, &v.7); s(&v.4, &v.2); s(&v.6, &v.4)
        s(&v.4, &v.2)
        return v.4
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

    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Value at quantile q (0...1) by linear interpolation.
    public static func quantile(_ values: [Float], _ q: Double) -> Float? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let pos = q * Double(s.count - 1)
        let i = Int(pos), f = Float(pos - Double(i))
        return i + 1 < s.count ? s[i] * (1 - f) + s[i + 1] * f : s[i]
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
