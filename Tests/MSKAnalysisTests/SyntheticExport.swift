import Foundation
import MSKImage
import MSKImaging

/// A scanner export drawn in test code with every part's position known exactly: a B-mode image
/// (speckle with bright layers, a linear rectangle or a fan) on a black or grey canvas, with a
/// depth ruler on the left or right, a text bar above or below, a colour bar, a logo and an
/// orientation marker; frames that move (a cine) or repeat (a still).
struct SyntheticExport {
    enum Fan: String, CaseIterable { case none, parallelogram, trapezoid }

    var width: Int
    var height: Int
    /// The image's bounding rectangle.
    var bounds: PixelRect
    var fan: Fan
    /// Horizontal shift of the slanted sides over the image height (0 for a rectangle).
    var slant: Int
    var canvas: UInt8
    var rulerLeft: Bool
    var textAbove: Bool
    var moving: Bool
    /// The ruler's tick spacing in pixels (ticks every 5 mm, longer ticks every 10 mm).
    var tickPx: Double
    var grey: [GreyImage] = []
    var rgb: [RGBImage] = []

    var mmPerPixel: Double { 5 / tickPx }

    /// Left and right image edges (exclusive right) in row `y` of the image.
    func extent(row y: Int) -> (Int, Int) {
        let t = Double(y - bounds.y) / Double(max(1, bounds.height - 1))
        let s = Double(slant)
        switch fan {
        case .none: return (bounds.x, bounds.maxX)
        case .parallelogram: return (bounds.x + Int((s * (1 - t)).rounded()), bounds.maxX - Int((s * t).rounded()))
        case .trapezoid: return (bounds.x + Int((s * (1 - t)).rounded()), bounds.maxX - Int((s * (1 - t)).rounded()))
        }
    }

    /// Whether `r` holds image only.
    func holdsImageOnly(_ r: PixelRect) -> Bool {
        guard r.y >= bounds.y, r.maxY <= bounds.maxY else { return false }
        for y in r.y..<r.maxY {
            let (l, rr) = extent(row: y)
            if r.x < l || r.maxX > rr { return false }
        }
        return true
    }

    /// The largest area of an axis-aligned rectangle inside the image (from the geometry).
    var largestInscribedArea: Int {
        var best = 0
        let n = bounds.height
        var lefts = [Int](), rights = [Int]()
        for y in bounds.y..<bounds.maxY { let e = extent(row: y); lefts.append(e.0); rights.append(e.1) }
        for a in stride(from: 0, to: n, by: 2) {
            var lo = Int.min, hi = Int.max
            for b in a..<n {
                lo = max(lo, lefts[b]); hi = min(hi, rights[b])
                guard hi > lo else { break }
                best = max(best, (hi - lo) * (b - a + 1))
            }
        }
        return best
    }

    /// Whether a depth ruler is drawn.
    var hasRuler = true

    /// A band across the image's middle (a seventh of its height), nearly black: on every other row
    /// each pixel lights up (grey 8) in exactly one of the six frames, the rows between stay black.
    /// Live and textured, yet flat in the mean image and too sparse for the seed's dense cells, as
    /// nearly black speckle under a low gain is. Forces a moving clip.
    var flatBand = false

    /// Rows of codec padding under the image and columns right of it (0: none): the rest of a video
    /// codec's 16-pixel block, black canvas carrying faint ringing (grey 0-5) that changes from frame
    /// to frame. Forces a black canvas.
    var codecPadding = 0

