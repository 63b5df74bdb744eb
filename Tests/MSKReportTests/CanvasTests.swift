import MSKImage
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
