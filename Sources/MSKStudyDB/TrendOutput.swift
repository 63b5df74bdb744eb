import Foundation
import MSKAnalysis

extension TrendReport {
    public static let schema = "mskcine.trend/1"

    /// The `trend --json` document.
    public func document() -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
        func measure(_ m: TrendMeasure?, flag: String, unit: String) -> JSONValue {
            guard let m else { return .null }
            return .object([
                ("unit", .string(unit)),
                ("studies", .number(Double(m.studies))),
                ("points", .array(m.points.map { .object([("studyDate", .string($0.date)), ("day", .number($0.day)), ("value", .number($0.value))]) })),
                ("baseline", .number(m.baseline)), ("latest", .number(m.latest)),
                ("changeFromBaseline", .number(m.change)), ("changeFromBaselinePercent", num(m.changePercent)),
                ("slopePer30Days", num(m.fit?.slopePer30Days)),
                ("slopePer30DaysCI95", m.fit?.ci95Per30Days.map { .array([.number($0.low), .number($0.high)]) } ?? .null),
                ("minimalDetectableChange", .number(m.mdc)),
                (flag, .bool(m.flagged)),
            ])
        }
        return .object([
            ("schema", .string(Self.schema)),
            ("minimalDetectableChange", .object([("thicknessMm", .number(thresholds.thicknessMdcMm)), ("echoIntensity", .number(thresholds.echoMdc))])),
            ("unidentifiedClips", .number(Double(unidentifiedClips))),
            ("uncalibratedClips", .number(Double(uncalibratedClips))),
            ("series", .array(series.map { s in
                .object([
                    ("patientId", .string(s.patientId)), ("muscle", .string(s.muscle)), ("side", .string(s.side)),
                    ("studyCount", .number(Double(s.studies.count))),
                    ("studies", .array(s.studies.map { .object([("studyDate", .string($0.date)), ("clips", .number(Double($0.clips)))]) })),
                    ("atrophyTrend", .bool(s.atrophyTrend)),
                    ("echoIntensityRising", .bool(s.echoIntensityRising)),
                    ("thickness", measure(s.thickness, flag: "atrophyTrend", unit: "mm")),
                    ("echoIntensity", measure(s.echoIntensity, flag: "echoIntensityRising", unit: "grey levels")),
                    ("pennationAngle", measure(s.pennationAngle, flag: "pennationFalling", unit: "deg")),
                    ("fascicleLength", measure(s.fascicleLength, flag: "fascicleLengthFalling", unit: "mm")),
                    ("contralateralSide", s.contralateralSide.map { .string($0) } ?? .null),
                    ("contralateral", .array(s.contralateral.map { d in
                        .object([("studyDate", .string(d.date)), ("thicknessDifferenceMm", num(d.thicknessMm)),
                                 ("thicknessDifferencePercent", num(d.thicknessPercent)), ("echoIntensityDifference", num(d.echoIntensity))])
                    })),
                ])
            })),
        ])
    }

    /// The plain-text report.
    public func text() -> String {
        var lines: [String] = []
        if series.isEmpty { lines.append("no series: no analysed clip has a patient id and study date") }
        for s in series {
            let n = s.studies.count
            lines.append("\(s.patientId) \(s.muscle) \(s.side): \(n) stud\(n == 1 ? "y" : "ies")"
                         + (n > 0 ? " (\(s.studies.first!.date) .. \(s.studies.last!.date))" : ""))
            lines.append("  study date   clips  thickness mm  echo intensity")
            for st in s.studies {
                let t = s.thickness?.points.first { $0.date == st.date }?.value
                let e = s.echoIntensity?.points.first { $0.date == st.date }?.value
                lines.append("  \(st.date)  \(String(format: "%5d", st.clips))  "
                             + (t.map { String(format: "%12.2f", $0) } ?? "         n/a") + "  "
                             + (e.map { String(format: "%14.1f", $0) } ?? "           n/a"))
            }
            lines.append("  " + Self.line("thickness", s.thickness, unit: "mm", flag: "atrophyTrend"))
            lines.append("  " + Self.line("echo intensity", s.echoIntensity, unit: "", flag: "echoIntensityRising"))
            lines.append("  " + Self.line("pennation angle", s.pennationAngle, unit: "deg", flag: "pennation falling"))
            lines.append("  " + Self.line("fascicle length", s.fascicleLength, unit: "mm", flag: "fascicle length falling"))
            if let other = s.contralateralSide, !s.contralateral.isEmpty {
                for d in s.contralateral {
                    lines.append("  vs \(other) on \(d.date): thickness " + (d.thicknessMm.map { String(format: "%+.2f mm", $0) } ?? "n/a")
                                 + (d.thicknessPercent.map { String(format: " (%+.1f %%)", $0) } ?? "")
                                 + ", echo " + (d.echoIntensity.map { String(format: "%+.1f", $0) } ?? "n/a"))
                }
            }
        }
        if unidentifiedClips > 0 {
            lines.append("note: \(unidentifiedClips) analysed clip(s) have no patient id or study date and are left out; give `mskcine batch --manifest FILE.csv`")
        }
        if uncalibratedClips > 0 {
            lines.append("note: \(uncalibratedClips) clip(s) are uncalibrated: their thickness (pixels) is left out, their echo intensity is used")
        }
        return lines.joined(separator: "\n")
    }

    static func line(_ name: String, _ m: TrendMeasure?, unit: String, flag: String) -> String {
        guard let m else { return "\(name): no values" }
        let u = unit.isEmpty ? "" : " " + unit
        var s = "\(name): change from baseline " + String(format: "%+.2f%@", m.change, u)
            + (m.changePercent.map { String(format: " (%+.1f %%)", $0) } ?? "")
        if let f = m.fit {
            s += String(format: "; slope %+.2f%@ per 30 days", f.slopePer30Days, u)
            if let ci = f.ci95Per30Days { s += String(format: " (95%% CI %+.2f to %+.2f)", ci.low, ci.high) }
        }
        s += String(format: "; MDC %.2f%@; %d stud%@", m.mdc, u, m.studies, m.studies == 1 ? "y" : "ies")
        return s + (m.flagged ? " -> \(flag)" : "")
    }

    /// A self-contained HTML page: a table and inline SVG plots of each series.
    public func html(title: String = "MSKCine atrophy trends") -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        var body = "<h1>\(esc(title))</h1>\n"
        body += "<p>Minimal detectable change: thickness \(String(format: "%.2f", thresholds.thicknessMdcMm)) mm, echo intensity "
            + "\(String(format: "%.1f", thresholds.echoMdc)) grey levels. A flag needs the change from baseline beyond it and, with three or "
            + "more studies, a slope whose 95% confidence interval excludes zero.</p>\n"
        if series.isEmpty { body += "<p>No series: no analysed clip has a patient id and study date.</p>\n" }
        for s in series {
            var flags: [String] = []
            if s.atrophyTrend { flags.append("atrophyTrend") }
            if s.echoIntensityRising { flags.append("echoIntensityRising") }
            body += "<section><h2>\(esc(s.patientId)) · \(esc(s.muscle)) · \(esc(s.side))"
                + (flags.isEmpty ? "" : " <span class=flag>\(flags.joined(separator: ", "))</span>") + "</h2>\n"
            body += "<p>\(esc(Self.line("Thickness", s.thickness, unit: "mm", flag: "atrophyTrend")))<br>"
                + "\(esc(Self.line("Echo intensity", s.echoIntensity, unit: "", flag: "echoIntensityRising")))</p>\n"
            body += "<div class=plots>" + Self.svg(s.thickness, label: "thickness (mm)") + Self.svg(s.echoIntensity, label: "echo intensity (grey levels)") + "</div>\n"
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