    init(seed: UInt64, ruler: Bool = true, flatBand: Bool = false, codecPadding: Int = 0) {
        hasRuler = ruler
        self.flatBand = flatBand
        self.codecPadding = codecPadding
        var rng = SeededRandom(seed: seed)
        width = [480, 640, 800, 1024, 1148, 1280][rng.int(6)]
        height = Int(Double(width) * rng.uniform(0.56, 0.8))
        canvas = rng.uniform(0, 1) < 0.4 || codecPadding > 0 ? 0 : UInt8(rng.int(70) + 18)
        rulerLeft = rng.uniform(0, 1) < 0.5
        textAbove = rng.uniform(0, 1) < 0.5
        moving = rng.uniform(0, 1) < 0.7 || flatBand
        let r = rng.uniform(0, 1)
        fan = r < 0.7 ? .none : (r < 0.85 ? .parallelogram : .trapezoid)
        let iw = Int(Double(width) * rng.uniform(0.45, 0.7)), ih = Int(Double(height) * rng.uniform(0.6, 0.78))
        // Margins: the text side gets room for two lines of text, the ruler side for the ruler.
        let textRoom = height - ih
        let textH = max(24, min(textRoom - 10, Int(Double(height) * 0.09)))
        let top = textAbove ? textH + rng.int(max(1, textRoom - textH - 4)) / 3 + 3 : 4 + rng.int(max(1, (textRoom - textH) / 3))
        let sideRoom = width - iw
        let left = rulerLeft ? sideRoom / 2 + rng.int(max(1, sideRoom / 4)) : sideRoom / 4 + rng.int(max(1, sideRoom / 4))
        bounds = PixelRect(x: left, y: top, width: iw, height: ih)
        slant = fan == .none ? 0 : Int(Double(iw) * rng.uniform(0.1, 0.2))
        tickPx = Double(ih) / rng.uniform(6, 11)
        draw(&rng)
    }

