import MSKImage

/// Where a defect's stump faces cross lines parallel to the muscle axis: the first crossings, walking
/// out from the defect's darkest point on a line, of the level `edgeFraction` of the way (in
/// amplitude) from the fluid's grey level to the belly's, on the image averaged 0.2 mm along and
/// `profileHalfHeightMm` across the line (`DefectDetector.Params`). A crossing is a face only where
/// the tissue beyond it stays above that level over `faceConfirmMm` and the region's own dark
/// pixels, as dark as fluid (`internalEchoFluidFraction`), do not resume within
/// `maxInternalEchoMm`; each face is then refined to its
/// half-amplitude point (`faceRefineFraction`). Positions are frame pixels.
struct StumpFaces {
    let integral: IntegralImage
    /// The smoothed image over the belly's rows (its row k is image row `bellyRows.lowerBound + k`).
    let smooth: FloatImage
    let smoothOffset: Int
    /// Each pixel's region label, and the defect's own.
    let label: [Int32]
    let ownLabel: Int32
    /// The defect region's columns.
    let columns: ClosedRange<Int>
    let centreX: Double
    /// The muscle axis' slope (pixels down per pixel along): the lines run parallel to it.
    let slope: Double
    let fluid: Float
    let bellyRows: Range<Int>
    let params: DefectDetector.Params
    let spacing: Spacing
    let width: Int, height: Int
    /// The first crossing's level.
    let half: Float
    let fineRx: Int, fineRy: Int
    let confirmSteps: Int, refineReach: Int, echoSteps: Int
    /// The grey level under which the region's own pixels beyond a crossing are fluid resuming
    /// (nil: any of them).
    let echoLevel: Float?

    init(integral: IntegralImage, smooth: FloatImage, smoothOffset: Int, label: [Int32], ownLabel: Int32, columns: ClosedRange<Int>,
         centreX: Double, slope: Double, fluid: Float, belly: Float, bellyRows: Range<Int>, params: DefectDetector.Params, spacing: Spacing) {
        self.integral = integral; self.smooth = smooth; self.smoothOffset = smoothOffset
        self.label = label; self.ownLabel = ownLabel; self.columns = columns
        self.centreX = centreX; self.slope = slope; self.fluid = fluid; self.bellyRows = bellyRows
        self.params = params; self.spacing = spacing
        width = integral.width; height = integral.height
        half = params.compression.amplitudeLevel(from: fluid, to: belly, fraction: params.edgeFraction)
        fineRx = max(0, spacing.px(x: 0.2) / 2); fineRy = max(1, spacing.px(y: params.profileHalfHeightMm))
        confirmSteps = max(1, Int((params.faceConfirmMm / spacing.mmPerPixelX).rounded()))
        refineReach = max(1, spacing.px(x: 1.0))
        echoSteps = params.maxInternalEchoMm > 0 ? spacing.px(x: params.maxInternalEchoMm) : 0
        echoLevel = params.internalEchoFluidFraction > 0
            ? params.compression.amplitudeLevel(from: fluid, to: belly, fraction: params.internalEchoFluidFraction) : nil
    }

    /// The grey level at column x on the line through row y at the defect's centre column.
    func sample(_ x: Double, line y: Double) -> Float { integral.sample(x, y + slope * (x - centreX), rx: fineRx, ry: fineRy) }

    /// The gap's two faces on the mid-depth line: the median of each face's crossings on 9 lines
    /// spread evenly over the middle `gapBandFraction` of the depth extent `span` (when at least 5
    /// give both), else the mid-depth line's own. A face tilted from the vertical crosses them on a
    /// straight line, so its median is where it crosses the mid-depth line; a speckle grain,
    /// internal echo or thin bright line (a caliper mark) across the fluid moves a few lines'
    /// crossings, not the median.
    func midDepthCrossings(midY: Double, span: Double) -> (Double, Double)? {
        var lefts: [Double] = [], rights: [Double] = []
        if params.gapBandFraction > 0 {
            for k in 0..<9 {
                if let (l, r) = crossings(atY: midY + span * params.gapBandFraction * (Double(k) / 8 - 0.5)) { lefts.append(l); rights.append(r) }
            }
        }
        if lefts.count >= 5, let l = Stats.median(lefts), let r = Stats.median(rights) { return (l, r) }
        return crossings(atY: midY)
    }

    /// Both faces on the line through row y, walking out from the defect's darkest column on that row.
    func crossings(atY y: Double) -> (Double, Double)? {
        guard y >= 0, y < Double(height) else { return nil }
        let x0 = darkestX(atY: y)
        guard let l = walk(from: x0, dir: -1, y: y), let r = walk(from: x0, dir: 1, y: y) else { return nil }
        return (l, r)
    }

