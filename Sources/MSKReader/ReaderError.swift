import MSKDICOM

/// Why a clip could not be read. Every case names the file; `description` is one line saying
/// what failed, on which file, and what to do.
public enum ReaderError: Error, Equatable, CustomStringConvertible, Sendable {
    case fileNotFound(path: String)
    case notAFile(path: String)
    case emptyFile(path: String)
    case unreadable(path: String, reason: String)
    case notAVideo(path: String, reason: String)
    case noVideoStream(path: String, streams: String)
    case unsupportedCodec(path: String, codec: String)
    case frameTooLarge(path: String, width: Int, height: Int, limit: Int)
    case noFramesDecoded(path: String, reason: String)
    case decodingFailed(path: String, frameIndex: Int, reason: String)
    /// A DICOM file that cannot be parsed or decoded; the DICOM error says what and where.
    case dicom(DICOMError)

    public var path: String {
        switch self {
        case .fileNotFound(let p), .notAFile(let p), .emptyFile(let p), .unreadable(let p, _),
             .notAVideo(let p, _), .noVideoStream(let p, _), .unsupportedCodec(let p, _),
             .frameTooLarge(let p, _, _, _), .noFramesDecoded(let p, _), .decodingFailed(let p, _, _):
            return p
        case .dicom(let error):
            return error.path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "cannot read '\(p)': no such file; check the path"
        case .notAFile(let p):
            return "cannot read '\(p)': it is a directory, not a clip; name a video or DICOM file"
        case .emptyFile(let p):
            return "cannot read '\(p)': the file is empty (0 bytes); copy or export the clip again"
        case .unreadable(let p, let reason):
            return "cannot read '\(p)': \(reason); check the file's permissions"
        case .notAVideo(let p, let reason):
            return "cannot read '\(p)': not a video FFmpeg recognises (\(reason)); export the clip as MP4, AVI, MOV or MKV, or export it again if it was cut short"
        case .noVideoStream(let p, let streams):
            return "cannot read '\(p)': it has no video stream (\(streams)); give a clip with a video track"
        case .unsupportedCodec(let p, let codec):
            return "cannot read '\(p)': its video codec '\(codec)' has no decoder in this FFmpeg; re-encode it as H.264 or FFV1"
        case .frameTooLarge(let p, let w, let h, let limit):
            return "cannot read '\(p)': its frame size \(w)x\(h) exceeds the \(limit)x\(limit) limit (the header is likely corrupt); export the clip again"
        case .noFramesDecoded(let p, let reason):
            return "cannot read '\(p)': no frame could be decoded (\(reason)); the file is corrupt or cut short, export it again"
        case .decodingFailed(let p, let index, let reason):
            return "cannot read '\(p)': decoding failed at frame \(index) (\(reason)); the file is corrupt, export it again"
        case .dicom(let error):
            return error.description
        }
    }
}
