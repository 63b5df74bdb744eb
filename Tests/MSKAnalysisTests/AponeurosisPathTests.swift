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
