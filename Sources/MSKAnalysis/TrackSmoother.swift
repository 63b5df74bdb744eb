import Foundation

/// Fuses a tracked quantity with its per-frame detections: a one-dimensional Kalman filter whose
/// prediction step moves the state by the tracked motion (speckle tracking, frame to frame) and
/// whose update step pulls it towards the detection, followed by a Rauch-Tung-Striebel backward
/// pass so every frame uses the whole clip (frame 0 as well as the last).
///
/// Tracking alone drifts (its errors add up); detection alone jitters (each frame on its own).
/// The filter trusts tracking over short spans (`motionNoise` per frame) and detection over long
/// ones (`detectionNoise`). A detection more than `gate` standard deviations from the prediction
/// is ignored as an outlier (a mis-detection in one frame).
public struct TrackSmoother: Sendable {
    /// Standard deviation of the tracked motion's error per frame (same unit as the values).
    public var motionNoise: Double
    /// Standard deviation of a detection's error.
    public var detectionNoise: Double
    /// Innovation gate in standard deviations.
    public var gate: Double

    public init(motionNoise: Double, detectionNoise: Double, gate: Double = 4) {
        self.motionNoise = motionNoise
        self.detectionNoise = detectionNoise
        self.gate = gate
    }

    /// Smoothed values for every frame. `motion[t]` is the tracked change from frame t-1 to t
    /// (nil when tracking failed there: the motion is then taken as 0 with a larger uncertainty;
    /// `motion[0]` is ignored). `detections[t]` is the per-frame detection, nil where none.
    /// Returns nil when there is no detection at all. `rejected` counts gated-out detections.
    public func smooth(motion: [Double?], detections: [Double?]) -> (values: [Double], rejected: Int)? {
        let n = detections.count
        guard n > 0, motion.count == n, let firstValue = detections.first(where: { $0 != nil }) ?? nil else { return nil }
        let q = motionNoise * motionNoise, r = detectionNoise * detectionNoise
        let unknownMotion = max(q * 25, r)
        var predicted = [Double](repeating: 0, count: n), predictedVar = [Double](repeating: 0, count: n)
        var filtered = [Double](repeating: 0, count: n), filteredVar = [Double](repeating: 0, count: n)
        var x = firstValue, p = 1e8
        var rejected = 0
        for t in 0..<n {
            if t > 0 {
                if let u = motion[t] { x += u; p += q } else { p += unknownMotion }
            }
            predicted[t] = x; predictedVar[t] = p
            if let z = detections[t] {
                let innovation = z - x, s = p + r
                if p > 1e6 || innovation * innovation <= gate * gate * s {
                    let k = p / s
                    x += k * innovation
                    p *= (1 - k)
                } else {
                    rejected += 1
                }
            }
            filtered[t] = x; filteredVar[t] = p
        }
        var smoothed = filtered
        if n >= 2 {
            for t in stride(from: n - 2, through: 0, by: -1) {
                let c = filteredVar[t] / predictedVar[t + 1]
                smoothed[t] = filtered[t] + c * (smoothed[t + 1] - predicted[t + 1])
            }
        }
        return (smoothed, rejected)
    }
}
