import CFFmpeg
import MSKFFmpeg
import Foundation
import MSKFiles
import MSKImage

/// The codecs MSKCine writes, each with the container it goes in by default.
public enum VideoCodec: String, CaseIterable, Sendable, Codable {
    /// H.264 through libx264, full-range 4:2:0 (grey levels survive up to compression loss).
    case h264
    /// MPEG-4 part 2, limited-range 4:2:0 (as most players expect for this codec).
    case mpeg4
    /// Motion JPEG, full-range 4:2:0.
    case mjpeg
    /// FFV1, lossless: grey frames as 8-bit grey, RGB frames as RGB.
    case ffv1

    /// The file extension of the container this codec is written in by default.
    public var defaultExtension: String {
        switch self {
        case .h264, .mpeg4: return "mp4"
        case .mjpeg: return "avi"
        case .ffv1: return "mkv"
        }
    }

    var encoderName: String {
        switch self {
        case .h264: return "libx264"
        case .mpeg4: return "mpeg4"
        case .mjpeg: return "mjpeg"
        case .ffv1: return "ffv1"
        }
    }

    /// Whether the codec needs even frame sizes (4:2:0 chroma).
    var needsEvenSize: Bool { self != .ffv1 }
}

/// What a writer is fed: grey frames, or RGB frames (overlays with coloured annotations).
public enum WriterPixels: String, Sendable {
    case grey
    case rgb
}

/// Options of a `VideoWriter`.
public struct VideoWriterOptions: Sendable {
    public var codec: VideoCodec
    /// Frames per second (may be fractional, e.g. 29.97).
    public var fps: Double
    public var pixels: WriterPixels
    /// Codec quality: libx264 CRF (0-51, default 20) or MPEG-4/MJPEG qscale (1-31, default 3).
    /// Lower is better and larger. Ignored by FFV1 (lossless).
    public var quality: Int?
    /// libx264 preset (default "medium").
    public var preset: String
    /// Frames between key frames (default 2 seconds' worth).
    public var keyFrameInterval: Int?
    /// Same frames, same bytes: on any machine and run after run. Encodes on one thread (libx264
    /// and MPEG-4 split work differently with more) and turns off libx264's macroblock-tree rate
    /// control, which in x264 core 164 reads uninitialised memory when B-frames are on (the
    /// output then changed with the heap's contents, even from the ffmpeg command line with
    /// `-threads 1`). Without it, at the same CRF, speckle clips come out about 20 % smaller.
    /// Off (default): FFmpeg chooses the thread count, fastest.
    /// Containers and encoders are always written bit-exact (no library version strings, no
    /// random Matroska segment UID, no creation time).
    public var reproducible: Bool

    public init(codec: VideoCodec = .h264, fps: Double = 25, pixels: WriterPixels = .grey, quality: Int? = nil,
                preset: String = "medium", keyFrameInterval: Int? = nil, reproducible: Bool = false) {
        self.codec = codec
        self.fps = fps
        self.pixels = pixels
        self.quality = quality
        self.preset = preset
        self.keyFrameInterval = keyFrameInterval
        self.reproducible = reproducible
    }
}

