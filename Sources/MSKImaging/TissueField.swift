import Foundation

/// The belly's displacement field from one frame to the next, sampled on a coarse grid.
///
/// Nodes sit on `rows` lines at fixed fractions of the belly's depth (between the two inner
/// edges) and on columns `columnSpacingMm` apart across the imaging region. Each node is block
/// matched (`BlockMatcher`, zero-mean NCC) from the previous frame into this one. A node whose
/// match is not trusted (fluid without speckle, a block leaving the image, a low peak) has no
/// displacement: nothing is guessed there.
///
/// The field is what the clip-level analysis reads the tissue's motion from: contraction (how far
/// the belly has moved from its rest position), the motion of a defect and of its stumps, and the
/// localised opening across a defect (a jump in the field at one place, growing with contraction,
/// where intact muscle deforms smoothly).
public struct TissueField: Sendable, Equatable {
    /// Node positions in the previous frame (imaging-region pixels).
    public var positions: [SIMD2<Double>]
    /// Displacement of each node from the previous frame to this one (pixels); nil where untrusted.
    public var displacements: [SIMD2<Double>?]
    /// Number of node columns and rows (positions are stored row by row).
    public var columns: Int
    public var rows: Int

    public init(positions: [SIMD2<Double>], displacements: [SIMD2<Double>?], columns: Int, rows: Int) {
        self.positions = positions
        self.displacements = displacements
        self.columns = columns
        self.rows = rows
    }

    /// Share of the nodes with a trusted match (0...1).
    public var trustedFraction: Double {
        displacements.isEmpty ? 0 : Double(displacements.compactMap { $0 }.count) / Double(displacements.count)
    }

    /// The median displacement of the trusted nodes whose x lies in `range` (pixels); nil when
    /// fewer than `minNodes` are trusted there.
    public func medianDisplacement(xIn range: ClosedRange<Double>, minNodes: Int = 1) -> SIMD2<Double>? {
        var dx: [Double] = [], dy: [Double] = []
        for (p, d) in zip(positions, displacements) where range.contains(p.x) {
            if let d { dx.append(d.x); dy.append(d.y) }
        }
        guard dx.count >= max(1, minNodes) else { return nil }
        return SIMD2(Self.median(dx), Self.median(dy))
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Measures `TissueField`s between consecutive frames.
public struct TissueFieldTracker: Sendable {
    public struct Params: Sendable, Codable, Equatable {
        /// Distance between node columns (mm). 3 mm resolves a jump at a defect a few mm wide
        /// while keeping the field to a few dozen block matches a frame.
        public var columnSpacingMm: Double = 3.0
        /// Depth fractions (0 = superficial inner edge, 1 = deep) of the node rows.
        public var rowFractions: [Double] = [0.3, 0.7]
        /// Block half-size (mm): a block holds several speckle grains.
        public var blockHalfWidthMm: Double = 1.0
        public var blockHalfHeightMm: Double = 0.5
        /// Largest motion searched between two frames (mm): 0.5 mm a frame is 15 mm/s at 30 fps,
        /// beyond the belly's motion in the real pushes here (at most about 0.3 mm a frame at 61 fps).
        public var searchXMm: Double = 0.5
        public var searchYMm: Double = 0.3
        /// Matches below this correlation are not trusted.
        public var minCorrelation: Float = 0.5
        /// At most this many columns (a very wide region is sampled more sparsely).
        public var maxColumns: Int = 16
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The field from `previous` to `next` (same-size imaging-region images), with nodes placed
    /// between `superficial` and `deep` (the inner edges in `previous`, as functions of x).
    public func measure(previous: FloatImage, next: FloatImage, spacing: Spacing,
                        superficial: (Double) -> Double, deep: (Double) -> Double) -> TissueField {
        let w = previous.width
        let hx = spacing.px(x: params.blockHalfWidthMm), hy = spacing.px(y: params.blockHalfHeightMm)
        let sx = spacing.px(x: params.searchXMm), sy = spacing.px(y: params.searchYMm)
        let matcher = BlockMatcher(halfWidth: hx, halfHeight: hy, searchX: sx, searchY: sy, minCorrelation: params.minCorrelation)
        let margin = Double(hx + sx + 1)
        let usable = Double(w) - 2 * margin
        guard usable > 0 else { return TissueField(positions: [], displacements: [], columns: 0, rows: 0) }
        let step = max(params.columnSpacingMm / spacing.mmPerPixelX, usable / Double(max(1, params.maxColumns - 1)))
        let columns = max(1, Int(usable / step) + 1)
        var positions: [SIMD2<Double>] = []
        var displacements: [SIMD2<Double>?] = []
        positions.reserveCapacity(columns * params.rowFractions.count)
        displacements.reserveCapacity(columns * params.rowFractions.count)
        for f in params.rowFractions {
            for c in 0..<columns {
                let x = margin + Double(c) * step
                let top = superficial(x), bottom = deep(x)
                let y = top + f * (bottom - top)
                positions.append(SIMD2(x, y))
                guard y.isFinite, bottom - top > Double(2 * hy) else { displacements.append(nil); continue }
                let m = matcher.match(previous: previous, next: next, cx: Int(x.rounded()), cy: Int(y.rounded()))
                displacements.append(m?.displacement)
            }
        }
        return TissueField(positions: positions, displacements: displacements, columns: columns, rows: params.rowFractions.count)
    }
}
