import Foundation
@testable import MSKAnalysis
import MSKImage
@testable import MSKImaging
import Testing

/// A field whose nodes sit at x = 10, 20, ..., 200 px on one row, moving as `move(x, t)` from frame t-1 to t.
private func fields(frames: Int, move: (Double, Int) -> SIMD2<Double>?) -> [TissueField?] {
    let xs = stride(from: 10.0, through: 200, by: 10).map { $0 }
    return (0..<frames).map { t in
        guard t > 0 else { return nil }
        return TissueField(positions: xs.map { SIMD2($0, 50) }, displacements: xs.map { move($0, t) }, columns: xs.count, rows: 1)
    }
}

@Suite("Tissue motion: contraction and the localised opening from the displacement field")
struct TissueMotionTests {
    let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)

    @Test("A smooth stretch gives no opening; a jump at one place gives an opening of its size, wherever the stretch")
    func opening() throws {
        // Frames 1-10: the belly stretches uniformly (0.5% a frame about x = 100).
        let smooth = TissueMotion(fields: fields(frames: 11) { x, _ in SIMD2((x - 100) * 0.005, 0) })
        let j0 = try #require(smooth.opening(at: 10, centre: 105, exclusion: 8, window: 100, minPerSide: 2))
        #expect(abs(j0) < 1e-9)
        // The same stretch plus the tissue right of x = 105 moving 0.4 px a frame further right.
        let torn = TissueMotion(fields: fields(frames: 11) { x, _ in SIMD2((x - 100) * 0.005 + (x > 105 ? 0.4 : 0), 0) })
        let j = try #require(torn.opening(at: 10, centre: 105, exclusion: 8, window: 100, minPerSide: 2))
        #expect(abs(j - 4.0) < 1e-6, "10 frames x 0.4 px")
        // Too few nodes on a side: nothing is guessed.
        #expect(torn.opening(at: 10, centre: 195, exclusion: 8, window: 100, minPerSide: 2) == nil)
    }

    @Test("Contraction follows how far the belly moved from rest, and untrusted nodes take their neighbours' motion")
    func magnitude() throws {
        // Out 5 frames at 0.2 px a frame, back 5 frames; one node never trusted.
        let m = TissueMotion(fields: fields(frames: 11) { x, t in x == 100 ? nil : SIMD2(t <= 5 ? 2 : -2, 0) })
        let mm = try #require(m.motionMagnitude(spacing: spacing, referenceFrames: 1))
        #expect(mm.count == 11)
        #expect(abs(mm[5] - 1.0) < 1e-9, "5 frames x 2 px x 0.1 mm")
        #expect(abs(mm[10]) < 1e-9 && abs(mm[0]) < 1e-9)
        #expect(m.trusted[3][9] == false && m.step[3][9] == SIMD2(2, 0))
    }

    @Test("The normalised median test drops a step that stands out from its neighbours, keeps a smooth stretch and an opening, and works at its threshold")
    func outlierSteps() throws {
        // Two rows of 10 nodes; a smooth stretch (0.05 px per column about column 5) plus 0.4 px right of column 6.
        let columns = 10
        var d: [SIMD2<Double>?] = (0..<(2 * columns)).map { k in
            let c = Double(k % columns)
            return SIMD2((c - 5) * 0.05 + (c > 6 ? 0.4 : 0), 0.1)
        }
        d[3] = SIMD2(6, 0.1)          // slid along a bright line: 6 px where its neighbours move about -0.1
        d[columns + 8] = SIMD2(0.65, 1.9)  // wrong in depth only
        let positions = (0..<(2 * columns)).map { SIMD2(Double($0 % columns) * 30, $0 < columns ? 40 : 80) }
        let field = TissueField(positions: positions, displacements: d, columns: columns, rows: 2)
        let kept = field.rejectingOutliers(threshold: 2, noisePx: 0.1)
        #expect(kept.displacements[3] == nil && kept.displacements[columns + 8] == nil)
        // Every other node stays, the ones either side of the opening included.
        let others = (0..<(2 * columns)).filter { $0 != 3 && $0 != columns + 8 }
        #expect(others.allSatisfy { kept.displacements[$0] == d[$0] })
        // Threshold 0: no test.
        #expect(field.rejectingOutliers(threshold: 0, noisePx: 0.1) == field)
        // At the threshold: neighbours of node 1 in row 0 are columns 0, 2, 3 (node 3 is
        // measured in the input) with x = -0.25, -0.15, 6; median -0.15, spread 0.1, so the residual
        // of x is |x + 0.15| / 0.2, 2 at x = 0.25: just under it is kept, just over it dropped.
        var edge = d
        edge[1] = SIMD2(0.2499, 0.1)
        #expect(TissueField(positions: positions, displacements: edge, columns: columns, rows: 2)
            .rejectingOutliers(threshold: 2, noisePx: 0.1).displacements[1] != nil)
        edge[1] = SIMD2(0.2501, 0.1)
        #expect(TissueField(positions: positions, displacements: edge, columns: columns, rows: 2)
            .rejectingOutliers(threshold: 2, noisePx: 0.1).displacements[1] == nil)
        // A node with no measured neighbour in reach is tested against the whole frame.
        var lone: [SIMD2<Double>?] = Array(repeating: SIMD2(0.2, 0), count: 2 * columns)
        for k in 0..<(2 * columns) where k % columns >= 6 { lone[k] = nil }
        lone[9] = SIMD2(5, 0)
        #expect(TissueField(positions: positions, displacements: lone, columns: columns, rows: 2)
            .rejectingOutliers(threshold: 2, noisePx: 0.1).displacements[9] == nil)
    }

    @Test("A node that keeps sliding along a line no longer drifts away: it moves with its neighbours")
    func outlierDoesNotDrift() throws {
        // The belly moves out 5 frames at 2 px a frame and back; one node in five reads +8 px every frame.
        let raw = fields(frames: 11) { x, t in Int(x) % 50 == 0 ? SIMD2(8, 0) : SIMD2(t <= 5 ? 2 : -2, 0) }
        #expect(TissueMotion(fields: raw).cumulative[10][4].x == 80, "untested, the node at x = 50 drifts 10 x 8 px")
        let motion = TissueMotion(fields: raw.map { $0?.rejectingOutliers(threshold: 2, noisePx: 0.1) })
        for k in [4, 9, 14, 19] {
            #expect(motion.cumulative[5][k] == SIMD2(10, 0) && motion.cumulative[10][k] == .zero, "node \(k)")
        }
        let mm = try #require(motion.motionMagnitude(spacing: spacing, referenceFrames: 1))
        #expect(abs(mm[5] - 1.0) < 1e-9 && abs(mm[10]) < 1e-9)
    }
}

