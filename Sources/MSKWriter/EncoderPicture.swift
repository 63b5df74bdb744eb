import CFFmpeg
import MSKFFmpeg

/// Owns one `AVFrame` with its own pixel buffers, filled from a packed grey or RGB image and
/// handed to the encoder; frees it in deinit.
final class EncoderPicture {
    let pointer: UnsafeMutablePointer<AVFrame>

    init(width: Int, height: Int, pixelFormat: AVPixelFormat, colorRange: AVColorRange) throws(FFmpegError) {
        guard let frame = av_frame_alloc() else {
            throw FFmpegError(operation: "allocate frame", code: mskc_error_enomem())
        }
        pointer = frame
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = pixelFormat.rawValue
        frame.pointee.color_range = colorRange
        try check(av_frame_get_buffer(frame, 0), "allocate frame buffers")
        clearBuffers()
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    /// The encoder may still hold a reference to the buffers of the previous frame.
    func makeWritable() throws(FFmpegError) {
        try check(av_frame_make_writable(pointer), "make frame writable")
        clearBuffers()
    }

    /// Zeroes every byte of the frame's buffers, row padding included. Fillers write only the
    /// visible width; SIMD encoders (libx264's plane copies) read into the padding, so left
    /// uninitialised it would make the output depend on what the heap held before.
    private func clearBuffers() {
        withUnsafePointer(to: &pointer.pointee.buf) {
            let refs = UnsafeRawPointer($0).assumingMemoryBound(to: UnsafeMutablePointer<AVBufferRef>?.self)
            for i in 0..<Int(AV_NUM_DATA_POINTERS) {
                guard let ref = refs[i], let data = ref.pointee.data else { continue }
                data.update(repeating: 0, count: Int(ref.pointee.size))
            }
        }
    }

    func plane(_ index: Int) -> (data: UnsafeMutablePointer<UInt8>, linesize: Int) {
        let data = withUnsafePointer(to: &pointer.pointee.data) {
            UnsafeRawPointer($0).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)[index]!
        }
        let linesize = withUnsafePointer(to: &pointer.pointee.linesize) {
            UnsafeRawPointer($0).assumingMemoryBound(to: Int32.self)[index]
        }
        return (data, Int(linesize))
    }

    var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }
}
