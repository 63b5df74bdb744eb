import ArgumentParser
import Foundation
import MSKAnalysis
import MSKFFmpeg
import MSKEvaluation
import MSKReader

extension MSKCine {
    /// `mskcine regress DIR`: the analysis against every labelled clip under DIR.
    struct Regress: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the analysis over every labelled clip under DIR and compare with the labels.",
            discussion: "Prints per clip and overall: MAE and bias of each labelled measurement, the gap-widening error, contraction correlation, and the classification confusion. Exits 1 when a threshold is broken: from --thresholds FILE, else DIR/thresholds.json, else the analysis targets (gap MAE 0.5 mm, separation MAE 0.7 mm, widening error 0.5 mm, thickness MAE 0.3 mm, echo MAE 2, contraction r 0.9, sensitivity and specificity 1); --max/--min options override single values.")

        @Argument(help: "Folder with clips and their <clip>.labels.json files (searched recursively).")
        var directory: String

        @Option(help: ArgumentHelp("Thresholds file (default: DIR/thresholds.json when present, else the analysis targets).", valueName: "FILE"))
        var thresholds: String?

        @Option(help: "Largest gap width MAE allowed (mm).") var maxGapMae: Double?
        @Option(help: "Largest end separation MAE allowed (mm).") var maxSeparationMae: Double?
        @Option(help: "Largest gap widening error allowed (mm, mean absolute over clips).") var maxWideningError: Double?
        @Option(help: "Largest muscle thickness MAE allowed (mm).") var maxThicknessMae: Double?
        @Option(help: "Largest echo intensity MAE allowed (grey levels).") var maxEchoMae: Double?
        @Option(help: "Smallest contraction correlation allowed (any clip).") var minContractionR: Double?
        @Option(help: "Smallest sensitivity for full-thickness tears allowed (0-1).") var minSensitivity: Double?
        @Option(help: "Smallest specificity for full-thickness tears allowed (0-1).") var minSpecificity: Double?

        @OptionGroup var depth: DepthOption
        @Option(help: ArgumentHelp("Override analysis parameters from a JSON file, for every clip (any subset of the result document's \"parameters\").", valueName: "FILE.json"))
        var parameters: String?

        func run() throws {
            FFmpegLogging.setVerbose(false)
            let files = try Regression.labelFiles(in: directory)
            var limits = RegressionThresholds.targets
            var limitsSource = "the analysis targets (no thresholds file)"
            let defaultFile = URL(fileURLWithPath: directory).appendingPathComponent("thresholds.json").path
            if let file = thresholds ?? (FileManager.default.fileExists(atPath: defaultFile) ? defaultFile : nil) {
                limits = try Regression.readThresholds(file)
                limitsSource = file
            }
            limits.maxGapWidthMaeMm = maxGapMae ?? limits.maxGapWidthMaeMm
            limits.maxEndSeparationMaeMm = maxSeparationMae ?? limits.maxEndSeparationMaeMm
            limits.maxGapWideningErrorMm = maxWideningError ?? limits.maxGapWideningErrorMm
            limits.maxThicknessMaeMm = maxThicknessMae ?? limits.maxThicknessMaeMm
            limits.maxEchoIntensityMae = maxEchoMae ?? limits.maxEchoIntensityMae
            limits.minContractionR = minContractionR ?? limits.minContractionR
            limits.minSensitivity = minSensitivity ?? limits.minSensitivity
            limits.minSpecificity = minSpecificity ?? limits.minSpecificity

            let overrides = try parameters.map(CLIParsing.parameters)
            var report = RegressionReport(clips: [], failures: [])
            print(RegressText.header)
            for file in files {
                do {
                    var options = AnalysisOptions()
                    options.depthMm = depth.depthMm
                    if let overrides { options.parameters = overrides }
                    let (row, _) = try Regression.run(labels: file, options: options)
                    report.clips.append(row)
                    print(RegressText.row(row))
                } catch {
                    report.failures.append((file.lastPathComponent, "\(error)"))
                    printError("mskcine: \(file.path): \(error)")
                }
            }
            print(RegressText.overall(report))
            if let geometry = RegressText.geometry(report) { print(geometry) }
            print("thresholds (\(limitsSource)): \(limits.summary)")
            var broken = limits.failures(of: report)
            if !report.failures.isEmpty { broken.append("\(report.failures.count) clip(s) could not be analysed") }
            if broken.isEmpty {
                print("regress: all thresholds met")
            } else {
                for b in broken { printError("regress: FAIL: \(b)") }
                throw ExitCode(1)
            }
        }
    }
}

