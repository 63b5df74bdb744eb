import MSKImage

/// An RGB colour (8 bits a channel).
public struct RGB: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    /// The overlay palette (also used by the HTML report's legend).
    public static let aponeurosis = RGB(40, 220, 120)
    public static let defect = RGB(255, 210, 0)
    public static let face = RGB(255, 60, 200)
    public static let caliper = RGB(0, 200, 255)
    /// The defect's path through the clip, and the tissue's displacement at peak contraction.
    public static let path = RGB(255, 70, 70)
    public static let field = RGB(255, 255, 255)
    public static let fascicle = RGB(255, 130, 40)
}

/// A small pure-Swift drawing surface over an `RGBImage`: lines, circles, rectangles and a tiny
/// bitmap font (digits, '.', '-', '+', '%', ':', 'm', 'p', 'x' and space). Everything is clipped
/// to the image; coordinates are pixels (x right, y down), fractional coordinates are rounded.
public struct Canvas: Sendable {
    public private(set) var image: RGBImage

    public init(_ image: RGBImage) { self.image = image }

    /// A canvas over a grey image, the grey level copied to all three channels (levels unchanged).
    public init(grey: GreyImage) {
        image = RGBImage(width: grey.width, height: grey.height) { out in
            grey.pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[3 * i] = src[i]; out[3 * i + 1] = src[i]; out[3 * i + 2] = src[i] }
            }
        }
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    public mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let i = 3 * (y * image.width + x)
        image.pixels[i] = c.r; image.pixels[i + 1] = c.g; image.pixels[i + 2] = c.b
    }

    public func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = 3 * (y * image.width + x)
        return RGB(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
    }

    /// Coordinates beyond this (pixels, either sign) are not drawn: far outside the image, and
    /// safe to convert to Int.
    var farLimit: Double { Double(4 * max(image.width, image.height) + 64) }

    /// A filled square of side `size` centred on (x, y): the pen of thick lines.
    mutating func dot(_ x: Int, _ y: Int, size: Int, _ c: RGB) {
        let lo = -(size - 1) / 2, hi = size / 2
        for dy in lo...hi { for dx in lo...hi { set(x + dx, y + dy, c) } }
    }

    /// A straight line (Bresenham), `thickness` pixels wide.
    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ c: RGB, thickness: Int = 1) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        // Lines far outside the image are not walked pixel by pixel.
        let limit = farLimit
        guard abs(x0) < limit, abs(y0) < limit, abs(x1) < limit, abs(y1) < limit else { return }
        var x = Int(x0.rounded()), y = Int(y0.rounded())
        let xe = Int(x1.rounded()), ye = Int(y1.rounded())
        let dx = abs(xe - x), dy = -abs(ye - y)
        let sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1
        var err = dx + dy
        while true {
            dot(x, y, size: max(1, thickness), c)
            if x == xe && y == ye { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// A polyline through `points`.
    public mutating func polyline(_ points: [SIMD2<Double>], _ c: RGB, thickness: Int = 1) {
        guard points.count >= 2 else { return }
        for i in 1..<points.count { line(points[i - 1].x, points[i - 1].y, points[i].x, points[i].y, c, thickness: thickness) }
    }

    /// A rectangle outline (or filled) with corners (x0, y0) and (x1, y1) inclusive.
    public mutating func rect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: RGB, thickness: Int = 1, filled: Bool = false) {
        let (ax, bx) = (min(x0, x1), max(x0, x1)), (ay, by) = (min(y0, y1), max(y0, y1))
        if filled {
            let r = PixelRect(x: ax, y: ay, width: bx - ax + 1, height: by - ay + 1).clamped(width: image.width, height: image.height)
            for y in r.y..<r.maxY { for x in r.x..<r.maxX { set(x, y, c) } }
            return
        }
        for t in 0..<max(1, thickness) {
            line(Double(ax + t), Double(ay), Double(ax + t), Double(by), c)
            line(Double(bx - t), Double(ay), Double(bx - t), Double(by), c)
            line(Double(ax), Double(ay + t), Double(bx), Double(ay + t), c)
            line(Double(ax), Double(by - t), Double(bx), Double(by - t), c)
        }
    }

    /// A circle of radius `r` around (cx, cy): an outline `thickness` wide, or filled.
    public mutating func circle(_ cx: Double, _ cy: Double, radius r: Double, _ c: RGB, thickness: Int = 1, filled: Bool = false) {
        let limit = farLimit
        guard cx.isFinite, cy.isFinite, r > 0, abs(cx) < limit, abs(cy) < limit, r < limit else { return }
        let inner = filled ? -1.0 : max(0, r - Double(max(1, thickness)))
        let x0 = Int((cx - r).rounded(.down)), x1 = Int((cx + r).rounded(.up))
        let y0 = Int((cy - r).rounded(.down)), y1 = Int((cy + r).rounded(.up))
        // Only the part inside the image (none for a circle wholly off it).
        let box = PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1).clamped(width: image.width, height: image.height)
        for y in box.y..<box.maxY {
            for x in box.x..<box.maxX {
                let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                if d <= r + 0.5 && d > inner - 0.5 { set(x, y, c) }
            }
        }
    }

    // MARK: Text

    /// Glyph cell: 5 x 7 pixels plus one column of spacing, times `scale`.
    public static let glyphWidth = 5, glyphHeight = 7

    /// The width in pixels of `text` at `scale`.
    public static func textWidth(_ text: String, scale: Int) -> Int {
        max(0, text.count * (glyphWidth + 1) * scale - scale)
    }

    /// Draws `text` with its top-left corner at (x, y); characters without a glyph are left blank.
    /// With `background`, a box one glyph-pixel wider than the text is filled first.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: RGB, background: RGB? = nil) {
        let s = max(1, scale)
        if let background {
            rect(x - 2 * s, y - 2 * s, x + Self.textWidth(text, scale: s) + 2 * s - 1, y + Self.glyphHeight * s + 2 * s - 1, background, filled: true)
        }
        var cx = x
        for ch in text {
            if let rows = Self.font[ch] {
                for (ry, bits) in rows.enumerated() {
                    for rx in 0..<Self.glyphWidth where bits & (1 << (Self.glyphWidth - 1 - rx)) != 0 {
                        for py in 0..<s { for px in 0..<s { set(cx + rx * s + px, y + ry * s + py, c) } }
                    }
                }
            }
            cx += (Self.glyphWidth + 1) * s
        }
    }

    /// 5 x 7 glyphs, one 5-bit row each, top row first (most significant bit = left column).
    static let font: [Character: [UInt8]] = [
        "0": [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        "1": [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "2": [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        "3": [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
        "4": [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        "5": [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        "6": [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        "7": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        "8": [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        "9": [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        ".": [0, 0, 0, 0, 0, 0b01100, 0b01100],
        "-": [0, 0, 0, 0b11111, 0, 0, 0],
        "+": [0, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0],
        ":": [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        "%": [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011],
        "m": [0, 0, 0b11010, 0b10101, 0b10101, 0b10101, 0b10101],
        "p": [0, 0, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000],
        "x": [0, 0, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001],
        " ": [0, 0, 0, 0, 0, 0, 0],
    ]
}
