import CFFmpeg
import MSKFFmpeg
import Foundation
import MSKImage

/// Options for opening a clip.
public struct ReaderOptions: Sendable {
    /// Also produce RGB24 pixels for every frame (for overlays); grey is always produced.
    public var wantRGB: Bool
    /// Largest width or height accepted; a larger header is taken as corrupt (default 16384).
    public var maxDimension: Int

    /// Decoder threads: 0 lets FFmpeg choose (one per core, as the ffmpeg command line does);
    /// 1 keeps decoding on the caller's thread, for running several clips side by side.
    public var decoderThreads: Int

    public init(wantRGB: Bool = false, maxDimension: Int = 16_384, decoderThreads: Int = 0) {
        self.wantRGB = wantRGB
        self.maxDimension = maxDimension
        self.decoderThreads = max(0, decoderThreads)
    }
}

/// Streams the frames of one video file through FFmpeg (libavformat + libavcodec + libswscale),
/// one at a time, in presentation order; never holds more than the frame being returned.
///
/// What it gets right: the decoder is drained at end of file (no lost last frames), B-frames come
/// out in presentation order, row padding (linesize) is removed, any size, bit depth and chroma
/// layout is converted to 8-bit grey as `ffmpeg -pix_fmt gray` does, frames without timestamps get
/// one from the frame rate, and a rotation tag is applied as a player would.
///
/// Not Sendable: one reader belongs to one task.
public final class VideoReader: FrameSource {
    public let info: ClipInfo
    public private(set) var warnings: [String] = []

    private let path: String
    private let format: FormatContext
    private let decoder: DecoderContext
    private let streamIndex: Int
    private let timeBase: Double
    private let frameInterval: Double
    private let rotation: QuarterTurn
    private let packet: Packet
    private let picture: DecodedPicture
    private let greyScaler = Scaler(output: AV_PIX_FMT_GRAY8)
    private let rgbScaler: Scaler?

    private var nextIndex = 0
    private var lastTime: Double?
    /// Set once the container's timestamps went backwards or repeated: (frame index, time) from
    /// which every later time is derived from the index and the frame rate.
    private var derivedTimeAnchor: (index: Int, time: Double)?
    private var draining = false
    private var finished = false
    private var corruptPackets = 0
    private var rejectedPackets = 0
    private var lastRejection = ""

