import MSKImage
import ArgumentParser
import Foundation
import MSKAnalysis
import MSKImaging
import MSKReader
import MSKFiles
import MSKReport

extension MSKCine {
    /// `mskcine analyze CLIP... [--json PATH|-] [--csv PATH] [--report PATH.html] [--overlay PATH.mp4]
    /// [--out DIR] [--mm-per-pixel X[,Y]] [--roi x,y,w,h]`.
    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse cine clips: gap width, end separation, thickness, echo intensity, contraction, finding; JSON, CSV, HTML report, overlay clip.",
            discussion: "Each clip is analysed and reported in turn. With several clips, name no output files: use --out DIR, which writes <clip>.analysis.json, <clip>.frames.csv, <clip>.report.html and <clip>.overlay.mp4 for each. Files are written to a temporary name and renamed when whole.")

        @Argument(help: "The clips to analyse (any video FFmpeg opens, or DICOM).")
        var clips: [String] = []

        @Option(help: ArgumentHelp("Write the result document (mskcine.analysis/1) to PATH; '-' = standard output (then nothing else goes there).", valueName: "PATH"))
        var json: String?

        @Option(help: ArgumentHelp("Write the per-frame measurements as CSV (one row per frame) to PATH.", valueName: "PATH"))
        var csv: String?

        @Option(help: ArgumentHelp("Write the self-contained HTML report to PATH.", valueName: "PATH.html"))
        var report: String?

        @Option(help: ArgumentHelp("Write the clip with the analysis drawn on every frame to PATH (.mp4/.mov/.mkv: H.264, .avi: MJPEG).", valueName: "PATH.mp4"))
        var overlay: String?

        @Option(help: ArgumentHelp("Write all outputs into DIR, named after each clip (the folder is created if missing).", valueName: "DIR"))
        var out: String?

        @OptionGroup var calibration: CalibrationOptions

        @OptionGroup var depth: DepthOption

        @Option(help: ArgumentHelp("The imaging region as x,y,width,height in frame pixels (default: found automatically).", valueName: "x,y,w,h"))
        var roi: String?

        @Option(help: ArgumentHelp("Override analysis parameters from a JSON file (any subset of the result document's \"parameters\").", valueName: "FILE.json"))
        var parameters: String?

        @OptionGroup var logging: VerboseOption

        func validate() throws {
            guard !clips.isEmpty else { throw ValidationError("give at least one clip to analyse") }
            try depth.check(with: calibration)
            if let roi { _ = try CLIParsing.rect(roi) }
            if clips.count > 1 {
                let named = [("--json", json), ("--csv", csv), ("--report", report), ("--overlay", overlay)].filter { $0.1 != nil }.map(\.0)
                if !named.isEmpty {
                    throw ValidationError("\(named.joined(separator: ", ")) name\(named.count == 1 ? "s" : "") one file but \(clips.count) clips were given; use --out DIR to write each clip's files named after it")
                }
                if out != nil {
                    var seen: [String: String] = [:]
                    for clip in clips {
                        let stem = URL(fileURLWithPath: clip).deletingPathExtension().lastPathComponent
                        if let other = seen[stem] {
                            throw ValidationError("'\(other)' and '\(clip)' would both write \(stem).* into --out; rename one or run them separately")
                        }
                        seen[stem] = clip
                    }
                }
            }
            for (flag, path, ext) in [("--report", report, ["html", "htm"]), ("--overlay", overlay, ["mp4", "mov", "mkv", "m4v", "avi"])] {
                if let path, !ext.contains(URL(fileURLWithPath: path).pathExtension.lowercased()) {
                    throw ValidationError("\(flag) '\(path)': give a file ending in .\(ext.joined(separator: ", ."))")
                }
            }
        }

        /// The outputs asked for one clip: --out's clip-named files, then any path given explicitly.
        func outputs(for clip: String) -> ReportOutputs {
            var o = out.map { ReportOutputs.all(in: $0, clip: clip) } ?? ReportOutputs()
            if let json { o.json = json }
            if let csv { o.csv = csv }
            if let report { o.html = report }
            if let overlay { o.overlay = overlay }
            return o
        }

        /// Every output of every clip against every clip and every other output (OutputCheck),
        /// before any work.
        func checkOutputPaths() throws {
            var named: [NamedPath] = []
            for clip in clips {
                let o = outputs(for: clip)
                for (flag, path) in [("--json", o.json), ("--csv", o.csv), ("--report", o.html), ("--overlay", o.overlay)] {
                    guard let path else { continue }
                    named.append(NamedPath(out != nil && clips.count > 1 ? "the output '\(URL(fileURLWithPath: path).lastPathComponent)' of \(clip)" : flag, path))
                }
            }
            try OutputCheck.check(outputs: named, inputs: clips.map { NamedPath("the clip '\($0)'", $0) })
        }

        func run() throws {
            logging.apply()
            var options = AnalysisOptions(mmPerPixel: try calibration.spacing(), roi: try roi.map(CLIParsing.rect))
            if let parameters { options.parameters = try CLIParsing.parameters(parameters) }
            options.depthMm = depth.depthMm
            try checkOutputPaths()
            if let out { try OutputError.makeFolder(out, option: "--out") }
            if clips.count == 1 {
                try analyse(clips[0], options: options)
                return
            }
            // Several clips: each in turn; a failure is reported and the next clip is analysed.
            var status: Int32 = 0
            for (i, clip) in clips.enumerated() {
                if i > 0 { print("") }
                do {
                    try analyse(clip, options: options)
                } catch {
                    let code = MSKCine.report(error)
                    if status == 0 { status = code }
                }
            }
            if status != 0 { throw ExitCode(status) }
        }

        private func analyse(_ clip: String, options: AnalysisOptions) throws {
            let name = URL(fileURLWithPath: clip).lastPathComponent
            let outputs = outputs(for: clip)
            try outputs.checkFolders()
            let reader = try openClip(path: clip)
            let bar = ProgressBar(label: "analysing \(name)", total: reader.info.frameCount)
            let analysis = try ClipAnalyzer.analyze(source: reader, options: options) { bar.update($0) }
            bar.finish()
            for warning in analysis.warnings { printError("mskcine: warning: \(clip): \(warning)") }
            let sha = SHA256.hexDigest(ofFile: clip)
            let drawing = ProgressBar(label: "drawing \(name)", total: analysis.frames.count)
            let timings = try ClipReporter.write(analysis, to: outputs, sha256: sha, engineVersion: EngineVersion.string) { drawing.update($0) }
            drawing.finish()
            if outputs.json == "-" {
                FileHandle.standardOutput.write(Data(ClipReporter.jsonText(analysis, sha256: sha, engineVersion: EngineVersion.string).utf8))
                return
            }
            print(AnalysisText.summary(analysis))
            let written = [("result", outputs.json), ("frames", outputs.csv), ("report", outputs.html), ("overlay", outputs.overlay)]
                .compactMap { k, v in v.map { "\(k) \($0)" } }
            if !written.isEmpty {
                var line = "written:       " + written.joined(separator: ", ")
                if let t = timings.secondPassS { line += String(format: " (second pass %.1f s)", t) }
                print(line)
            }
        }
    }
}

