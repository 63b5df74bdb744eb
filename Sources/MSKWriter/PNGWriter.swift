import CFFmpeg
import MSKFFmpeg
import Foundation
import MSKFiles
import MSKImage

/// PNG stills through libavcodec's PNG encoder (lossless: grey levels are kept exactly).
/// Files are written to a temporary name and renamed when whole.
public enum PNGWriter {
    /// PNG bytes of a grey image.
    public static func encode(_ image: GreyImage) throws(WriterError) -> Data {
        try encode(width: image.width, height: image.height, format: AV_PIX_FMT_GRAY8, bytesPerPixel: 1, pixels: image.pixels)
    }

    /// PNG bytes of an RGB image.
    public static func encode(_ image: RGBImage) throws(WriterError) -> Data {
        try encode(width: image.width, height: image.height, format: AV_PIX_FMT_RGB24, bytesPerPixel: 3, pixels: image.pixels)
    }

    public static func write(_ image: GreyImage, to path: String) throws(WriterError) {
        try save(encode(image), to: path)
    }

    public static func write(_ image: RGBImage, to path: String) throws(WriterError) {
        try save(encode(image), to: path)
    }

    private static func save(_ data: Data, to path: String) throws(WriterError) {
        do { try TemporaryName.write(data, to: path) } catch {
            throw .cannotCreate(path: path, reason: error.localizedDescription)
        }
    }

    private static func encode(width: Int, height: Int, format: AVPixelFormat, bytesPerPixel: Int,
                               pixels: [UInt8]) throws(WriterError) -> Data {
        FFmpegLogging.quietUnlessChosen()
        guard width > 0, height > 0 else {
            throw .unsupportedSize(path: "(png)", width: width, height: height, reason: "is empty")
        }
        do {
            let encoder = try EncoderContext(encoderName: "png", width: width, height: height, pixelFormat: format,
                                             colorRange: AVCOL_RANGE_JPEG, timeBase: AVRational(num: 1, den: 1),
                                             globalHeader: false, gopSize: 1, qscale: nil, options: [:])
            let picture = try EncoderPicture(width: width, height: height, pixelFormat: format, colorRange: AVCOL_RANGE_JPEG)
            let plane = picture.plane(0)
            let rowBytes = width * bytesPerPixel
            pixels.withUnsafeBufferPointer { src in
                for y in 0..<height {
                    (plane.data + y * plane.linesize).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
                }
            }
            picture.pts = 0
            let packet = try Packet()
            var data = Data()
            try encoder.send(picture)
            try encoder.send(nil)
            while try encoder.receive(into: packet) {
                data.append(packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
                packet.unref()
            }
            return data
        } catch {
            throw .encodingFailed(path: "(png)", frameIndex: 0, reason: error.description)
        }
    }
}
