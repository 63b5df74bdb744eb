import Foundation
import MSKImaging

/// The belly's motion through the clip, from the frame-to-frame displacement fields: each node's
/// displacement accumulated from the first frame, the contraction signal it gives, the motion of a
/// point (a defect, a stump face) and the localised opening across a defect.
///
/// Nodes sit at fixed columns (the field's grid does not move with the tissue), so a node's
/// accumulated displacement is the motion of the tissue passing under it; over the few mm a belly
/// moves in a contraction that is the tissue's own motion to within a fraction of a node spacing.
/// A node without a trusted match in a frame takes the median displacement of its row's trusted
/// nodes within two columns, else of the frame's trusted nodes, else none (0).
struct TissueMotion {
    /// Frames.
    let n: Int
    /// Node positions (imaging-region pixels, from the first frame with a field).
    let positions: [SIMD2<Double>]
    /// Per frame: each node's displacement from the previous frame (pixels; filled where untrusted).
    let step: [[SIMD2<Double>]]
    /// Per frame: whether each node's displacement was measured (not filled).
    let trusted: [[Bool]]
    /// Per frame: each node's displacement accumulated from frame 0 (pixels).
    let cumulative: [[SIMD2<Double>]]
    let columns: Int
    /// Rows of the grid (depths in the belly).
    var rows: Int { columns > 0 ? positions.count / columns : 0 }

    init(fields: [TissueField?]) {
        n = fields.count
        let template = fields.first(where: { ($0?.positions.count ?? 0) > 0 }) ?? nil
        let count = template?.positions.count ?? 0
        positions = template?.positions ?? []
        columns = template?.columns ?? 0
        var step: [[SIMD2<Double>]] = [], trusted: [[Bool]] = [], cumulative: [[SIMD2<Double>]] = []
        step.reserveCapacity(n); trusted.reserveCapacity(n); cumulative.reserveCapacity(n)
        var total = [SIMD2<Double>](repeating: .zero, count: count)
        for f in fields {
            var d = [SIMD2<Double>](repeating: .zero, count: count)
            var ok = [Bool](repeating: false, count: count)
            if let f, f.displacements.count == count {
                let measured = f.displacements.compactMap { $0 }
                let frameMedian = measured.isEmpty ? SIMD2<Double>.zero
                    : SIMD2(Stats.median(measured.map(\.x)) ?? 0, Stats.median(measured.map(\.y)) ?? 0)
                for k in 0..<count {
                    if let v = f.displacements[k] { d[k] = v; ok[k] = true; continue }
                    let row = k / max(1, f.columns), col = k % max(1, f.columns)
                    var near: [SIMD2<Double>] = []
                    for c in max(0, col - 2)...min(f.columns - 1, col + 2) {
                        if let v = f.displacements[row * f.columns + c] { near.append(v) }
                    }
                    d[k] = near.isEmpty ? frameMedian : SIMD2(Stats.median(near.map(\.x)) ?? 0, Stats.median(near.map(\.y)) ?? 0)
                }
            }
            for k in 0..<count { total[k] += d[k] }
            step.append(d); trusted.append(ok); cumulative.append(total)
        }
        self.step = step
        self.trusted = trusted
        self.cumulative = cumulative
    }

    /// How far the belly has moved from its position in the first `referenceFrames` frames, per
    /// frame: the median over nodes of the length of their displacement (mm). Nil when no field.
    func motionMagnitude(spacing: Spacing, referenceFrames: Int) -> [Double]? {
        guard !positions.isEmpty, n > 0 else { return nil }
        let m = min(max(1, referenceFrames), n)
        let count = positions.count
        var reference = [SIMD2<Double>](repeating: .zero, count: count)
        for t in 0..<m { for k in 0..<count { reference[k] += cumulative[t][k] / Double(m) } }
        return (0..<n).map { t in
            let lengths = (0..<count).map { k -> Double in
                let d = cumulative[t][k] - reference[k]
                return hypot(d.x * spacing.mmPerPixelX, d.y * spacing.mmPerPixelY)
            }
            return Stats.median(lengths) ?? 0
        }
    }

    /// The displacement (pixels) from frame t-1 to t of the tissue at column x: the median of the
    /// measured nodes with x in `range` (nil when none is measured there).
    func displacement(at t: Int, xIn range: ClosedRange<Double>) -> SIMD2<Double>? {
        guard t > 0, t < n else { return nil }
        var xs: [Double] = [], ys: [Double] = []
        for k in positions.indices where trusted[t][k] && range.contains(positions[k].x) {
            xs.append(step[t][k].x); ys.append(step[t][k].y)
        }
        guard let mx = Stats.median(xs), let my = Stats.median(ys) else { return nil }
        return SIMD2(mx, my)
    }

    /// The localised opening at column `centre` (pixels) in frame t: the jump J (pixels, along x)
    /// of the least-squares fit a + b x + J [x > centre] to the nodes' accumulated x displacement,
    /// over nodes between `exclusion` and `window` pixels from the centre. Intact muscle deforms
    /// smoothly (J near 0, whatever a and b); tissue pulling apart at one line gives J > 0.
    /// Nil when fewer than `minPerSide` nodes lie on either side.
    /// `row`: only the nodes of that row of the grid (a depth in the belly); nil: all rows.
    func opening(at t: Int, centre: Double, exclusion: Double, window: Double, minPerSide: Int, row: Int? = nil) -> Double? {
        guard t >= 0, t < n else { return nil }
        var xs: [Double] = [], us: [Double] = [], side: [Double] = []
        var left = 0, right = 0
        for k in positions.indices where row == nil || k / max(1, columns) == row {
            let dx = positions[k].x - centre
            guard abs(dx) > exclusion, abs(dx) <= window else { continue }
            xs.append(dx); us.append(cumulative[t][k].x); side.append(dx > 0 ? 1 : 0)
            if dx > 0 { right += 1 } else { left += 1 }
        }
        guard left >= minPerSide, right >= minPerSide else { return nil }
        // Normal equations of the 3-parameter fit.
        var a = [[Double]](repeating: [0, 0, 0], count: 3), b = [0.0, 0, 0]
        for i in xs.indices {
            let row = [1.0, xs[i], side[i]]
            for p in 0..<3 {
                b[p] += row[p] * us[i]
                for q in 0..<3 { a[p][q] += row[p] * row[q] }
            }
        }
        return Self.solve3(a, b)?[2]
    }

    /// Gaussian elimination with partial pivoting for a 3x3 system (nil when singular).
    static func solve3(_ m: [[Double]], _ v: [Double]) -> [Double]? {
        var a = m, b = v
        for col in 0..<3 {
            var pivot = col
            for r in col..<3 where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            guard abs(a[pivot][col]) > 1e-9 else { return nil }
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            for r in 0..<3 where r != col {
                let f = a[r][col] / a[col][col]
                for c in col..<3 { a[r][c] -= f * a[col][c] }
                b[r] -= f * b[col]
            }
        }
        return (0..<3).map { b[$0] / a[$0][$0] }
    }
}