enum RegressText {
    static func cell(_ e: ErrorStats?, _ digits: Int = 2) -> String {
        guard let e else { return "-".padding(toLength: 13, withPad: " ", startingAt: 0) }
        return String(format: "%.\(digits)f/%+.\(digits)f", e.mae, e.bias).padding(toLength: 13, withPad: " ", startingAt: 0)
    }

    static let header = "clip                      labelled            found               gap mm       sep mm       thick mm     echo         depth frac   widen err  r(contr)\n" +
        "                                                                  (MAE/bias)"

    static func row(_ r: ClipRegression) -> String {
        r.clip.padding(toLength: 26, withPad: " ", startingAt: 0)
            + r.labelled.padding(toLength: 20, withPad: " ", startingAt: 0)
            + r.found.padding(toLength: 20, withPad: " ", startingAt: 0)
            + cell(r.gapWidth) + cell(r.endSeparation) + cell(r.muscleThickness) + cell(r.echoIntensity) + cell(r.defectDepthFraction)
            + (r.gapWideningError.map { String(format: "%+.2f", $0) } ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0)
            + (r.contractionR.map { String(format: "%.3f", $0) } ?? "-")
    }

    static func overall(_ report: RegressionReport) -> String {
        var lines = ["", "overall (\(report.clips.count) clips, pooled over labelled frames):"]
        func line(_ name: String, _ e: ErrorStats?, _ unit: String) {
            lines.append("  " + name.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + (e.map { String(format: "MAE %.3f %@, bias %+.3f (%d frames)", $0.mae, unit, $0.bias, $0.count) } ?? "not labelled"))
        }
        line("gap width", report.gapWidth, "mm")
        line("end separation", report.endSeparation, "mm")
        line("muscle thickness", report.muscleThickness, "mm")
        line("echo intensity", report.echoIntensity, "grey")
        line("defect depth fraction", report.defectDepthFraction, "")
        lines.append("  gap widening error    " + (report.gapWideningMae.map { String(format: "mean |error| %.3f mm", $0) } ?? "not labelled"))
        lines.append("  contraction r         " + (report.minContractionR.map { String(format: "lowest %.3f, mean %.3f", $0, report.meanContractionR ?? .nan) } ?? "not labelled"))
        lines.append("  confusion (labelled -> found):")
        for (labelled, found) in report.confusion.sorted(by: { $0.key < $1.key }) {
            lines.append("    " + labelled.padding(toLength: 20, withPad: " ", startingAt: 0)
                         + found.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        lines.append("  full-thickness tears: sensitivity " + (report.sensitivity.map { String(format: "%.2f", $0) } ?? "n/a")
                     + ", specificity " + (report.specificity.map { String(format: "%.2f", $0) } ?? "n/a"))
        return lines.joined(separator: "\n")
    }

    static func mae(_ v: [Double]?) -> String {
        guard let v, let m = GeometryComparison.mae(v) else { return "-" }
        let bias = v.reduce(0, +) / Double(v.count)
        return String(format: "%.2f/%+.2f", m, bias)
    }

    static func observers(_ d: [[Double]]?) -> String {
        guard let d, d.contains(where: { !$0.isEmpty }) else { return "-" }
        return d.map { GeometryComparison.mae($0).map { String(format: "%.2f", $0) } ?? "-" }.joined(separator: " ")
    }

    /// The geometry table (clips with hand-labelled geometry): per clip, then pooled over the set.
    /// Engine error (MAE/bias against the observers' mean) beside each observer's own mean
    /// absolute deviation from that mean.
    static func geometry(_ report: RegressionReport) -> String? {
        let clips = report.clips.filter { $0.geometry.labelledFrames > 0 }
        guard !clips.isEmpty else { return nil }
        let keys = ["muscleThickness", "fascicleAngleDeg", "pennationAngleDeg"]
        var lines = ["", "geometry against hand labels: engine MAE/bias vs the observers' mean | each observer's MAD from that mean"]
        let header = "clip".padding(toLength: 30, withPad: " ", startingAt: 0) + "found   "
            + "thickness".padding(toLength: 16, withPad: " ", startingAt: 0) + "observers".padding(toLength: 18, withPad: " ", startingAt: 0) + "<=3%    "
            + "fascicle deg".padding(toLength: 16, withPad: " ", startingAt: 0) + "observers".padding(toLength: 18, withPad: " ", startingAt: 0)
            + "pennation deg".padding(toLength: 16, withPad: " ", startingAt: 0) + "observers"
        lines.append(header)
        func row(_ name: String, found: Int, of labelled: Int, errors: [String: [Double]], observers obs: [String: [[Double]]], relative: [Double]) -> String {
            var line = name.padding(toLength: 30, withPad: " ", startingAt: 0) + "\(found)/\(labelled)".padding(toLength: 8, withPad: " ", startingAt: 0)
            for (i, k) in keys.enumerated() {
                line += mae(errors[k]).padding(toLength: 16, withPad: " ", startingAt: 0)
                line += observers(obs[k]).padding(toLength: 18, withPad: " ", startingAt: 0)
                if i == 0 {
                    let within = relative.isEmpty ? "-" : String(format: "%.0f%%", 100 * Double(relative.filter { $0 <= 0.03 }.count) / Double(relative.count))
                    line += within.padding(toLength: 8, withPad: " ", startingAt: 0)
                }
            }
            return line
        }
        var pooledErrors: [String: [Double]] = [:], pooledObs: [String: [[Double]]] = [:], relative: [Double] = []
        var found = 0, labelled = 0
        for c in clips {
            let g = c.geometry
            lines.append(row(c.clip, found: g.muscleFound, of: g.labelledFrames, errors: g.errors, observers: g.observerDeviations, relative: g.thicknessRelativeErrors))
            found += g.muscleFound; labelled += g.labelledFrames
            relative += g.thicknessRelativeErrors
            for (k, v) in g.errors { pooledErrors[k, default: []] += v }
            for (k, v) in g.observerDeviations {
                var p = pooledObs[k] ?? []
                while p.count < v.count { p.append([]) }
                for (j, d) in v.enumerated() { p[j] += d }
                pooledObs[k] = p
            }
        }
        lines.append(row("all (\(clips.count) clips)", found: found, of: labelled, errors: pooledErrors, observers: pooledObs, relative: relative))
        let units = Set(clips.compactMap(\.geometry.thicknessUnit)).sorted().joined(separator: ", ")
        if units.isEmpty {
            lines.append("no thickness labelled; found = labelled frames where the engine reports both inner edges")
        } else {
            lines.append("thickness in \(units), by each labels file's thicknessRule; found = labelled frames where the engine reports both inner edges")
            // "<=3%" is over the frames found; the target counts every labelled frame (one not found is not within 3 %).
            let within = relative.filter { $0 <= 0.03 }.count
            lines.append(String(format: "within 3%% of the labelled thickness: %d of %d labelled frames (%.0f%%; a frame where the muscle is not found counts as outside)",
                                within, labelled, labelled > 0 ? 100 * Double(within) / Double(labelled) : 0))
        }
        if let e = pooledErrors["superficialEdgeRowPx"], let d = pooledErrors["deepEdgeRowPx"] {
            lines.append("edge rows at the rule's column (px): superficial \(mae(e)) | \(observers(pooledObs["superficialEdgeRowPx"])); deep \(mae(d)) | \(observers(pooledObs["deepEdgeRowPx"]))")
        }
        if let e = pooledErrors["deepAponeurosisAngleDeg"] {
            lines.append("deep aponeurosis angle (deg): \(mae(e)) | \(observers(pooledObs["deepAponeurosisAngleDeg"]))")
        }
        // A fascicle tracker's labels (unsigned angle to the horizontal, endpoint length in pixels).
        let tracked = clips.filter { $0.geometry.errors["fascicleAngleAbsDeg"] != nil || $0.geometry.errors["fascicleLengthPx"] != nil }
        if !tracked.isEmpty {
            lines.append("against a fascicle tracker's labels (engine MAE/bias; frames compared): fascicle |angle| deg, fascicle length px")
            func trackerRow(_ name: String, _ errors: [String: [Double]]) -> String {
                let a = errors["fascicleAngleAbsDeg"], l = errors["fascicleLengthPx"]
                return "  " + name.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + "\(mae(a)) (\(a?.count ?? 0))".padding(toLength: 22, withPad: " ", startingAt: 0) + "\(mae(l)) (\(l?.count ?? 0))"
            }
            for c in tracked { lines.append(trackerRow(c.clip, c.geometry.errors)) }
            lines.append(trackerRow("all (\(tracked.count) clips)", pooledErrors))
        }
        return lines.joined(separator: "\n")
    }
}
