import CFFmpeg
import MSKFFmpeg
import MSKImage

/// Owns one libswscale context (`SwsContext`) and its aligned output buffer; frees both in deinit.
///
/// Converts decoded pictures of any pixel format and bit depth to 8-bit grey or RGB24 at the
/// same size, the way the ffmpeg command line's `-pix_fmt gray` / `rgb24` does (bicubic flags,
/// the frame's colour range honoured), so grey levels equal that reference bit for bit.
final class Scaler {
    private var context: OpaquePointer?
    private var key: (width: Int32, height: Int32, format: Int32, range: UInt32) = (0, 0, -1, 0)
    private let output: AVPixelFormat
    private var buffer: UnsafeMutablePointer<UInt8>?
    private var linesize: Int32 = 0
    private var bufferSize = (width: Int32(0), height: Int32(0))

    init(output: AVPixelFormat) {
        self.output = output
    }

    deinit {
        sws_freeContext(context)
        av_free(buffer)
    }

    private var bytesPerPixel: Int { output == AV_PIX_FMT_GRAY8 ? 1 : 3 }

    /// Converts `picture` into `destination`, packed (row stride = width x bytes per pixel).
    func convert(_ picture: DecodedPicture, into destination: UnsafeMutableBufferPointer<UInt8>) throws(FFmpegError) {
        let frame = picture.pointer
        let width = frame.pointee.width, height = frame.pointee.height
        try prepare(width: width, height: height, format: frame.pointee.format, range: frame.pointee.color_range)
        var dstData: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?) = (buffer, nil, nil, nil)
        var dstLines: (Int32, Int32, Int32, Int32) = (linesize, 0, 0, 0)
        let rows = withUnsafePointer(to: &frame.pointee.data) { data in
            withUnsafePointer(to: &frame.pointee.linesize) { lines in
                withUnsafePointer(to: &dstData) { dst in
                    withUnsafePointer(to: &dstLines) { dstLine in
                        sws_scale(context,
                                  UnsafeRawPointer(data).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                  UnsafeRawPointer(lines).assumingMemoryBound(to: Int32.self),
                                  0, height,
                                  UnsafeRawPointer(dst).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                  UnsafeRawPointer(dstLine).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        guard rows == height else {
            throw FFmpegError(operation: "convert pixels", code: rows < 0 ? rows : mskc_error_invaliddata())
        }
        // Copy out row by row: the aligned buffer's rows are padded to `linesize`.
        let rowBytes = Int(width) * bytesPerPixel
        precondition(destination.count == rowBytes * Int(height))
        for y in 0..<Int(height) {
            (destination.baseAddress! + y * rowBytes).update(from: buffer! + y * Int(linesize), count: rowBytes)
        }
    }

    private func prepare(width: Int32, height: Int32, format: Int32, range: AVColorRange) throws(FFmpegError) {
        if context != nil, key == (width, height, format, range.rawValue) { return }
        sws_freeContext(context)
        context = nil
        guard let ctx = sws_getContext(width, height, AVPixelFormat(rawValue: format),
                                       width, height, output, SWS_BICUBIC, nil, nil, nil) else {
            throw FFmpegError(operation: "set up pixel conversion", code: mskc_error_invaliddata())
        }
        context = ctx
        key = (width, height, format, range.rawValue)
        if range != AVCOL_RANGE_UNSPECIFIED {
            // As ffmpeg's scale filter does: take the source range from the frame.
            var invTable: UnsafeMutablePointer<Int32>? = nil, table: UnsafeMutablePointer<Int32>? = nil
            var srcRange: Int32 = 0, dstRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
            if sws_getColorspaceDetails(ctx, &invTable, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) >= 0 {
                srcRange = range == AVCOL_RANGE_JPEG ? 1 : 0
                sws_setColorspaceDetails(ctx, invTable, srcRange, table, dstRange, brightness, contrast, saturation)
            }
        }
        if bufferSize != (width, height) {
            av_free(buffer)
            buffer = nil
            linesize = Int32((Int(width) * bytesPerPixel + 63) / 64 * 64)
            guard let b = av_malloc(Int(linesize) * Int(height) + 64)?.assumingMemoryBound(to: UInt8.self) else {
                throw FFmpegError(operation: "allocate conversion buffer", code: mskc_error_enomem())
            }
            buffer = b
            bufferSize = (width, height)
        }
    }
}