struct OutputError: Error, CustomStringConvertible {
    let message: String
    /// Exit status: 1 (a write that failed) unless the path given cannot be used at all (2).
    var status: Int32 = ExitStatus.failure
    var description: String { message }

    /// Creates `folder` (and its parents) when missing; one clear line when it cannot be.
    static func makeFolder(_ folder: String, option: String) throws(OutputError) {
        let fm = FileManager.default
        if let obstacle = OutputFolder.obstacle(creating: folder) {
            throw OutputError(message: "\(option) '\(folder)': \(obstacle); give a folder path", status: ExitStatus.usage)
        }
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            let reason = String(cString: strerror(errno))
            throw OutputError(message: "\(option) '\(folder)': cannot create the folder (\(reason)); give a writable folder")
        }
    }
}

/// The human-readable summary `analyze` prints.
enum AnalysisText {
    static func summary(_ a: ClipAnalysis) -> String {
        func l(_ x: Length?) -> String { x.map(\.description) ?? "n/a" }
        let s = a.summary
        var lines = [
            "clip:          \(a.info.path) (\(a.frames.count) frames, \(a.info.width)x\(a.info.height))",
            "calibration:   " + (a.calibration.map { String(format: "%.4f x %.4f mm/pixel (%@)", $0.mmPerPixelX, $0.mmPerPixelY, a.calibrationSource.rawValue) }
                                  ?? "none: lengths are in pixels (give --depth-mm D or --mm-per-pixel X for mm)"),
            "imaging region: \(a.imagingRegion) (\(a.imagingRegionSource))",
            "finding:       \(a.finding.classification.rawValue)" + String(format: " (confidence %.2f", a.finding.confidence)
                + (a.finding.peetronsGrade.map { ", Peetrons grade \($0)" } ?? "") + ")",
            "gap width:     rest \(l(s.restGapWidth)), peak \(l(s.peakGapWidth)), widening \(l(s.gapWidening))",
            "end separation: rest \(l(s.restEndSeparation)), peak \(l(s.peakEndSeparation)), change \(l(s.endSeparationChange))",
            "thickness:     mean \(l(s.meanMuscleThickness))" + (a.thicknessRange.map { ", range \($0.description)" } ?? ""),
            "echo intensity: " + (s.meanEchoIntensity.map { String(format: "mean %.1f grey levels", $0) } ?? "n/a"),
            String(format: "defect depth:  max %.0f%% of thickness", 100 * s.maxDefectDepthFraction),
            "evidence:",
        ]
        lines += a.finding.evidence.map { "  - " + $0 }
        return lines.joined(separator: "\n")
    }
}
