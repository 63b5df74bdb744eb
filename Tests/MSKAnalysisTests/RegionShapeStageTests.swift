import Foundation
import MSKImage
@testable import MSKImaging
import Testing

/// The imaging region's shape stages (`ImagingRegionDetector.shaped`): each row's extent, the
/// curved-array test, and the shape they make, on hand-drawn texture masks (speckle inside the
/// drawn image, flat canvas outside).
@Suite("Region shape stages: row extents, the curved-array test, rectangle or fan")
struct RegionShapeStageTests {
    static let w = 400, h = 300

    /// A frame whose pixels inside `inside(x, y)` are speckle (and texture), flat canvas elsewhere.
    static func drawn(_ inside: (Int, Int) -> Bool) -> (mask: [Bool], grey: [Float]) {
        var mask = [Bool](repeating: false, count: w * h), grey = [Float](repeating: 20, count: w * h)
        var state: UInt64 = 12345
        for y in 0..<h {
            for x in 0..<w where inside(x, y) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                mask[y * w + x] = true
                grey[y * w + x] = 40 + Float((state >> 33) % 60)
            }
        }
        return (mask, grey)
    }

    @Test("A linear image: every row's extent is the rectangle's columns, no curved array, a rectangle")
    func linearRectangle() {
        let rect = PixelRect(x: 80, y: 40, width: 240, height: 220)
        let (mask, grey) = Self.drawn { x, y in rect.contains(x: x, y: y) }
        let detector = ImagingRegionDetector()
        let e = detector.rowExtents(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h)
        let middle = e.left.indices.dropFirst(5).dropLast(5)
        #expect(middle.allSatisfy { e.left[$0].map { abs($0 - rect.x) <= 2 } ?? false }, "\(e.left.prefix(8))")
        #expect(middle.allSatisfy { e.right[$0].map { abs($0 - rect.maxX) <= 2 } ?? false }, "\(e.right.prefix(8))")
        #expect(e.centreDense.dropFirst(5).dropLast(5).allSatisfy { $0 })
        #expect(detector.slantedLine(e.left, rect: rect) == nil && detector.slantedLine(e.right, rect: rect) == nil)
        let curved = detector.isCurvedArray(e, rect: rect)
        #expect(!curved)
        let region = detector.shaped(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h, fromMotion: false)
        #expect(region.shape == .rectangle && region.inscribed == rect)
    }

    @Test("A phased array's fan (straight sides leaning out from a point above): slanted sides, no curved array, a fan inside its bounds")
    func straightFan() throws {
        let rect = PixelRect(x: 40, y: 20, width: 320, height: 260)
        // Sides from (200 -+ 40, 20) out to (200 -+ 160, 280).
        let (mask, grey) = Self.drawn { x, y in
            guard y >= 20, y < 280 else { return false }
            let halfWidth = 40 + 120 * Double(y - 20) / 260
            return abs(Double(x) - 200) <= halfWidth
        }
        let detector = ImagingRegionDetector()
        let e = detector.rowExtents(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h)
        let left = try #require(detector.slantedLine(e.left, rect: rect)), right = try #require(detector.slantedLine(e.right, rect: rect))
        #expect(left.slope < -0.3 && right.slope > 0.3, "\(left.slope) \(right.slope)")
        let curved = detector.isCurvedArray(e, rect: rect)
        #expect(!curved, "straight sides all the way down, flat top")
        let region = detector.shaped(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h, fromMotion: false)
        #expect(region.shape == .fan)
        #expect(!region.curvedArray)
        #expect(region.inscribed.width < region.bounds.width && region.bounds.width > 280)
    }

    @Test("A curved array's fan (an arc on top, sides leaning out, an arc below): the curved-array test holds")
    func curvedFan() {
        let rect = PixelRect(x: 30, y: 10, width: 340, height: 285)
        // Centre of curvature (200, -150): rows between radii 170 and 440, within +-33 degrees.
        let (mask, grey) = Self.drawn { x, y in
            let dx = Double(x) - 200, dy = Double(y) + 150
            let r = (dx * dx + dy * dy).squareRoot(), angle = atan2(dx, dy) * 180 / .pi
            return r >= 170 && r <= 440 && abs(angle) <= 33
        }
        let detector = ImagingRegionDetector()
        let e = detector.rowExtents(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h)
        let curved = detector.isCurvedArray(e, rect: rect)
        #expect(curved)
        let region = detector.shaped(rect, mask: mask, meanGrey: grey, width: Self.w, height: Self.h, fromMotion: false)
        #expect(region.shape == .fan)
        #expect(region.curvedArray)
    }
}