    /// Opens `path` and reads its header. Throws `ReaderError` (with the path and what to do)
    /// when the file is missing, empty, a directory, not a video, or has no decodable video stream.
    public init(path: String, options: ReaderOptions = ReaderOptions()) throws(ReaderError) {
        self.path = path
        FFmpegLogging.quietUnlessChosen()
        try VideoReader.checkIsNonEmptyFile(path)
        let format: FormatContext
        do {
            format = try FormatContext(path: path)
        } catch {
            throw VideoReader.openError(path: path, error, limit: options.maxDimension)
        }
        // FFmpeg will "open" plain text as ANSI art; that is never an ultrasound clip.
        let declared = format.largestDeclaredSize
        if declared.width > options.maxDimension || declared.height > options.maxDimension {
            throw .frameTooLarge(path: path, width: declared.width, height: declared.height, limit: options.maxDimension)
        }
        let textFormats: Set<String> = ["tty", "bin", "xbin", "adf", "idf"]
        if textFormats.contains(format.formatName) {
            throw .notAVideo(path: path, reason: "it looks like a text file")
        }
        guard let index = format.bestVideoStreamIndex() else {
            throw .noVideoStream(path: path, streams: VideoReader.describeStreams(format))
        }
        let stream = format.stream(index)
        let par = stream.pointee.codecpar!.pointee
        let codecName = String(cString: avcodec_get_name(par.codec_id))
        let codedWidth = Int(par.width), codedHeight = Int(par.height)
        if codedWidth > options.maxDimension || codedHeight > options.maxDimension {
            throw .frameTooLarge(path: path, width: codedWidth, height: codedHeight, limit: options.maxDimension)
        }
        if codedWidth <= 0 || codedHeight <= 0 {
            throw .notAVideo(path: path, reason: "the video stream states no frame size")
        }
        guard avcodec_find_decoder(par.codec_id) != nil else {
            throw .unsupportedCodec(path: path, codec: codecName)
        }
        do {
            decoder = try DecoderContext(stream: stream, threads: options.decoderThreads)
            packet = try Packet()
            picture = try DecodedPicture()
        } catch {
            throw .noFramesDecoded(path: path, reason: "cannot open the \(codecName) decoder: \(error.message)")
        }
        self.format = format
        streamIndex = index
        timeBase = av_q2d(stream.pointee.time_base)
        rgbScaler = options.wantRGB ? Scaler(output: AV_PIX_FMT_RGB24) : nil

        let fps = VideoReader.frameRate(stream)
        frameInterval = fps.map { 1 / $0 } ?? 1.0 / 25.0
        let degrees = mskc_stream_rotation(stream)
        rotation = QuarterTurn(clockwiseDegrees: degrees) ?? .none
        if QuarterTurn(clockwiseDegrees: degrees) == nil {
            warnings.append("rotation tag of \(degrees) degrees is not a quarter turn; frames are not rotated")
        }
        let shown = rotation.rotatedSize(width: codedWidth, height: codedHeight)
        let pixFmtName = av_get_pix_fmt_name(AVPixelFormat(rawValue: par.format)).map { String(cString: $0) } ?? "unknown"
        let declaredFrames = Int(stream.pointee.nb_frames)
        let streamDuration = stream.pointee.duration != FFmpegStatus.noTimestamp && stream.pointee.duration > 0
            ? Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base) : nil
        let start = stream.pointee.start_time != FFmpegStatus.noTimestamp
            ? Double(stream.pointee.start_time) * av_q2d(stream.pointee.time_base) : nil
        info = ClipInfo(
            path: path,
            container: VideoReader.shortContainerName(format),
            containerLongName: format.formatLongName,
            codec: codecName,
            width: shown.width, height: shown.height,
            pixelFormat: pixFmtName,
            fps: fps,
            frameCount: declaredFrames > 0 ? declaredFrames : nil,
            durationS: streamDuration ?? format.durationSeconds,
            startTimeS: start,
            rotationDegrees: rotation.rawValue)
    }

    /// The next frame in presentation order, or nil once the decoder is drained.
    public func nextFrame() throws(ReaderError) -> Frame? {
        if finished { return nil }
        while true {
            var drained = false
            let got: Bool
            do {
                got = try decoder.receive(into: picture, drained: &drained)
            } catch {
                // A decoder error on one picture: skip it, as ffmpeg does, and say so at the end.
                rejectedPackets += 1
                lastRejection = error.message
                continue
            }
            if got { return try emitFrame() }
            if drained || draining { return try finish() }
            feedDecoder()
        }
    }

    // MARK: - Decoding steps

    /// Reads packets until one of the video stream has been sent to the decoder, or starts draining.
    private func feedDecoder() {
        while true {
            do {
                try format.readPacket(into: packet)
            } catch {
                if !error.isEOF {
                    warnings.append("read error after frame \(nextIndex) (\(error.message)): the file may be cut short; the \(nextIndex) frames before it are kept")
                }
                startDraining()
                return
            }
            defer { packet.unref() }
            guard packet.streamIndex == streamIndex else { continue }
            if packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 { corruptPackets += 1 }
            do {
                try decoder.send(packet)
            } catch {
                rejectedPackets += 1
                lastRejection = error.message
                continue
            }
            return
        }
    }

    private func startDraining() {
        draining = true
        try? decoder.send(nil)
    }

    private func finish() throws(ReaderError) -> Frame? {
        finished = true
        if nextIndex == 0 {
            let reason = rejectedPackets > 0 ? lastRejection : "the video stream holds no picture"
            throw .noFramesDecoded(path: path, reason: reason)
        }
        if corruptPackets > 0 {
            warnings.append("\(corruptPackets) packet(s) were incomplete: the file appears cut short; \(nextIndex) frames were decoded")
        }
        if rejectedPackets > 0 {
            warnings.append("\(rejectedPackets) packet(s) could not be decoded (\(lastRejection)) and were skipped")
        }
        if let declared = info.frameCount, declared > nextIndex, corruptPackets == 0 {
            warnings.append("the header declares \(declared) frames but \(nextIndex) were decoded: the file may be cut short")
        } else if info.frameCount == nil, corruptPackets == 0, let duration = info.durationS, let last = lastTime,
                  last + 2 * frameInterval < (info.startTimeS ?? 0) + duration {
            // Containers without a frame count (Matroska, raw streams) still state a duration.
            let shown = String(format: "%.3f", duration), end = String(format: "%.3f", last)
            warnings.append("the header declares a duration of \(shown) s but the frames end at \(end) s: the file may be cut short; the \(nextIndex) frames before the cut are kept")
        }
        return nil
    }

    private func emitFrame() throws(ReaderError) -> Frame {
        defer { picture.unref() }
        let width = picture.width, height = picture.height
        let grey: GreyImage
        var rgb: RGBImage?
        do {
            grey = try GreyImage(width: width, height: height) { buffer throws(FFmpegError) in
                try greyScaler.convert(picture, into: buffer)
            }
            if let rgbScaler {
                rgb = try RGBImage(width: width, height: height) { buffer throws(FFmpegError) in
                    try rgbScaler.convert(picture, into: buffer)
                }
            }
        } catch let error as FFmpegError {
            throw .decodingFailed(path: path, frameIndex: nextIndex, reason: error.description)
        } catch {
            throw .decodingFailed(path: path, frameIndex: nextIndex, reason: "\(error)")
        }
        let time: Double
        var synthesised: Bool
        if let anchor = derivedTimeAnchor {
            // Timestamps went backwards or repeated earlier: every later time is derived.
            time = anchor.time + Double(nextIndex - anchor.index) * frameInterval
            synthesised = true
        } else if let ts = picture.bestEffortTimestamp {
            time = Double(ts) * timeBase
            synthesised = false
        } else {
            time = lastTime.map { $0 + frameInterval } ?? (info.startTimeS ?? 0)
            synthesised = true
        }
        var emitted = time
        if derivedTimeAnchor == nil, let last = lastTime, !(time > last) {
            // Spec: timeS increases through the clip. A container timestamp that goes backwards or
            // repeats (variable frame rate muxing, zero-duration timestamps) switches the rest of
            // the clip to times derived from the frame index and the frame rate, said once.
            emitted = last + frameInterval
            derivedTimeAnchor = (nextIndex, emitted)
            synthesised = true
            let shown = String(format: "%.3f s after %.3f s", time, last)
            warnings.append("the container's timestamps go backwards or repeat at frame \(nextIndex) (\(shown)); timeS from frame \(nextIndex) on is derived from the frame index at \(String(format: "%.3f", 1 / frameInterval)) frames per second")
        }
        lastTime = emitted
        let frame = Frame(index: nextIndex, timeS: emitted, timeIsSynthesised: synthesised,
                          grey: grey.rotated(rotation), rgb: rgb?.rotated(rotation))
        nextIndex += 1
        return frame
    }

    // MARK: - Opening helpers

    private static func checkIsNonEmptyFile(_ path: String) throws(ReaderError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw .notAFile(path: path) }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        if size == 0 { throw .emptyFile(path: path) }
    }

    private static func openError(path: String, _ error: FFmpegError, limit: Int) -> ReaderError {
        if let (w, h) = yuv4mpegFrameSize(path), w > limit || h > limit {
            // FFmpeg's YUV4MPEG demuxer refuses such a header with an unhelpful error code.
            return .frameTooLarge(path: path, width: w, height: h, limit: limit)
        }
        if looksLikeUnfinishedMP4(path) {
            return .notAVideo(path: path, reason: "an MP4/MOV whose index (moov atom) is missing: the file was cut short or never finalised")
        }
        return .notAVideo(path: path, reason: "\(error.operation): \(error.message)")
    }

    /// Width and height from a YUV4MPEG2 stream header (`YUV4MPEG2 W640 H480 ...`), if it is one.
    private static func yuv4mpegFrameSize(_ path: String) -> (Int, Int)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 256) else { return nil }
        let line = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self)
        guard line.hasPrefix("YUV4MPEG2 ") else { return nil }
        var width: Int?, height: Int?
        for token in line.split(separator: " ") {
            if token.hasPrefix("W") { width = Int(token.dropFirst()) }
            if token.hasPrefix("H") { height = Int(token.dropFirst()) }
        }
        guard let width, let height else { return nil }
        return (width, height)
    }

    /// An ISO-BMFF file starts with an 'ftyp' box; if FFmpeg then cannot open it, its 'moov' is missing.
    private static func looksLikeUnfinishedMP4(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 12), head.count == 12 else { return false }
        return Array(head[4..<8]) == Array("ftyp".utf8)
    }

    private static func describeStreams(_ format: FormatContext) -> String {
        var kinds: [String] = []
        for i in 0..<format.streamCount {
            let type = format.stream(i).pointee.codecpar.pointee.codec_type
            let name = av_get_media_type_string(type).map { String(cString: $0) } ?? "unknown"
            kinds.append(name)
        }
        return kinds.isEmpty ? "no streams at all" : "streams: " + kinds.joined(separator: ", ")
    }

    private static func frameRate(_ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        for rate in [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            return av_q2d(rate)
        }
        return nil
    }

    private static func shortContainerName(_ format: FormatContext) -> String {
        let name = format.formatName
        switch name {
        case "mov,mp4,m4a,3gp,3g2,mj2":
            return format.metadata("major_brand")?.hasPrefix("qt") == true ? "mov" : "mp4"
        case "matroska,webm":
            return format.metadata("doctype") == "webm" ? "webm" : "mkv"
        default:
            return name.split(separator: ",").first.map(String.init) ?? name
        }
    }
}
