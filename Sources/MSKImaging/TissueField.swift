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

    /// The field with every step that fails the normalised median test against its row's
    /// neighbours (up to `reach` columns each side; with fewer than two of them measured, the
    /// nodes of every row within reach, else the whole frame's) set untrusted.
    public func rejectingOutliers(threshold: Double, noisePx: Double, reach: Int = 2) -> TissueField {
        guard threshold > 0, columns > 0 else { return self }
        let allRows = 0...(displacements.count / columns - 1), allColumns = 0...(columns - 1)
        // The measured steps of the nodes in `rows` x `cols`, but node k itself.
        func steps(_ k: Int, rows: ClosedRange<Int>, cols: ClosedRange<Int>) -> [SIMD2<Double>] {
            rows.flatMap { r in cols.compactMap { c in r * columns + c == k ? nil : displacements[r * columns + c] } }
        }
        func residual(_ value: Double, _ values: [Double]) -> Double {
            let m = Stats.median(values) ?? 0
            return abs(value - m) / ((Stats.median(values.map { abs($0 - m) }) ?? 0) + noisePx)
        }
        var out = self
        for k in displacements.indices {
            guard let v = displacements[k] else { continue }
            let row = k / columns, col = k % columns
            let near = max(0, col - reach)...min(columns - 1, col + reach)
            // Its row's neighbours; too few measured: every row's within reach; still too few: the frame's.
            var n = steps(k, rows: row...row, cols: near)
            if n.count < 2 { n = steps(k, rows: allRows, cols: near) }
            if n.count < 2 { n = steps(k, rows: allRows, cols: allColumns) }
            guard n.count >= 2 else { continue }
            if max(residual(v.x, n.map(\.x)), residual(v.y, n.map(\.y))) > threshold { out.displacements[k] = nil }
        }
        return out
    }

    /// Share of the nodes with a trusted match (0...1).
    public var trustedFraction: Double {
        displacements.isEmpty ? 0 : Double(displacements.compactMap { $0 }.count) / Double(displacements.count)
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
        /// Largest motion searched between two frames (mm), coarse to fine: on images at half
        /// resolution over this range, then at full resolution within 2 pixels of the coarse
        /// displacement. 2 x 1 mm a frame is 60 x 30 mm/s at 30 fps: simulated stumps retracting
        /// 4 mm in two frames, and real pushes kept at every third frame (about 1 mm a frame).
        public var searchXMm: Double = 2.0
        public var searchYMm: Double = 1.0
        /// Matches below this correlation are not trusted.
        public var minCorrelation: Float = 0.5
        /// At most this many columns (a very wide region is sampled more sparsely).
        public var maxColumns: Int = 16
        /// A node is trusted only when its forward and backward matches agree within this many
        /// pixels per axis (their sum is near 0 for a true match; a match into fluid or onto another
        /// structure does not come back to where it started).
        public var maxRoundTripPx: Double = 1.0
        /// A node's step is not trusted when it stands out from its row's neighbours (up to two
        /// columns each side) by more than this many times their own spread: the normalised median
        /// test of particle image velocimetry (Westerweel and Scarano 2005, threshold 2), residual
        /// |u - median| / (median |u_i - median| + `outlierNoisePx`). A block that slid along a
        /// bright line (a vessel wall, a fascicle) passes its own round trip but not this. 0: no test.
        public var outlierThreshold: Double = 2
        /// The noise floor of that spread (pixels; 0.1 in the PIV literature).
        public var outlierNoisePx: Double = 0.1
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    /// The field from `previous` to `next` (same-size imaging-region images), with nodes placed
    /// between `superficial` and `deep` (the inner edges in `previous`, as functions of x).
    public func measure(previous: FloatImage, next: FloatImage, spacing: Spacing,
                        superficial: (Double) -> Double, deep: (Double) -> Double) -> TissueField {
        measure(previous: Pyramid(previous), next: Pyramid(next), spacing: spacing, superficial: superficial, deep: deep)
    }

    /// A frame and its half-resolution copy, made once per frame and kept for the next pair.
    public struct Pyramid: Sendable {
        public let full: FloatImage
        public let half: FloatImage
        public init(_ image: FloatImage) {
            full = image
            half = TissueFieldTracker.halve(image)
        }
    }

    /// As `measure(previous:next:...)`, on frames whose half-resolution copies are already made.
    public func measure(previous pyramidPrevious: Pyramid, next pyramidNext: Pyramid, spacing: Spacing,
                        superficial: (Double) -> Double, deep: (Double) -> Double) -> TissueField {
        let previous = pyramidPrevious.full, next = pyramidNext.full
        let w = previous.width
        let hx = spacing.px(x: params.blockHalfWidthMm), hy = spacing.px(y: params.blockHalfHeightMm)
        let sx = spacing.px(x: params.searchXMm)
        // Coarse: half resolution over the whole range; fine: full resolution, +-2 pixels.
        let half = Spacing(mmPerPixelX: 2 * spacing.mmPerPixelX, mmPerPixelY: 2 * spacing.mmPerPixelY)
        let coarse = BlockMatcher(halfWidth: max(2, half.px(x: params.blockHalfWidthMm)), halfHeight: max(2, half.px(y: params.blockHalfHeightMm)),
                                  searchX: half.px(x: params.searchXMm), searchY: half.px(y: params.searchYMm), minCorrelation: params.minCorrelation)
        let fine = BlockMatcher(halfWidth: hx, halfHeight: hy, searchX: 2, searchY: 2, minCorrelation: params.minCorrelation)
        let margin = Double(hx + sx + 4)
        let previousHalf = pyramidPrevious.half, nextHalf = pyramidNext.half
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
                let xi = Int(x.rounded()), yi = Int(y.rounded())
                guard let c = coarse.match(previous: previousHalf, next: nextHalf, cx: xi / 2, cy: yi / 2) else { displacements.append(nil); continue }
                let ox = Int((2 * c.displacement.x).rounded()), oy = Int((2 * c.displacement.y).rounded())
                guard let forward = fine.match(previous: previous, next: next, cx: xi, cy: yi, offsetX: ox, offsetY: oy) else {
                    displacements.append(nil); continue
                }
                // Forward-backward: the block where the node went, matched back into the previous
                // frame. The parabola's sub-pixel estimate carries a bias set by the block's own
                // content (the correlation either side of the peak is not symmetric even between
                // identical frames), and a node at a fixed column sees the same content frame after
                // frame: summed over a clip the bias is a steady drift (0.004 mm a frame on a real
                // frame repeated). Forward and backward estimates carry it with the same sign, so
                // their half-difference cancels it; a pair that disagrees is not trusted.
                let bx = xi + Int(forward.displacement.x.rounded()), by = yi + Int(forward.displacement.y.rounded())
                guard let backward = fine.match(previous: next, next: previous, cx: bx, cy: by,
                                                offsetX: xi - bx, offsetY: yi - by) else {
                    displacements.append(nil); continue
                }
                let d = (forward.displacement - backward.displacement) / 2
                let roundTrip = forward.displacement + backward.displacement
                displacements.append(abs(roundTrip.x) <= params.maxRoundTripPx && abs(roundTrip.y) <= params.maxRoundTripPx ? d : nil)
            }
        }
        return TissueField(positions: positions, displacements: displacements, columns: columns, rows: params.rowFractions.count)
            .rejectingOutliers(threshold: params.outlierThreshold, noisePx: params.outlierNoisePx)
    }

    /// The image at half resolution: each pixel the mean of a 2 x 2 block (an odd last row or
    /// column is dropped).
    static func halve(_ image: FloatImage) -> FloatImage {
        let w = image.width / 2, h = image.height / 2, sw = image.width
        guard w > 0, h > 0 else { return image }
        let pixels = [Float](unsafeUninitializedCapacity: w * h) { out, count in
            image.pixels.withUnsafeBufferPointer { p in
                let src = p.baseAddress!, dst = out.baseAddress!
                for y in 0..<h {
                    let r0 = src + 2 * y * sw, r1 = r0 + sw, d = dst + y * w
                    var x = 0
                    while x < w {
                        let x2 = x &* 2
                        d[x] = 0.25 * (r0[x2] + r0[x2 &+ 1] + r1[x2] + r1[x2 &+ 1])
                        x &+= 1
                    }
                }
            }
            count = w * h
        }
        return FloatImage(width: w, height: h, pixels: pixels)
    }
}
