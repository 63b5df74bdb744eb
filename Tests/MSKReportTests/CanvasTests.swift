@testable import MSKAnalysis
import MSKImage
import MSKImaging
@testable import MSKReport
import Testing

@Suite("Canvas: lines, circles, rectangles, glyphs, clipping")
struct CanvasTests {
    func blank(_ w: Int = 40, _ h: Int = 30) -> Canvas { Canvas(RGBImage(width: w, height: h)) }
    func count(_ c: Canvas, _ colour: RGB) -> Int {
        var n = 0
        for y in 0..<c.height { for x in 0..<c.width where c.pixel(x, y) == colour { n += 1 } }
        return n
    }

    @Test("a line reaches both ends and nothing else is drawn off it")
    func line() {
        var c = blank()
        c.line(2, 3, 30, 20, .white)
        #expect(c.pixel(2, 3) == .white && c.pixel(30, 20) == .white)
        #expect(count(c, .white) == 29)  // Bresenham: one pixel per step of the longer axis
        var thick = blank()
        thick.line(5, 10, 25, 10, .white, thickness: 3)
        // A square pen 3 wide: 3 rows, and one pixel past each end.
        #expect(count(thick, .white) == 23 * 3)
        #expect(thick.pixel(5, 9) == .white && thick.pixel(5, 11) == .white && thick.pixel(5, 12) == .black)
        #expect(thick.pixel(4, 10) == .white && thick.pixel(3, 10) == .black && thick.pixel(27, 10) == .black)
    }

    @Test("drawing outside the image is clipped, never a crash")
    func clipping() {
        var c = blank()
        c.line(-50, -50, 100, 100, .white, thickness: 5)
        c.circle(-3, 15, radius: 10, .white, filled: true)
        c.rect(-10, -10, 100, 100, .white)
        c.text("12.5 mm", x: 35, y: 25, scale: 3, .white, background: .black)
        c.line(.nan, 0, 5, 5, .white)
        c.line(1e12, 0, 5, 5, .white)
        #expect(count(c, .white) > 0)
    }

    @Test("shapes wholly off the image, on any side, draw nothing and do not crash")
    func whollyOff() {
        // The ruler figure's fitted run can extend past its crop (a regular tick run continued
        // beyond the last tick read): a dot below the crop crashed the overlay pass once.
        var c = blank()
        let w = Double(c.image.width), h = Double(c.image.height)
        for (x, y) in [(w / 2, h + 20), (w / 2, -20), (w + 20, h / 2), (-20, h / 2), (w + 5, h + 5)] {
            c.circle(x, y, radius: 1.5, .white, filled: true)
            c.circle(x, y, radius: 3, .white)
            c.rect(Int(x) - 2, Int(y) - 2, Int(x) + 2, Int(y) + 2, .white, filled: true)
        }
        // Far off (past what an Int holds after rounding) is no trap either.
        c.circle(1e300, h / 2, radius: 2, .white, filled: true)
        c.circle(w / 2, h / 2, radius: 1e300, .white)
        #expect(count(c, .white) == 0)
        c.circle(w / 2, h - 1, radius: 1.5, .white, filled: true)
        #expect(count(c, .white) > 0)
    }

    @Test("a circle outline is at its radius; a filled one covers about pi r^2")
    func circle() {
        var c = blank(60, 60)
        c.circle(30, 30, radius: 10, .white, filled: true)
        let area = Double(count(c, .white))
        #expect(abs(area - Double.pi * 100) < 0.15 * Double.pi * 100)
        var o = blank(60, 60)
        o.circle(30, 30, radius: 10, .white, thickness: 1)
        #expect(o.pixel(30, 30) == .black && o.pixel(40, 30) == .white && o.pixel(30, 20) == .white)
    }

    @Test("rectangles: outline and fill")
    func rectangles() {
        var c = blank()
        c.rect(5, 5, 14, 9, .white)
        #expect(count(c, .white) == 2 * 10 + 2 * 3)
        c.rect(20, 20, 22, 21, .white, filled: true)
        #expect(count(c, .white) == 2 * 10 + 2 * 3 + 6)
    }