    /// The darkest column of the defect's own pixels on row y (the centre column when none).
    func darkestX(atY y: Double) -> Double {
        let yi = min(bellyRows.upperBound - 1, max(bellyRows.lowerBound, Int(y.rounded())))
        var bx = Int(centreX.rounded()), bv = Float.infinity
        for x in max(0, columns.lowerBound)...min(width - 1, columns.upperBound) where label[yi * width + x] == ownLabel {
            let v = smooth.pixels[yi * width - smoothOffset + x]
            if v < bv { bv = v; bx = x }
        }
        return Double(bx)
    }

    func walk(from x0: Double, dir: Double, y: Double) -> Double? {
        // The start is sampled on row y itself (the walk's first step joins the line).
        var prevV = integral.sample(x0, y, rx: fineRx, ry: fineRy)
        var x = x0
        while true {
            let nx = x + dir
            guard nx >= 0, nx <= Double(width - 1) else { return nil }
            let v = sample(nx, line: y)
            if v >= half, prevV < half, confirmed(from: nx, dir: dir, y: y), !resumes(from: nx, dir: dir, y: y) {
                let t = Double((half - prevV) / (v - prevV))
                return refined(x + dir * t, dir: dir, y: y)
            }
            prevV = v; x = nx
            if abs(x - x0) > Double(width) / 2 { return nil }
        }
    }

    /// The tissue beyond a crossing stays above the first level on average over `faceConfirmMm`:
    /// a haematoma's internal echoes cross it for a speckle grain or two and fall back.
    func confirmed(from x0: Double, dir: Double, y: Double) -> Bool {
        var sum: Float = 0, count = 0
        for k in 1...confirmSteps {
            let x = x0 + dir * Double(k)
            guard x >= 0, x <= Double(width - 1) else { break }
            sum += sample(x, line: y); count += 1
        }
        return count == 0 || sum / Float(count) >= half
    }

    /// A haematoma's internal echoes (clot, debris, layering) can be as bright as the tissue for a
    /// few mm: where the region's own dark pixels resume beyond a crossing on the same line (within
    /// `maxInternalEchoMm`, inside the region's columns), the crossing is inside the fluid. They
    /// count only where the line there is as dark as fluid (under `echoLevel`): a dark space of
    /// the belly that the dark mask joined to the fluid is tissue beyond the face, not fluid.
    func resumes(from x0: Double, dir: Double, y: Double) -> Bool {
        guard echoSteps > 0 else { return false }
        for k in 1...echoSteps {
            let x = Int((x0 + dir * Double(k)).rounded())
            guard columns.contains(x) else { return false }
            let yi = Int((y + slope * (Double(x) - centreX)).rounded())
            guard yi >= 0, yi < height else { return false }
            if label[yi * width + x] == ownLabel, echoLevel.map({ sample(Double(x), line: y) < $0 }) ?? true { return true }
        }
        return false
    }

    /// The face where the grey level crosses `faceRefineFraction` of the way (in amplitude) from
    /// the fluid to the tissue just beyond it (0.5-1.5 mm past the first crossing p), within 1 mm of
    /// p: the edge of a blurred step lies at its half amplitude, and the stump's own end (frayed, or
    /// darker than the belly's median) sets the step, not the belly as a whole.
    func refined(_ p: Double, dir: Double, y: Double) -> Double {
        guard params.faceRefineFraction > 0 else { return p }
        func at(_ x: Double) -> Float? { x >= 0 && x <= Double(width - 1) ? sample(x, line: y) : nil }
        var sum: Float = 0, count = 0
        for k in spacing.px(x: 0.5)...max(spacing.px(x: 0.5), spacing.px(x: 1.5)) {
            if let v = at(p + dir * Double(k)) { sum += v; count += 1 }
        }
        guard count > 0 else { return p }
        let level = params.compression.amplitudeLevel(from: fluid, to: max(fluid, sum / Float(count)), fraction: params.faceRefineFraction)
        var best: Double?
        var prev = at(p - dir * Double(refineReach))
        for k in (-refineReach + 1)...refineReach {
            let x = p + dir * Double(k)
            guard let v = at(x), let pv = prev else { prev = at(x); continue }
            if v >= level, pv < level {
                let c = x - dir * Double((v - level) / (v - pv))
                if best.map({ abs(c - p) < abs($0 - p) }) ?? true { best = c }
            }
            prev = v
        }
        return best ?? p
    }
}
