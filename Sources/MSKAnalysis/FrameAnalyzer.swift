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
        var sum = 0.0, count = 0
        region.pixels.withUnsafeBufferPointer { p in
            found.bellyMask.withUnsafeBufferPointer { mask in
                for i in 0..<min(p.count, mask.count) where mask[i] { sum += Double(p[i]); count += 1 }
            }
        }
        obs.echoIntensity = count > 0 ? sum / Double(count) : nil
        return obs
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
