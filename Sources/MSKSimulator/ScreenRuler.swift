import MSKImage

/// How a scanner draws its depth scale beside the image: the styles the screen-calibration tests
/// (and anyone checking `DepthScaleReader`) draw on simulated export canvases.
public struct ScreenRulerStyle: Sendable, Equatable, CustomStringConvertible {
    public enum Marks: String, Sendable { case ticks, dots }
    public enum Side: String, Sendable { case left, right }
    /// The unit of the printed numbers; `none`: no numbers at all.
    public enum Unit: String, Sendable { case mm, cm, none }

    public var marks: Marks = .ticks
    public var side: Side = .left
    /// Millimetres between marks.
    public var tickMm: Double = 5
    /// A number every this many marks (where it is a whole number in `unit`).
    public var labelEvery: Int = 2
    public var unit: Unit = .cm
    /// Whether the top mark carries its "0".
    public var labelZero = false
    /// The 5x7 font's scale (1 or 2) and a bold stroke (each column doubled).
    public var fontScale: Int = 1
    public var bold = false
    /// Pixels between the image's edge and the ruler's line (or marks).
    public var gap: Int = 6
    /// A vertical line joining the ticks (none for dots).
    public var line = true
    /// Numbers on the image side of the marks (as the calf and Telemed scanners), or beyond them.
    public var labelsTowardImage = false
    /// Marks hidden under a marker (focus marker drawn over the mark and its number), by index.
    public var hiddenTicks: [Int] = []
    /// Grey of the marks and of the numbers.
    public var grey: UInt8 = 200
    public var textGrey: UInt8 = 225

    public init() {}

    public var description: String {
        var s = "\(marks.rawValue) \(side.rawValue) every \(tickMm) mm, "
        s += unit == .none ? "no numbers" : "numbers in \(unit.rawValue) every \(labelEvery)\(labelZero ? " from 0" : "")"
        s += ", font x\(fontScale)\(bold ? " bold" : "")\(labelsTowardImage ? ", numbers toward the image" : "")"
        if !hiddenTicks.isEmpty { s += ", marks \(hiddenTicks) hidden" }
        return s
    }
}

public enum ScreenRuler {
    /// Writes `text` in the simulator's 5x7 font (`scale` pixels per bit) with its top-left at (x, y).
    public static func drawText(_ text: String, into pixels: inout [UInt8], width: Int, x: Int, y: Int, grey: UInt8, scale k: Int = 1) {
        let height = pixels.count / max(1, width)
        var cx = x
        for ch in text.uppercased() {
            for (r, bits) in Glyphs.bitmap(ch).enumerated() {
                for col in 0..<5 where bits & (0x10 >> col) != 0 {
                    for yy in 0..<k {
                        for xx in 0..<k {
                            let px = cx + col * k + xx, py = y + r * k + yy
                            if px >= 0, py >= 0, px < width, py < height { pixels[py * width + px] = grey }
                        }
                    }
                }
            }
            cx += 6 * k
        }
    }

    /// Draws `style` beside `region` into a grey frame (`pixels`, `width` x `height`), depth 0 at
    /// the region's top row and `mmPerPixel` mm per row; nothing is drawn inside the region.
    public static func draw(_ style: ScreenRulerStyle, into pixels: inout [UInt8], width: Int, height: Int, region: PixelRect, mmPerPixel: Double) {
        func put(_ x: Int, _ y: Int, _ v: UInt8) {
            guard x >= 0, y >= 0, x < width, y < height, !region.contains(x: x, y: y) else { return }
            pixels[y * width + x] = v
        }
        let left = style.side == .left
        let rx = left ? region.x - style.gap : region.maxX - 1 + style.gap
        // The side the ticks and numbers go: away from the image, or toward it.
        let away = left ? -1 : 1
        let dir = style.labelsTowardImage ? -away : away
        let tickLength = style.marks == .dots ? 0 : 5
        if style.line && style.marks == .ticks {
            for y in region.y..<region.maxY { put(rx, y, style.grey) }
        }
        let depth = Double(region.height) * mmPerPixel
        let k = style.fontScale
        let glyphW = 5 * k + (style.bold ? 1 : 0)
        var index = 0
        while Double(index) * style.tickMm <= depth + 1e-9 {
            let mm = Double(index) * style.tickMm
            let y = region.y + Int((mm / mmPerPixel).rounded())
            switch style.marks {
            case .ticks:
                let long = index % style.labelEvery == 0
                for i in 0...(long ? tickLength + 3 : tickLength) { put(rx + dir * i, y, style.grey) }
            case .dots:
                for dy in -1...1 { for dx in -1...1 { put(rx + dx, y + dy, style.grey) } }
            }
            if style.unit != .none && index % style.labelEvery == 0 && (index > 0 || style.labelZero) {
                let value = style.unit == .mm ? mm : mm / 10
                if abs(value - value.rounded()) < 1e-9 {
                    let text = String(Int(value.rounded()))
                    let textW = text.count * (glyphW + k)
                    let reach = tickLength + 3 + 3
                    var cx = dir > 0 ? rx + reach : rx - reach - textW
                    for ch in text {
                        for (r, bits) in Glyphs.bitmap(ch).enumerated() {
                            for col in 0..<5 where bits & (0x10 >> col) != 0 {
                                for yy in 0..<k { for xx in 0..<(k + (style.bold ? 1 : 0)) { put(cx + col * k + xx, y - 7 * k / 2 + r * k + yy, style.textGrey) } }
                            }
                        }
                        cx += glyphW + k
                    }
                }
            }
            if style.hiddenTicks.contains(index) {
                // A focus marker drawn over the mark and its number.
                let span = tickLength + 6 + 3 * (5 * k + k + 1)
                for yy in (y - 4 * k - 2)...(y + 4 * k + 2) { for i in 0...span { put(rx + dir * i, yy, 215) } }
            }
            index += 1
        }
    }
}
