import ArgumentParser
import Foundation
import MSKAnalysis
import MSKFFmpeg
import MSKImage
import MSKImaging

// Options more than one command takes, declared once (`@OptionGroup`).

/// `--mm-per-pixel X[,Y]`: analyze, batch, synth.
struct CalibrationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Calibration in mm per pixel: X or X,Y (one value: X = Y), each within 0.005-2. For analyze and batch it overrides the file's own (DICOM, labels); without any, lengths are in pixels.",
                               valueName: "X[,Y]"))
    var mmPerPixel: String?

    func validate() throws {
        if let mmPerPixel {
            do { _ = try Calibration.parseCLI(mmPerPixel) } catch { throw ValidationError(error.description) }
        }
    }

    /// The spacing given, checked against the plausible range (`Calibration.plausibleMmPerPixel`).
    func spacing() throws -> Spacing? {
        try mmPerPixel.map { text throws(CalibrationError) in try Calibration.parseCLI(text) }
    }
}

/// `--depth-mm D`: analyze, batch, regress. The depth the scanner's screen shows (its depth
/// setting), for a video export without calibration of its own: it checks the depth ruler read
/// beside the image, or calibrates from the imaging region's height where there is no ruler.
struct DepthOption: ParsableArguments {
    /// Depths a B-mode display can show, in mm.
    static let plausible: ClosedRange<Double> = 5...400

    @Option(help: ArgumentHelp("The depth printed on the scanner's screen, in mm (e.g. 50 for \"De 50 mm\" or 40 for \"4cm\"), for a video export without calibration: it checks the depth ruler read beside the image, sets the scale of a ruler whose numbers cannot be read, or, without a ruler, calibrates from the imaging region's height. A disagreement with the ruler leaves the clip uncalibrated, saying why.",
                               valueName: "D"))
    var depthMm: Double?

    func validate() throws {
        if let depthMm, !(depthMm.isFinite && Self.plausible.contains(depthMm)) {
            throw ValidationError("--depth-mm '\(depthMm)': give the depth printed on the screen in mm, between 5 and 400 (e.g. 50)")
        }
    }

    /// Refuses `--depth-mm` with `--mm-per-pixel`: one calibration at a time.
    func check(with calibration: CalibrationOptions) throws {
        if depthMm != nil && calibration.mmPerPixel != nil {
            throw ValidationError("--depth-mm and --mm-per-pixel both give the calibration; give one of them")
        }
    }
}

/// `--verbose`: probe, frames, analyze.
struct VerboseOption: ParsableArguments {
    @Flag(help: "Let FFmpeg's own log lines through to standard error.")
    var verbose = false

    /// Applies the choice to FFmpeg's log.
    func apply() { FFmpegLogging.setVerbose(verbose) }
}

/// Parsing of the option values shared by commands.
enum CLIParsing {
    /// `--parameters FILE.json`: the analysis parameters with the file's values laid over the defaults.
    static func parameters(_ path: String) throws -> AnalysisParameters {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--parameters '\(path)': the file cannot be read; give a readable JSON file")
        }
        do {
            return try AnalysisParameters.overriding(with: data, source: path)
        } catch {
            throw ValidationError("--parameters \(error.description)")
        }
    }

    static func spacing(_ text: String) throws -> Spacing {
        do { return try Calibration.parseCLI(text) } catch { throw ValidationError(error.description) }
    }

    /// `x,y,width,height`: non-negative origin, width and height at least 16, and a far corner that
    /// is an Int (no overflow); whether it fits the frame is checked when the clip is open.
    static func rect(_ text: String) throws -> PixelRect {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }), parts[0]! >= 0, parts[1]! >= 0, parts[2]! >= 16, parts[3]! >= 16,
              !parts[0]!.addingReportingOverflow(parts[2]!).overflow, !parts[1]!.addingReportingOverflow(parts[3]!).overflow else {
            throw ValidationError("--roi '\(text)': give x,y,width,height in pixels (x, y at least 0, width and height at least 16, within the frame), e.g. 80,60,512,400")
        }
        return PixelRect(x: parts[0]!, y: parts[1]!, width: parts[2]!, height: parts[3]!)
    }
}