    @Test("glyphs: every label character has one, digits differ, text width is as measured")
    func glyphs() {
        for ch in "0123456789.-+mpx%: " { #expect(Canvas.font[ch]?.count == Canvas.glyphHeight, "\(ch)") }
        let digits = "0123456789".map { Canvas.font[$0]! }
        #expect(Set(digits.map { $0.map(String.init).joined(separator: ",") }).count == 10)
        var c = blank(80, 20)
        c.text("9.8 mm", x: 2, y: 2, scale: 2, .white)
        var maxX = 0, maxY = 0
        for y in 0..<c.height { for x in 0..<c.width where c.pixel(x, y) == .white { maxX = max(maxX, x); maxY = max(maxY, y) } }
        #expect(maxX <= 2 + Canvas.textWidth("9.8 mm", scale: 2) - 1 && maxX > 2 + Canvas.textWidth("9.8 m", scale: 2))
        #expect(maxY == 2 + 2 * Canvas.glyphHeight - 1)
    }

    @Test("a grey image becomes RGB with its levels unchanged")
    func grey() {
        let g = GreyImage(width: 3, height: 2, pixels: [0, 10, 20, 30, 40, 255])
        let c = Canvas(grey: g)
        #expect(c.pixel(1, 0) == RGB(10, 10, 10) && c.pixel(2, 1) == RGB(255, 255, 255))
    }
}

/// The overlay draws the aponeurosis edges whole where the muscle was found in the frame, and dashed
/// where they were carried from the nearest frame whose detection agreed (`ClipFusion.carriedEdges`,
/// `FrameOverlay.edgesCarried`): the same points, every other segment.
@Suite struct OverlayEdgeStyleTests {
    /// A sample's analysis cut to two frames, found and not found, reporting the same flat edges
    /// (region rows 30 and 130) in a 200 x 150 region at (10, 20), and nothing else to draw.
    static func analysis() throws -> ClipAnalysis {
        var a = try Fixtures.analysis(labels: try #require(Fixtures.labelFiles.first)).1
        a.imagingRegion = PixelRect(x: 10, y: 20, width: 200, height: 150)
        a.frames = Array(a.frames.prefix(2))
        a.frames[0].muscleDetected = true
        a.frames[1].muscleDetected = false
        a.overlays = Array(repeating: FrameOverlay(superficialInner: Quadratic(c0: 30), deepInner: Quadratic(c0: 130)), count: 2)
        a.overlays[1].edgesCarried = true
        a.defectBox = nil
        a.peakField = []
        return a
    }

    /// Edge-coloured pixels on frame row `row` of frame `t`'s overlay.
    static func edgePixels(frame t: Int, row: Int) throws -> Int {
        var painter = OverlayPainter(analysis: try analysis())
        var canvas = Canvas(grey: GreyImage(width: 220, height: 180))
        painter.draw(on: &canvas, frame: t)
        return (0..<canvas.width).count { canvas.pixel($0, row) == .aponeurosis }
    }

    @Test func carriedEdgesAreDrawnDashedFoundOnesWhole() throws {
        for row in [50, 150] {
            let whole = try Self.edgePixels(frame: 0, row: row), dashed = try Self.edgePixels(frame: 1, row: row)
            // The whole line covers the region's width (200 px). The dashes are every other 8-px
            // segment between the reported points (x 0, 8, ..., 192, 199), each with both its ends:
            // 12 of 9 px and the last, 192-199, of 8: 116 px.
            #expect(whole == 200, "row \(row): \(whole)")
            #expect(dashed == 116, "row \(row): \(dashed)")
        }
    }

    /// Found, but its detection overruled by the fusion: the edges drawn are carried
    /// (`FrameOverlay.edgesCarried`), dashed like those of a frame without the muscle.
    @Test func overruledDetectionsEdgesAreDrawnDashed() throws {
        var a = try Self.analysis()
        a.frames[1].muscleDetected = true
        for row in [50, 150] {
            var painter = OverlayPainter(analysis: a)
            var canvas = Canvas(grey: GreyImage(width: 220, height: 180))
            painter.draw(on: &canvas, frame: 1)
            let dashed = (0..<canvas.width).count { canvas.pixel($0, row) == .aponeurosis }
            #expect(dashed == 116, "row \(row): \(dashed)")
        }
    }
}
