import Foundation

/// Pixel spacing used to size windows in millimetres. Measurements report lengths in mm only
/// when the clip is calibrated; an uncalibrated clip gets a nominal spacing for window sizes
/// alone (and its lengths are reported in pixels).
public struct Spacing: Sendable, Equatable {
    public var mmPerPixelX: Double
    public var mmPerPixelY: Double
    public init(mmPerPixelX: Double, mmPerPixelY: Double) {
        self.mmPerPixelX = mmPerPixelX
        self.mmPerPixelY = mmPerPixelY
    }
    /// Pixels spanning `mm` horizontally / vertically: at least 1 and at most `maxPixels`, whatever
    /// the spacing (0, subnormal, NaN or infinite spacings give 1 or `maxPixels`, never a trap).
    /// Calibration is checked for plausibility before analysis (`Calibration` in MSKAnalysis);
    /// this bound only keeps a window size from ever becoming an unbounded allocation.
    public func px(x mm: Double) -> Int { Self.pixels(mm / mmPerPixelX) }
    public func px(y mm: Double) -> Int { Self.pixels(mm / mmPerPixelY) }

    /// The largest window size in pixels `px` gives (larger than any frame MSKCine reads).
    public static let maxPixels = 1 << 16

    /// `count` rounded to whole pixels and clamped to 1...maxPixels; NaN gives 1.
    public static func pixels(_ count: Double) -> Int {
        guard !count.isNaN else { return 1 }
        return Int(min(max(count.rounded(), 1), Double(maxPixels)))
    }
}

/// y = c0 + c1 x + c2 x^2 (x, y in pixels): a slightly curved, tilted line such as an aponeurosis.
public struct Quadratic: Sendable, Equatable, Codable {
    public var c0: Double
    public var c1: Double
    public var c2: Double
    public init(c0: Double, c1: Double = 0, c2: Double = 0) { self.c0 = c0; self.c1 = c1; self.c2 = c2 }
    @inlinable public func y(_ x: Double) -> Double { c0 + x * (c1 + x * c2) }
    @inlinable public func slope(_ x: Double) -> Double { c1 + 2 * c2 * x }


    /// Weighted least-squares fit, with one round dropping points further than 3 robust SDs.
    /// Falls back to a line or a constant when there are too few points or x spans little.
    public static func fit(x: [Double], y: [Double], weights: [Double]? = nil, degree: Int = 2) -> Quadratic? {
        let n = min(x.count, y.count)
        guard n >= 1 else { return nil }
        var keep = [Bool](repeating: true, count: n)
        var result: Quadratic?
        for round in 0..<2 {
            let idx = (0..<n).filter { keep[$0] }
            let d = idx.count >= 6 ? degree : (idx.count >= 3 ? min(degree, 1) : 0)
            guard let q = solve(idx.map { x[$0] }, idx.map { y[$0] }, idx.map { weights?[$0] ?? 1 }, degree: d) else { return result }
            result = q
            if round == 0 {
                let residuals = idx.map { abs(y[$0] - q.y(x[$0])) }
                let mad = (Stats.median(residuals) ?? 0) * 1.4826
                let limit = max(3 * mad, 1.0)
                for i in idx where abs(y[i] - q.y(x[i])) > limit { keep[i] = false }
                if keep.filter({ $0 }).count < 3 { return result }
            }
        }
        return result
    }

    private static func solve(_ x: [Double], _ y: [Double], _ w: [Double], degree: Int) -> Quadratic? {
        guard !x.isEmpty else { return nil }
        // Centre x for conditioning.
        let mx = x.reduce(0, +) / Double(x.count)
        let m = degree + 1
        var a = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: m)
        for i in 0..<x.count {
            let t = x[i] - mx
            var powers = [1.0]
            for _ in 0..<(2 * degree) { powers.append(powers.last! * t) }
            for r in 0..<m {
                for c in 0..<m { a[r][c] += w[i] * powers[r + c] }
                a[r][m] += w[i] * powers[r] * y[i]
            }
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..<m {
            guard let pivot = (col..<m).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-12 else { return nil }
            a.swapAt(col, pivot)
            for r in 0..<m where r != col {
                let f = a[r][col] / a[col][col]
                for c in col...m { a[r][c] -= f * a[col][c] }
            }
        }
        let b = (0..<m).map { a[$0][m] / a[$0][$0] }
        // Expand (t = x - mx) back to x.
        let b0 = b[0], b1 = m > 1 ? b[1] : 0, b2 = m > 2 ? b[2] : 0
        return Quadratic(c0: b0 - b1 * mx + b2 * mx * mx, c1: b1 - 2 * b2 * mx, c2: b2)
    }
}

/// Grey levels of a log-compressed B-mode image against echo amplitude. Edges are located where
/// the echo *amplitude* is half-way between two tissues, which on log-compressed grey levels is
/// not the grey-level midpoint (that one lies towards the darker side). MSKCine assumes a
/// nominal display dynamic range (`Params`-level default 60 dB) when the file does not say.
public struct LogCompression: Sendable, Equatable, Codable {
    public var dynamicRangeDb: Double
    public init(dynamicRangeDb: Double = 60) { self.dynamicRangeDb = dynamicRangeDb }


    /// The grey level whose amplitude lies `fraction` of the way from grey level `low`'s amplitude
    /// to grey level `high`'s.
    public func amplitudeLevel(from low: Float, to high: Float, fraction: Double) -> Float {
        let k = dynamicRangeDb / (20 * 255)
        let lo = pow(10, Double(low) * k), hi = pow(10, Double(high) * k)
        let amplitude = lo + fraction * (hi - lo)
        return Float(log10(amplitude) / k)
    }
}
