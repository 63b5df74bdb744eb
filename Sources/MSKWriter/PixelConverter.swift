import CFFmpeg
import MSKFFmpeg

/// Owns one libswscale context (`SwsContext`) converting packed RGB24 into an encoder's frame
/// (any planar or packed format, same size); frees it in deinit.
final class PixelConverter {
    private let context: OpaquePointer

    init(width: Int, height: Int, output: AVPixelFormat, fullRangeOutput: Bool) throws(FFmpegError) {
        guard let ctx = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                       output, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT | SWS_FULL_CHR_H_INT, nil, nil, nil) else {
            throw FFmpegError(operation: "set up pixel conversion", code: mskc_error_einval())
        }
        context = ctx
        var invTable: UnsafeMutablePointer<Int32>? = nil, table: UnsafeMutablePointer<Int32>? = nil
        var srcRange: Int32 = 0, dstRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
        if sws_getColorspaceDetails(ctx, &invTable, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) >= 0 {
            sws_setColorspaceDetails(ctx, invTable, 1, table, fullRangeOutput ? 1 : 0, brightness, contrast, saturation)
        }
    }

    deinit { sws_freeContext(context) }

    /// Converts packed RGB24 rows (`width * 3` bytes each) into `picture`.
    func convert(rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, into picture: EncoderPicture) throws(FFmpegError) {
        var srcData: (UnsafePointer<UInt8>?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?) = (rgb.baseAddress, nil, nil, nil)
        var srcLines: (Int32, Int32, Int32, Int32) = (Int32(width * 3), 0, 0, 0)
        let frame = picture.pointer
        let rows = withUnsafePointer(to: &srcData) { src in
            withUnsafePointer(to: &srcLines) { srcLine in
                withUnsafePointer(to: &frame.pointee.data) { dst in
                    withUnsafePointer(to: &frame.pointee.linesize) { dstLine in
                        sws_scale(context,
                                  UnsafeRawPointer(src).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                  UnsafeRawPointer(srcLine).assumingMemoryBound(to: Int32.self),
                                  0, Int32(height),
                                  UnsafeRawPointer(dst).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                  UnsafeRawPointer(dstLine).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        guard rows == Int32(height) else {
            throw FFmpegError(operation: "convert pixels", code: rows < 0 ? rows : mskc_error_invaliddata())
        }
    }
}
