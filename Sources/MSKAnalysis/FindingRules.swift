import Foundation
import MSKImaging

/// The figures a finding rests on, and the rules that turn them into a call. Each rule, its
/// threshold and where it comes from are written down in Docs/findings.md; the rule ids below
/// (`R1` ...) are the ones used there and in the result document's `finding.rules`.
struct Evidence {
    var n: Int
    var muscleFrames: Int
    var defectFrames: Int
    var defectPresent: Bool
    var contractionSeen: Bool
    /// Thickness range over the clip (working mm).
    var thicknessRangeMm: Double?
    var fractionP90: Double
    var wideningMm: Double?
    var separationChangeMm: Double?
    var restGapMm: Double?
    var peakGapMm: Double?
    var unit: LengthUnit
    var toUnit: (Double) -> Double
    var rejected: [String]
    /// Whether lengths are in mm (calibration from the file or the command line).
    var calibrated: Bool
    /// Per frame: the frame's index in decode order and its defect depth fraction.
    var frameIndices: [Int]
    var depthFractions: [Double]
    /// Frame indices of the rest (contraction <= 0.2) and peak (>= 0.8) windows.
    var restFrames: [Int]
    var peakFrames: [Int]
    var restSeparationMm: Double?
    var peakSeparationMm: Double?

    /// Rule thresholds (see Docs/findings.md for where each comes from).
    enum Rule {
        /// R3: a defect through at least this fraction of the thickness spans it (no bridging fibres).
        static var fullDepthFraction: Double { ClipFusion.Method.fullDepthFraction }
        /// R4: stumps separating (gap or end faces) by at least this much from rest to peak contraction (mm).
        static var retractionMm: Double { ClipFusion.Method.fullWideningMm }
    }

    func length(_ mm: Double) -> String { String(format: "%.1f %@", toUnit(mm), unit.rawValue) }
    func signedLength(_ mm: Double) -> String { String(format: "%+.1f %@", toUnit(mm), unit.rawValue) }

