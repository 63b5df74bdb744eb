import Foundation

/// Speckle tracking by block matching: the displacement of a block of tissue from one frame to
/// the next, found where the zero-mean normalised cross-correlation (NCC) of the block with the
/// next frame peaks, refined to sub-pixel by a parabola through the peak and its neighbours.
///
/// Speckle moves with the tissue over short times (it decorrelates slowly with out-of-plane
/// motion), so the NCC peak of a block a few millimetres across follows the tissue it covers.
/// A low peak (under `minCorrelation`) means the match is not trusted and no displacement is
/// returned: in fluid (no stable speckle), at the image edge, or after a large jump.
public struct BlockMatcher: Sendable {
    /// Half-width and half-height of the block (pixels): the block is (2 hx + 1) x (2 hy + 1).
    public var halfWidth: Int
    public var halfHeight: Int
    /// Largest displacement searched, per axis (pixels).
    public var searchX: Int
    public var searchY: Int
    /// Peaks below this correlation are not trusted.
    public var minCorrelation: Float

    public init(halfWidth: Int, halfHeight: Int, searchX: Int, searchY: Int, minCorrelation: Float = 0.5) {
        self.halfWidth = max(1, halfWidth)
        self.halfHeight = max(1, halfHeight)
        self.searchX = max(1, searchX)
        self.searchY = max(1, searchY)
        self.minCorrelation = minCorrelation
    }

    public struct Match: Sendable, Equatable {
        /// Displacement (pixels) of the block from `previous` to `next`.
        public var displacement: SIMD2<Double>
        public var correlation: Float
    }

    /// Where the block centred at (cx, cy) in `previous` went in `next` (same size images).
    /// Nil when the block or its search window leaves the image, the block has no texture, or the
    /// best correlation is below `minCorrelation`.
    public func match(previous: FloatImage, next: FloatImage, cx: Int, cy: Int) -> Match? {
        let w = previous.width, h = previous.height
        guard next.width == w, next.height == h else { return nil }
        let hx = halfWidth, hy = halfHeight, sx = searchX, sy = searchY
        guard cx - hx - sx >= 0, cx + hx + sx < w, cy - hy - sy >= 0, cy + hy + sy < h else { return nil }
        let bw = 2 * hx + 1, bh = 2 * hy + 1
        let n = Float(bw * bh)
        let sw = 2 * sx + 1, sh = 2 * sy + 1
        var scores = [Float](repeating: -2, count: sw * sh)
        let ok: Bool = previous.pixels.withUnsafeBufferPointer { a in
            next.pixels.withUnsafeBufferPointer { b in
                // The template, zero-mean, and its energy.
                var template = [Float](repeating: 0, count: bw * bh)
                var mean: Float = 0
                for j in 0..<bh {
                    let row = (cy - hy + j) * w + cx - hx
                    for i in 0..<bw { let v = a[row + i]; template[j * bw + i] = v; mean += v }
                }
                mean /= n
                var energy: Float = 0
                for k in 0..<template.count { template[k] -= mean; energy += template[k] * template[k] }
                guard energy > n * 0.25 else { return false }
                template.withUnsafeBufferPointer { t in
                    for dy in -sy...sy {
                        for dx in -sx...sx {
                            var st: Float = 0, s: Float = 0, s2: Float = 0
                            for j in 0..<bh {
                                let row = (cy + dy - hy + j) * w + cx + dx - hx
                                let trow = j * bw
                                for i in 0..<bw {
                                    let v = b[row + i]
                                    st += t[trow + i] * v
                                    s += v
                                    s2 += v * v
                                }
                            }
                            let variance = s2 - s * s / n
                            guard variance > 1e-3 else { continue }
                            scores[(dy + sy) * sw + dx + sx] = st / (energy * variance).squareRoot()
                        }
                    }
                }
                return true
            }
        }
        guard ok else { return nil }
        var best = 0
        for k in 1..<scores.count where scores[k] > scores[best] { best = k }
        let peak = scores[best]
        guard peak >= minCorrelation else { return nil }
        let bx = best % sw, by = best / sw
        func refine(_ lo: Float, _ mid: Float, _ hi: Float) -> Double {
            let denominator = Double(lo - 2 * mid + hi)
            guard denominator < -1e-6 else { return 0 }
            return max(-0.5, min(0.5, 0.5 * Double(lo - hi) / denominator))
        }
        var ddx = 0.0, ddy = 0.0
        if bx > 0, bx < sw - 1 { ddx = refine(scores[best - 1], peak, scores[best + 1]) }
        if by > 0, by < sh - 1 { ddy = refine(scores[best - sw], peak, scores[best + sw]) }
        return Match(displacement: SIMD2(Double(bx - sx) + ddx, Double(by - sy) + ddy), correlation: peak)
    }
}
