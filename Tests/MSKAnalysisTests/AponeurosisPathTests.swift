@testable import MSKImaging
import Foundation
import Testing

/// How the aponeurosis detector scores a path in the bands where it has no ridge.
@Suite struct AponeurosisPathTests {
    /// A band profile: level 50 with a Gaussian bump of `height` grey levels at each row given.
    static func profile(rows: Int = 200, bumps: [(row: Double, height: Float)]) -> [Float] {
        (0..<rows).map { y -> Float in
            var v: Float = 50
            for b in bumps {
                let d = Double(y) - b.row
                v += b.height * Float(exp(-d * d / 18))
            }
            return v
        }
    }

    /// Ten bands. A band at row 100 runs across all of them, but makes a ridge (a linked local
    /// maximum) only in bands 0-5; in bands 6-9 it still stands 30 grey levels above its
    /// surroundings. A line at row 40 exists in bands 0-5 only. The first is scored on its line
    /// in bands 6-9 (until session 19 it counted 0 there, and four zeros of ten made its lower
    /// quartile 0: not a strong path); the second stays at 0, as a septum that ends should.
    @Test func aPathIsScoredOnItsLineWhereItHasNoRidge() throws {
        let detector = AponeurosisDetector()
        let bands = 10, r = 30
        var heights: [[Float]] = [], candidates: [[AponeurosisDetector.Candidate]] = []
        for b in 0..<bands {
            let withRidges = b < 6
            let p = Self.profile(bumps: withRidges ? [(100, 40), (40, 40)] : [(100, 30)])
            heights.append(AponeurosisDetector.heightsAboveMean(p, radius: r))
            candidates.append(withRidges ? detector.ridges(p, heights: heights[b]) : [])
        }
        let centres = (0..<bands).map { Double(10 + 20 * $0) }
        let paths = detector.linkPaths(candidates, centres: centres, heights: heights)
        let deep = try #require(paths.first { abs($0.meanY - 100) < 2 })
        let septum = try #require(paths.first { abs($0.meanY - 40) < 2 })
        let onLine = heights[8][100]
        #expect(onLine > 20)
        // Lower quartile of six ridge contrasts and four on-line values: an on-line value.
        #expect(abs(deep.contrast - onLine) < 0.5)
        #expect(septum.contrast == 0)
        #expect(deep.coverage == 0.6)
    }

    /// Two bright lines 10 bands long at 0.2 mm a pixel: the upper at row 100, the lower running from
    /// row 150 to row 108 (13 degrees from parallel at 20 px a band, 5.8 mm apart on average). They
    /// come within 1.6 mm of each other at the right, so they are not a muscle's two aponeuroses (a
    /// fascia's layers, session 24); the same lines held parallel 50 rows apart are.
    @Test func twoLinesConvergingUnderTheThinnestMuscleAreNotAPair() {
        let detector = AponeurosisDetector()
        let spacing = Spacing(mmPerPixelX: 0.2, mmPerPixelY: 0.2)
        func path(_ rows: [Double]) -> AponeurosisDetector.Path {
            AponeurosisDetector.Path(ys: rows, contrast: 100, meanY: rows.reduce(0, +) / Double(rows.count), activeBands: rows.count)
        }
        let upper = path(Array(repeating: 100, count: 10))
        let converging = path((0..<10).map { 150 - 42 * Double($0) / 9 })
        #expect(detector.choosePair(strong: [upper, converging], long: [upper, converging], spacing: spacing, height: 400, bandStep: 20) == nil)
        let parallel = path(Array(repeating: 150, count: 10))
        let pair = detector.choosePair(strong: [upper, parallel], long: [upper, parallel], spacing: spacing, height: 400, bandStep: 20)
        #expect(pair?.0.meanY == 100 && pair?.1.meanY == 150)
        // Just at the limit: 4 mm (20 rows) where they come closest is still a muscle.
        let toFour = path((0..<10).map { 150 - 30 * Double($0) / 9 })
        #expect(detector.choosePair(strong: [upper, toFour], long: [upper, toFour], spacing: spacing, height: 400, bandStep: 20) != nil)
    }

    /// Each row's height above its +-r mean: positive on a bump, negative beside it, and the mean
    /// shrinks to the rows that exist at the profile's ends.
    @Test func heightsAboveTheMeanOfTheRowsAround() {
        let p = Self.profile(bumps: [(100, 30)])
        let above = AponeurosisDetector.heightsAboveMean(p, radius: 30)
        #expect(above.count == p.count)
        #expect(above[100] > 20)
        #expect(above[112] < 0)
        // Row 0 of a flat stretch: its mean over rows 0...30 is the level itself.
        #expect(abs(above[0]) < 1e-3)
        let ramp = (0..<10).map { Float($0) }
        // Row 0 against rows 0...2 (mean 1), row 9 against rows 7...9 (mean 8).
        #expect(AponeurosisDetector.heightsAboveMean(ramp, radius: 2).first == -1)
        #expect(AponeurosisDetector.heightsAboveMean(ramp, radius: 2).last == 1)
    }
}
