/// Why a video or image could not be written. `description` is one line: what failed, which
/// file, and what to do.
public enum WriterError: Error, Equatable, CustomStringConvertible, Sendable {
    case cannotCreate(path: String, reason: String)
    case encoderUnavailable(path: String, codec: String)
    case unsupportedSize(path: String, width: Int, height: Int, reason: String)
    case frameSizeMismatch(path: String, expected: String, got: String)
    case encodingFailed(path: String, frameIndex: Int, reason: String)
    case alreadyFinished(path: String)

    public var path: String {
        switch self {
        case .cannotCreate(let p, _), .encoderUnavailable(let p, _), .unsupportedSize(let p, _, _, _),
             .frameSizeMismatch(let p, _, _), .encodingFailed(let p, _, _), .alreadyFinished(let p):
            return p
        }
    }

    public var description: String {
        switch self {
        case .cannotCreate(let p, let reason):
            return "cannot write '\(p)': \(reason); check that the folder exists and is writable"
        case .encoderUnavailable(let p, let codec):
            return "cannot write '\(p)': this FFmpeg has no \(codec) encoder; choose another codec (ffv1 is always built in)"
        case .unsupportedSize(let p, let w, let h, let reason):
            return "cannot write '\(p)': a \(w)x\(h) frame \(reason); use even sizes or the ffv1 codec"
        case .frameSizeMismatch(let p, let expected, let got):
            return "cannot write '\(p)': the clip is \(expected) but a frame of \(got) was given; give frames of one size"
        case .encodingFailed(let p, let index, let reason):
            return "cannot write '\(p)': encoding failed at frame \(index) (\(reason)); check free disk space and try again"
        case .alreadyFinished(let p):
            return "cannot write '\(p)': the clip is already finished; open a new writer"
        }
    }
}
