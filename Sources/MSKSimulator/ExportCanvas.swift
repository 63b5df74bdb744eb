import Foundation
import MSKImage
import MSKLabels

/// Scanner-export realism: the ultrasound image inside a larger frame with black margins, text
/// rows, a depth ruler with ticks, a logo block and coloured markers (orientation, focus).
/// The static parts are drawn once; each frame copies them and writes the image region.
struct ExportCanvas: Sendable {
    let width: Int
    let height: Int
    let region: PixelRect
    let template: [UInt8]

    /// Where the image sits inside a `width` x `height` export frame.
    static func imagingRegion(width: Int, height: Int, layout: CanvasLayout = .classic) -> PixelRect {
        let (l, t, r, b): (Double, Double, Double, Double)
        switch layout {
        case .classic: (l, t, r, b) = (0.13, 0.12, 0.07, 0.05)
        case .rulerRight: (l, t, r, b) = (0.06, 0.12, 0.14, 0.05)
        case .greyCanvas: (l, t, r, b) = (0.18, 0.07, 0.18, 0.01)
        case .textBarBottom: (l, t, r, b) = (0.12, 0.05, 0.06, 0.16)
        case .colourBars: (l, t, r, b) = (0.16, 0.10, 0.12, 0.06)
        }
        let x = Int((l * Double(width)).rounded()), y = Int((t * Double(height)).rounded())
        let right = Int((r * Double(width)).rounded()), bottom = Int((b * Double(height)).rounded())
        return PixelRect(x: x, y: y, width: width - x - right, height: height - y - bottom)
    }