@Suite("Track smoother: detections and tracking fused, re-acquiring when the track has drifted")
struct TrackSmootherReacquireTests {
    @Test("A track that drifts away from correct detections re-acquires after the set number of frames, and says where")
    func reacquires() throws {
        // The detections say 10 throughout; the tracked motion claims a jump of +5 at frame 10.
        let n = 40
        let detections: [Double?] = Array(repeating: 10, count: n)
        var motion: [Double?] = Array(repeating: 0, count: n)
        motion[10] = 5
        let s = TrackSmoother(motionNoise: 0.03, detectionNoise: 0.15, gate: 4, reacquireAfter: 5)
        let out = try #require(s.smooth(motion: motion, detections: detections))
        #expect(out.reacquiredAt == [10])
        #expect(out.values.allSatisfy { abs($0 - 10) < 0.2 }, "\(out.values)")
        // Without re-acquisition the same input stays on the drifted track for the rest of the clip.
        let stuck = try #require(TrackSmoother(motionNoise: 0.03, detectionNoise: 0.15, gate: 4).smooth(motion: motion, detections: detections))
        #expect(stuck.reacquiredAt.isEmpty && stuck.rejected >= 25)
        #expect(abs(stuck.values[n - 1] - 15) < 0.5)
    }

    @Test("A run that starts on an outlier restarts at the first detection the next one confirms, not on the outlier")
    func restartsAtTheFirstDetectionTheNextConfirms() throws {
        // 20 for ten frames, one wrong pair (5) at frame 10, then 17 (a change the tracking missed)
        // to the clip's end, four frames: too few for a second re-acquisition.
        let detections: [Double?] = Array(repeating: 20, count: 10) + [5] + Array(repeating: 17, count: 4)
        let out = try #require(TrackSmoother(motionNoise: 0.03, detectionNoise: 0.15, gate: 4, reacquireAfter: 5)
            .smooth(motion: Array(repeating: 0, count: 15), detections: detections))
        #expect(out.reacquiredAt == [11])
        #expect(out.values[11...].allSatisfy { abs($0 - 17) < 0.05 }, "\(out.values)")
        #expect(out.values[..<11].allSatisfy { abs($0 - 20) < 0.05 }, "\(out.values)")
        #expect(out.rejected == 1)
        // The restart: the run's first detection the next one confirms, after the tracked motion.
        let s = TrackSmoother(motionNoise: 0.03, detectionNoise: 0.15, gate: 4, reacquireAfter: 5)
        let still: [Double?] = Array(repeating: 0, count: 6)
        #expect(s.restart([nil, 5, 17, nil, 16.9, 17.1], motion: still, run: 0...5)! == (2, 17))
        var moved = still
        moved[2] = 2
        #expect(s.restart([5, 10, 12], motion: moved, run: 0...2)! == (1, 10))
        // No two agree (the +2 not tracked): the run's first, as before session 24.
        #expect(s.restart([5, 10, 12], motion: still, run: 0...2)! == (0, 5))
        #expect(s.restart([nil, nil], motion: still, run: 0...1) == nil)
    }

    @Test("A few outlying detections are gated out, not re-acquired")
    func outliers() throws {
        var detections: [Double?] = Array(repeating: 10, count: 30)
        detections[12] = 30; detections[13] = 30
        let out = try #require(TrackSmoother(motionNoise: 0.03, detectionNoise: 0.15, gate: 4, reacquireAfter: 5)
            .smooth(motion: Array(repeating: 0, count: 30), detections: detections))
        #expect(out.rejected == 2 && out.reacquiredAt.isEmpty)
        #expect(out.values.allSatisfy { abs($0 - 10) < 0.05 })
    }
}

