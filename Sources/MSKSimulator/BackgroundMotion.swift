import Foundation
import MSKImage

/// Where the muscle belly lies in a real clip's frame: the inner edges of the superficial and the
/// deep aponeurosis as straight lines `y = y0 + slope * (x - x0)` in frame pixels. Real aponeuroses
/// curve a little; over the 30-40 mm around an inserted defect a line is close enough.
public struct MuscleBand: Sendable, Equatable, Codable {
    public var x0: Double
    public var superficialY0: Double
    public var superficialSlope: Double
    public var deepY0: Double
    public var deepSlope: Double

    public init(x0: Double, superficialY0: Double, superficialSlope: Double = 0, deepY0: Double, deepSlope: Double = 0) {
        self.x0 = x0
        self.superficialY0 = superficialY0
        self.superficialSlope = superficialSlope
        self.deepY0 = deepY0
        self.deepSlope = deepSlope
    }

    /// Superficial inner edge row at column `x` (pixels).
    public func superficial(_ x: Double) -> Double { superficialY0 + superficialSlope * (x - x0) }
    /// Deep inner edge row at column `x` (pixels).
    public func deep(_ x: Double) -> Double { deepY0 + deepSlope * (x - x0) }
    /// Vertical belly height at `x`, pixels.
    public func height(_ x: Double) -> Double { deep(x) - superficial(x) }
}

