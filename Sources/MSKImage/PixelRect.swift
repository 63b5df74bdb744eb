// The one pixel-rectangle type of the project: imaging regions, ROIs, DICOM ultrasound regions,
// the labels' imaging region. Codable as {x, y, width, height}.

/// An axis-aligned rectangle in pixels: origin top-left, y downward.
public struct PixelRect: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// `x + width` and `y + height`, saturating at Int.max / Int.min instead of trapping: a
    /// rectangle from the command line (`--roi`) or a file may hold any Int.
    public var maxX: Int { Self.saturatingSum(x, width) }
    public var maxY: Int { Self.saturatingSum(y, height) }
    /// `width * height`, saturating instead of trapping.
    public var area: Int {
        let (p, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? ((width < 0) != (height < 0) ? Int.min : Int.max) : p
    }

    /// Whether the rectangle lies inside a `w` x `h` image (origin and size non-negative; no
    /// arithmetic that could overflow).
    public func fits(width w: Int, height h: Int) -> Bool {
        x >= 0 && y >= 0 && width >= 0 && height >= 0 && x <= w && y <= h && width <= w - x && height <= h - y
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : s
    }
    public var description: String { "\(x),\(y),\(width),\(height)" }

    /// The part of the rectangle inside a `width` x `height` image.
    public func clamped(width w: Int, height h: Int) -> PixelRect {
        let x0 = min(max(x, 0), w), y0 = min(max(y, 0), h)
        let x1 = min(max(maxX, x0), w), y1 = min(max(maxY, y0), h)
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Whether pixel (px, py) lies inside.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && py >= y && px < maxX && py < maxY
    }
}
