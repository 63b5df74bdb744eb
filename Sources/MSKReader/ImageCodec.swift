import CFFmpeg
import MSKFFmpeg
import MSKImage

/// A libavcodec decoder for one compressed picture at a time (JPEG, JPEG-LS, JPEG 2000 frames of a
/// DICOM file), or for an elementary video stream cut into packets by libavcodec's parser.
/// Owns its decoder, packet, picture and scalers; not Sendable (one per frame source).
final class ImageCodec {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let parser: UnsafeMutablePointer<AVCodecParserContext>?
    private let packet: Packet
    let picture: DecodedPicture
    private let greyScaler = Scaler(output: AV_PIX_FMT_GRAY8)
    private let rgbScaler = Scaler(output: AV_PIX_FMT_RGB24)
    let codecName: String

    /// Opens the decoder for `codecID`. With `stream`, a parser splits the bytes into packets.
    init(codecID: AVCodecID, stream: Bool) throws(FFmpegError) {
        codecName = String(cString: avcodec_get_name(codecID))
        guard let codec = avcodec_find_decoder(codecID) else {
            throw FFmpegError(operation: "find the \(codecName) decoder", code: mskc_error_invaliddata())
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpegError(operation: "allocate decoder", code: mskc_error_enomem())
        }
        context = ctx
        // One thread: each picture comes out as soon as its packet is sent (no frame-thread delay).
        ctx.pointee.thread_count = 1
        parser = stream ? av_parser_init(Int32(codecID.rawValue)) : nil
        packet = try Packet()
        picture = try DecodedPicture()
        try check(avcodec_open2(ctx, codec, nil), "open the \(codecName) decoder")
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&ctx)
        if let parser { av_parser_close(parser) }
    }

    /// Decodes one whole compressed picture. The decoded picture is left in `picture`.
    func decodePicture(_ bytes: [UInt8]) throws(FFmpegError) {
        try send(bytes)
        var drained = false
        if try receive(&drained) { return }
        try check(avcodec_send_packet(context, nil), "flush decoder")
        if try receive(&drained) {
            avcodec_flush_buffers(context)
            return
        }
        avcodec_flush_buffers(context)
        throw FFmpegError(operation: "decode picture (no picture came out)", code: mskc_error_invaliddata())
    }

    private func send(_ bytes: [UInt8]) throws(FFmpegError) {
        try bytes.withUnsafeBufferPointer { (src) throws(FFmpegError) in try send(src) }
    }

    /// Copies `src` into a fresh packet and sends it.
    private func send(_ src: UnsafeBufferPointer<UInt8>) throws(FFmpegError) {
        packet.unref()
        try check(av_new_packet(packet.pointer, Int32(clamping: src.count)), "allocate packet")
        if let base = src.baseAddress, let dst = packet.pointer.pointee.data { dst.update(from: base, count: src.count) }
        defer { packet.unref() }
        try check(avcodec_send_packet(context, packet.pointer), "decode packet")
    }

    private func receive(_ drained: inout Bool) throws(FFmpegError) -> Bool {
        picture.unref()
        let code = avcodec_receive_frame(context, picture.pointer)
        if code == 0 { return true }
        if code == FFmpegStatus.again { return false }
        if code == FFmpegStatus.eof { drained = true; return false }
        throw FFmpegError(operation: "decode picture", code: code)
    }

    // MARK: - Elementary stream (video transfer syntaxes)

    private var streamBytes: [UInt8] = []
    private var streamPosition = 0
    private var streamFlushed = false
    private var streamDrained = false

    /// Gives the whole elementary stream (all fragments, in order) to the parser.
    func startStream(_ bytes: [UInt8]) {
        streamBytes = bytes
        streamPosition = 0
    }

    /// The next picture of the elementary stream in `picture`, or false at its end.
    func nextStreamPicture() throws(FFmpegError) -> Bool {
        guard let parser else { return false }
        while true {
            if streamDrained { return false }
            if try receive(&streamDrained) { return true }
            if streamDrained { return false }
            if streamFlushed { return false }
            // Feed the parser until it hands out one packet, then send it.
            var out: UnsafeMutablePointer<UInt8>?
            var outSize: Int32 = 0
            let remaining = streamBytes.count - streamPosition
            let used = streamBytes.withUnsafeBufferPointer { buf in
                av_parser_parse2(parser, context, &out, &outSize,
                                 remaining > 0 ? buf.baseAddress! + streamPosition : nil, Int32(clamping: remaining),
                                 FFmpegStatus.noTimestamp, FFmpegStatus.noTimestamp, 0)
            }
            if used < 0 { throw FFmpegError(operation: "parse the video stream", code: used) }
            streamPosition += Int(used)
            if outSize > 0, let out {
                // The parser's buffer stays valid until the next av_parser_parse2 call: sent from there, not copied first.
                let chunk = UnsafeBufferPointer(start: out, count: Int(outSize))
                do { try send(chunk) } catch where error.isAgain {
                    // The decoder is full: take a picture out first (the parser has already consumed the bytes).
                    if try receive(&streamDrained) {
                        try? send(chunk)
                        return true
                    }
                }
            } else if remaining <= 0 {
                streamFlushed = true
                _ = avcodec_send_packet(context, nil)
            }
        }
    }

    // MARK: - Conversion

    /// The decoded picture as 8-bit grey (as `ffmpeg -pix_fmt gray`) and, if asked, RGB24.
    func convertPicture(wantRGB: Bool) throws(FFmpegError) -> (GreyImage, RGBImage?) {
        try convert(picture, wantRGB: wantRGB)
    }

    private func convert(_ picture: DecodedPicture, wantRGB: Bool) throws(FFmpegError) -> (GreyImage, RGBImage?) {
        let width = picture.width, height = picture.height
        do {
            let grey = try GreyImage(width: width, height: height) { buffer throws(FFmpegError) in
                try greyScaler.convert(picture, into: buffer)
            }
            var rgb: RGBImage?
            if wantRGB {
                rgb = try RGBImage(width: width, height: height) { buffer throws(FFmpegError) in
                    try rgbScaler.convert(picture, into: buffer)
                }
            }
            return (grey, rgb)
        } catch let error as FFmpegError {
            throw error
        } catch {
            throw FFmpegError(operation: "convert pixels", code: mskc_error_invaliddata())
        }
    }
}
