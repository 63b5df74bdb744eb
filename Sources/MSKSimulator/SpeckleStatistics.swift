/// First- and second-order speckle statistics of an image region: SD/mean of the values (0.523 for
/// a Rayleigh envelope in fully developed speckle) and the grain size as the full width at half
/// maximum of the normalised autocovariance along x (lateral) and y (axial).
/// Works on any row-major Float image: a simulated envelope or a decoded real frame.
public struct SpeckleStatistics: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    public let sd: Double
    /// SD / mean. Rayleigh: sqrt(4/pi - 1) = 0.523.
    public var sdOverMean: Double { mean > 0 ? sd / mean : .nan }
    /// Autocovariance FWHM in mm (nil when it does not fall to half within `maxLag` pixels).
    public let lateralFWHMmm: Double?
    public let axialFWHMmm: Double?

    /// Statistics over the pixels where `mask` is true; lag pairs count only when both ends are in the mask.
    public static func measure(_ values: [Float], width: Int, height: Int, mask: [Bool],
                               mmPerPixelX: Double, mmPerPixelY: Double, maxLag: Int = 24) -> SpeckleStatistics {
        precondition(values.count == width * height && mask.count == width * height)
        var s = 0.0, s2 = 0.0, n = 0
        for i in 0..<values.count where mask[i] { let v = Double(values[i]); s += v; s2 += v * v; n += 1 }
        guard n > 1 else { return SpeckleStatistics(count: n, mean: .nan, sd: .nan, lateralFWHMmm: nil, axialFWHMmm: nil) }
        let mean = s / Double(n)
        let variance = max(s2 / Double(n) - mean * mean, 0)
        func autocov(dx: Int, dy: Int) -> Double {
            var acc = 0.0, m = 0
            for y in 0..<(height - dy) {
                for x in 0..<(width - dx) {
                    let a = y * width + x, b = (y + dy) * width + x + dx
                    guard mask[a] && mask[b] else { continue }
                    acc += (Double(values[a]) - mean) * (Double(values[b]) - mean); m += 1
                }
            }
            return m > 0 && variance > 0 ? acc / Double(m) / variance : .nan
        }
        func fwhm(lateral: Bool, step: Double) -> Double? {
            var previous = 1.0
            for lag in 1...maxLag {
                let r = lateral ? autocov(dx: lag, dy: 0) : autocov(dx: 0, dy: lag)
                guard r.isFinite else { return nil }
                if r <= 0.5 {
                    let frac = (previous - 0.5) / (previous - r)
                    return 2 * (Double(lag - 1) + frac) * step
                }
                previous = r
            }
            return nil
        }
        return SpeckleStatistics(count: n, mean: mean, sd: variance.squareRoot(),
                                 lateralFWHMmm: fwhm(lateral: true, step: mmPerPixelX),
                                 axialFWHMmm: fwhm(lateral: false, step: mmPerPixelY))
    }
}
