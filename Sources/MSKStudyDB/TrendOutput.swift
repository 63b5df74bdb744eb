import Foundation
import MSKAnalysis

extension TrendSeries {
    /// The four measures in the order every output lists them (text, `--json`, the HTML page): the
    /// JSON key, the name a reader sees, the values, the unit, and the flag a change beyond the MDC raises.
    package var measures: [(key: String, name: String, values: TrendMeasure?, unit: String, flag: String)] {
        [("thickness", "thickness", thickness, "mm", "atrophyTrend"),
         ("echoIntensity", "echo intensity", echoIntensity, "grey levels", "echoIntensityRising"),
         ("pennationAngle", "pennation angle", pennationAngle, "deg", "pennationFalling"),
         ("fascicleLength", "fascicle length", fascicleLength, "mm", "fascicleLengthFalling")]
    }
}

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
            ("minimalDetectableChange", .object([("thicknessMm", .number(thresholds.thicknessMdcMm)), ("echoIntensity", .number(thresholds.echoMdc)),
                                                 ("pennationAngleDeg", .number(thresholds.pennationMdcDeg)), ("fascicleLengthMm", .number(thresholds.fascicleLengthMdcMm))])),
            ("unidentifiedClips", .number(Double(unidentifiedClips))),
            ("uncalibratedClips", .number(Double(uncalibratedClips))),
            ("series", .array(series.map { s in
                .object([
                    ("patientId", .string(s.patientId)), ("muscle", .string(s.muscle)), ("side", .string(s.side)),
                    ("studyCount", .number(Double(s.studies.count))),
                    ("studies", .array(s.studies.map { .object([("studyDate", .string($0.date)), ("clips", .number(Double($0.clips)))]) })),
                    ("atrophyTrend", .bool(s.atrophyTrend)),
                    ("echoIntensityRising", .bool(s.echoIntensityRising)),
                ] + s.measures.map { ($0.key, measure($0.values, flag: $0.flag, unit: $0.unit)) } + [
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
            for m in s.measures { lines.append("  " + Self.line(m.name, m.values, unit: m.unit, flag: m.flag)) }
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

    package static func line(_ name: String, _ m: TrendMeasure?, unit: String, flag: String) -> String {
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
}
