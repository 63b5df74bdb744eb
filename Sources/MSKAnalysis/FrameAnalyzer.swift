import Foundation
import MSKImage
import MSKImaging

/// What one frame shows, before the clip-level tracking and smoothing: in imaging-region pixels
/// and, where a spacing is known, in mm.
public struct FrameObservation: Sendable {
    public var index: Int
    public var timeS: Double
    public var aponeuroses: AponeurosisPair?
    /// The largest defect candidate of this frame (nil when none).
    public var defect: DefectObservation? { candidates.first }
    /// Every dark region that passed the defect tests in this frame, largest first.
    public var candidates: [DefectObservation]
    /// Fluid regions turned down only as small patches: they may continue a defect the clip's
    /// tracking follows from other frames, never start one.
    public var continuations: [DefectObservation] = []
    public var rejected: [RejectedStructure]
    /// Muscle thickness per the spec, in mm on the working spacing (nil when no muscle found).
    public var thicknessMm: Double?
    /// Mean grey level of the intact belly.
    public var echoIntensity: Double?
    /// Fascicle geometry of this frame alone (before fusion over the clip).
    public var fascicle: FascicleEstimate? = nil
}

/// Per-frame detection: aponeuroses, defect, thickness and echo intensity.
public struct FrameAnalyzer: Sendable {
    public var aponeurosisDetector = AponeurosisDetector()
    public var defectDetector = DefectDetector()
    public var fascicleEstimator = FascicleEstimator()
    public let spacing: Spacing

    /// `calibrated: false` when `spacing` is only the working scale of an uncalibrated clip:
    /// sizes the detectors report to the user are then in pixels.
    public init(spacing: Spacing, calibrated: Bool = true, defectParams: DefectDetector.Params = DefectDetector.Params(),
                aponeurosisParams: AponeurosisDetector.Params = AponeurosisDetector.Params(),
                fascicleParams: FascicleEstimator.Params = FascicleEstimator.Params()) {
        self.spacing = spacing
        defectDetector.params = defectParams
        aponeurosisDetector.params = aponeurosisParams
        fascicleEstimator.params = fascicleParams
        if !calibrated { defectDetector.params.reportPixelsAtMmPerPixel = spacing.mmPerPixelX }
    }

    /// `following`: the aponeuroses found in the previous frame, followed when they cannot be found from scratch.
    public func observe(_ region: FloatImage, index: Int, timeS: Double, following previous: AponeurosisPair? = nil) -> FrameObservation {
        var obs = FrameObservation(index: index, timeS: timeS, aponeuroses: nil, candidates: [], rejected: [])
        guard let apo = aponeurosisDetector.detect(region, spacing: spacing, following: previous) else { return obs }
        obs.aponeuroses = apo
        obs.fascicle = fascicleEstimator.estimate(region, aponeuroses: apo, spacing: spacing)
        let found = defectDetector.detect(region, aponeuroses: apo, spacing: spacing, fascicleAngleDeg: obs.fascicle?.fascicleAngleDeg)
        obs.candidates = found.candidates
        obs.continuations = found.continuations
        obs.rejected = found.rejected
        obs.thicknessMm = thickness(apo, width: region.width, excluding: found.defect)
        // The mask is false outside the belly's rows: only those are summed.
        let rows = found.bellyRows
        let (sum, count) = Self.maskedSum(region.pixels, mask: found.bellyMask, in: (rows.lowerBound * region.width)..<(rows.upperBound * region.width))
        obs.echoIntensity = count > 0 ? sum / Double(count) : nil
        return obs
    }

    /// The sum and the count of the pixels where `mask` is true. Four running sums, each over
    /// every fourth pixel, added at the end, without a branch per pixel: for whole-number grey
    /// levels (every decoded frame's) each partial sum is exact, so the total equals the
    /// one-at-a-time sum bit for bit (`FastPathTests`). `range`: the pixel indices looked at
    /// (clamped to both arrays; nil: all).
    static func maskedSum(_ pixels: [Float], mask: [Bool], in range: Range<Int>? = nil) -> (sum: Double, count: Int) {
        let all = 0..<min(pixels.count, mask.count)
        let span = range?.clamped(to: all) ?? all
        let n = span.count
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, count = 0
        pixels.withUnsafeBufferPointer { p in
            mask.withUnsafeBufferPointer { m in
                guard n > 0, let p0 = p.baseAddress, let m0 = m.baseAddress else { return }
                let pb = p0 + span.lowerBound, raw = UnsafeRawPointer(m0 + span.lowerBound)
                // A Bool is one byte, 0 or 1: read as a number it weighs the pixel in or out.
                let on = raw.assumingMemoryBound(to: UInt8.self)
                var i = 0
                while i + 4 <= n {
                    let w0 = on[i], w1 = on[i + 1], w2 = on[i + 2], w3 = on[i + 3]
                    s0 += Double(pb[i]) * Double(w0); s1 += Double(pb[i + 1]) * Double(w1)
                    s2 += Double(pb[i + 2]) * Double(w2); s3 += Double(pb[i + 3]) * Double(w3)
                    count &+= Int(w0) &+ Int(w1) &+ Int(w2) &+ Int(w3)
                    i += 4
                }
                while i < n {
                    s0 += Double(pb[i]) * Double(on[i]); count &+= Int(on[i])
                    i += 1
                }
            }
        }
        return ((s0 + s1) + (s2 + s3), count)
    }

    /// Per column: vertical inner-edge distance in mm times the cosine of the local axis angle
    /// (so it is measured perpendicular to the muscle axis); the median over columns clear of
    /// the defect (and 2 mm either side of it).
    func thickness(_ apo: AponeurosisPair, width: Int, excluding defect: DefectObservation?) -> Double? {
        let clear = 2.0 / spacing.mmPerPixelX
        return Self.thicknessMm(superficial: apo.superficialInner, deep: apo.deepInner, width: width, spacing: spacing,
                                excluding: defect.map { (Double($0.box.x) - clear)...(Double($0.box.maxX) + clear) })
    }

    /// The thickness between two inner edges (mm), as above: the median over the region's columns
    /// (those in `excluding` left out) of the vertical distance times the cosine of the local axis angle.
    static func thicknessMm(superficial: Quadratic, deep: Quadratic, width: Int, spacing: Spacing, excluding: ClosedRange<Double>? = nil) -> Double? {
        var values: [Double] = []
        values.reserveCapacity(width)
        for x in 0..<width {
            let xd = Double(x)
            if let excluding, excluding.contains(xd) { continue }
            let vertical = (deep.y(xd) - superficial.y(xd)) * spacing.mmPerPixelY
            let slopePx = (superficial.slope(xd) + deep.slope(xd)) / 2
            let slopeMm = slopePx * spacing.mmPerPixelY / spacing.mmPerPixelX
            values.append(vertical * cos(atan(slopeMm)))
        }
        return Stats.median(values)
    }
}