    /// "frames 3-9, 40-75": the frame indices as runs of consecutive indices (at most `limit` runs).
    static func ranges(_ indices: [Int], limit: Int = 4) -> String {
        let sorted = Array(Set(indices)).sorted()
        guard !sorted.isEmpty else { return "no frames" }
        var runs: [(Int, Int)] = []
        for i in sorted {
            if let last = runs.last, i == last.1 + 1 { runs[runs.count - 1].1 = i } else { runs.append((i, i)) }
        }
        let shown = runs.prefix(limit).map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }
        let more = runs.count > limit ? " and \(runs.count - limit) more run(s)" : ""
        return (sorted.count == 1 ? "frame " : "frames ") + shown.joined(separator: ", ") + more
    }

    private func indeterminate(_ rule: String, _ words: [String]) -> Finding {
        Finding(classification: .indeterminate, confidence: 0, evidence: words, peetronsGrade: nil, rules: [rule])
    }

    func finding() -> Finding {
        typealias M = ClipFusion.Method
        var words: [String] = []
        // R1: enough frames to follow a contraction.
        if n < M.minFrames {
            return indeterminate("R1-too-few-frames",
                                 ["indeterminate: the clip has \(n) frame(s); at least \(M.minFrames) are needed to follow a contraction"])
        }
        // R2: the muscle must be found (both aponeuroses) in enough frames.
        let muscleShare = Double(muscleFrames) / Double(n)
        if muscleShare < M.minMuscleFrameFraction {
            return indeterminate("R2-muscle-not-found",
                                 [String(format: "indeterminate: both aponeuroses were found in %d of %d frames (%.0f%%, under %.0f%%); the muscle cannot be followed",
                                         muscleFrames, n, 100 * muscleShare, 100 * M.minMuscleFrameFraction)])
        }
        words.append(String(format: "muscle (both aponeuroses) found in %d of %d frames", muscleFrames, n))
        if let range = thicknessRangeMm {
            words.append(contractionSeen
                ? "contraction seen: muscle thickness varies by \(length(range)) over the clip; rest \(Self.ranges(restFrames)), peak \(Self.ranges(peakFrames))"
                : "no contraction seen: muscle thickness varies by only \(length(range)) (under \(length(M.minContractionRangeMm)))")
        }
        if !calibrated {
            words.append("no calibration: lengths are in pixels")
        }
        if defectPresent {
            words.append(String(format: "hypoechoic defect interrupting the fibres found in %d of %d frames", defectFrames, n))
            let deep = zip(frameIndices, depthFractions).filter { $0.1 >= Rule.fullDepthFraction }
            let byDepth = fractionP90 >= Rule.fullDepthFraction
            if byDepth, let median = Stats.median(deep.map(\.1)) {
                words.append(String(format: "fibre discontinuity spans %.0f%% of the muscle thickness at %@ (%d of %d frames; no bridging fibres)",
                                    100 * median, Self.ranges(deep.map(\.0)), deep.count, n))
            } else {
                words.append(String(format: "defect depth: %.0f%% of the muscle thickness (90th percentile over frames), under the %.0f%% of a full-thickness discontinuity: fibres bridge it",
                                    100 * fractionP90, 100 * Rule.fullDepthFraction))
            }
            if let r = restGapMm {
                words.append("gap width \(length(r)) at rest" + (peakGapMm.map { " and \(length($0)) at peak contraction" } ?? "")
                             + (wideningMm.map { " (\(signedLength($0)))" } ?? ""))
            }
            if let r = restSeparationMm, let p = peakSeparationMm, let c = separationChangeMm {
                words.append("stump ends separate from \(length(r)) at rest to \(length(p)) at peak contraction (\(signedLength(c)))")
            }
            let retraction = max(wideningMm ?? -.infinity, separationChangeMm ?? -.infinity)
            let hasRetraction = retraction.isFinite
            // R4 is mm-based: it is applied only to calibrated clips.
            let byRetraction = calibrated && hasRetraction && retraction >= Rule.retractionMm
            if byDepth || byRetraction {
                var rules: [String] = []
                var why: [String] = []
                if byDepth { rules.append("R3-full-depth"); why.append("the discontinuity spans the whole thickness (R3, >= \(Int(100 * Rule.fullDepthFraction))%)") }
                if byRetraction { rules.append("R4-retraction"); why.append("the stumps pull apart on contraction by \(length(retraction)) (R4, >= \(length(Rule.retractionMm)))") }
                words.append("full-thickness tear (Peetrons grade 3): " + why.joined(separator: " and "))
                if byDepth && !calibrated && hasRetraction {
                    words.append("stump retraction is in pixels and was not judged (R4 needs calibration)")
                }
                let share = Double(defectFrames) / Double(n)
                return Finding(classification: .fullThicknessTear,
                               confidence: min(0.95, 0.5 + 0.25 * share + (byDepth && byRetraction ? 0.2 : 0.1)),
                               evidence: words, peetronsGrade: 3, rules: rules)
            }
            // The defect does not span the thickness. Partial or full rests on R4 (retraction on
            // contraction), which needs a contraction and millimetres.
            if !calibrated {
                words.append("indeterminate: a defect through \(Int((100 * fractionP90).rounded()))% of the thickness is partial only if the stumps do not retract on contraction (R4, >= \(String(format: "%.1f", Rule.retractionMm)) mm), which cannot be judged in pixels; give --mm-per-pixel")
                return indeterminate("R4-needs-calibration", words)
            }
            if !contractionSeen {
                words.append("indeterminate: without a contraction in the clip a full-thickness tear that opens only on contraction cannot be excluded")
                return indeterminate("R5-needs-contraction", words)
            }
            words.append(String(format: "partial tear (Peetrons grade 2): the defect spans %.0f%% of the thickness (under %.0f%%, R3) and the stumps separate by under %@ on contraction (R4)",
                                100 * fractionP90, 100 * Rule.fullDepthFraction, length(Rule.retractionMm)))
            return Finding(classification: .partialTear, confidence: 0.7, evidence: words, peetronsGrade: 2, rules: ["R6-partial"])
        }
        if !rejected.isEmpty {
            let unique = Array(Set(rejected)).sorted().prefix(3)
            words.append("not taken for a defect: " + unique.joined(separator: "; "))
        }
        if !contractionSeen {
            words.append("indeterminate: no defect seen, but without a contraction a tear that opens only on contraction cannot be excluded")
            return indeterminate("R5-needs-contraction", words)
        }
        words.append("no tear (Peetrons grade 0): no defect interrupting the fibres, at rest or through the contraction")
        return Finding(classification: .noTear, confidence: min(0.9, 0.5 + 0.4 * muscleShare), evidence: words, peetronsGrade: 0, rules: ["R7-no-defect"])
    }
}
