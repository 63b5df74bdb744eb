import CFFmpeg
import MSKFFmpeg

/// Owns one muxer (`AVFormatContext` for output) and its file (`AVIOContext`); closes the file
/// and frees the context in deinit.
final class OutputContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    private var fileOpen = false

    /// A muxer for `formatName` (e.g. "mp4", "avi", "matroska") writing to `path`.
    init(formatName: String, path: String) throws(FFmpegError) {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let code = avformat_alloc_output_context2(&ctx, nil, formatName, path)
        guard code >= 0, let ctx else { throw FFmpegError(operation: "set up the \(formatName) muxer", code: code < 0 ? code : mskc_error_einval()) }
        pointer = ctx
        // Bit-exact container: no muxer version string, no random Matroska segment UID.
        ctx.pointee.flags |= AVFMT_FLAG_BITEXACT
    }

    deinit {
        if fileOpen { avio_closep(&pointer.pointee.pb) }
        avformat_free_context(pointer)
    }

    var needsGlobalHeader: Bool { pointer.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }

    /// Adds the video stream, copying the encoder's parameters.
    func addStream(from encoder: EncoderContext) throws(FFmpegError) -> UnsafeMutablePointer<AVStream> {
        guard let stream = avformat_new_stream(pointer, nil) else {
            throw FFmpegError(operation: "add video stream", code: mskc_error_enomem())
        }
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.pointer), "copy encoder parameters")
        stream.pointee.time_base = encoder.pointer.pointee.time_base
        stream.pointee.avg_frame_rate = encoder.pointer.pointee.framerate
        return stream
    }

    func openFileAndWriteHeader(path: String) throws(FFmpegError) {
        try check(avio_open(&pointer.pointee.pb, path, AVIO_FLAG_WRITE), "create file")
        fileOpen = true
        try check(avformat_write_header(pointer, nil), "write container header")
    }

    func write(_ packet: Packet) throws(FFmpegError) {
        try check(av_interleaved_write_frame(pointer, packet.pointer), "write packet")
    }

    /// Writes the trailer (the MP4 index) and closes the file.
    func finish() throws(FFmpegError) {
        try check(av_write_trailer(pointer), "write container trailer")
        fileOpen = false
        try check(avio_closep(&pointer.pointee.pb), "close file")
    }
}
