import Foundation
import MSKImage
import MSKImaging

/// One defect candidate followed through the clip: an identity, and its observation in each frame
/// where it was seen. Between observations it moves with the tissue around it.
struct DefectTrack: Sendable {
    var id: Int
    /// Observation per frame (nil where not seen).
    var observations: [DefectObservation?]
    /// Centre column per frame (imaging-region pixels): observed, or carried by the tissue motion
    /// from the last observation (nil before the first).
    var centreX: [Double?]
    /// Frames where the track was not seen but its carried position lies inside a region turned
    /// down for its shape alone (`RejectedStructure.joined`).
    var joinedFrames: [Bool] = []
    var joinedCount: Int { joinedFrames.lazy.filter { $0 }.count }

    var frameCount: Int { observations.lazy.filter { $0 != nil }.count }
    var meanArea: Double {
        let a = observations.compactMap { $0.map { Double($0.areaPx) } }
        return a.isEmpty ? 0 : a.reduce(0, +) / Double(a.count)
    }
    /// Frames where the defect was observed.
    var observedFrames: [Int] { observations.indices.filter { observations[$0] != nil } }

    /// The tissue's step (frame t-1 to t, pixels) at each stump face in every frame: the left face
    /// moves with the tissue within `radius` pixels left of it, the right face with the tissue right
    /// of it. After its first observation a face is where it was last seen, carried on by those
    /// steps; before it (a tear that shows only as it opens) it is carried back from that
    /// observation, so the gap at rest follows from the tissue's motion instead of repeating the
    /// first detection. Nil where the tissue there could not be followed.
    func faceSteps(motion: TissueMotion, radius: Double) -> (left: [SIMD2<Double>?], right: [SIMD2<Double>?]) {
        let n = observations.count
        func steps(_ face: (DefectObservation) -> SIMD2<Double>?, beside: (SIMD2<Double>) -> ClosedRange<Double>) -> [SIMD2<Double>?] {
            var out = [SIMD2<Double>?](repeating: nil, count: n)
            guard let first = observations.indices.first(where: { observations[$0].flatMap(face) != nil }),
                  let start = observations[first].flatMap(face) else { return out }
            var p = start
            for t in stride(from: first, to: 0, by: -1) {
                guard let d = motion.displacement(at: t, xIn: beside(p)) else { continue }
                out[t] = d
                p -= d
            }
            p = start
            for t in stride(from: first + 1, to: n, by: 1) {
                if let d = motion.displacement(at: t, xIn: beside(p)) { out[t] = d; p += d }
                if let c = observations[t].flatMap(face) { p = c }
            }
            return out
        }
        return (steps(\.leftFaceCentroid) { ($0.x - radius)...$0.x }, steps(\.rightFaceCentroid) { $0.x...($0.x + radius) })
    }
}

/// Why a track is the clip's defect (`DefectTracker.primary`).
enum DefectBasis: Sendable, Equatable {
    /// Seen in enough of the frames.
    case seen
    /// Seen in enough of the peak-contraction frames: a tear that opens only on contraction.
    case openingAtPeak
    /// Seen in a quarter of the frames, and there in enough counting the frames where it lay
    /// inside a region turned down for its shape (`DefectTrack.joinedFrames`).
    case joinedFrames
}

/// Links the per-frame defect candidates into tracks: a candidate joins the track whose position,
/// carried by the tissue motion since it was last seen, lies within the link distance of the
/// candidate's centre (and whose depth range overlaps it); otherwise it starts a new track. Dark
/// regions that come and go at different places are different tracks, so they never make one
/// defect "widening".
struct DefectTracker {
    let params: AnalysisParameters.DefectTracking
    let spacing: Spacing

