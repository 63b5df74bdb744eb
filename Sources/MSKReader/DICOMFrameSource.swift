import CFFmpeg
import MSKFFmpeg
import Foundation
import MSKDICOM
import MSKImage

/// Streams the frames of a DICOM file (parsed by MSKDICOM), one at a time, as `Frame`s with the
/// same grey and RGB conventions as `VideoReader`: 8-bit monochrome is passed through as stored,
/// colour is converted to grey by the same libswscale path as video (`-pix_fmt gray`), and
/// compressed frames are decoded by libavcodec (MJPEG for JPEG Baseline/Extended/Lossless,
/// JPEG-LS, JPEG 2000; H.264, HEVC and MPEG-2 for the video transfer syntaxes).
///
/// Frame times come from Frame Time, Frame Time Vector, Cine Rate or Recommended Display Frame
/// Rate (`timeIsSynthesised` when none is given and 25 fps is assumed).
///
/// Not Sendable: one source belongs to one task.
public final class DICOMFrameSource: FrameSource {
    public let info: ClipInfo
    public private(set) var warnings: [String]
    /// The parsed file, for callers that want more than `info` gives.
    public let file: DICOMFile
    public let module: PixelModule
    public let timing: FrameTiming

    private let path: String
    private let wantRGB: Bool
    private let codec: ImageCodec?
    private var nextIndex = 0

    /// Opens and parses `path`. Throws `ReaderError.dicom` for anything unreadable, malformed or
    /// unsupported (the message names the file and what to do).
    public init(path: String, options: ReaderOptions = ReaderOptions(), dicomOptions: DICOMOptions = DICOMOptions()) throws(ReaderError) {
        self.path = path
        wantRGB = options.wantRGB
        FFmpegLogging.quietUnlessChosen()
        var dicomOptions = dicomOptions
        dicomOptions.maxDimension = min(dicomOptions.maxDimension, options.maxDimension)
        do {
            file = try DICOMFile(path: path, options: dicomOptions)
            let (module, moduleWarnings) = try file.pixelModule(maxDimension: dicomOptions.maxDimension)
            self.module = module
            warnings = file.warnings + moduleWarnings
        } catch {
            throw .dicom(error)
        }
        let syntax = file.transferSyntax
        let codecID: AVCodecID?
        switch syntax.compression {
        case .none, .rle: codecID = nil
        case .jpeg, .jpegLossless: codecID = AV_CODEC_ID_MJPEG
        case .jpegLS: codecID = AV_CODEC_ID_JPEGLS
        case .jpeg2000: codecID = AV_CODEC_ID_JPEG2000
        case .h264: codecID = AV_CODEC_ID_H264
        case .hevc: codecID = AV_CODEC_ID_HEVC
        case .mpeg2: codecID = AV_CODEC_ID_MPEG2VIDEO
        }
        if let codecID {
            do {
                let c = try ImageCodec(codecID: codecID, stream: syntax.isVideo)
                if let stream = file.videoStreamBytes(module: module) { c.startStream(stream) }
                codec = c
            } catch {
                throw .unsupportedCodec(path: path, codec: "\(syntax.name): \(error.message)")
            }
        } else {
            codec = nil
        }
        timing = file.frameTiming(frameCount: module.frameCount)
        let (calibration, notes) = file.calibration(columns: module.columns, rows: module.rows)
        warnings += notes
        let identity = file.identity(includePatientNameAndBirthDate: dicomOptions.includePatientNameAndBirthDate)
        let frames = module.frameCount
        info = ClipInfo(
            path: path, container: "dicom", containerLongName: "DICOM Part 10 (\(syntax.name))",
            codec: syntax.shortName, width: module.columns, height: module.rows,
            pixelFormat: DICOMFrameSource.pixelFormatName(module),
            fps: timing.source == .assumed ? nil : timing.fps,
            frameCount: frames,
            durationS: timing.source == .assumed ? nil : timing.time(ofFrame: frames - 1) + timing.frameIntervalS,
            startTimeS: 0, rotationDegrees: 0,
            calibration: calibration.map {
                ClipCalibration(mmPerPixel: $0.mmPerPixel, source: "dicom", detail: $0.source.rawValue, region: $0.region)
            },
            dicom: identity)
    }

    /// The next frame in file order, or nil after the last.
    public func nextFrame() throws(ReaderError) -> Frame? {
        let index = nextIndex
        let images: (GreyImage, RGBImage?)
        if file.transferSyntax.isVideo {
            guard let codec else { return nil }
            do {
                guard try codec.nextStreamPicture() else {
                    if index == 0 { throw ReaderError.noFramesDecoded(path: path, reason: "the \(codec.codecName) stream holds no picture") }
                    return nil
                }
                images = try codec.convertPicture(wantRGB: wantRGB)
            } catch let error as ReaderError {
                throw error
            } catch let error as FFmpegError {
                throw .decodingFailed(path: path, frameIndex: index, reason: error.description)
            } catch {
                throw .decodingFailed(path: path, frameIndex: index, reason: "\(error)")
            }
        } else {
            guard index < module.frameCount else { return nil }
            images = try decodeStillFrame(index)
        }
        guard images.0.width == module.columns, images.0.height == module.rows else {
            throw .decodingFailed(path: path, frameIndex: index,
                                  reason: "the decoded frame is \(images.0.width)x\(images.0.height), the header says \(module.columns)x\(module.rows)")
        }
        nextIndex += 1
        return Frame(index: index, timeS: timing.time(ofFrame: index), timeIsSynthesised: timing.source == .assumed,
                     grey: images.0, rgb: images.1)
    }

