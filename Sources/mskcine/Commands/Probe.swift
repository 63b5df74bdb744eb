import ArgumentParser
import Foundation
import MSKReader

extension MSKCine {
    /// `mskcine probe CLIP [--json] [--count]`: what a clip is; with --count, a full decode.
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a clip's metadata (container, codec, size, frame rate, frame count; for DICOM also identity and calibration).")

        @Argument(help: "The clip to probe (any video FFmpeg opens, or a DICOM file).")
        var clip: String

        @Flag(help: "Print the metadata as JSON on standard output.")
        var json = false

        @Flag(help: "Decode the whole clip and report the true frame count and first and last timestamps.")
        var count = false

        @OptionGroup var logging: VerboseOption

        @Flag(help: "For DICOM, also read and show Patient's Name and Birth Date (never shown otherwise).")
        var showPatientName = false

        func run() throws {
            logging.apply()
            var options = ClipOptions()
            options.dicom.includePatientNameAndBirthDate = showPatientName
            let reader = try openClip(path: clip, options: options)
            let counted = count ? try reader.countFrames() : nil
            for warning in reader.warnings { printError("mskcine: warning: \(clip): \(warning)") }
            if json {
                print(try ProbeReport(info: reader.info, decoded: counted).jsonString())
            } else {
                print(ProbeReport(info: reader.info, decoded: counted).text)
            }
        }
    }
}

/// What `probe` prints: the header metadata and, after --count, the decode count.
struct ProbeReport: Encodable {
    let info: ClipInfo
    let decoded: FrameCount?

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var text: String {
        func opt(_ value: Double?, _ unit: String, digits: Int = 3) -> String {
            value.map { String(format: "%.\(digits)f \(unit)", $0) } ?? "unknown"
        }
        var lines = [
            "file:         \(info.path)",
            "container:    \(info.container) (\(info.containerLongName))",
            "codec:        \(info.codec), \(info.pixelFormat)",
            "size:         \(info.width) x \(info.height) px" + (info.rotationDegrees != 0 ? " (rotated \(info.rotationDegrees) deg as tagged)" : ""),
            "frame rate:   " + opt(info.fps, "fps"),
            "frames:       " + (info.frameCount.map { "\($0) (from the header)" } ?? "not stated in the header"),
            "duration:     " + opt(info.durationS, "s"),
        ]
        if let calibration = info.calibration {
            let mm = calibration.mmPerPixel.map { String(format: "%.5f", $0) }.joined(separator: ", ")
            var line = "calibration:  [\(mm)] mm/px (x, y) from \(calibration.detail ?? calibration.source)"
            if let r = calibration.region { line += ", region x \(r.x) y \(r.y) \(r.width) x \(r.height) px" }
            lines.append(line)
        } else if info.container == "dicom" {
            lines.append("calibration:  none in the file (lengths will be in pixels unless --mm-per-pixel is given)")
        }
        if let d = info.dicom {
            func row(_ label: String, _ value: String?) {
                if let value { lines.append((label + ":").padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
            }
            row("patient ID", d.patientID)
            row("patient name", d.patientName)
            row("birth date", d.patientBirthDate)
            row("study date", [d.studyDate, d.studyTime].compactMap { $0 }.joined(separator: " ").nilIfEmpty)
            row("modality", d.modality)
            row("body part", d.bodyPartExamined)
            row("laterality", d.laterality)
            row("manufacturer", [d.manufacturer, d.manufacturerModelName].compactMap { $0 }.joined(separator: " ").nilIfEmpty)
            row("transducer", d.transducer)
            row("study UID", d.studyInstanceUID)
            row("series UID", d.seriesInstanceUID)
            row("SOP UID", d.sopInstanceUID)
            row("description", [d.studyDescription, d.seriesDescription].compactMap { $0 }.joined(separator: " / ").nilIfEmpty)
        }
        if let decoded {
            lines.append("decoded:      \(decoded.frameCount) frames, " +
                         "first at \(opt(decoded.firstTimeS, "s")), last at \(opt(decoded.lastTimeS, "s"))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