    /// `continuations`: per frame, regions that may join a track already followed (nearest first,
    /// by the same link test) but never start one.
    /// `joined`: per frame, the boxes of regions turned down for their shape alone
    /// (`RejectedStructure.joined`); a track not seen in a frame whose carried centre lies within
    /// one (and whose depth range overlaps it) is marked there (`DefectTrack.joinedFrames`).
    func tracks(candidates: [[DefectObservation]], continuations: [[DefectObservation]] = [], joined: [[PixelRect]] = [],
                motion: TissueMotion) -> [DefectTrack] {
        let n = candidates.count
        var tracks: [DefectTrack] = []
        // Each track's current position (centre x, top, bottom) as the tissue carries it.
        var state: [(x: Double, top: Double, bottom: Double)] = []
        let link = params.linkDistanceMm / spacing.mmPerPixelX
        let radius = params.motionRadiusMm / spacing.mmPerPixelX
        // The track a candidate joins: the nearest not yet taken this frame whose carried centre lies
        // within the link distance (or half the candidate's width) and whose depth range overlaps it.
        func nearest(_ c: DefectObservation, untaken taken: Set<Int>) -> Int? {
            let reach = max(link, Double(c.box.width) / 2)
            var best: Int?
            var bestDistance = Double.infinity
            for i in state.indices where !taken.contains(i) {
                let s = state[i]
                let distance = abs(s.x - c.centreX)
                let overlap = min(s.bottom, c.bottom) - max(s.top, c.top)
                if distance <= reach, overlap > 0, distance < bestDistance { best = i; bestDistance = distance }
            }
            return best
        }
        for t in 0..<n {
            // Carry every track with the tissue around it.
            for i in state.indices {
                let s = state[i]
                if let d = motion.displacement(at: t, xIn: (s.x - radius)...(s.x + radius)) {
                    state[i] = (s.x + d.x, s.top + d.y, s.bottom + d.y)
                }
            }
            var taken = Set<Int>()
            for c in candidates[t].sorted(by: { $0.areaPx > $1.areaPx }) {
                if let i = nearest(c, untaken: taken) {
                    taken.insert(i)
                    tracks[i].observations[t] = c
                    state[i] = (c.centreX, c.top, c.bottom)
                } else {
                    var track = DefectTrack(id: tracks.count, observations: Array(repeating: nil, count: n),
                                            centreX: Array(repeating: nil, count: n), joinedFrames: Array(repeating: false, count: n))
                    track.observations[t] = c
                    tracks.append(track)
                    state.append((c.centreX, c.top, c.bottom))
                    taken.insert(tracks.count - 1)
                }
            }
            if t < continuations.count {
                for c in continuations[t] {
                    guard let i = nearest(c, untaken: taken) else { continue }
                    taken.insert(i)
                    tracks[i].observations[t] = c
                    state[i] = (c.centreX, c.top, c.bottom)
                }
            }
            if t < joined.count {
                for i in tracks.indices where !taken.contains(i) {
                    let s = state[i]
                    tracks[i].joinedFrames[t] = joined[t].contains { (box: PixelRect) -> Bool in
                        let left = Double(box.x), right = Double(box.x + box.width - 1)
                        let overlap = min(s.bottom, Double(box.y + box.height)) - max(s.top, Double(box.y))
                        return s.x >= left && s.x <= right && overlap > 0
                    }
                }
            }
            // Every track exists from its first observation on (tracks are created when first seen).
            for i in tracks.indices { tracks[i].centreX[t] = state[i].x }
        }
        return tracks
    }

    /// The clip's defect: the track seen in the most frames, when it is seen in enough of them (a
    /// tear is there throughout), or in enough of the peak-contraction frames (a tear that opens
    /// only on contraction). When neither qualifies (`countJoinedFrames`, since session 29): the
    /// track seen in at least `minSeenFractionWithJoined` of the frames whose frames seen and
    /// frames joined to a region turned down for its shape alone (`DefectTrack.joinedFrames`)
    /// together make enough. Nil when no track qualifies.
    func primary(_ tracks: [DefectTrack], peakFrames: [Int]) -> (track: DefectTrack, basis: DefectBasis)? {
        let n = tracks.first?.observations.count ?? 0
        guard n > 0 else { return nil }
        let needed = max(params.minFrames, Int((params.minFrameFraction * Double(n)).rounded(.up)))
        let ranked = tracks.sorted { ($0.frameCount, $0.meanArea) > ($1.frameCount, $1.meanArea) }
        if let best = ranked.first, best.frameCount >= needed { return (best, .seen) }
        if peakFrames.count >= 3 {
            let atPeak = tracks.map { track in peakFrames.filter { track.observations[$0] != nil }.count }
            if let i = atPeak.indices.max(by: { atPeak[$0] < atPeak[$1] }),
               atPeak[i] >= max(3, Int((params.minPeakFraction * Double(peakFrames.count)).rounded(.up))) { return (tracks[i], .openingAtPeak) }
        }
        guard params.countJoinedFrames else { return nil }
        let seen = max(params.minFrames, Int((params.minSeenFractionWithJoined * Double(n)).rounded(.up)))
        let joined = tracks.filter { $0.frameCount >= seen && $0.frameCount + $0.joinedCount >= needed }
            .max { ($0.frameCount + $0.joinedCount, $0.frameCount, $0.meanArea) < ($1.frameCount + $1.joinedCount, $1.frameCount, $1.meanArea) }
        return joined.map { ($0, .joinedFrames) }
    }
}
