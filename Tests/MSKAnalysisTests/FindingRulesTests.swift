@testable import MSKAnalysis
import Testing

@Suite("Finding rules (Docs/findings.md): each rule decides the call it should")
struct FindingRulesTests {
    /// A clip of 60 frames, muscle found throughout, contraction seen, calibrated; a defect when asked.
    func evidence(defect: Bool = true, depth: Double = 0.5, widening: Double? = 0.2, calibrated: Bool = true,
                  contraction: Bool = true, frames: Int = 60, muscleFrames: Int? = nil) -> Evidence {
        let fractions = (0..<frames).map { $0 >= 20 && $0 < 40 ? depth : (defect ? depth * 0.8 : 0) }
        return Evidence(n: frames, muscleFrames: muscleFrames ?? frames, defectFrames: defect ? frames : 0, defectPresent: defect,
                        contractionSeen: contraction, thicknessRangeMm: contraction ? 3 : 0.1,
                        fractionP90: defect ? depth : 0, wideningMm: contraction ? widening : nil, separationChangeMm: contraction ? widening : nil,
                        restGapMm: defect ? 2 : 0, peakGapMm: contraction ? (defect ? 2 + (widening ?? 0) : 0) : nil,
                        unit: calibrated ? .mm : .px, toUnit: { calibrated ? $0 : $0 * 10 }, rejected: [],
                        calibrated: calibrated, frameIndices: Array(0..<frames), depthFractions: fractions,
                        restFrames: Array(0..<10), peakFrames: contraction ? Array(25..<35) : [],
                        restSeparationMm: defect ? 2.1 : 0, peakSeparationMm: contraction ? (defect ? 2.1 + (widening ?? 0) : 0) : nil)
    }

    @Test("R1 too few frames and R2 muscle not found: indeterminate, saying which")
    func gates() {
        let short = evidence(frames: 5).finding()
        #expect(short.classification == .indeterminate && short.rules == ["R1-too-few-frames"] && short.peetronsGrade == nil)
        #expect(short.evidence.joined().contains("5 frame"))
        let lost = evidence(muscleFrames: 10).finding()
        #expect(lost.classification == .indeterminate && lost.rules == ["R2-muscle-not-found"])
    }

    @Test("R3 full depth: a full-thickness tear with the frames where the discontinuity spans the muscle")
    func fullDepth() {
        let f = evidence(depth: 1.0, widening: 0.3).finding()
        #expect(f.classification == .fullThicknessTear && f.suspectedFullThicknessTear && f.peetronsGrade == 3)
        #expect(f.rules == ["R3-full-depth"])
        #expect(f.evidence.contains { $0.contains("spans 100% of the muscle thickness at frames 20-39") }, "\(f.evidence)")
        // Depth is a ratio: no calibration needed.
        #expect(evidence(depth: 1.0, calibrated: false).finding().classification == .fullThicknessTear)
    }

    @Test("R4 retraction: stumps separating by 1.5 mm or more on contraction, only with calibration")
    func retraction() {
        let f = evidence(depth: 0.6, widening: 3.0).finding()
        #expect(f.classification == .fullThicknessTear && f.rules == ["R4-retraction"])
        #expect(f.evidence.contains { $0.contains("stump ends separate from 2.1 mm at rest to 5.1 mm at peak contraction (+3.0 mm)") }, "\(f.evidence)")
        #expect(evidence(depth: 0.6, widening: 1.4).finding().classification == .partialTear)
        let px = evidence(depth: 0.6, widening: 3.0, calibrated: false).finding()
        #expect(px.classification == .indeterminate && px.rules == ["R4-needs-calibration"])
        #expect(px.evidence.last?.contains("--mm-per-pixel") == true)
    }

    @Test("R5 a partial-looking defect or no defect without a contraction is indeterminate; R6 partial; R7 no tear")
    func others() {
        let still = evidence(depth: 0.5, contraction: false).finding()
        #expect(still.classification == .indeterminate && still.rules == ["R5-needs-contraction"])
        let partial = evidence(depth: 0.5, widening: 0.2).finding()
        #expect(partial.classification == .partialTear && partial.peetronsGrade == 2 && partial.rules == ["R6-partial"])
        let none = evidence(defect: false).finding()
        #expect(none.classification == .noTear && none.peetronsGrade == 0 && none.rules == ["R7-no-defect"])
        let noneStill = evidence(defect: false, contraction: false).finding()
        #expect(noneStill.classification == .indeterminate && noneStill.rules == ["R5-needs-contraction"])
    }

    @Test("frame ranges are written as runs")
    func ranges() {
        #expect(Evidence.ranges([40, 41, 42, 75, 3]) == "frames 3, 40-42, 75")
        #expect(Evidence.ranges([7]) == "frame 7")
        #expect(Evidence.ranges([]) == "no frames")
        #expect(Evidence.ranges([1, 3, 5, 7, 9, 11], limit: 4) == "frames 1, 3, 5, 7 and 2 more run(s)")
    }
}
