import Foundation
import MSKImaging

/// Fuses the per-frame fascicle estimates over the clip, as the thickness is fused: a Kalman
/// filter with a backward pass (`TrackSmoother`) over the fascicle angle and over the deep
/// aponeurosis angle. No frame-to-frame motion is tracked for angles, so the prediction is "no
/// change" with `angleChangeNoiseDeg` per frame: a frame's own estimate dominates unless it is an
/// outlier far from its neighbours (gated out). The pennation angle and the fascicle length are
/// then derived in each frame from the fused angles and the inner edges the frame reports (the
/// ones the overlay draws), so the drawn fascicle line, the angles and the length agree.
enum FascicleFusion {
    /// Per-frame change allowed for the fascicle and aponeurosis angles (degrees): contraction
    /// turns the fascicles by up to a few degrees between frames at 30 fps.
    static let angleChangeNoiseDeg = 2.0
    /// A single frame's angle error (degrees), from the observers' spread and the estimator on
    /// simulated textures.
    static let angleDetectionNoiseDeg = 1.5
    /// Estimates whose projection F ratio is below this are too weak to use (no striations seen).
    static let minStrength = 1.5

    /// Writes `fascicleAngleDeg`, `deepAponeurosisAngleDeg`, `pennationAngleDeg` and
    /// `fascicleLength` into `frames`, and the fascicle line into `overlays`.
    static func apply(observations: [FrameObservation], regionWidth: Int, spacing: Spacing, calibrated: Bool,
                      frames: inout [FrameMeasurement], overlays: inout [FrameOverlay]) {
        let n = observations.count
        guard n > 0, frames.count == n, overlays.count == n else { return }
        let estimates = observations.map { o in o.fascicle.flatMap { $0.strength >= minStrength ? $0 : nil } }
        let smoother = TrackSmoother(motionNoise: angleChangeNoiseDeg, detectionNoise: angleDetectionNoiseDeg)
        let noMotion = [Double?](repeating: nil, count: n)
        guard let fascicle = smoother.smooth(motion: noMotion, detections: estimates.map { $0?.fascicleAngleDeg })?.values else { return }
        let deepDetections: [Double?] = observations.map { $0.fascicle?.deepAponeurosisAngleDeg }
        let deep = smoother.smooth(motion: noMotion, detections: deepDetections)?.values
        for t in 0..<n {
            // Only frames where the muscle is reported carry its geometry.
            guard let s = overlays[t].superficialInner, let d = overlays[t].deepInner else { continue }
            let angle = fascicle[t]
            let deepAngle = deep?[t] ?? observations[t].fascicle?.deepAponeurosisAngleDeg
            frames[t].fascicleAngleDeg = angle
            frames[t].deepAponeurosisAngleDeg = deepAngle
            frames[t].pennationAngleDeg = deepAngle.map { angle - $0 }
            if let cut = FascicleEstimator.length(superficial: s, deep: d, fasciclePixelDeg: FascicleEstimator.pixelDegrees(angle, spacing: spacing),
                                                 centreX: Double(regionWidth) / 2, spacing: spacing) {
                frames[t].fascicleLength = Length(calibrated ? cut.lengthMm : cut.lengthMm / spacing.mmPerPixelX, calibrated ? .mm : .px)
                overlays[t].fascicleLine = (cut.deep, cut.superficial)
            }
        }
    }
}