@Suite("Defect tracker: one defect is one object followed through the clip")
struct DefectTrackerTests {
    let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)

    func candidate(x: Double, width: Int = 30) -> DefectObservation {
        DefectObservation(box: PixelRect(x: Int(x) - width / 2, y: 20, width: width, height: 60), areaPx: width * 60,
                          top: 20, bottom: 80, touchesSuperficial: true, touchesDeep: true, depthFraction: 1,
                          centreX: x, midY: 50, midLeftX: x - Double(width) / 2, midRightX: x + Double(width) / 2,
                          leftFace: [], rightFace: [], fluidLevel: 10, bellyLevel: 80)
    }

    /// A clip of `n` frames whose tissue does not move, and the tracker with the default parameters.
    func still(frames n: Int) -> (motion: TissueMotion, tracker: DefectTracker) {
        (TissueMotion(fields: fields(frames: n) { _, _ in SIMD2(0, 0) }), DefectTracker(params: AnalysisParameters.DefectTracking(), spacing: spacing))
    }

    @Test("A defect carried by the tissue stays one track; dark regions at other places are other tracks")
    func linking() throws {
        let n = 20
        // The tissue moves 2 px right a frame; the defect moves with it (40 px over the clip).
        let motion = TissueMotion(fields: fields(frames: n) { _, _ in SIMD2(2, 0) })
        var candidates: [[DefectObservation]] = (0..<n).map { t in [candidate(x: 100 + 2 * Double(t))] }
        // A dark region far away in a few frames only, and nothing in frames 8-9.
        candidates[3].append(candidate(x: 170)); candidates[15].append(candidate(x: 30))
        candidates[8] = []; candidates[9] = []
        let tracker = DefectTracker(params: AnalysisParameters.DefectTracking(), spacing: spacing)
        let tracks = tracker.tracks(candidates: candidates, motion: motion)
        #expect(tracks.count == 3)
        let main = try #require(tracker.primary(tracks, peakFrames: []))
        #expect(main.track.frameCount == n - 2 && main.basis == .seen)
        // Carried through the frames without an observation.
        #expect(abs((main.track.centreX[9] ?? 0) - 118) < 1e-9)
    }

    @Test("A continuation (a small fluid patch) joins a defect already followed, and never starts one")
    func continuations() throws {
        let n = 20
        let (motion, tracker) = still(frames: n)
        // The defect is a candidate in frames 0-7 and only a small patch in frames 8-19 (under the
        // 50 % of frames a defect needs from its candidates alone); a patch far away in every frame.
        let candidates: [[DefectObservation]] = (0..<n).map { t in t < 8 ? [candidate(x: 100)] : [] }
        let patches: [[DefectObservation]] = (0..<n).map { t in (t < 8 ? [] : [candidate(x: 101, width: 20)]) + [candidate(x: 170, width: 20)] }
        #expect(tracker.primary(tracker.tracks(candidates: candidates, motion: motion), peakFrames: []) == nil)
        let tracks = tracker.tracks(candidates: candidates, continuations: patches, motion: motion)
        #expect(tracks.count == 1, "the far patch starts no track")
        let main = try #require(tracker.primary(tracks, peakFrames: []))
        #expect(main.track.frameCount == n)
        // Patches alone make no track.
        #expect(tracker.tracks(candidates: Array(repeating: [], count: n), continuations: patches, motion: motion).isEmpty)
    }

    @Test("Frames where the defect lies inside a region turned down for its shape count towards its presence, exactly at the threshold, and never start or measure it")
    func joinedFrames() throws {
        let n = 20
        let (motion, tracker) = still(frames: n)
        // Seen as a candidate in frames 0-5 (6 of the 10 frames needed); in the later frames joined to a
        // long dark space along the muscle (columns 60-159, rows 30-69; the defect's rows are 20-80).
        let candidates: [[DefectObservation]] = (0..<n).map { t in t < 6 ? [candidate(x: 100)] : [] }
        func joined(_ frames: Range<Int>, _ box: PixelRect = PixelRect(x: 60, y: 30, width: 100, height: 40)) -> [[PixelRect]] {
            (0..<n).map { frames.contains($0) ? [box] : [] }
        }
        #expect(tracker.primary(tracker.tracks(candidates: candidates, motion: motion), peakFrames: []) == nil)
        // 6 seen + 4 joined = 10 of 20: exactly the 50 % needed.
        let tracks = tracker.tracks(candidates: candidates, joined: joined(6..<10), motion: motion)
        let main = try #require(tracker.primary(tracks, peakFrames: []))
        #expect(main.track.frameCount == 6 && main.track.joinedCount == 4 && main.basis == .joinedFrames)
        #expect(main.track.observations[6...].allSatisfy { $0 == nil }, "a joined frame is not an observation: nothing is measured there")
        // 6 + 3 = 9: one short.
        #expect(tracker.primary(tracker.tracks(candidates: candidates, joined: joined(6..<9), motion: motion), peakFrames: []) == nil)
        // A track itself seen in under a quarter of the frames (`minSeenFractionWithJoined`) gains
        // nothing from its joined frames; at exactly a quarter (5 of 20) it does.
        let fewer: (Int) -> [[DefectObservation]] = { seen in (0..<n).map { t in t < seen ? [candidate(x: 100)] : [] } }
        #expect(tracker.primary(tracker.tracks(candidates: fewer(4), joined: joined(4..<20), motion: motion), peakFrames: []) == nil)
        let quarter = try #require(tracker.primary(tracker.tracks(candidates: fewer(5), joined: joined(5..<10), motion: motion), peakFrames: []))
        #expect(quarter.track.frameCount == 5 && quarter.track.joinedCount == 5)
        // A joined region elsewhere along the muscle, or beside the defect's rows, does not count.
        let far = joined(6..<20, PixelRect(x: 200, y: 30, width: 100, height: 40))
        let deeper = joined(6..<20, PixelRect(x: 60, y: 90, width: 100, height: 30))
        #expect(tracker.primary(tracker.tracks(candidates: candidates, joined: far, motion: motion), peakFrames: []) == nil)
        #expect(tracker.primary(tracker.tracks(candidates: candidates, joined: deeper, motion: motion), peakFrames: []) == nil)
        // Turned off (`countJoinedFrames`), the frames seen alone decide.
        var off = AnalysisParameters.DefectTracking()
        off.countJoinedFrames = false
        let offTracker = DefectTracker(params: off, spacing: spacing)
        #expect(offTracker.primary(offTracker.tracks(candidates: candidates, joined: joined(6..<20), motion: motion), peakFrames: []) == nil)
        // A track that qualifies on the frames it is seen in stays the defect, even beside one whose
        // seen and joined frames add up to more: joined frames only decide where none qualifies.
        let two: [[DefectObservation]] = (0..<n).map { t in (t < 10 ? [candidate(x: 100)] : []) + (t < 8 ? [candidate(x: 200)] : []) }
        let besideJoined = joined(8..<20, PixelRect(x: 160, y: 30, width: 80, height: 40))
        let both = tracker.tracks(candidates: two, joined: besideJoined, motion: motion)
        #expect(both.map(\.frameCount).sorted() == [8, 10])
        #expect(both.first { $0.frameCount == 8 }?.joinedCount == 12)
        let kept = try #require(tracker.primary(both, peakFrames: []))
        #expect(kept.track.frameCount == 10 && kept.basis == .seen)
        // Joined regions alone start no track.
        #expect(tracker.tracks(candidates: Array(repeating: [], count: n), joined: joined(0..<20), motion: motion).isEmpty)
    }

    @Test("Before a tear is first seen, its faces are carried back with the tissue beside each: the gap at rest comes from the motion")
    func facesCarriedBack() throws {
        let n = 12
        // Tissue right of x = 100 moves 1 px right a frame (the right stump retracts); left of it, still.
        let motion = TissueMotion(fields: fields(frames: n) { x, _ in SIMD2(x > 100 ? 1 : 0, 0) })
        // The defect is seen only from frame 8 on, its faces at x = 95 and 125.
        func seen(_ t: Int) -> DefectObservation? {
            guard t >= 8 else { return nil }
            var c = candidate(x: 110)
            c.leftFace = [SIMD2(95, 40), SIMD2(95, 60)]; c.rightFace = [SIMD2(125, 40), SIMD2(125, 60)]
            return c
        }
        let track = DefectTrack(id: 0, observations: (0..<n).map(seen), centreX: Array(repeating: nil, count: n))
        let radius = AnalysisParameters.DefectTracking().motionRadiusMm / spacing.mmPerPixelX
        let (left, right) = track.faceSteps(motion: motion, radius: radius)
        for t in 1..<n {
            #expect(left[t]?.x == 0 && right[t]?.x == 1, "frame \(t): each face moves with the tissue on its side")
        }
        #expect(left[0] == nil && right[0] == nil, "no step into the first frame")
        // Fused with the detections (30 px at frame 8, then growing as the stump moves on), the gap at
        // frame 0 is 8 px less: the right stump's steps into frames 1-8.
        let smoother = TrackSmoother(motionNoise: 0.05, detectionNoise: 0.5)
        var gapSteps = [Double?](repeating: nil, count: n), detections = [Double?](repeating: nil, count: n)
        for t in 0..<n {
            if let r = right[t], let l = left[t] { gapSteps[t] = r.x - l.x }
            if t >= 8 { detections[t] = 30 + Double(t - 8) }
        }
        let fused = smoother.smooth(motion: gapSteps, detections: detections)
        let gap = try #require(fused).values
        #expect(abs(gap[0] - 22) < 0.01 && abs(gap[8] - 30) < 0.01, "gap \(gap[0]) at frame 0, \(gap[8]) at frame 8")
    }

    @Test("Regions that come and go at different places never add up to one defect")
    func wandering() {
        let n = 20
        let (motion, tracker) = still(frames: n)
        // Each frame a region somewhere else (60 px = 6 mm apart, beyond the 3 mm link distance).
        let candidates: [[DefectObservation]] = (0..<n).map { t in [candidate(x: 20 + Double((t * 60) % 180))] }
        let tracks = tracker.tracks(candidates: candidates, motion: motion)
        #expect(tracks.count == 3)
        #expect(tracker.primary(tracks, peakFrames: []) == nil, "each place seen in 1/3 of the frames, under the 50% needed")
    }
}