    private mutating func draw(_ rng: inout SeededRandom) {
        let w = width, h = height
        var base = [UInt8](repeating: canvas, count: 3 * w * h)
        let canvasNoise = canvas > 0 && rng.uniform(0, 1) < 0.5
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < w, y < h else { return }
            let k = 3 * (y * w + x)
            base[k] = c.0; base[k + 1] = c.1; base[k + 2] = c.2
        }
        func box(_ x: Int, _ y: Int, _ bw: Int, _ bh: Int, _ c: (UInt8, UInt8, UInt8)) {
            for yy in y..<(y + bh) { for xx in x..<(x + bw) { put(xx, yy, c) } }
        }
        // Text: lines of 5x7 random glyphs (scale 1 or 2), left and right parts, as scanners draw.
        let scale = height >= 600 ? 2 : 1
        let lineH = 9 * scale
        // A text bar below starts 6-11 px under the image: closer than the texture window's
        // spread on both sides (2 + 2 px) plus a canvas row, a still's text can join the image
        // (a documented limit of the detector, Docs/methods.md).
        let textY = textAbove ? 3 : bounds.maxY + 6 + rng.int(6)
        let white: (UInt8, UInt8, UInt8) = (225, 225, 225)
        for line in 0..<2 {
            let y0 = textY + line * lineH
            guard y0 + 7 * scale < (textAbove ? bounds.y - 1 : h) else { continue }
            for part in 0..<2 {
                var x = part == 0 ? 6 + rng.int(w / 5) : w / 2 + rng.int(w / 5)
                let chars = 8 + rng.int(14)
                for _ in 0..<chars {
                    if rng.int(6) > 0 {
                        for row in 0..<7 { for col in 0..<5 where rng.int(3) == 0 { box(x + col * scale, y0 + row * scale, scale, scale, white) } }
                    }
                    x += 6 * scale
                }
            }
        }
        // Depth ruler: a line beside the image, ticks every 5 mm, longer ticks and labels every 10 mm.
        let rx = rulerLeft ? bounds.x - 6 - rng.int(12) : bounds.maxX + 6 + rng.int(12)
        let dir = rulerLeft ? -1 : 1
        if hasRuler { for y in bounds.y..<bounds.maxY { put(rx, y, (170, 170, 170)) } }
        var k = 0
        while hasRuler, Double(k) * tickPx <= Double(bounds.height - 1) {
            let y = bounds.y + Int((Double(k) * tickPx).rounded())
            let major = k % 2 == 0
            for j in 1...(major ? 8 : 4) { put(rx + dir * j, y, (200, 200, 200)) }
            if major && k > 0 {
                for row in 0..<7 { for col in 0..<5 where rng.int(2) == 0 { put(rx + dir * 12 + col, y - 3 + row, white) } }
            }
            k += 1
        }
        // Colour bar (grey or colour ramp) and logo on the side away from the ruler; orientation
        // marker (green) above the image's top-left corner.
        let barX = rulerLeft ? min(w - 16, bounds.maxX + 20 + rng.int(20)) : max(2, bounds.x - 34 - rng.int(20))
        let barH = min(140, bounds.height / 2), colourBar = rng.uniform(0, 1) < 0.5
        for y in 0..<barH {
            let v = UInt8(255 * (barH - 1 - y) / max(1, barH - 1))
            for x in 0..<12 { put(barX + x, bounds.y + 10 + y, colourBar ? (v, UInt8(Int(v) / 2), 255 - v) : (v, v, v)) }
        }
        box(textAbove ? w - 70 : 4, textAbove ? h - 26 : 2, 60, 20, (200, 120, 30))
        box(bounds.x, max(0, bounds.y - 9), 6, 6, (40, 210, 90))
        if canvasNoise {
            for i in 0..<(w * h) where base[3 * i] == canvas && base[3 * i + 1] == canvas {
                let v = UInt8(clamping: Int(canvas) + rng.int(3) - 1)
                base[3 * i] = v; base[3 * i + 1] = v; base[3 * i + 2] = v
            }
        }
        // The B-mode image: blurred speckle with bright layers and, often, a dark band.
        let iw = bounds.width, ih = bounds.height
        let layers = (0..<(2 + rng.int(3))).map { _ in (rng.uniform(0.05, 0.95) * Double(ih), rng.uniform(-0.08, 0.08)) }
        let darkBand = rng.uniform(0, 1) < 0.5 ? rng.uniform(0.3, 0.7) * Double(ih) : -1000
        let gain = rng.uniform(0.6, 1.2)
        var speckle = Self.speckle(iw, ih, &rng)
        let frames = moving ? 6 : 3
        for f in 0..<frames {
            if moving && f > 0 {
                let fresh = Self.speckle(iw, ih, &rng)
                for i in 0..<speckle.count { speckle[i] = 0.7 * speckle[i] + 0.3 * fresh[i] }
            }
            var px = base
            let shift = moving ? Double(f) * 0.8 : 0
            for y in 0..<ih {
                let (l, r) = extent(row: bounds.y + y)
                for x in (l - bounds.x)..<(r - bounds.x) {
                    var v = speckle[y * iw + x] * 90 * gain
                    for (ly, slope) in layers {
                        let d = Double(y) - (ly + slope * Double(x) + shift)
                        v += 140 * exp(-d * d / 18)
                    }
                    if abs(Double(y) - darkBand) < Double(ih) / 12 { v *= 0.25 }
                    if flatBand, abs(Double(y) - 0.5 * Double(ih)) < Double(ih) / 14 { v = y % 2 == 0 && (x + y + f) % 6 == 0 ? 8 : 0 }
                    let g = UInt8(clamping: Int(v.rounded()))
                    let k = 3 * ((bounds.y + y) * w + bounds.x + x)
                    px[k] = g; px[k + 1] = g; px[k + 2] = g
                }
            }
            if codecPadding > 0 {
                for y in bounds.y..<min(h, bounds.maxY + codecPadding) {
                    for x in bounds.x..<min(w, bounds.maxX + codecPadding) where y >= bounds.maxY || x >= bounds.maxX {
                        let g = UInt8((x * 7 + y * 3 + f * 5) % 6)
                        let k = 3 * (y * w + x)
                        px[k] = g; px[k + 1] = g; px[k + 2] = g
                    }
                }
            }
            let image = RGBImage(width: w, height: h, pixels: px)
            rgb.append(image)
            var g = [UInt8](repeating: 0, count: w * h)
            for i in 0..<(w * h) {
                let r = 299 * Int(px[3 * i]), gg = 587 * Int(px[3 * i + 1]), b = 114 * Int(px[3 * i + 2])
                g[i] = UInt8((r + gg + b + 500) / 1000)
            }
            grey.append(GreyImage(width: w, height: h, pixels: g))
        }
    }

    /// Speckle-like texture 0...~1.5: exponential noise blurred over a couple of pixels.
    static func speckle(_ w: Int, _ h: Int, _ rng: inout SeededRandom) -> [Double] {
        var raw = [Float](repeating: 0, count: w * h)
        for i in raw.indices { raw[i] = Float(-log(max(1e-6, rng.uniform(0, 1)))) }
        let blurred = Filters.gaussian(FloatImage(width: w, height: h, pixels: raw), sigmaX: 1.5, sigmaY: 0.8)
        return blurred.pixels.map { Double($0) }
    }
}

/// A small deterministic generator (SplitMix64), so every synthetic case is reproducible from its seed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
}
