import CFFmpeg
import MSKFFmpeg

/// Owns one encoder (`AVCodecContext`); frees it in deinit.
///
/// Not Sendable: one writer, one task.
final class EncoderContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    /// Opens `encoderName` for `width` x `height` frames of `pixelFormat` at `timeBase`.
    /// `options` are encoder private options (e.g. "crf" for libx264). `threads` 0 lets FFmpeg choose.
    /// The encoder is opened bit-exact: no library version in the stream (MPEG-4 user data).
    init(encoderName: String, width: Int, height: Int, pixelFormat: AVPixelFormat, colorRange: AVColorRange,
         timeBase: AVRational, globalHeader: Bool, gopSize: Int, qscale: Int?, threads: Int = 0,
         options: [String: String]) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder_by_name(encoderName) else {
            throw FFmpegError(operation: "find encoder \(encoderName)", code: mskc_error_encoder_not_found())
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpegError(operation: "allocate encoder", code: mskc_error_enomem())
        }
        pointer = ctx
        // From here on deinit frees the context, whatever happens.
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = pixelFormat
        ctx.pointee.color_range = colorRange
        ctx.pointee.time_base = timeBase
        ctx.pointee.framerate = av_inv_q(timeBase)
        ctx.pointee.gop_size = Int32(gopSize)
        ctx.pointee.thread_count = Int32(threads)
        ctx.pointee.flags |= AV_CODEC_FLAG_BITEXACT
        if let qscale {
            ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
            ctx.pointee.global_quality = Int32(qscale) * FF_QP2LAMBDA
        }
        if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var dict: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        defer { av_dict_free(&dict) }
        try check(avcodec_open2(ctx, codec, &dict), "open the \(encoderName) encoder")
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&ctx)
    }

    /// Sends a frame (nil: start draining).
    func send(_ frame: EncoderPicture?) throws(FFmpegError) {
        try check(avcodec_send_frame(pointer, frame?.pointer), "encode frame")
    }

    /// Receives the next packet; false when the encoder needs more input or is drained.
    func receive(into packet: Packet) throws(FFmpegError) -> Bool {
        let code = avcodec_receive_packet(pointer, packet.pointer)
        if code == 0 { return true }
        if code == FFmpegStatus.again || code == FFmpegStatus.eof { return false }
        throw FFmpegError(operation: "receive encoded packet", code: code)
    }
}
