import ArgumentParser
import Foundation
import MSKReader
import MSKFiles
import MSKReport

extension MSKCine {
    /// `mskcine frames CLIP --out DIR [--every N] [--rgb]`: decoded frames as PGM or PPM files.
    struct Frames: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a clip's decoded frames (video or DICOM) as PGM (grey) or PPM (RGB) files, to compare with another decoder.",
            discussion: """
                Files are named by frame index (frame_000000.pgm, ...). Frames are decoded one at a time and each is written \
                whole under a hidden temporary name; only when the whole clip has been decoded are they renamed to their \
                frame names. If the clip fails part way (or on Ctrl-C), the temporary files are removed and the folder's \
                older files are left as they were.
                """)

        @Argument(help: "The clip (any video FFmpeg opens, or a DICOM file).")
        var clip: String

        @Option(help: ArgumentHelp("Folder to write into (created when missing).", valueName: "DIR"))
        var out: String

        @Option(help: "Write every N-th frame: frames 0, N, 2N, ... (default 1, every frame).")
        var every: Int = 1

        @Flag(help: "Write RGB frames as PPM instead of grey frames as PGM.")
        var rgb = false

        @OptionGroup var logging: VerboseOption

        func validate() throws {
            if every < 1 { throw ValidationError("--every \(every) must be at least 1") }
        }

        func run() throws {
            logging.apply()
            // The folder must not be the clip itself; a frame name that is the clip is refused by
            // the exporter before anything is renamed.
            try OutputCheck.check(outputs: [NamedPath("--out", out)], inputs: [NamedPath("the clip '\(clip)'", clip)])
            let source = try openClip(path: clip, options: ClipOptions(reader: ReaderOptions(wantRGB: rgb)))
            // FrameExporter.Failure goes to MSKCine.report, which gives its exit status.
            let result = try FrameExporter.export(source, into: out, options: FrameExporter.Options(every: every, rgb: rgb))
            for warning in source.warnings { printError("mskcine: warning: \(clip): \(warning)") }
            printError("wrote \(result.filesWritten) of \(result.framesRead) frames into \(out)")
        }
    }
}