@Suite("Analysis parameters: one place, overridable from a file, refused when unusable")
struct AnalysisParametersTests {
    @Test("A subset overrides the defaults; the rest stay")
    func override() throws {
        let json = #"{"findings": {"retractionMm": 2.5}, "windows": {"peakMinContraction": 0.75}}"#
        let p = try AnalysisParameters.overriding(with: Data(json.utf8), source: "p.json")
        #expect(p.findings.retractionMm == 2.5 && p.windows.peakMinContraction == 0.75)
        var expected = AnalysisParameters()
        expected.findings.retractionMm = 2.5
        expected.windows.peakMinContraction = 0.75
        #expect(p == expected)
    }

    @Test("The aponeurosis detector's values are overridable and reach the detector")
    func aponeurosis() throws {
        let p = try AnalysisParameters.overriding(with: Data(#"{"aponeurosis": {"followMm": 3.5}}"#.utf8), source: "p.json")
        #expect(p.aponeurosis.followMm == 3.5 && p.aponeurosis.strongFraction == AponeurosisDetector.Params().strongFraction)
        let analyzer = FrameAnalyzer(spacing: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1), aponeurosisParams: p.aponeurosis)
        #expect(analyzer.aponeurosisDetector.params.followMm == 3.5)
    }

    @Test("The fascicle estimator's values are overridable and reach the estimator")
    func fascicle() throws {
        let p = try AnalysisParameters.overriding(with: Data(#"{"fascicle": {"highPassMm": 0.9, "mirrorWeight": 0}}"#.utf8), source: "p.json")
        #expect(p.fascicle.highPassMm == 0.9 && p.fascicle.mirrorWeight == 0 && p.fascicle.cellMm == FascicleEstimator.Params().cellMm)
        let analyzer = FrameAnalyzer(spacing: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1), fascicleParams: p.fascicle)
        #expect(analyzer.fascicleEstimator.params == p.fascicle)
    }

    @Test("Unknown keys, wrong types and unusable values are refused with the file's name and the key", arguments: [
        (#"{"findings": {"retractionMM": 2}}"#, "findings.retractionMM"),
        (#"{"findings": 3}"#, "'findings' must be an object"),
        (#"{"findings": {"retractionMm": "two"}}"#, "wrong type"),
        (#"{"fusion": {"gateSD": -1}}"#, "fusion.gateSD"),
        (#"{"windows": {"restMaxContraction": 0.9}}"#, "restMaxContraction"),
        (#"{"aponeurosis": {"followMm": 0}}"#, "aponeurosis.followMm"),
        (#"{"field": {"outlierNoisePx": 0}}"#, "field.outlierNoisePx"),
        (#"{"field": {"outlierThreshold": -1}}"#, "field.outlierThreshold"),
        (#"{"aponeurosis": {"strongFraction": 1.5}}"#, "aponeurosis.strongFraction"),
        (#"{"defect": {"maxFibreContinuity": 1.5}}"#, "defect.maxFibreContinuity"),
        (#"{"defect": {"minStriationF": 0}}"#, "defect.minStriationF"),
        (#"{"defect": {"minInterruptedEnhancement": -0.5}}"#, "defect.minInterruptedEnhancement"),
        (#"{"defect": {"minHeterogeneousEnhancement": 0}}"#, "defect.minHeterogeneousEnhancement"),
        (#"{"defect": {"minHeterogeneousTexture": -1}}"#, "defect.minHeterogeneousTexture"),
        (#"{"defect": {"maxSuperficialAlongAspect": 0}}"#, "defect.maxSuperficialAlongAspect"),
        (#"{"defect": {"sideCoreCoverage": 1.5}}"#, "defect.sideCoreCoverage"),
        (#"{"findings": {"openDepthQuantile": 0.4}}"#, "findings.openDepthQuantile"),
        (#"{"findings": {"openDepthQuantile": 1.2}}"#, "findings.openDepthQuantile"),
        (#"{"defect": {"sideCoreMinWidthMm": 0}}"#, "defect.sideCoreMinWidthMm"),
        (#"{"defect": {"fibreContinuity": {"faceMarginFraction": 0.5}}}"#, "defect.fibreContinuity.faceMarginFraction"),
        (#"{"defect": {"fibreContinuity": {"minCells": 0}}}"#, "defect.fibreContinuity.minCells"),
        (#"{"defect": {"gapBandFraction": 1.2}}"#, "defect.gapBandFraction"),
        (#"{"defect": {"faceRefineFraction": -0.1}}"#, "defect.faceRefineFraction"),
        (#"{"defect": {"maxInternalEchoMm": -1}}"#, "defect.maxInternalEchoMm"),
        (#"{"defect": {"sideMarginPx": -1}}"#, "defect.sideMarginPx"),
        (#"{"defect": {"bandRatio": 1.5}}"#, "defect.bandRatio"),
        (#"{"defect": {"bandBridgeMm": 0}}"#, "defect.bandBridgeMm"),
        (#"{"defect": {"bandMaxTiltDeg": 90}}"#, "defect.bandMaxTiltDeg"),
        (#"{"fascicle": {"highPassMm": 0}}"#, "fascicle.highPassMm"),
        (#"{"fascicle": {"bellyFraction": 0}}"#, "fascicle.bellyFraction"),
        (#"{"fascicle": {"bandCentre": 1.5}}"#, "fascicle.bandCentre"),
        (#"{"fascicle": {"mirrorWeight": -1}}"#, "fascicle.mirrorWeight"),
        (#"{"fascicle": {"maxAngleDeg": 90}}"#, "fascicle.maxAngleDeg"),
        (#"{"fascicle": {"minPennationDeg": 80}}"#, "fascicle.minPennationDeg"),
        (#"{"fascicle": {"minCells": 0}}"#, "fascicle.minCells"),
        (#"{"fusion": {"maxGapJumpMm": -1}}"#, "fusion.maxGapJumpMm"),
        (#"{"fusion": {"maxGapJumpFraction": -0.5}}"#, "fusion.maxGapJumpFraction"),
        (#"{"fusion": {"jumpNeighbours": 0}}"#, "fusion.jumpNeighbours"),
        (#"[1, 2]"#, "JSON object"),
        ("not json", "not JSON"),
    ])
    func refused(json: String, says: String) {
        do {
            _ = try AnalysisParameters.overriding(with: Data(json.utf8), source: "bad.json")
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.hasPrefix("bad.json: ") && error.description.contains(says), "\(error.description)")
        }
    }

    @Test("The result document records the parameters in force, in the nesting the override file uses")
    func recorded() {
        guard case .object(let top) = AnalysisParameters().documentValue else { Issue.record("not an object"); return }
        let keys = top.map(\.0)
        #expect(keys.contains("findings") && keys.contains("field") && keys.contains("defect") && keys.contains("windows") && keys.contains("aponeurosis") && keys.contains("fascicle"))
    }

    @Test("The recorded parameters, fed back as an override file, are the same parameters (switches stay booleans)")
    func recordedRoundTrip() throws {
        var p = AnalysisParameters()
        p.defect.continueTracks = false
        p.findings.retractionMm = 2.5
        let text = p.documentValue.serialized()
        #expect(text.contains(#""continueTracks":false"#), "\(text.prefix(200))")
        #expect(try AnalysisParameters.overriding(with: Data(text.utf8), source: "recorded.json") == p)
    }
}

@Suite("Tissue field: block matching that does not drift")
struct TissueFieldDriftTests {
    /// Speckle: uniform noise smoothed over 3 x 2 pixels (grains a few pixels across), grey ~50-200.
    static func speckle(width: Int, height: Int, seed: UInt64, shiftX: Int = 0) -> FloatImage {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 33) & 0xFFFF) / 65535
        }
        let pad = 8
        let rw = width + 2 * pad
        let raw = (0..<(rw * height)).map { _ in next() }
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for dy in 0...1 { for dx in -1...1 { s += raw[min(height - 1, y + dy) * rw + x + pad - shiftX + dx] } }
                pixels[y * width + x] = 50 + 150 * s / 6
            }
        }
        return FloatImage(width: width, height: height, pixels: pixels)
    }

    @Test("Identical frames give exactly zero displacement at every trusted node, so a still clip accumulates no motion")
    func noDriftOnIdenticalFrames() throws {
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let image = Self.speckle(width: 240, height: 120, seed: 7)
        let tracker = TissueFieldTracker()
        let field = tracker.measure(previous: image, next: image, spacing: spacing, superficial: { _ in 20 }, deep: { _ in 100 })
        let trusted = field.displacements.compactMap { $0 }
        #expect(trusted.count >= field.displacements.count / 2, "speckle is matched")
        for d in trusted { #expect(d == SIMD2(0, 0)) }
        // Over a 200-frame still clip the belly has not moved.
        let motion = TissueMotion(fields: [nil] + Array(repeating: field, count: 199))
        let mm = try #require(motion.motionMagnitude(spacing: spacing, referenceFrames: 3))
        #expect((mm.max() ?? 1) < 1e-9)
    }

    @Test("A whole-pixel shift of the speckle is measured as that shift at every trusted node")
    func shiftIsMeasured() {
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let a = Self.speckle(width: 240, height: 120, seed: 11)
        let b = Self.speckle(width: 240, height: 120, seed: 11, shiftX: 3)
        let field = TissueFieldTracker().measure(previous: a, next: b, spacing: spacing, superficial: { _ in 20 }, deep: { _ in 100 })
        let trusted = field.displacements.compactMap { $0 }
        #expect(trusted.count >= field.displacements.count / 2)
        for d in trusted { #expect(abs(d.x - 3) < 0.15 && abs(d.y) < 0.15, "\(d)") }
    }
}
