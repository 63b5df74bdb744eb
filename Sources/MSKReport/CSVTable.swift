import Foundation
import MSKAnalysis

/// The per-frame measurements as CSV: one header row, then one row per decoded frame in decode
/// order. Column names are the result document's field names, which end in their unit (`timeS`
/// seconds, `...Mm` millimetres or `...Px` pixels without calibration); `defectDepthFraction` and
/// `contraction` are fractions 0-1 and `echoIntensity` is in grey levels 0-255. An empty cell is a
/// value the analysis could not give (for example the thickness where the muscle was not found).
public enum CSVTable {
    public static func columns(unit: LengthUnit) -> [String] {
        let u = unit.fieldSuffix
        return ["index", "timeS", "gapWidth" + u, "endSeparation" + u, "defectDepthFraction", "muscleThickness" + u,
                "echoIntensity", "contraction", "muscleDetected", "defectDetected",
                "fascicleAngleDeg", "deepAponeurosisAngleDeg", "pennationAngleDeg", "fascicleLength" + u]
    }

    public static func make(_ analysis: ClipAnalysis) -> String {
        var lines = [columns(unit: analysis.unit).joined(separator: ",")]
        lines.reserveCapacity(analysis.frames.count + 1)
        func num(_ x: Double?, _ decimals: Int) -> String {
            guard let x, x.isFinite else { return "" }
            return String(format: "%.\(decimals)f", x)
        }
        for f in analysis.frames {
            lines.append([
                "\(f.index)", num(f.timeS, 4), num(f.gapWidth.value, 3), num(f.endSeparation.value, 3),
                num(f.defectDepthFraction, 3), num(f.muscleThickness?.value, 3), num(f.echoIntensity, 2),
                num(f.contraction, 3), f.muscleDetected ? "1" : "0", f.defectDetected ? "1" : "0",
                num(f.fascicleAngleDeg, 2), num(f.deepAponeurosisAngleDeg, 2), num(f.pennationAngleDeg, 2), num(f.fascicleLength?.value, 2),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
