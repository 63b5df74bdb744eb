import ArgumentParser
import Foundation
import MSKAnalysis
import MSKImaging
import MSKReader

extension MSKCine {
    /// `mskcine analyze CLIP [--json PATH|-] [--mm-per-pixel X[,Y]] [--roi x,y,w,h]`.
    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse one cine clip: gap width, end separation, thickness, echo intensity, contraction, finding.")

        @Argument(help: "The clip to analyse (any video FFmpeg opens).")
        var clip: String

        @Option(help: ArgumentHelp("Write the result document (mskcine.analysis/1) to PATH; '-' = standard output.", valueName: "PATH"))
        var json: String?

        @Option(help: ArgumentHelp("Calibration in mm per pixel: X or X,Y. Without it lengths are in pixels.", valueName: "X[,Y]"))
        var mmPerPixel: String?

        @Option(help: ArgumentHelp("The imaging region as x,y,width,height in frame pixels (default: found automatically).", valueName: "x,y,w,h"))
        var roi: String?

        @Flag(help: "Let FFmpeg's own log lines through to standard error.")
        var verbose = false

        func validate() throws {
            if let mmPerPixel { _ = try CLIParsing.spacing(mmPerPixel) }
            if let roi { _ = try CLIParsing.rect(roi) }
        }

        func run() throws {
            FFmpegLogging.setVerbose(verbose)
            let spacing = try mmPerPixel.map(CLIParsing.spacing)
            let options = AnalysisOptions(mmPerPixel: spacing, roi: try roi.map(CLIParsing.rect))
            let reader = try openClip(path: clip)
            let analysis = try ClipAnalyzer.analyze(source: reader, options: options)
            for warning in analysis.warnings { printError("mskcine: warning: \(clip): \(warning)") }
            if let json {
                let text = analysis.document(sha256: SHA256.hexDigest(ofFile: clip), engineVersion: EngineVersion.string)
                    .serialized(pretty: true) + "\n"
                if json == "-" {
                    FileHandle.standardOutput.write(Data(text.utf8))
                    return
                }
                try OutputFile.write(Data(text.utf8), to: json)
            }
            print(AnalysisText.summary(analysis))
        }
    }
}

/// Parsing of the option values shared by commands.
enum CLIParsing {
    static func spacing(_ text: String) throws -> MSKImaging.Spacing {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 && $0! <= 10 }) else {
            throw ValidationError("--mm-per-pixel '\(text)': give one or two positive numbers up to 10, e.g. 0.1 or 0.1,0.12")
        }
        return MSKImaging.Spacing(mmPerPixelX: parts[0]!, mmPerPixelY: parts.count > 1 ? parts[1]! : parts[0]!)
    }

    static func rect(_ text: String) throws -> PixelRect {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }), parts[0]! >= 0, parts[1]! >= 0, parts[2]! >= 16, parts[3]! >= 16 else {
            throw ValidationError("--roi '\(text)': give x,y,width,height in pixels (width and height at least 16), e.g. 80,60,512,400")
        }
        return PixelRect(x: parts[0]!, y: parts[1]!, width: parts[2]!, height: parts[3]!)
    }
}

/// Output files are written whole or not at all (a temporary file renamed into place).
enum OutputFile {
    static func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OutputError(message: "cannot write \(path): \((error as NSError).localizedDescription); check the folder exists and is writable")
        }
    }
}

struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The human-readable summary `analyze` prints.
enum AnalysisText {
    static func summary(_ a: ClipAnalysis) -> String {
        func l(_ x: Length?) -> String { x.map(\.description) ?? "n/a" }
        let s = a.summary
        var lines = [
            "clip:          \(a.info.path) (\(a.frames.count) frames, \(a.info.width)x\(a.info.height))",
            "calibration:   " + (a.calibration.map { String(format: "%.4f x %.4f mm/pixel (%@)", $0.mmPerPixelX, $0.mmPerPixelY, a.calibrationSource.rawValue) }
                                  ?? "none: lengths are in pixels (give --mm-per-pixel for mm)"),
            "imaging region: \(a.imagingRegion) (\(a.imagingRegionSource))",
            "finding:       \(a.finding.classification.rawValue)" + String(format: " (confidence %.2f)", a.finding.confidence),
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
