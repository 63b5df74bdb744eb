import ArgumentParser
import Foundation
import MSKReader
import MSKWriter

extension MSKCine {
    /// `mskcine frames CLIP --out DIR [--every N] [--rgb]`: decoded frames as PGM or PPM files.
    struct Frames: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a clip's decoded frames (video or DICOM) as PGM (grey) or PPM (RGB) files, to compare with another decoder.",
            discussion: """
                Files are named by frame index (frame_000000.pgm, ...), each written whole under a temporary name and renamed. \
                Frames are decoded one at a time. If the clip fails part way, the files written are removed again.
                """)

        @Argument(help: "The clip (any video FFmpeg opens, or a DICOM file).")
        var clip: String

        @Option(help: ArgumentHelp("Folder to write into (created when missing).", valueName: "DIR"))
        var out: String

        @Option(help: "Write every N-th frame: frames 0, N, 2N, ... (default 1, every frame).")
        var every: Int = 1

        @Flag(help: "Write RGB frames as PPM instead of grey frames as PGM.")
        var rgb = false

        @Flag(help: "Let FFmpeg's own log lines through to standard error.")
        var verbose = false

        func validate() throws {
            if every < 1 { throw ValidationError("--every \(every) must be at least 1") }
        }

        func run() throws {
            FFmpegLogging.setVerbose(verbose)
            let source = try openClip(path: clip, options: ClipOptions(reader: ReaderOptions(wantRGB: rgb)))
            let result: FrameExporter.Result
            do {
                result = try FrameExporter.export(source, into: out, options: FrameExporter.Options(every: every, rgb: rgb))
            } catch {
                switch error {
                case .reader(let readerError): throw readerError
                case .output:
                    printError("mskcine: \(error)")
                    throw ExitCode(ExitStatus.failure)
                }
            }
            for warning in source.warnings { printError("mskcine: warning: \(clip): \(warning)") }
            printError("wrote \(result.filesWritten) of \(result.framesRead) frames into \(out)")
        }
    }
}
