import Foundation

/// A small line plot as inline SVG: one series against time, with the rest and peak windows
/// shaded. No scripts, no fonts from elsewhere.
struct SVGPlot {
    var title: String
    var unit: String
    var times: [Double]
    var values: [Double?]
    /// Frames of the rest (contraction <= 0.2) and peak (>= 0.8) windows.
    var rest: [Bool]
    var peak: [Bool]
    /// Whether the y axis starts at zero (lengths); otherwise it fits the data.
    var fromZero: Bool
    var fixedRange: ClosedRange<Double>?

    static let width = 360.0, height = 175.0
    static let left = 46.0, right = 10.0, top = 22.0, bottom = 32.0

    /// Colours shared with the report's legend.
    static let restFill = "#cfe3ff", peakFill = "#ffd9b3", lineColour = "#1f4e9c"

    func svg() -> String {
        let w = Self.width, h = Self.height
        let pw = w - Self.left - Self.right, ph = h - Self.top - Self.bottom
        let known = values.compactMap { $0 }.filter(\.isFinite)
        let t0 = times.first ?? 0, t1 = max(times.last ?? 1, t0 + 1e-6)
        var lo: Double, hi: Double
        if let fixedRange { lo = fixedRange.lowerBound; hi = fixedRange.upperBound } else {
            lo = known.min() ?? 0; hi = known.max() ?? 1
            if fromZero { lo = min(0, lo) }
            if hi - lo < 1e-9 { hi = lo + 1 }
            let pad = (hi - lo) * 0.08
            hi += pad
            if !fromZero { lo -= pad }
        }
        let ticks = Self.niceTicks(lo, hi, count: 4)
        lo = min(lo, ticks.first ?? lo); hi = max(hi, ticks.last ?? hi)
        func x(_ t: Double) -> Double { Self.left + (t - t0) / (t1 - t0) * pw }
        func y(_ v: Double) -> Double { Self.top + ph - (v - lo) / (hi - lo) * ph }
        var s = "<svg class=\"plot\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(HTML.escape(title)) against time\">"
        s += "<text x=\"\(Self.left)\" y=\"14\" class=\"pt\">\(HTML.escape(title)) (\(HTML.escape(unit)))</text>"
        // Windows: runs of consecutive frames, each frame covering half an interval either side.
        let half = times.count > 1 ? (t1 - t0) / Double(times.count - 1) / 2 : 0.5
        for (mask, fill) in [(rest, Self.restFill), (peak, Self.peakFill)] {
            var i = 0
            while i < mask.count {
                guard mask[i] else { i += 1; continue }
                var j = i
                while j + 1 < mask.count && mask[j + 1] { j += 1 }
                let a = max(t0, times[i] - half), b = min(t1, times[j] + half)
                s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>", x(a), Self.top, max(0.5, x(b) - x(a)), ph, fill)
                i = j + 1
            }
        }
        // Axes, grid and tick labels.
        for v in ticks where v >= lo - 1e-9 && v <= hi + 1e-9 {
            s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", Self.left, Self.left + pw, y(v), y(v))
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tl\" text-anchor=\"end\">%@</text>", Self.left - 4, y(v) + 3.5, Self.format(v))
        }
        for t in Self.niceTicks(t0, t1, count: 5) where t >= t0 - 1e-9 && t <= t1 + 1e-9 {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tl\" text-anchor=\"middle\">%@</text>", x(t), Self.top + ph + 13, Self.format(t))
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tl\" text-anchor=\"middle\">time (s)</text>", Self.left + pw / 2, h - 3)
        s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>", Self.left, Self.top, pw, ph)
        // The series, broken where a value is missing.
        var path = ""
        var pen = false
        for (t, v) in zip(times, values) {
            guard let v, v.isFinite else { pen = false; continue }
            path += String(format: "%@%.1f %.1f ", pen ? "L" : "M", x(t), y(v))
            pen = true
        }
        if !path.isEmpty { s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(Self.lineColour)\" stroke-width=\"1.6\"/>" }
        return s + "</svg>"
    }

    /// Round tick values (1, 2 or 5 times a power of ten) covering lo...hi.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var ticks: [Double] = []
        var v = (lo / step).rounded(.down) * step
        while v <= hi + step * 1e-6 && ticks.count < 50 { ticks.append(v); v += step }
        return ticks
    }

    static func format(_ v: Double) -> String {
        let a = abs(v)
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }
}