/// Writes frames to a video file through libavcodec and libavformat, one at a time.
///
/// The file appears under its name only when `finish()` succeeds: frames go to a hidden
/// temporary file in the same folder, renamed when whole. A writer dropped before `finish()`
/// (an error, an interrupted run) removes its temporary file, so no half clip is ever left
/// looking whole.
///
/// Not Sendable: one writer belongs to one task.
public final class VideoWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let options: VideoWriterOptions
    public private(set) var framesWritten = 0

    private let temporaryPath: String
    private let output: OutputContext
    private let encoder: EncoderContext
    private let stream: UnsafeMutablePointer<AVStream>
    private let picture: EncoderPicture
    private let packet: Packet
    private let converter: PixelConverter?
    private let encoderPixelFormat: AVPixelFormat
    private let fullRange: Bool
    private var finished = false

    /// Creates the writer; the container is chosen from `path`'s extension (mp4, mov, avi, mkv).
    public init(path: String, width: Int, height: Int, options: VideoWriterOptions) throws(WriterError) {
        FFmpegLogging.quietUnlessChosen()
        self.path = path
        self.width = width
        self.height = height
        self.options = options
        guard width > 0, height > 0, width <= 16_384, height <= 16_384 else {
            throw .unsupportedSize(path: path, width: width, height: height, reason: "is outside 1...16384 pixels")
        }
        if options.codec.needsEvenSize && (width % 2 != 0 || height % 2 != 0) {
            throw .unsupportedSize(path: path, width: width, height: height, reason: "has an odd side, which \(options.codec.rawValue) 4:2:0 cannot hold")
        }
        guard options.fps > 0, options.fps.isFinite else {
            throw .cannotCreate(path: path, reason: "the frame rate \(options.fps) is not positive")
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .cannotCreate(path: path, reason: "the folder '\(directory)' does not exist")
        }
        let formatName: String
        switch url.pathExtension.lowercased() {
        case "mp4", "m4v": formatName = "mp4"
        case "mov": formatName = "mov"
        case "avi": formatName = "avi"
        case "mkv": formatName = "matroska"
        default:
            throw .cannotCreate(path: path, reason: "the extension '.\(url.pathExtension)' is not a container MSKCine writes (mp4, mov, avi, mkv)")
        }
        temporaryPath = TemporaryName.beside(path)

        switch (options.codec, options.pixels) {
        case (.ffv1, .grey): encoderPixelFormat = AV_PIX_FMT_GRAY8; fullRange = true
        case (.ffv1, .rgb): encoderPixelFormat = AV_PIX_FMT_BGR0; fullRange = true
        case (.mjpeg, _): encoderPixelFormat = AV_PIX_FMT_YUVJ420P; fullRange = true
        // Grey H.264 is full range: every grey level of a simulated clip survives. RGB (the overlay)
        // is limited range, as players expect; swscale's RGB to full-range 4:2:0 took twice as long.
        case (.h264, .grey): encoderPixelFormat = AV_PIX_FMT_YUV420P; fullRange = true
        case (.h264, .rgb): encoderPixelFormat = AV_PIX_FMT_YUV420P; fullRange = false
        case (.mpeg4, _): encoderPixelFormat = AV_PIX_FMT_YUV420P; fullRange = false
        }
        let rate = av_d2q(options.fps, 1_000_000)
        let timeBase = AVRational(num: rate.den, den: rate.num)
        var privateOptions: [String: String] = [:]
        var qscale: Int?
        switch options.codec {
        case .h264:
            privateOptions["crf"] = "\(options.quality ?? 20)"
            privateOptions["preset"] = options.preset
            privateOptions["x264-params"] = options.reproducible ? "log=-1:mbtree=0" : "log=-1"
        case .mpeg4, .mjpeg:
            qscale = options.quality ?? 3
        case .ffv1:
            privateOptions["level"] = "3"
            // Range coder with its own state table and the large context model: about 10 % smaller
            // than the default Golomb-Rice coding on speckle, still lossless.
            privateOptions["coder"] = "range_tab"
            privateOptions["context"] = "1"
        }
        do {
            output = try OutputContext(formatName: formatName, path: temporaryPath)
            encoder = try EncoderContext(
                encoderName: options.codec.encoderName, width: width, height: height,
                pixelFormat: encoderPixelFormat, colorRange: fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG,
                timeBase: timeBase, globalHeader: output.needsGlobalHeader,
                gopSize: options.keyFrameInterval ?? max(1, Int((options.fps * 2).rounded())),
                qscale: qscale, threads: options.reproducible ? 1 : 0, options: privateOptions)
            stream = try output.addStream(from: encoder)
            picture = try EncoderPicture(width: width, height: height, pixelFormat: encoderPixelFormat,
                                         colorRange: fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG)
            packet = try Packet()
            converter = options.pixels == .rgb
                ? try PixelConverter(width: width, height: height, output: encoderPixelFormat, fullRangeOutput: fullRange)
                : nil
            try output.openFileAndWriteHeader(path: temporaryPath)
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            if error.code == mskc_error_encoder_not_found() {
                throw .encoderUnavailable(path: path, codec: options.codec.encoderName)
            }
            throw .cannotCreate(path: path, reason: error.description)
        }
    }

    deinit {
        if !finished { try? FileManager.default.removeItem(atPath: temporaryPath) }
    }

    /// Appends a grey frame. On an RGB writer the grey level goes to all three channels.
    public func write(_ image: GreyImage) throws(WriterError) {
        try checkSize(image.width, image.height)
        if options.pixels == .rgb {
            let rgb = RGBImage(width: width, height: height) { out in
                image.pixels.withUnsafeBufferPointer { src in
                    for i in 0..<src.count { out[3 * i] = src[i]; out[3 * i + 1] = src[i]; out[3 * i + 2] = src[i] }
                }
            }
            return try write(rgb)
        }
        try prepareFrame()
        image.pixels.withUnsafeBufferPointer { src in fillFromGrey(src) }
        try encodeCurrentFrame()
    }

    /// Appends an RGB frame (only on a writer opened with `pixels: .rgb`).
    public func write(_ image: RGBImage) throws(WriterError) {
        try checkSize(image.width, image.height)
        guard let converter else {
            throw .frameSizeMismatch(path: path, expected: "a grey clip", got: "an RGB frame")
        }
        try prepareFrame()
        do {
            try image.pixels.withUnsafeBufferPointer { (src) throws(FFmpegError) in
                try converter.convert(rgb: src, width: width, height: height, into: picture)
            }
        } catch {
            throw .encodingFailed(path: path, frameIndex: framesWritten, reason: error.description)
        }
        try encodeCurrentFrame()
    }

    /// Drains the encoder, writes the container's index and gives the file its name.
    /// Returns the number of frames written.
    @discardableResult
    public func finish() throws(WriterError) -> Int {
        if finished { throw .alreadyFinished(path: path) }
        do {
            try encoder.send(nil)
            try drainPackets()
            try output.finish()
        } catch {
            throw .encodingFailed(path: path, frameIndex: framesWritten, reason: error.description)
        }
        do {
            try TemporaryName.commit(temporaryPath, to: path)
        } catch {
            throw .cannotCreate(path: path, reason: "cannot rename the finished file into place (\(error.localizedDescription))")
        }
        finished = true
        return framesWritten
    }

    // MARK: - Steps

    private func checkSize(_ w: Int, _ h: Int) throws(WriterError) {
        if finished { throw .alreadyFinished(path: path) }
        guard w == width, h == height else {
            throw .frameSizeMismatch(path: path, expected: "\(width)x\(height)", got: "\(w)x\(h)")
        }
    }

    private func prepareFrame() throws(WriterError) {
        do { try picture.makeWritable() } catch {
            throw .encodingFailed(path: path, frameIndex: framesWritten, reason: error.description)
        }
    }

    /// Grey into the encoder's format: a direct copy of luma (full range) or the BT.601
    /// limited-range mapping 16 + 219/255 x grey (MPEG-4), and neutral chroma.
    private func fillFromGrey(_ src: UnsafeBufferPointer<UInt8>) {
        let luma = picture.plane(0)
        for y in 0..<height {
            let row = luma.data + y * luma.linesize
            let srcRow = src.baseAddress! + y * width
            if fullRange {
                row.update(from: srcRow, count: width)
            } else {
                for x in 0..<width { row[x] = UInt8((Int(srcRow[x]) * 219 + 127) / 255 + 16) }
            }
        }
        if encoderPixelFormat != AV_PIX_FMT_GRAY8 {
            for p in 1...2 {
                let chroma = picture.plane(p)
                for y in 0..<(height + 1) / 2 {
                    (chroma.data + y * chroma.linesize).update(repeating: 128, count: (width + 1) / 2)
                }
            }
        }
    }

    private func encodeCurrentFrame() throws(WriterError) {
        picture.pts = Int64(framesWritten)
        // With a fixed qscale (MPEG-4, MJPEG) the encoder takes each frame's own quality;
        // left at 0 it would fall back to the best (largest) quantiser.
        picture.pointer.pointee.quality = encoder.pointer.pointee.global_quality
        do {
            try encoder.send(picture)
            try drainPackets()
        } catch {
            throw .encodingFailed(path: path, frameIndex: framesWritten, reason: error.description)
        }
        framesWritten += 1
    }

    private func drainPackets() throws(FFmpegError) {
        while try encoder.receive(into: packet) {
            defer { packet.unref() }
            av_packet_rescale_ts(packet.pointer, encoder.pointer.pointee.time_base, stream.pointee.time_base)
            packet.pointer.pointee.stream_index = stream.pointee.index
            try output.write(packet)
        }
    }
}
