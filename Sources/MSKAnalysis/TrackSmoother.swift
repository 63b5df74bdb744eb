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

    /// Consecutive gated-out detections after which the track is taken to have drifted and is
    /// re-acquired from the detections (nil: never).
    public var reacquireAfter: Int?

    public init(motionNoise: Double, detectionNoise: Double, gate: Double = 4, reacquireAfter: Int?) {
        self.init(motionNoise: motionNoise, detectionNoise: detectionNoise, gate: gate)
        self.reacquireAfter = reacquireAfter
    }

    /// The smoothed values, the detections gated out as outliers, and the frames where the track
    /// was re-acquired from the detections.
    public struct Output: Sendable, Equatable {
        public var values: [Double]
        public var rejected: Int
        public var reacquiredAt: [Int]
    }

    /// Smoothed values for every frame. `motion[t]` is the tracked change from frame t-1 to t
    /// (nil when tracking failed there: the motion is then taken as 0 with a larger uncertainty;
    /// `motion[0]` is ignored). `detections[t]` is the per-frame detection, nil where none.
    /// Returns nil when there is no detection at all.
    ///
    /// A run of `reacquireAfter` consecutive gated-out detections means the track, not the
    /// detector, is wrong (tracking drifted, or followed the wrong structure): the filter restarts
    /// from the run's first detection that the next one confirms (`restart`; the run's first
    /// until session 24), and the backward pass does not carry the old track across the restart.
    /// Correct detections are never discarded for the rest of the clip.
    public func smooth(motion: [Double?], detections: [Double?]) -> Output? {
        let n = detections.count
        guard n > 0, motion.count == n, let firstValue = detections.first(where: { $0 != nil }) ?? nil else { return nil }
        let q = motionNoise * motionNoise, r = detectionNoise * detectionNoise
        let unknownMotion = max(q * 25, r)
        var predicted = [Double](repeating: 0, count: n), predictedVar = [Double](repeating: 0, count: n)
        var filtered = [Double](repeating: 0, count: n), filteredVar = [Double](repeating: 0, count: n)
        var x = firstValue, p = 1e8
        var rejected = 0
        var reacquired: [Int] = []
        var runStart: Int?
        var runLength = 0
        var t = 0
        while t < n {
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
                    runStart = nil; runLength = 0
                } else {
                    rejected += 1
                    if runStart == nil { runStart = t }
                    runLength += 1
                    if let limit = reacquireAfter, runLength >= limit, let start = runStart,
                       let (j, zj) = restart(detections, motion: motion, run: start...t) {
                        // Restart from the run's own detections, at the first the next confirms:
                        // the run's first may be an outlier itself (one wrong pair), and a track
                        // restarted on it would gate out the correct detections after it again.
                        // The run's frames from there on are filtered again; those before it stay
                        // rejected, on the old track.
                        rejected -= (j...t).count { detections[$0] != nil }
                        reacquired.append(j)
                        runStart = nil; runLength = 0
                        x = zj; p = r
                        predicted[j] = zj; predictedVar[j] = 1e12
                        filtered[j] = x; filteredVar[j] = p
                        t = j + 1
                        continue
                    }
                }
            }
            filtered[t] = x; filteredVar[t] = p
            t += 1
        }
        var smoothed = filtered
        if n >= 2 {
            for t in stride(from: n - 2, through: 0, by: -1) {
                let c = filteredVar[t] / predictedVar[t + 1]
                smoothed[t] = filtered[t] + c * (smoothed[t + 1] - predicted[t + 1])
            }
        }
        return Output(values: smoothed, rejected: rejected, reacquiredAt: reacquired)
    }

    /// The frame a run of gated-out detections restarts the track at, and its detection: the run's
    /// first detection that the next one in the run confirms (the two within the gate of each
    /// other, `gate` standard deviations of a difference of two detections, after the tracked
    /// motion between them), so that a single wrong detection (one wrong pair) at the run's start
    /// is not restarted on; the run's first when no two agree. Nil when the run holds none.
    func restart(_ detections: [Double?], motion: [Double?], run: ClosedRange<Int>) -> (Int, Double)? {
        let seen = run.compactMap { k in detections[k].map { (k, $0) } }
        guard let first = seen.first else { return nil }
        let limit = gate * detectionNoise * 2.0.squareRoot()
        for (a, b) in zip(seen, seen.dropFirst()) {
            let moved = ((a.0 + 1)...b.0).reduce(0.0) { $0 + (motion[$1] ?? 0) }
            if abs(b.1 - (a.1 + moved)) <= limit { return a }
        }
        return first
    }
}
