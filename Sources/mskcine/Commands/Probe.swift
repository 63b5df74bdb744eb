import ArgumentParser
import Foundation
import MSKReader

extension MSKCine {
    /// `mskcine probe CLIP [--json] [--count]`: what a clip is; with --count, a full decode.
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a clip's metadata (container, codec, size, frame rate, frame count).")

        @Argument(help: "The clip to probe (any video FFmpeg opens).")
        var clip: String

        @Flag(help: "Print the metadata as JSON on standard output.")
        var json = false

        @Flag(help: "Decode the whole clip and report the true frame count and first and last timestamps.")
        var count = false

        @Flag(help: "Let FFmpeg's own log lines through to standard error.")
        var verbose = false

        func run() throws {
            FFmpegLogging.setVerbose(verbose)
            let reader = try VideoReader(path: clip)
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
        if let decoded {
            lines.append("decoded:      \(decoded.frameCount) frames, " +
                         "first at \(opt(decoded.firstTimeS, "s")), last at \(opt(decoded.lastTimeS, "s"))")
        }
        return lines.joined(separator: "\n")
    }
}
