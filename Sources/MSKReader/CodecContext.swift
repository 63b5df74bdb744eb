import CFFmpeg
import MSKFFmpeg

/// Owns one decoder (`AVCodecContext`) opened for a stream; frees it in deinit.
final class DecoderContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    /// Opens the decoder for `stream`'s codec parameters with `threads` decoding threads (0: FFmpeg's
    /// automatic count, as the ffmpeg command line does).
    init(stream: UnsafeMutablePointer<AVStream>, threads: Int = 0) throws(FFmpegError) {
        let parameters = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw FFmpegError(operation: "find decoder", code: mskc_error_invaliddata())
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpegError(operation: "allocate decoder", code: mskc_error_enomem())
        }
        pointer = ctx
        try check(avcodec_parameters_to_context(ctx, parameters), "configure decoder")
        ctx.pointee.pkt_timebase = stream.pointee.time_base
        ctx.pointee.thread_count = Int32(threads)
        try check(avcodec_open2(ctx, codec, nil), "open decoder")
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&ctx)
    }

    /// Sends a packet (or nil to start draining). Throws on EAGAIN, EOF or a real error.
    func send(_ packet: Packet?) throws(FFmpegError) {
        try check(avcodec_send_packet(pointer, packet?.pointer), "decode packet")
    }

    /// Receives the next decoded picture. Returns false when the decoder needs more input (EAGAIN)
    /// or is fully drained (`drained` is then set); throws on a real decoding error.
    func receive(into picture: DecodedPicture, drained: inout Bool) throws(FFmpegError) -> Bool {
        let code = avcodec_receive_frame(pointer, picture.pointer)
        if code == 0 { return true }
        if code == FFmpegStatus.again { return false }
        if code == FFmpegStatus.eof { drained = true; return false }
        throw FFmpegError(operation: "decode frame", code: code)
    }
}
