@testable import MSKAnalysis
import Testing

/// The clip fusion's named stages on their own: the rest and peak figures, and the depth the
/// finding reads "while the tear is open".
@Suite struct FusionStageTests {
    @Test func windowFiguresAreMediansOverEachWindowAndTheirChanges() throws {
        let gap = [1.0, 1.2, 1.1, 4.0, 4.4, 3.9, 1.0]
        let separation = [2.0, 2.0, 2.1, 5.0, 5.2, 5.1, 2.0]
        let opening: [Double?] = [nil, 0, 0.1, 1.5, nil, 2.5, 0]
        let f = ClipFusion.WindowFigures(rest: [0, 1, 2, 6], peak: [3, 4, 5], gap: gap, separation: separation, opening: opening)
        #expect(f.restGap == 1.05 && f.peakGap == 4.0)
        #expect(abs(try #require(f.widening) - 2.95) < 1e-12)
        #expect(f.restSeparation == 2.0 && f.peakSeparation == 5.1)
        #expect(abs(try #require(f.separationChange) - 3.1) < 1e-12)
        // The opening's median over the peak frames where it was measured (4 has none).
        #expect(f.peakOpening == 2.0)
        // No peak window: no peak figure and no change; no series: no opening.
        let noPeak = ClipFusion.WindowFigures(rest: [0, 1], peak: [], gap: gap, separation: separation, opening: nil)
        #expect(noPeak.peakGap == nil && noPeak.widening == nil && noPeak.separationChange == nil && noPeak.peakOpening == nil)
        #expect(noPeak.restGap == 1.1)
    }

    @Test func theOpenDepthIsTheRestMedianUnlessThePeakOnesIsLarger() {
        let fraction = [0.5, 0.5, 0.6, 0.95, 0.95, 1.0, 0.4]
        let all = [Bool](repeating: true, count: 7)
        let opens = ClipFusion.openDepth(observed: all, fraction: fraction, rest: [0, 1, 2], peak: [3, 4, 5])
        #expect(opens.fraction == 0.95 && opens.window == "peak contraction")
        // Equal at rest and at peak: rest.
        let equal = ClipFusion.openDepth(observed: all, fraction: [0.9, 0.9, 0.9, 0.9], rest: [0, 1], peak: [2, 3])
        #expect(equal.fraction == 0.9 && equal.window == "rest")
        // Deeper at rest than at peak (a defect that closes): rest.
        let closes = ClipFusion.openDepth(observed: all, fraction: [1, 1, 1, 0.5, 0.5, 0.5, 1], rest: [0, 1, 2], peak: [3, 4, 5])
        #expect(closes.fraction == 1 && closes.window == "rest")
        // Only frames where the defect was observed count.
        let seen = [false, false, true, true, true, false, false]
        let partlySeen = ClipFusion.openDepth(observed: seen, fraction: [0.1, 0.1, 0.7, 0.8, 0.8, 0.2, 0.2], rest: [0, 1, 2], peak: [3, 4, 5])
        #expect(partlySeen.fraction == 0.8 && partlySeen.window == "peak contraction")
        // Seen in neither window: the median over every observed frame.
        let between = ClipFusion.openDepth(observed: [false, true, true, false], fraction: [0, 0.6, 0.8, 0], rest: [0], peak: [3])
        #expect(between.fraction == 0.7 && between.window == "rest")
        // Never observed: no depth.
        #expect(ClipFusion.openDepth(observed: [false, false], fraction: [0, 0], rest: [0], peak: [1]).fraction == nil)
    }
}
