import Foundation
@testable import MSKImaging
import Testing

/// The aponeurosis detector's Gaussian profile smoothing runs its interior outputs eight at a time.
/// Each output must be bit for bit the plain sum (same products, same order) for every length,
/// including the lengths where the vector part only just fits or does not run at all.
@Suite struct ProfileSmoothingTests {
    /// The smoothing written out one output at a time, as it was before the vector loop.
    static func reference(_ v: [Float], sigma: Double) -> [Float] {
        guard sigma > 0.3 else { return v }
        let r = Int(3 * sigma)
        let kernel = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        var total: Float = 0
        for k in 0..<kernel.count { total += kernel[k] }
        let n = v.count
        return (0..<n).map { i in
            var s: Float = 0
            if i - r >= 0 && i + r < n {
                for k in 0...(2 * r) { s += kernel[k] * v[i - r + k] }
                return s / total
            }
            var ws: Float = 0
            for k in -r...r where i + k >= 0 && i + k < n { s += kernel[k + r] * v[i + k]; ws += kernel[k + r] }
            return s / ws
        }
    }

    @Test(arguments: [0.8, 1.9, 6.3])
    func vectorSmoothingEqualsThePlainSum(sigma: Double) {
        var state: UInt64 = 5
        let r = Int(3 * sigma)
        for n in [1, 5, 2 * r + 1, 2 * r + 8, 2 * r + 9, 2 * r + 16, 2 * r + 17, 97, 480] {
            let v: [Float] = (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / 65536
            }
            let fast = AponeurosisDetector.smooth(v, sigma: sigma), plain = Self.reference(v, sigma: sigma)
            #expect(fast.map(\.bitPattern) == plain.map(\.bitPattern), "sigma \(sigma), n \(n)")
        }
    }
}
