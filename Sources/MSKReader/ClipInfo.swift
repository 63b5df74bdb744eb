import MSKDICOM
import MSKImage

/// What a clip is, as read from its header (no full decode).
public struct ClipInfo: Sendable, Codable, Equatable {
    /// The path the clip was opened from.
    public var path: String
    /// Short container name: "mp4", "mov", "avi", "matroska", "gif", ...
    public var container: String
    /// FFmpeg's long name of the container format.
    public var containerLongName: String
    /// Codec name, FFmpeg's short name: "h264", "hevc", "mpeg4", "mjpeg", "ffv1", ...
    public var codec: String
    /// Displayed width in pixels (after the rotation tag is applied).
    public var width: Int
    /// Displayed height in pixels (after the rotation tag is applied).
    public var height: Int
    /// Coded pixel format, FFmpeg's name ("yuv420p", "yuv422p10le", "pal8", ...).
    public var pixelFormat: String
    /// Average frame rate in frames per second, if the container states one.
    public var fps: Double?
    /// Frame count from the container header, where it states one (not a decode count).
    public var frameCount: Int?
    /// Duration in seconds, where known.
    public var durationS: Double?
    /// Presentation time of the first frame, in seconds, where known.
    public var startTimeS: Double?
    /// Clockwise rotation the file asks a player to apply (0, 90, 180, 270); frames come out rotated.
    public var rotationDegrees: Int
    /// Calibration the file itself gives (DICOM), nil for video and uncalibrated DICOM.
    public var calibration: ClipCalibration?
    /// Patient and study identity, for DICOM files (nil for video).
    public var dicom: DICOMIdentity?

    public init(path: String, container: String, containerLongName: String, codec: String,
                width: Int, height: Int, pixelFormat: String, fps: Double?, frameCount: Int?,
                durationS: Double?, startTimeS: Double?, rotationDegrees: Int,
                calibration: ClipCalibration? = nil, dicom: DICOMIdentity? = nil) {
        self.path = path
        self.container = container
        self.containerLongName = containerLongName
        self.codec = codec
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.fps = fps
        self.frameCount = frameCount
        self.durationS = durationS
        self.startTimeS = startTimeS
        self.rotationDegrees = rotationDegrees
        self.calibration = calibration
        self.dicom = dicom
    }
}

/// Millimetres per pixel for a clip, and where they came from.
public struct ClipCalibration: Sendable, Codable, Equatable {
    /// [x, y], mm per pixel.
    public var mmPerPixel: [Double]
    /// "dicom" (from the file) or "cli" (from --mm-per-pixel), as in the result document.
    public var source: String
    /// Which part of the file: "dicom-us-region" (Sequence of Ultrasound Regions) or "dicom-pixel-spacing".
    public var detail: String?
    /// The calibrated 2D tissue region's bounds (the imaging region), where the file gives them.
    public var region: PixelRect?

    public init(mmPerPixel: [Double], source: String, detail: String? = nil, region: PixelRect? = nil) {
        self.mmPerPixel = mmPerPixel
        self.source = source
        self.detail = detail
        self.region = region
    }
}

/// One decoded frame: its 0-based decode (presentation) index, time, and pixels.
public struct Frame: Sendable {
    /// 0-based index in presentation order (the order frames come out of the decoder).
    public let index: Int
    /// Presentation time in seconds, on the container's clock (as ffprobe's
    /// `best_effort_timestamp_time`); synthesised from the frame rate where the file has none.
    public let timeS: Double
    /// True when the file gave no timestamp for this frame and `timeS` was synthesised.
    public let timeIsSynthesised: Bool
    /// 8-bit grey (luma as the ffmpeg command line's `-pix_fmt gray` gives it).
    public let grey: GreyImage
    /// RGB24, present when the reader was asked for it.
    public let rgb: RGBImage?

    public init(index: Int, timeS: Double, timeIsSynthesised: Bool = false, grey: GreyImage, rgb: RGBImage? = nil) {
        self.index = index
        self.timeS = timeS
        self.timeIsSynthesised = timeIsSynthesised
        self.grey = grey
        self.rgb = rgb
    }
}

/// What a full decode found: the true frame count and the time span.
public struct FrameCount: Sendable, Codable, Equatable {
    public var frameCount: Int
    public var firstTimeS: Double?
    public var lastTimeS: Double?
    public var warnings: [String]

    public init(frameCount: Int, firstTimeS: Double?, lastTimeS: Double?, warnings: [String]) {
        self.frameCount = frameCount
        self.firstTimeS = firstTimeS
        self.lastTimeS = lastTimeS
        self.warnings = warnings
    }
}

/// A source of frames, one at a time (video files now, DICOM later). Never holds the whole clip.
public protocol FrameSource: AnyObject {
    var info: ClipInfo { get }
    /// Non-fatal problems met so far (a file cut mid-stream, corrupt packets skipped).
    var warnings: [String] { get }
    /// The next frame, or nil at the end of the clip.
    func nextFrame() throws(ReaderError) -> Frame?
}

extension FrameSource {
    /// Decodes the rest of the clip, counting frames and noting the first and last times.
    public func countFrames() throws(ReaderError) -> FrameCount {
        var count = 0
        var first: Double?, last: Double?
        while let frame = try nextFrame() {
            if first == nil { first = frame.timeS }
            last = frame.timeS
            count += 1
        }
        return FrameCount(frameCount: count, firstTimeS: first, lastTimeS: last, warnings: warnings)
    }
}
