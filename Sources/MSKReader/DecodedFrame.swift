import CFFmpeg
import MSKFFmpeg

/// Owns one `AVFrame` (the decoder's output picture); frees it in deinit. Reused for every frame.
final class DecodedPicture {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(FFmpegError) {
        guard let frame = av_frame_alloc() else {
            throw FFmpegError(operation: "allocate frame", code: mskc_error_enomem())
        }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }
    var colorRange: AVColorRange { pointer.pointee.color_range }
    /// The decoder's best guess of the presentation timestamp, in stream time-base units; nil if none.
    var bestEffortTimestamp: Int64? {
        let ts = pointer.pointee.best_effort_timestamp
        return ts == FFmpegStatus.noTimestamp ? nil : ts
    }
    var hasDecodeError: Bool { pointer.pointee.decode_error_flags != 0 || (pointer.pointee.flags & AV_FRAME_FLAG_CORRUPT) != 0 }

    func unref() { av_frame_unref(pointer) }
}
