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
        match(previous: previous, next: next, cx: cx, cy: cy, offsetX: 0, offsetY: 0)
    }

    /// As `match(previous:next:cx:cy:)`, with the search window centred on (cx + offsetX,
    /// cy + offsetY) in `next` (a displacement found at a coarser scale); the displacement
    /// returned includes the offset.
    public func match(previous: FloatImage, next: FloatImage, cx: Int, cy: Int, offsetX offX: Int, offsetY offY: Int) -> Match? {
        let w = previous.width, h = previous.height
        guard next.width == w, next.height == h else { return nil }
        let hx = halfWidth, hy = halfHeight, sx = searchX, sy = searchY
        guard cx - hx >= 0, cx + hx < w, cy - hy >= 0, cy + hy < h,
              cx + offX - hx - sx >= 0, cx + offX + hx + sx < w, cy + offY - hy - sy >= 0, cy + offY + hy + sy < h else { return nil }
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
                // Sums and sums of squares of every candidate window, from a summed-area table
                // over the search area, so each displacement costs one dot product.
                let aw = bw + 2 * sx, ah = bh + 2 * sy, stride = aw + 1
                var sum = [Double](repeating: 0, count: stride * (ah + 1))
                var sumSq = [Double](repeating: 0, count: stride * (ah + 1))
                let x0 = cx + offX - hx - sx, y0 = cy + offY - hy - sy
                for j in 0..<ah {
                    var rs = 0.0, rq = 0.0
                    let src = (y0 + j) * w + x0
                    for i in 0..<aw {
                        let v = Double(b[src + i])
                        rs += v; rq += v * v
                        sum[(j + 1) * stride + i + 1] = sum[j * stride + i + 1] + rs
                        sumSq[(j + 1) * stride + i + 1] = sumSq[j * stride + i + 1] + rq
                    }
                }
                let nd = Double(n)
                // Raw pointers for the inner loops: the first row of the window at displacement
                // (dx, dy) is `origin + (dy + sy) * w + dx + sx`; the same products and sums, in
                // the same order, as indexing each one.
                let origin = b.baseAddress! + (cy + offY - sy - hy) * w + (cx + offX - sx - hx)
                template.withUnsafeBufferPointer { t in
                    sum.withUnsafeBufferPointer { sum in
                        sumSq.withUnsafeBufferPointer { sumSq in
                            scores.withUnsafeMutableBufferPointer { scores in
                                let tp = t.baseAddress!
                                func variance(_ ox: Int, _ oy: Int) -> Double {
                                    let s = sum[(oy + bh) * stride + ox + bw] - sum[oy * stride + ox + bw] - sum[(oy + bh) * stride + ox] + sum[oy * stride + ox]
                                    let s2 = sumSq[(oy + bh) * stride + ox + bw] - sumSq[oy * stride + ox + bw] - sumSq[(oy + bh) * stride + ox] + sumSq[oy * stride + ox]
                                    return s2 - s * s / nd
                                }
                                for oy in 0..<sh {
                                    // Four neighbouring displacements at a time: four independent
                                    // running sums keep the core busy, each made exactly as alone.
                                    var ox = 0
                                    while ox + 4 <= sw {
                                        var st = SIMD4<Float>(repeating: 0)
                                        var row = origin + oy * w + ox, trow = tp
                                        for _ in 0..<bh {
                                            st += Self.dot4(trow, row, bw)
                                            row += w
                                            trow += bw
                                        }
                                        for k in 0..<4 {
                                            let v = variance(ox + k, oy)
                                            if v > 1e-3 { scores[oy * sw + ox + k] = st[k] / Float((Double(energy) * v).squareRoot()) }
                                        }
                                        ox += 4
                                    }
                                    while ox < sw {
                                        let v = variance(ox, oy)
                                        if v > 1e-3 {
                                            var st: Float = 0
                                            var row = origin + oy * w + ox, trow = tp
                                            for _ in 0..<bh {
                                                st += Self.dot(trow, row, bw)
                                                row += w
                                                trow += bw
                                            }
                                            scores[oy * sw + ox] = st / Float((Double(energy) * v).squareRoot())
                                        }
                                        ox += 1
                                    }
                                }
                            }
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
        return Match(displacement: SIMD2(Double(bx - sx + offX) + ddx, Double(by - sy + offY) + ddy), correlation: peak)
    }

    /// `dot(a, b + k, n)` for k = 0, 1, 2, 3: the same products summed in the same order as four
    /// separate calls (so the same values, bit for bit), with the four sums interleaved.
    @inline(__always)
    static func dot4(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> SIMD4<Float> {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>(repeating: 0), acc1 = acc0, acc2 = acc0, acc3 = acc0
        var i = 0
        while i &+ 8 <= n {
            let t = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            acc0 += t * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            acc1 += t * rb.loadUnaligned(fromByteOffset: (i &+ 1) &* 4, as: SIMD8<Float>.self)
            acc2 += t * rb.loadUnaligned(fromByteOffset: (i &+ 2) &* 4, as: SIMD8<Float>.self)
            acc3 += t * rb.loadUnaligned(fromByteOffset: (i &+ 3) &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        var total = SIMD4<Float>(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum())
        while i < n {
            let t = SIMD4<Float>(repeating: a[i])
            total += t * SIMD4<Float>(b[i], b[i &+ 1], b[i &+ 2], b[i &+ 3])
            i &+= 1
        }
        return total
    }

    /// Dot product of two float runs, eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i &+ 8 <= n {
            acc += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        var total = acc.sum()
        while i < n { total += a[i] * b[i]; i &+= 1 }
        return total
    }
}
