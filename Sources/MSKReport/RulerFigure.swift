import Foundation
import MSKAnalysis
import MSKImage

/// The report's picture of the depth ruler that calibrated a clip (calibration source `screen`):
/// a crop of the first frame around the ruler with the ticks as read (cyan, each at its sub-pixel
/// row), the fitted regular run (magenta dots, including ticks hidden by markers) and the numbers
/// read (yellow boxes).
public enum RulerFigure {
    /// Nil when the clip was not calibrated from a ruler.
    public static func draw(on image: RGBImage, screen: ScreenCalibration?) -> RGBImage? {
        guard let s = screen?.scale, !s.tickRows.isEmpty else { return nil }
        var x0 = s.column - 40, x1 = s.column + 40
        for b in s.labels.map(\.box) { x0 = min(x0, b.x - 12); x1 = max(x1, b.maxX + 12) }
        let y0 = Int(s.tickRows.first!) - 16, y1 = Int(s.tickRows.last!.rounded(.up)) + 16
        let rect = PixelRect(x: max(0, x0), y: max(0, y0), width: max(1, min(image.width, x1) - max(0, x0)), height: max(1, min(image.height, y1) - max(0, y0)))
        var c = Canvas(OverlayPass.crop(image, to: rect))
        let dx = Double(rect.x), dy = Double(rect.y), col = Double(s.column) - dx
        for row in s.tickRows { c.line(col - 14, row - dy, col - 6, row - dy, .caliper); c.line(col + 6, row - dy, col + 14, row - dy, .caliper) }
        if let last = s.tickIndices.last, let first = s.tickRows.first, let i0 = s.tickIndices.first {
            for i in 0...last {
                let y = first + Double(i - i0) * s.tickSpacingPx - dy
                c.circle(col + 18, y, radius: 1.5, .face, filled: true)
            }
        }
        for b in s.labels.map(\.box) { c.rect(b.x - rect.x - 2, b.y - rect.y - 2, b.maxX - rect.x + 1, b.maxY - rect.y + 1, .defect) }
        return c.image
    }

    /// The figure's caption: what was read and the scale it gives.
    public static func caption(_ screen: ScreenCalibration) -> String {
        guard let s = screen.scale else { return "" }
        var t = String(format: "%d ticks (cyan) %.3f px apart (fitted run: magenta)", s.ticks, s.tickSpacingPx)
        if !s.labels.isEmpty {
            t += ", numbers read (yellow): " + s.labels.map { "\"\($0.text)\" at tick \($0.tick)" }.joined(separator: ", ") + " (\(s.labelUnit ?? "?"))"
        }
        t += String(format: "; %g mm per tick, %.4f mm per pixel", s.tickSpacingMm, s.mmPerPixelY)
        if let c = screen.confidence { t += String(format: ", confidence %.2f", c) }
        if let d = screen.depthMm { t += String(format: "; --depth-mm %g", d) + (screen.rulerDepthMm.map { String(format: " against %.1f mm at the image's bottom", $0) } ?? "") }
        return t
    }
}
