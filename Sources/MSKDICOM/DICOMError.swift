/// Why a DICOM file could not be read or decoded. Every case names the file; `description` is
/// one line saying what failed, on which file, and what to do.
public enum DICOMError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No file at the path, or it could not be opened or mapped.
    case unreadable(path: String, reason: String)
    /// Not DICOM at all (no "DICM" at offset 128 and no recognisable raw data set).
    case notDICOM(path: String, reason: String)
    /// The file ends inside an element, item or fragment.
    case truncated(path: String, offset: Int, what: String)
    /// The structure is invalid: a length beyond the remaining bytes, an unknown VR, a bad item.
    case malformed(path: String, offset: Int, reason: String)
    /// Sequences nested deeper than the parser allows (a hostile or broken file).
    case nestingTooDeep(path: String, offset: Int, limit: Int)
    /// A transfer syntax this reader cannot decode.
    case unsupportedTransferSyntax(path: String, uid: String, name: String)
    /// The deflated data set could not be inflated.
    case inflateFailed(path: String, reason: String)
    /// The file holds no Pixel Data (7FE0,0010).
    case noPixelData(path: String)
    /// The image pixel module is missing, inconsistent or unsupported (rows, bits, photometric...).
    case unsupportedImage(path: String, reason: String)
    /// A frame's bytes could not be decoded (short pixel data, corrupt RLE, bad LUT index...).
    case frameDecodingFailed(path: String, frame: Int, reason: String)

    public var path: String {
        switch self {
        case .unreadable(let p, _), .notDICOM(let p, _), .truncated(let p, _, _), .malformed(let p, _, _),
             .nestingTooDeep(let p, _, _), .unsupportedTransferSyntax(let p, _, _), .inflateFailed(let p, _),
             .noPixelData(let p), .unsupportedImage(let p, _), .frameDecodingFailed(let p, _, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let p, let reason):
            return "cannot read DICOM '\(p)': \(reason); check the path and the file's permissions"
        case .notDICOM(let p, let reason):
            return "cannot read '\(p)' as DICOM: \(reason); give a DICOM Part 10 file or a video"
        case .truncated(let p, let offset, let what):
            return "cannot read DICOM '\(p)': the file ends inside \(what) at byte \(offset); it was cut short, export or copy it again"
        case .malformed(let p, let offset, let reason):
            return "cannot read DICOM '\(p)': \(reason) at byte \(offset); the file is corrupt, export it again"
        case .nestingTooDeep(let p, let offset, let limit):
            return "cannot read DICOM '\(p)': sequences nest deeper than \(limit) levels at byte \(offset); the file is corrupt or hostile, export it again"
        case .unsupportedTransferSyntax(let p, let uid, let name):
            return "cannot read DICOM '\(p)': transfer syntax \(uid) (\(name)) is not supported; export it uncompressed, RLE, JPEG or H.264"
        case .inflateFailed(let p, let reason):
            return "cannot read DICOM '\(p)': its deflated data set cannot be inflated (\(reason)); the file is corrupt, export it again"
        case .noPixelData(let p):
            return "cannot read DICOM '\(p)': it holds no pixel data (7FE0,0010); give an image or cine object, not a report or structured document"
        case .unsupportedImage(let p, let reason):
            return "cannot read DICOM '\(p)': \(reason); export the clip again as grey, RGB or palette colour, 8 or 16 bit"
        case .frameDecodingFailed(let p, let frame, let reason):
            return "cannot read DICOM '\(p)': frame \(frame) cannot be decoded (\(reason)); the file is corrupt, export it again"
        }
    }
}
