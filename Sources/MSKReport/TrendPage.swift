import Foundation
import MSKStudyDB

// The trend page of `mskcine trend --report`: with the other reports, in MSKReport; the study
// database computes the trends (MSKStudyDB.Trend), this draws them.

extension TrendReport {
    /// A self-contained HTML page: a table and inline SVG plots of each series.
    public func html(title: String = "MSKCine atrophy trends") -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        var body = "<h1>\(esc(title))</h1>\n"
        body += "<p>Minimal detectable change: thickness \(String(format: "%.2f", thresholds.thicknessMdcMm)) mm, echo intensity "
            + "\(String(format: "%.1f", thresholds.echoMdc)) grey levels, pennation angle \(String(format: "%.1f", thresholds.pennationMdcDeg)) deg, "
            + "fascicle length \(String(format: "%.1f", thresholds.fascicleLengthMdcMm)) mm. A flag needs the change from baseline beyond it and, "
            + "with three or more studies, a slope whose 95% confidence interval excludes zero. Atrophy is flagged on the thickness alone; a "
            + "falling pennation angle or fascicle length is marked beside it.</p>\n"
        if series.isEmpty { body += "<p>No series: no analysed clip has a patient id and study date.</p>\n" }
        for s in series {
            var flags: [String] = []
            if s.atrophyTrend { flags.append("atrophyTrend") }
            if s.echoIntensityRising { flags.append("echoIntensityRising") }
            body += "<section><h2>\(esc(s.patientId)) · \(esc(s.muscle)) · \(esc(s.side))"
                + (flags.isEmpty ? "" : " <span class=flag>\(flags.joined(separator: ", "))</span>") + "</h2>\n"
            let measures = s.measures
            body += "<p>" + measures.map { m in esc(TrendReport.line(m.name.prefix(1).uppercased() + m.name.dropFirst(), m.values, unit: m.unit, flag: m.flag)) }
                .joined(separator: "<br>") + "</p>\n"
            body += "<div class=plots>" + measures.map { Self.svg($0.values, label: "\($0.name) (\($0.unit))") }.joined() + "</div>\n"
            if let other = s.contralateralSide, !s.contralateral.isEmpty {
                body += "<p>Against the \(esc(other)) side: " + s.contralateral.map { d in
                    "\(d.date): " + (d.thicknessMm.map { String(format: "%+.2f mm", $0) } ?? "n/a") + ", echo "
                        + (d.echoIntensity.map { String(format: "%+.1f", $0) } ?? "n/a")
                }.joined(separator: "; ") + "</p>\n"
            }
            body += "</section>\n"
        }
        if unidentifiedClips > 0 { body += "<p>\(unidentifiedClips) analysed clip(s) without patient id or study date are left out.</p>\n" }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}section{border-top:1px solid #ccc;padding-top:.5em}
            .flag{color:#b00;font-size:.8em}.plots{display:flex;gap:1em;flex-wrap:wrap}svg{background:#fafafa;border:1px solid #ddd}</style>
            </head><body>
            \(body)</body></html>

            """
    }

    /// Points, the fitted line, and the baseline +- MDC band, on days since the first study.
    static func svg(_ m: TrendMeasure?, label: String) -> String {
        let w = 440.0, h = 240.0, left = 56.0, right = 12.0, top = 24.0, bottom = 36.0
        guard let m, !m.points.isEmpty else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\"><text x=\"20\" y=\"40\">\(label): no values</text></svg>"
        }
        let days = m.points.map(\.day), values = m.points.map(\.value) + [m.baseline - m.mdc, m.baseline + m.mdc]
        let x0 = 0.0, x1 = max(days.max()!, 1)
        var y0 = values.min()!, y1 = values.max()!
        let pad = max((y1 - y0) * 0.1, 0.5)
        y0 -= pad; y1 += pad
        func px(_ d: Double) -> Double { left + (d - x0) / (x1 - x0) * (w - left - right) }
        func py(_ v: Double) -> Double { top + (y1 - v) / (y1 - y0) * (h - top - bottom) }
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        s += "<text x=\"\(f(left))\" y=\"16\" font-size=\"12\">\(label)</text>"
        // Baseline +- MDC band.
        s += "<rect x=\"\(f(px(x0)))\" y=\"\(f(py(m.baseline + m.mdc)))\" width=\"\(f(px(x1) - px(x0)))\" height=\"\(f(py(m.baseline - m.mdc) - py(m.baseline + m.mdc)))\" fill=\"#cde\" opacity=\"0.6\"/>"
        // Axes and ticks.
        s += "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"#444\"/>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"#444\"/>"
        for i in 0...4 {
            let v = y0 + (y1 - y0) * Double(i) / 4
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(py(v) + 4))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.1f", v))</text>"
        }
        for p in m.points {
            s += "<text x=\"\(f(px(p.day)))\" y=\"\(f(h - bottom + 14))\" font-size=\"9\" text-anchor=\"middle\">\(p.date)</text>"
        }
        s += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 4))\" font-size=\"10\" text-anchor=\"middle\">study date (days from baseline)</text>"
        if let fit = m.fit {
            let slope = fit.slopePer30Days / 30
            s += "<line x1=\"\(f(px(x0)))\" y1=\"\(f(py(fit.intercept + slope * x0)))\" x2=\"\(f(px(x1)))\" y2=\"\(f(py(fit.intercept + slope * x1)))\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>"
        }
        s += "<polyline fill=\"none\" stroke=\"#236\" points=\"" + m.points.map { "\(f(px($0.day))),\(f(py($0.value)))" }.joined(separator: " ") + "\"/>"
        for p in m.points { s += "<circle cx=\"\(f(px(p.day)))\" cy=\"\(f(py(p.value)))\" r=\"4\" fill=\"#236\"/>" }
        return s + "</svg>"
    }
}
