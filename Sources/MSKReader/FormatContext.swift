import CFFmpeg
import MSKFFmpeg

/// Owns one demuxer (`AVFormatContext`) opened on a file; closes it in deinit.
///
/// Not Sendable: it is used by one reader at a time, from one task.
final class FormatContext {
    private(set) var pointer: UnsafeMutablePointer<AVFormatContext>
    /// The largest video frame size the container header states, read before FFmpeg probes the
    /// streams (probing may reset the size of a stream whose decoder refuses it).
    private(set) var largestDeclaredSize: (width: Int, height: Int) = (0, 0)

    /// Opens `path` and reads enough of it to know its streams.
    init(path: String) throws(FFmpegError) {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&ctx, path, nil, nil)
        guard opened >= 0, let ctx else { throw FFmpegError(operation: "open", code: opened) }
        pointer = ctx
        for i in 0..<Int(ctx.pointee.nb_streams) {
            guard let par = ctx.pointee.streams[i]?.pointee.codecpar?.pointee,
                  par.codec_type == AVMEDIA_TYPE_VIDEO else { continue }
            if Int(par.width) * Int(par.height) > largestDeclaredSize.width * largestDeclaredSize.height {
                largestDeclaredSize = (Int(par.width), Int(par.height))
            }
        }
        // From here on deinit closes the context, whatever happens.
        try check(avformat_find_stream_info(ctx, nil), "read stream information")
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&ctx)
    }

    var formatName: String { String(cString: pointer.pointee.iformat.pointee.name) }
    var formatLongName: String {
        guard let name = pointer.pointee.iformat.pointee.long_name else { return formatName }
        return String(cString: name)
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        pointer.pointee.streams[index]!
    }

    /// The stream FFmpeg judges the best video stream, or nil when there is none.
    func bestVideoStreamIndex() -> Int? {
        let index = av_find_best_stream(pointer, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    /// A container metadata value (e.g. "major_brand"), if present.
    func metadata(_ key: String) -> String? {
        guard let entry = av_dict_get(pointer.pointee.metadata, key, nil, 0),
              let value = entry.pointee.value else { return nil }
        return String(cString: value)
    }

    /// Container duration in seconds, if known.
    var durationSeconds: Double? {
        let d = pointer.pointee.duration
        guard d != FFmpegStatus.noTimestamp, d > 0 else { return nil }
        return Double(d) / Double(mskc_time_base())
    }

    /// Reads the next packet of any stream into `packet`. Throws at end of file (`isEOF`) or on a read error.
    func readPacket(into packet: Packet) throws(FFmpegError) {
        try check(av_read_frame(pointer, packet.pointer), "read packet")
    }
}
