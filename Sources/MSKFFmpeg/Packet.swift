import CFFmpeg

/// Owns one `AVPacket`; frees it in deinit. Reused for every packet of a clip.
package final class Packet {
    package let pointer: UnsafeMutablePointer<AVPacket>

    package init() throws(FFmpegError) {
        guard let packet = av_packet_alloc() else {
            throw FFmpegError(operation: "allocate packet", code: mskc_error_enomem())
        }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    package var streamIndex: Int { Int(pointer.pointee.stream_index) }

    /// Drops the packet's payload reference so the packet can be reused.
    package func unref() { av_packet_unref(pointer) }
}