    init(parameters p: SimulationParameters, region: PixelRect) {
        width = p.width; height = p.height; self.region = region
        var img = [UInt8](repeating: 0, count: 3 * p.width * p.height)
        if p.layout != .classic {
            template = Self.drawLayout(p, region: region)
            return
        }
        let scale = p.height >= 450 ? 2 : 1
        let white: (UInt8, UInt8, UInt8) = (220, 220, 220)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < p.width, y < p.height, !region.contains(x: x, y: y) else { return }
            let k = 3 * (y * p.width + x)
            img[k] = c.0; img[k + 1] = c.1; img[k + 2] = c.2
        }
        func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
            for yy in y..<(y + h) { for xx in x..<(x + w) { put(xx, yy, c) } }
        }
        func text(_ s: String, _ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8), scale k: Int) {
            var cx = x
            for ch in s.uppercased() {
                let rows = Glyphs.bitmap(ch)
                for (r, bits) in rows.enumerated() {
                    for col in 0..<5 where bits & (0x10 >> col) != 0 { rect(cx + col * k, y + r * k, k, k, c) }
                }
                cx += 6 * k
            }
        }
        let lineH = 9 * scale
        let probe = p.frequencyMHz >= 9 ? "L15-7" : "L12-5"
        text("MSKSIM \(probe) \(String(format: "%.1f", p.frequencyMHz))MHZ", 4, 3, white, scale: scale)
        let who = [p.muscle?.uppercased(), p.side.map { $0.prefix(1).uppercased() }, p.patientId]
            .compactMap { $0 }.joined(separator: " ")
        text(who.isEmpty ? "MSK" : who, 4, 3 + lineH, white, scale: scale)
        let depthCm = Double(region.height) * p.mmPerPixelY / 10
        let info = "D\(String(format: "%.1f", depthCm))CM DR\(Int(p.dynamicRangeDb)) FR\(Int(p.fps.rounded()))"
        if 3 + 3 * lineH <= region.y { text(info, 4, 3 + 2 * lineH, (160, 160, 160), scale: 1) }
        if let date = p.studyDate {
            let w = date.count * 6 * scale
            text(date, p.width - w - 4, 3 + lineH, white, scale: scale)
        }
        // Logo block.
        let logoW = max(30, p.width / 10), logoH = max(10, lineH)
        rect(p.width - logoW - 4, 2, logoW, logoH, (230, 120, 20))
        text("MSK", p.width - logoW - 4 + (logoW - 18 * scale) / 2, 2 + (logoH - 7 * scale) / 2, (20, 20, 20), scale: scale)
        // Orientation marker (green) above the top-left corner of the image.
        rect(region.x, max(0, region.y - 8), 6, 6, (40, 210, 90))
        // Depth ruler: ticks every 5 mm, labels every 10 mm (in cm).
        let rx = region.x - 5
        for y in region.y..<(region.y + region.height) { put(rx, y, (170, 170, 170)) }
        var mm = 0.0
        while mm <= Double(region.height) * p.mmPerPixelY + 1e-9 {
            let y = region.y + Int((mm / p.mmPerPixelY).rounded())
            let major = Int(mm.rounded()) % 10 == 0
            for x in (rx - (major ? 5 : 2))..<rx { put(x, y, (200, 200, 200)); if major { put(x, y + 1, (200, 200, 200)) } }
            if major && mm > 0 {
                let label = "\(Int(mm.rounded()) / 10)"
                text(label, rx - 7 - 6 * label.count, y - 3, white, scale: 1)
            }
            mm += 5
        }
        // Focus marker (yellow triangle) right of the image at 60 % depth.
        let fy = region.y + Int(0.6 * Double(region.height)), fx = region.x + region.width + 2
        for k in 0..<5 { for yy in (fy - k)...(fy + k) { put(fx + 4 - k, yy, (240, 210, 40)) } }
        template = img
    }

    /// The non-classic layouts (`CanvasLayout`); their greys and texts are drawn from the seed.
    static func drawLayout(_ p: SimulationParameters, region: PixelRect) -> [UInt8] {
        var r = SplitMix64(seed: mix64(p.seed ^ 0x1A7_0C7))
        let bgGrey: UInt8 = p.layout == .greyCanvas ? UInt8(35 + r.next() % 40) : UInt8(r.next() % 12)
        var img = [UInt8](repeating: bgGrey, count: 3 * p.width * p.height)
        let W = p.width, H = p.height
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < W, y < H, !region.contains(x: x, y: y) else { return }
            let k = 3 * (y * W + x)
            img[k] = c.0; img[k + 1] = c.1; img[k + 2] = c.2
        }
        func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard w > 0, h > 0 else { return }
            for yy in y..<(y + h) { for xx in x..<(x + w) { put(xx, yy, c) } }
        }
        func text(_ s: String, _ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8), scale k: Int = 1) {
            var cx = x
            for ch in s.uppercased() {
                for (row, bits) in Glyphs.bitmap(ch).enumerated() {
                    for col in 0..<5 where bits & (0x10 >> col) != 0 { rect(cx + col * k, y + row * k, k, k, c) }
                }
                cx += 6 * k
            }
        }
        let white: (UInt8, UInt8, UInt8) = (225, 225, 225)
        let scale = H >= 540 ? 2 : 1
        let depthMm = Double(region.height) * p.mmPerPixelY
        let lines = ["FR \(Int(p.fps.rounded()))", "D \(Int(depthMm.rounded())) MM", "DR \(Int(p.dynamicRangeDb)) DB",
                     "G \(Int(50 + p.gainDb * 3))%", "F \(String(format: "%.1f", p.frequencyMHz)) MHZ"]
        // The depth ruler: a line with ticks every 5 mm, labels every 10 mm.
        func ruler(atX rx: Int, ticksLeft: Bool) {
            for y in region.y..<(region.y + region.height) { put(rx, y, (170, 170, 170)) }
            var mm = 0.0
            while mm <= depthMm + 1e-9 {
                let y = region.y + Int((mm / p.mmPerPixelY).rounded())
                let major = Int(mm.rounded()) % 10 == 0
                let len = major ? 6 : 3
                for i in 1...len { put(ticksLeft ? rx - i : rx + i, y, (200, 200, 200)) }
                if major && mm > 0 {
                    let label = "\(Int(mm.rounded()) / 10)"
                    text(label, ticksLeft ? rx - 9 - 6 * label.count : rx + 9, y - 3, white)
                }
                mm += 5
            }
        }
        func greyBar(x: Int, y: Int, w: Int, h: Int) {
            for yy in 0..<h { let v = UInt8(255 - 255 * yy / max(1, h - 1)); rect(x, y + yy, w, 1, (v, v, v)) }
        }
        let title = "\(p.muscle?.uppercased() ?? "MSK") \(p.patientId ?? "")"
        switch p.layout {
        case .classic:
            break
        case .rulerRight:
            text("PROBE L\(Int(p.frequencyMHz + 5))-\(Int(p.frequencyMHz - 2)) \(title)", 4, 3, white, scale: scale)
            text(lines.joined(separator: " "), 4, 3 + 9 * scale, (170, 170, 170))
            ruler(atX: region.x + region.width + 4, ticksLeft: false)
            let fy = region.y + Int(0.5 * Double(region.height)), fx = region.x + region.width + 24
            for k in 0..<5 { for yy in (fy - k)...(fy + k) { put(fx - 4 + k, yy, (240, 210, 40)) } }
            rect(region.x, max(0, region.y - 9), 6, 6, (40, 210, 90))
        case .greyCanvas:
            let barH = max(10, region.y - 2)
            rect(0, 0, W, barH, (bgGrey / 2, bgGrey / 2, bgGrey / 2))
            text("CLINIC - \(title)", W / 3, 3, white)
            if let d = p.studyDate { text(d, 2 * W / 3, 3, white) }
            greyBar(x: 8, y: region.y + 20, w: max(8, W / 48), h: region.height / 4)
            for (i, l) in lines.enumerated() { text(l, region.x + region.width + 12, region.y + 8 + i * 10 * scale, white, scale: scale) }
            ruler(atX: region.x - 10, ticksLeft: true)
            // Dotted TGC curve at the far right.
            for y in stride(from: region.y, to: region.y + region.height, by: 3) {
                put(W - 14 + Int(4 * sin(Double(y) / 40)), y, (200, 200, 200))
            }
        case .textBarBottom:
            text(title, 4, 2, white)
            let y0 = region.y + region.height + 4
            rect(0, y0, W, H - y0, (28, 28, 28))
            text(lines.prefix(3).joined(separator: "  "), 6, y0 + 3, white, scale: scale)
            text(lines.suffix(2).joined(separator: "  ") + "  " + (p.studyDate ?? ""), 6, y0 + 5 + 9 * scale, (190, 190, 190), scale: scale)
            ruler(atX: region.x - 5, ticksLeft: true)
            rect(region.x + region.width - 8, max(0, region.y - 7), 6, 5, (40, 210, 90))
        case .colourBars:
            text("MSKSIM \(title)", 4, 3, white, scale: scale)
            text(lines.joined(separator: " "), 4, 3 + 9 * scale, (160, 160, 160))
            ruler(atX: region.x - 5, ticksLeft: true)
            greyBar(x: region.x + region.width + 8, y: region.y, w: max(6, W / 60), h: region.height / 3)
            let cb = region.y + region.height / 3 + 12, ch = region.height / 3
            for yy in 0..<ch {
                let t = Double(yy) / Double(max(1, ch - 1))
                let c: (UInt8, UInt8, UInt8) = t < 0.5 ? (UInt8(255 * (1 - 2 * t)), UInt8(200 * (1 - 2 * t)), 0)
                    : (0, UInt8(120 * (2 * t - 1)), UInt8(255 * (2 * t - 1)))
                rect(region.x + region.width + 8, cb + yy, max(6, W / 60), 1, c)
            }
            rect(W - max(30, W / 10) - 4, 2, max(30, W / 10), 10, (230, 120, 20))
        }
        return img
    }

    func compose(region grey: [UInt8], frameIndex: Int) -> RGBImage {
        var px = template
        let r = region
        px.withUnsafeMutableBufferPointer { P in
            grey.withUnsafeBufferPointer { G in
                for y in 0..<r.height {
                    var k = 3 * ((y + r.y) * width + r.x)
                    for x in 0..<r.width {
                        let v = G[y * r.width + x]
                        P[k] = v; P[k + 1] = v; P[k + 2] = v
                        k += 3
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: px)
    }
}

/// A 5x7 bitmap font (rows top to bottom, bit 4 = leftmost column) for canvas text.
enum Glyphs {
    static func bitmap(_ c: Character) -> [UInt8] {
        switch c {
        case "0": return [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E]
        case "1": return [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E]
        case "2": return [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F]
        case "3": return [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E]
        case "4": return [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02]
        case "5": return [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E]
        case "6": return [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E]
        case "7": return [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08]
        case "8": return [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E]
        case "9": return [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C]
        case "A": return [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11]
        case "B": return [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E]
        case "C": return [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E]
        case "D": return [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C]
        case "E": return [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F]
        case "F": return [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10]
        case "G": return [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F]
        case "H": return [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11]
        case "I": return [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E]
        case "J": return [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C]
        case "K": return [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11]
        case "L": return [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F]
        case "M": return [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11]
        case "N": return [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11]
        case "O": return [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E]
        case "P": return [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10]
        case "Q": return [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D]
        case "R": return [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11]
        case "S": return [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E]
        case "T": return [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04]
        case "U": return [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E]
        case "V": return [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04]
        case "W": return [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A]
        case "X": return [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11]
        case "Y": return [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04]
        case "Z": return [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F]
        case ".": return [0, 0, 0, 0, 0, 0x0C, 0x0C]
        case ":": return [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0]
        case "-": return [0, 0, 0, 0x1F, 0, 0, 0]
        case "/": return [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0]
        case "%": return [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03]
        case "+": return [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0]
        default: return [0, 0, 0, 0, 0, 0, 0]
        }
    }
}