/// Simple, documented estimates on a real clip's decoded grey frames: where the ultrasound image
/// is, where the belly is, and how the tissue moves (`Docs/simulator.md`, "Semi-synthetic clips").
public enum BackgroundMotion {
    /// The ultrasound image inside a screen capture: the bounding box of the pixels whose grey
    /// level changes over the clip (the scanner's interface is static). A pixel counts as moving
    /// when its largest absolute difference between the first frame and four others exceeds 6
    /// grey levels; rows and columns count when at least 25 % of their pixels move. Nil when
    /// fewer than 64 x 48 pixels move (a still clip: give `--roi`).
    public static func imagingRegion(frames: [GreyImage]) -> PixelRect? {
        guard let first = frames.first, frames.count >= 2 else { return nil }
        let w = first.width, h = first.height
        let picks = Set([frames.count / 4, frames.count / 2, 3 * frames.count / 4, frames.count - 1]).filter { $0 > 0 }
        var moving = [UInt8](repeating: 0, count: w * h)
        for k in picks {
            let f = frames[k]
            first.pixels.withUnsafeBufferPointer { A in
                f.pixels.withUnsafeBufferPointer { B in
                    for i in 0..<(w * h) where abs(Int(A[i]) - Int(B[i])) > 6 { moving[i] = 1 }
                }
            }
        }
        var rowCount = [Int](repeating: 0, count: h), colCount = [Int](repeating: 0, count: w)
        for y in 0..<h {
            for x in 0..<w where moving[y * w + x] != 0 { rowCount[y] += 1; colCount[x] += 1 }
        }
        // Rows (columns) where at least 25 % of the moving columns' (rows') extent moves.
        let colsMoving = colCount.filter { $0 > 0 }.count, rowsMoving = rowCount.filter { $0 > 0 }.count
        let rows = (0..<h).filter { Double(rowCount[$0]) >= 0.25 * Double(max(colsMoving, 1)) }
        let cols = (0..<w).filter { Double(colCount[$0]) >= 0.25 * Double(max(rowsMoving, 1)) }
        guard let y0 = rows.first, let y1 = rows.last, let x0 = cols.first, let x1 = cols.last,
              x1 - x0 + 1 >= 64, y1 - y0 + 1 >= 48 else { return nil }
        return PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    /// The belly around column `centreX`: in five vertical strips of 4 mm across `halfWidthMm`
    /// either side, the row profile of `frame` (averaged over the strip, smoothed over 0.5 mm)
    /// inside `region`; in each strip the pair of bright bands (the aponeuroses) that maximises
    /// "darker between than at either band", at least `minThicknessMm` apart and with the darker
    /// gap no deeper than 85 % of the region; lines fitted through the strips' picks. Nil when no
    /// strip gives a pair. An estimate, not a detector: check it (`synth --background` prints it)
    /// or give `--muscle-rows`.
    public static func muscleBand(frame: GreyImage, region: PixelRect, centreX: Int, mmPerPixelY: Double,
                                  mmPerPixelX: Double, halfWidthMm: Double = 15, minThicknessMm: Double = 4) -> MuscleBand? {
        let stripW = max(3, Int((4 / mmPerPixelX).rounded()))
        let smooth = max(1, Int((0.25 / mmPerPixelY).rounded()))
        let minGap = Int((minThicknessMm / mmPerPixelY).rounded())
        var xs: [Double] = [], ss: [Double] = [], ds: [Double] = []
        for k in -2...2 {
            let cx = centreX + Int((Double(k) * halfWidthMm / 2 / mmPerPixelX).rounded())
            let x0 = max(region.x, cx - stripW / 2), x1 = min(region.x + region.width, cx + stripW / 2 + 1)
            guard x1 - x0 >= 3 else { continue }
            let h = region.height
            var profile = [Double](repeating: 0, count: h)
            for y in 0..<h {
                var sum = 0
                let row = (region.y + y) * frame.width
                for x in x0..<x1 { sum += Int(frame.pixels[row + x]) }
                profile[y] = Double(sum) / Double(x1 - x0)
            }
            var sm = profile
            for y in 0..<h {
                let a = max(0, y - smooth), b = min(h - 1, y + smooth)
                sm[y] = profile[a...b].reduce(0, +) / Double(b - a + 1)
            }
            // Local maxima (bright bands), strongest first.
            var peaks: [Int] = []
            for y in 1..<(h - 1) where sm[y] >= sm[y - 1] && sm[y] > sm[y + 1] { peaks.append(y) }
            peaks.sort { sm[$0] > sm[$1] }
            peaks = Array(peaks.prefix(12))
            var best: (score: Double, top: Int, bottom: Int)? = nil
            for a in peaks {
                for b in peaks where b - a >= minGap && Double(b) <= 0.95 * Double(h) && a > Int(0.03 * Double(h)) {
                    let inner = sm[(a + smooth)...(b - smooth)]
                    let mean = inner.reduce(0, +) / Double(inner.count)
                    let score = min(sm[a], sm[b]) - mean
                    if score > (best?.score ?? 0) { best = (score, a, b) }
                }
            }
            guard let best else { continue }
            // Inner edges: from each band's peak towards the belly, the first row below half-way
            // between the peak and the belly's mean.
            let inner = sm[(best.top + smooth)...(best.bottom - smooth)]
            let mean = inner.reduce(0, +) / Double(inner.count)
            // Walk out from the belly's middle to each band: the inner edge is the first row whose
            // profile passes half-way between the belly's mean and that band's peak (a band drawn as
            // two lines, as a deep aponeurosis often is, then gives its inner line).
            let mid = (best.top + best.bottom) / 2
            var top = mid
            while top > best.top && sm[top] < (sm[best.top] + mean) / 2 { top -= 1 }
            var bottom = mid
            while bottom < best.bottom && sm[bottom] < (sm[best.bottom] + mean) / 2 { bottom += 1 }
            xs.append(Double(x0 + x1) / 2)
            ss.append(Double(region.y + top))
            ds.append(Double(region.y + bottom))
        }
        guard !xs.isEmpty else { return nil }
        let (s0, sSlope) = robustLine(xs, ss, at: Double(centreX))
        let (d0, dSlope) = robustLine(xs, ds, at: Double(centreX))
        guard d0 - s0 >= Double(minGap) * 0.8 else { return nil }
        return MuscleBand(x0: Double(centreX), superficialY0: s0, superficialSlope: sSlope, deepY0: d0, deepSlope: dSlope)
    }

    /// Least-squares line through the points after dropping the one farthest from the median
    /// (when there are at least four); value at `x` and slope (0 with a single point).
    static func robustLine(_ xs: [Double], _ ys: [Double], at x: Double) -> (Double, Double) {
        var pts = Array(zip(xs, ys))
        if pts.count >= 4 {
            let med = ys.sorted()[ys.count / 2]
            if let worst = pts.indices.max(by: { abs(pts[$0].1 - med) < abs(pts[$1].1 - med) }) { pts.remove(at: worst) }
        }
        let n = Double(pts.count)
        let mx = pts.map(\.0).reduce(0, +) / n, my = pts.map(\.1).reduce(0, +) / n
        let sxx = pts.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        guard sxx > 1e-9 else { return (my, 0) }
        let slope = pts.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
        let clamped = max(-0.5, min(0.5, slope))
        return (my + clamped * (x - mx), clamped)
    }

    /// Tracks square blocks of `block` pixels centred on `points` from frame to frame (normalised
    /// cross-correlation over +-`search` pixels around a constant-velocity prediction, parabolic
    /// sub-pixel refinement; the template is re-taken every frame at the tracked position, and the
    /// rounding of that position is carried, so it does not drift by whole pixels).
    /// Returns per point, per frame, the displacement from the first frame in pixels.
    public static func track(frames: [GreyImage], points: [(x: Double, y: Double)], block: Int,
                             search: Int) -> [[(dx: Double, dy: Double)]] {
        guard let first = frames.first else { return [] }
        let w = first.width, h = first.height
        let half = block / 2
        return points.map { p0 in
            var pos = (x: p0.x, y: p0.y)
            var vel = (x: 0.0, y: 0.0)
            var out: [(dx: Double, dy: Double)] = [(0, 0)]
            for k in 1..<frames.count {
                let tx = Int(pos.x.rounded()), ty = Int(pos.y.rounded())
                let fx = pos.x - Double(tx), fy = pos.y - Double(ty)
                let px = Int((pos.x + vel.x).rounded()), py = Int((pos.y + vel.y).rounded())
                let found = bestMatch(prev: frames[k - 1], next: frames[k], tx: tx, ty: ty, cx: px, cy: py,
                                      half: half, search: search, width: w, height: h)
                let new = (x: found.x + fx, y: found.y + fy)
                vel = (new.x - pos.x, new.y - pos.y)
                pos = new
                out.append((pos.x - p0.x, pos.y - p0.y))
            }
            return out
        }
    }

    /// The sub-pixel position in `next` of the block of `prev` centred at (tx, ty), searched around (cx, cy).
    static func bestMatch(prev: GreyImage, next: GreyImage, tx: Int, ty: Int, cx: Int, cy: Int, half: Int,
                          search: Int, width w: Int, height h: Int) -> (x: Double, y: Double) {
        let n = 2 * half + 1
        guard tx - half >= 0, ty - half >= 0, tx + half < w, ty + half < h else { return (Double(tx), Double(ty)) }
        var tmpl = [Float](repeating: 0, count: n * n)
        var mean: Float = 0
        prev.pixels.withUnsafeBufferPointer { P in
            for j in 0..<n { for i in 0..<n { tmpl[j * n + i] = Float(P[(ty - half + j) * w + tx - half + i]); mean += tmpl[j * n + i] } }
        }
        mean /= Float(n * n)
        var tnorm: Float = 0
        for i in 0..<(n * n) { tmpl[i] -= mean; tnorm += tmpl[i] * tmpl[i] }
        let side = 2 * search + 1
        var score = [Float](repeating: -2, count: side * side)
        next.pixels.withUnsafeBufferPointer { N in
            tmpl.withUnsafeBufferPointer { T in
                for oy in -search...search {
                    for ox in -search...search {
                        let bx = cx + ox, by = cy + oy
                        guard bx - half >= 0, by - half >= 0, bx + half < w, by + half < h else { continue }
                        var s: Float = 0, s2: Float = 0, st: Float = 0
                        for j in 0..<n {
                            let row = (by - half + j) * w + bx - half
                            for i in 0..<n {
                                let v = Float(N[row + i])
                                s += v; s2 += v * v; st += v * T[j * n + i]
                            }
                        }
                        let count = Float(n * n)
                        let varN = s2 - s * s / count
                        let d = (varN * tnorm).squareRoot()
                        // A tiny penalty for distance from the prediction breaks ties (periodic texture).
                        let penalty = 1e-4 * Float(ox * ox + oy * oy) / Float(search * search)
                        score[(oy + search) * side + ox + search] = d > 1e-6 ? st / d - penalty : -1
                    }
                }
            }
        }
        guard let bestIndex = score.indices.max(by: { score[$0] < score[$1] }), score[bestIndex] > -1 else {
            return (Double(cx), Double(cy))
        }
        let by = bestIndex / side, bx = bestIndex % side
        func parabola(_ a: Float, _ b: Float, _ c: Float) -> Double {
            let d = a - 2 * b + c
            return d < 0 ? Double(max(-0.5, min(0.5, 0.5 * (a - c) / d))) : 0
        }
        var sx = 0.0, sy = 0.0
        if bx > 0 && bx < side - 1 {
            let l = score[by * side + bx - 1], r = score[by * side + bx + 1]
            if l > -1 && r > -1 { sx = parabola(l, score[bestIndex], r) }
        }
        if by > 0 && by < side - 1 {
            let u = score[(by - 1) * side + bx], d = score[(by + 1) * side + bx]
            if u > -1 && d > -1 { sy = parabola(u, score[bestIndex], d) }
        }
        return (Double(cx + bx - search) + sx, Double(cy + by - search) + sy)
    }

    /// The contraction signal of a clip from its tissue's motion: the magnitude of the median
    /// displacement (over the tracked points) from the first frame, smoothed over three frames and
    /// rescaled to 0 at its smallest and 1 at its largest. All zeros when nothing moves by 0.5 px.
    public static func contraction(tracks: [[(dx: Double, dy: Double)]]) -> [Double] {
        guard let n = tracks.first?.count, n > 0 else { return [] }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        var mag = (0..<n).map { k in
            hypot(median(tracks.map { $0[k].dx }), median(tracks.map { $0[k].dy }))
        }
        if n >= 3 {
            let raw = mag
            for k in 0..<n { let a = max(0, k - 1), b = min(n - 1, k + 1); mag[k] = raw[a...b].reduce(0, +) / Double(b - a + 1) }
        }
        let lo = mag.min()!, hi = mag.max()!
        guard hi - lo >= 0.5 else { return [Double](repeating: 0, count: n) }
        return mag.map { ($0 - lo) / (hi - lo) }
    }
}