    private func decodeStillFrame(_ index: Int) throws(ReaderError) -> (GreyImage, RGBImage?) {
        let m = module
        if let codec {
            do {
                try codec.decodePicture(try file.compressedFrameBytes(index, module: m))
                return try codec.convertPicture(wantRGB: wantRGB)
            } catch let error as DICOMError {
                throw .dicom(error)
            } catch let error as FFmpegError {
                throw .decodingFailed(path: path, frameIndex: index, reason: error.description)
            } catch {
                throw .decodingFailed(path: path, frameIndex: index, reason: "\(error)")
            }
        }
        let raw: RawFrame
        do {
            raw = try file.rawFrame(index, module: m)
        } catch {
            throw .dicom(error)
        }
        let width = m.columns, height = m.rows
        if let grey = DisplayConversion.grey8(raw, module: m) {
            let image = GreyImage(width: width, height: height, pixels: grey)
            var rgb: RGBImage?
            if wantRGB {
                var bytes = [UInt8](repeating: 0, count: 3 * grey.count)
                for i in grey.indices { bytes[3 * i] = grey[i]; bytes[3 * i + 1] = grey[i]; bytes[3 * i + 2] = grey[i] }
                rgb = RGBImage(width: width, height: height, pixels: bytes)
            }
            return (image, rgb)
        }
        guard let rgbBytes = DisplayConversion.rgb8(raw, module: m) else {
            throw .dicom(.unsupportedImage(path: path, reason: "photometric interpretation '\(m.photometric)' cannot be shown as 8-bit grey or RGB"))
        }
        let rgb = RGBImage(width: width, height: height, pixels: rgbBytes)
        let grey: GreyImage
        if m.photometric.hasPrefix("YBR"), case .uint8(let ybr) = raw.samples {
            // Luma is the grey image, as for JPEG-coded YBR (and `-pix_fmt gray` from yuvj).
            grey = GreyImage(width: width, height: height) { buffer in
                for p in 0..<(width * height) { buffer[p] = ybr[3 * p] }
            }
        } else {
            do {
                grey = try rgbToGrey.grey(fromRGB24: rgbBytes, width: width, height: height)
            } catch {
                throw .decodingFailed(path: path, frameIndex: index, reason: error.description)
            }
        }
        return (grey, wantRGB ? rgb : nil)
    }

    /// Made on the first RGB frame that needs it.
    private lazy var rgbToGrey = PackedConverter()

    static func pixelFormatName(_ m: PixelModule) -> String {
        var name = m.photometric.lowercased().replacingOccurrences(of: " ", with: "_")
        name += m.samplesPerPixel == 3 ? (m.planarConfiguration == 1 ? " planar" : "") : ""
        return "\(name) \(m.bitsStored)/\(m.bitsAllocated)-bit"
    }
}

/// Converts packed RGB24 pixels to grey through libswscale (the `-pix_fmt gray` path of video).
final class PackedConverter {
    private let greyScaler = Scaler(output: AV_PIX_FMT_GRAY8)

    /// `bytes` is read in place (libswscale only reads its source), not copied.
    func grey(fromRGB24 bytes: [UInt8], width: Int, height: Int) throws(FFmpegError) -> GreyImage {
        let holder = try DecodedPicture()
        do {
            return try bytes.withUnsafeBufferPointer { buf in
                holder.pointer.pointee.width = Int32(width)
                holder.pointer.pointee.height = Int32(height)
                holder.pointer.pointee.format = AV_PIX_FMT_RGB24.rawValue
                holder.pointer.pointee.data.0 = UnsafeMutablePointer(mutating: buf.baseAddress)
                holder.pointer.pointee.linesize.0 = Int32(width * 3)
                defer { holder.pointer.pointee.data.0 = nil }
                return try GreyImage(width: width, height: height) { out throws(FFmpegError) in
                    try greyScaler.convert(holder, into: out)
                }
            }
        } catch let error as FFmpegError {
            throw error
        } catch {
            throw FFmpegError(operation: "convert pixels", code: mskc_error_invaliddata())
        }
    }
}

/// Options for `openClip`.
public struct ClipOptions: Sendable {
    public var reader: ReaderOptions
    public var dicom: DICOMOptions
    public init(reader: ReaderOptions = ReaderOptions(), dicom: DICOMOptions = DICOMOptions()) {
        self.reader = reader
        self.dicom = dicom
    }
}

/// Opens a clip, choosing the source by content: a DICOM file ("DICM" at byte 128, or a meta
/// group at byte 0) gets a `DICOMFrameSource`, anything else a `VideoReader`.
public func openClip(path: String, options: ClipOptions = ClipOptions()) throws(ReaderError) -> any FrameSource {
    if ClipKind.isDICOM(path: path) {
        return try DICOMFrameSource(path: path, options: options.reader, dicomOptions: options.dicom)
    }
    return try VideoReader(path: path, options: options.reader)
}

/// Content sniffing for `openClip`.
public enum ClipKind {
    /// True when the file starts like DICOM Part 10: "DICM" at byte 128, or a group-2 element at byte 0.
    public static func isDICOM(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132) else { return false }
        let bytes = [UInt8](head)
        if bytes.count >= 132, bytes[128..<132].elementsEqual(Array("DICM".utf8)) { return true }
        // A meta group without preamble: (0002,xxxx) followed by an explicit VR.
        return bytes.count >= 8 && bytes[0] == 0x02 && bytes[1] == 0x00 && bytes[3] == 0x00
            && (0x41...0x5A).contains(bytes[4]) && (0x41...0x5A).contains(bytes[5])
    }
}
