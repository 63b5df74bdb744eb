import Foundation

/// Whether the fascicles run on through a dark region (issue #11, item 4): intact muscle, however
/// hypoechoic, keeps its striations at the fascicle angle; a haematoma in a tear (fluid, clot,
/// debris) has none, even when its internal echoes are as bright and as speckled as the belly.
///
/// The striations are measured as the fascicle angle itself is (`FascicleEstimator`): the image is
/// cut into cells about `cellMm` square (block means), high-passed (minus the cells' local mean
/// over +-`highPassMm`), and the cells are projected along the frame's fascicle angle; the
/// analysis-of-variance F ratio of the lines (between-line over within-line variance) is about 1
/// without oriented texture and grows with the striations. It is taken in a box over the middle of
/// the region (its faces left out) and in boxes of the same size in the belly either side of it;
/// `ratio` = (F inside - 1) / (F beside - 1), with the weaker side as "beside".
public struct FibreContinuity: Sendable, Equatable {
    /// F ratio inside the region and in the belly beside it (the weaker side).
    public var insideF: Double
    public var besideF: Double
    /// How much of the belly's striation the region keeps: 0 none, 1 as much as beside.
    public var ratio: Double { (insideF - 1) / max(besideF - 1, 1e-6) }

    public struct Params: Sendable, Codable, Equatable {
        /// Cell size (mm) and high-pass radius (mm). The fascicle estimator's own high-pass is 0.6 mm
        /// since session 15; this test keeps 1.5 mm, the radius its thresholds (`DefectDetector.Params`
        /// `minStriationF`, `maxFibreContinuity`) were measured with.
        public var cellMm: Double = 0.3
        public var highPassMm: Double = 1.5
        /// Share of the region's width left out at each face.
        public var faceMarginFraction: Double = 0.2
        /// Share of the local thickness left out next to each aponeurosis.
        public var edgeMarginFraction: Double = 0.15
        /// Gap between the region and the boxes beside it (mm).
        public var gapMm: Double = 1.0
        /// Fewest cells a box must hold, and fewest cells across it.
        public var minCells: Int = 40
        public var minCellsAcross: Int = 3
        public init() {}
    }

    public init(insideF: Double, besideF: Double) {
        self.insideF = insideF
        self.besideF = besideF
    }

    /// The continuity across the region whose columns are `columns` and rows `rows` (imaging-region
    /// pixels), at the fascicle angle `pixelDeg` (pixel grid, as `FascicleEstimator.pixelDegrees`).
    /// Nil when the boxes do not fit (region at the image's side, belly too thin) or the angle is
    /// not a usable direction (not finite, or within 1 degree of vertical: no lines to project on).
    public static func measure(_ integral: IntegralImage, columns: ClosedRange<Int>, rows: ClosedRange<Int>,
                               aponeuroses apo: AponeurosisPair, pixelDeg: Double, spacing: Spacing,
                               params: Params = Params()) -> FibreContinuity? {
        guard pixelDeg.isFinite, abs(pixelDeg) < 89 else { return nil }
        let w = integral.width, h = integral.height
        let margin = Int((params.faceMarginFraction * Double(columns.count)).rounded())
        let width = columns.count - 2 * margin
        let cell = max(1, Int((params.cellMm / min(spacing.mmPerPixelX, spacing.mmPerPixelY)).rounded()))
        guard width >= params.minCellsAcross * cell else { return nil }
        // The rows of a box whose left column is x0: the region's rows, kept off the aponeuroses.
        func rowsAt(_ x0: Int) -> ClosedRange<Int>? {
            let xc = Double(x0) + Double(width) / 2
            let s = apo.superficialInner.y(xc), d = apo.deepInner.y(xc), t = d - s
            guard t > 0 else { return nil }
            let lo = max(rows.lowerBound, Int((s + params.edgeMarginFraction * t).rounded(.up)), 0)
            let hi = min(rows.upperBound, Int((d - params.edgeMarginFraction * t).rounded(.down)), h - 1)
            return hi - lo + 1 >= params.minCellsAcross * cell ? lo...hi : nil
        }
        let tangent = Float(tan(pixelDeg * .pi / 180))
        let highPassCells = max(1, Int((params.highPassMm / params.cellMm).rounded()))
        // F in the box whose left column is x0, at most `height` rows tall: the boxes beside take
        // the inside box's height where the belly there allows (an F ratio grows with the cells
        // along its lines, so boxes are compared at equal size).
        func f(_ x0: Int, height: Int) -> Double? {
            guard x0 >= 0, x0 + width <= w, let r = rowsAt(x0) else { return nil }
            return orientedF(integral, x0: x0, y0: r.lowerBound, width: width, height: min(height, r.count), cell: cell,
                             highPassCells: highPassCells, tangent: tangent, minCells: params.minCells)
        }
        let inside = columns.lowerBound + margin
        guard let insideRows = rowsAt(inside), let insideF = f(inside, height: insideRows.count) else { return nil }
        let gap = spacing.px(x: params.gapMm)
        let sides = [f(columns.lowerBound - gap - width, height: insideRows.count),
                     f(columns.upperBound + 1 + gap, height: insideRows.count)].compactMap { $0 }
        guard let beside = sides.min() else { return nil }
        return FibreContinuity(insideF: insideF, besideF: beside)
    }

    /// F ratio of the high-passed cell means of a box projected along lines of pixel slope -tangent.
    static func orientedF(_ integral: IntegralImage, x0: Int, y0: Int, width: Int, height: Int, cell: Int,
                          highPassCells: Int, tangent: Float, minCells: Int) -> Double? {
        let gw = width / cell, gh = height / cell
        guard gw * gh >= minCells, gw >= 2, gh >= 2 else { return nil }
        var cells = [Float](repeating: 0, count: gw * gh)
        let norm = 1 / Double(cell * cell)
        for gy in 0..<gh {
            let y = y0 + gy * cell
            for gx in 0..<gw {
                let x = x0 + gx * cell
                cells[gy * gw + gx] = Float(integral.boxSum(x, y, x + cell, y + cell) * norm)
            }
        }
        let local = Filters.boxMean(FloatImage(width: gw, height: gh, pixels: cells), radiusX: highPassCells, radiusY: highPassCells)
        var projection = Projection()
        for gx in 0..<gw {
            projection.append(column: gx, fromRow: 0, (0..<gh).lazy.map { gy in cells[gy * gw + gx] - local.pixels[gy * gw + gx] })
        }
        return projection.fRatio(tangent: tangent)
    }
}
