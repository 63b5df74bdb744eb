import CFFmpeg
import Foundation

/// What a file is, judged by its content alone (never by its name): the batch walker's test.
public enum ClipContent: Sendable, Equatable {
    /// DICOM Part 10 (opened by `DICOMFrameSource`).
    case dicom
    /// A container FFmpeg's probe recognises from the first bytes (FFmpeg's short format name).
    case video(format: String)
    /// A still image FFmpeg decodes (PNG, JPEG, BMP, TIFF, ...: FFmpeg's `*_pipe` image formats).
    /// Spec: a still image is a clip of one frame; `analyze` and `batch` both take it.
    case still(format: String)
    /// Anything else: text, JSON, unknown bytes.
    case notAClip
}

extension ClipKind {
    /// Bytes read from the start of a file for FFmpeg's probe.
    static let probeBytes = 64 * 1024

    /// Recognises a clip by content: DICOM by its preamble, video by FFmpeg's format probe on the
    /// first 64 KiB with no file name given (so the extension plays no part). A still image
    /// (FFmpeg's `*_pipe` image formats) is a clip of one frame; FFmpeg's `tty` (text shown as
    /// ANSI art), `image2` (chosen by file name only) and probes below FFmpeg's own retry score are
    /// not clips.
    public static func content(path: String) -> ClipContent {
        if isDICOM(path: path) { return .dicom }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .notAClip }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: probeBytes), !head.isEmpty else { return .notAClip }
        // FFmpeg reads up to 32 bytes past the end of the probe buffer: they must be zero.
        var buffer = [UInt8](head) + [UInt8](repeating: 0, count: 32)
        let size = Int32(head.count)
        let name: String? = buffer.withUnsafeMutableBufferPointer { bytes in
            "".withCString { emptyName in
                var probe = AVProbeData()
                probe.filename = emptyName
                probe.buf = bytes.baseAddress
                probe.buf_size = size
                probe.mime_type = nil
                var score: Int32 = 0
                guard let format = av_probe_input_format3(&probe, 1, &score), score > 25, let n = format.pointee.name else { return nil }
                return String(cString: n)
            }
        }
        guard let name else { return .notAClip }
        if name == "image2" || name == "tty" { return .notAClip }
        if name.hasSuffix("_pipe") { return .still(format: String(name.dropLast("_pipe".count))) }
        return .video(format: name)
    }
}
