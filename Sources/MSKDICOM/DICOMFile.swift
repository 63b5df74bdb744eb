import Foundation

/// Options for opening a DICOM file.
public struct DICOMOptions: Sendable {
    /// Read Patient's Name and Birth Date into the metadata. Off by default: they are never
    /// read unless asked, so they cannot leak into reports.
    public var includePatientNameAndBirthDate: Bool
    /// Largest rows or columns accepted; larger is taken as a corrupt header.
    public var maxDimension: Int
    public var limits: ParserLimits

    public init(includePatientNameAndBirthDate: Bool = false, maxDimension: Int = 16_384, limits: ParserLimits = ParserLimits()) {
        self.includePatientNameAndBirthDate = includePatientNameAndBirthDate
        self.maxDimension = maxDimension
        self.limits = limits
    }
}

/// A parsed DICOM Part 10 file (or raw data set). The file is memory-mapped and pixel data is
/// kept as offsets into it: nothing is decoded until a frame is asked for.
public final class DICOMFile: Sendable {
    public let path: String
    /// File meta information (group 0002); empty for a raw data set without meta group.
    public let meta: DataSet
    /// The main data set.
    public let dataSet: DataSet
    public let transferSyntax: TransferSyntax
    /// Non-fatal problems met while parsing.
    public let warnings: [String]

    /// Opens and parses `path`. Throws `DICOMError` for anything unreadable, malformed or unsupported.
    public convenience init(path: String, options: DICOMOptions = DICOMOptions()) throws(DICOMError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let ns = error as NSError
            let reason = ns.code == NSFileReadNoSuchFileError ? "no such file" : (ns.localizedFailureReason ?? ns.localizedDescription)
            throw .unreadable(path: path, reason: reason)
        }
        try self.init(data: data, path: path, options: options)
    }

    /// Parses DICOM bytes already in memory (`path` names them in errors).
    public init(data: Data, path: String, options: DICOMOptions = DICOMOptions()) throws(DICOMError) {
        self.path = path
        var warnings: [String] = []
        let fileBuffer = ValueBuffer(data: data, bigEndian: false)
        let result: Result<(DataSet, Int, String?), DICOMError> = data.withUnsafeBytes { raw in
            Result { () throws(DICOMError) -> (DataSet, Int, String?) in
                try DICOMFile.parseMeta(raw, buffer: fileBuffer, path: path, limits: options.limits)
            }
        }
        let (meta, datasetStart, uid) = try result.get()
        self.meta = meta
        let syntax: TransferSyntax
        if let uid {
            guard let known = TransferSyntax.supported[uid] else {
                throw .unsupportedTransferSyntax(path: path, uid: uid, name: TransferSyntax.name(of: uid))
            }
            syntax = known
        } else {
            // A raw data set without meta group: guess explicit or implicit VR little endian from
            // whether the first element's bytes 4-5 look like a VR.
            let explicit = data.count >= 6 && (0x41...0x5A).contains(data[data.startIndex + 4]) && (0x41...0x5A).contains(data[data.startIndex + 5])
            syntax = TransferSyntax.supported[explicit ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2"]!
            warnings.append("no file meta information: read as a raw \(syntax.name) data set")
        }
        transferSyntax = syntax

        let setBuffer: ValueBuffer
        var reportOffset = 0
        if syntax.deflated {
            let inflated: Result<[UInt8], Inflate.Failure> = data.withUnsafeBytes { raw in
                Result { () throws(Inflate.Failure) -> [UInt8] in
                    try Inflate.inflate(UnsafeRawBufferPointer(rebasing: raw[datasetStart...]), limit: options.limits.maxInflatedBytes)
                }
            }
            let bytes: [UInt8]
            switch inflated {
            case .success(let b): bytes = b
            case .failure(let error):
                let reason: String
                switch error {
                case .truncated: reason = "the deflate stream ends early"
                case .invalid(let r): reason = r
                case .tooLarge(let limit): reason = "it inflates to more than \(limit) bytes"
                }
                throw .inflateFailed(path: path, reason: reason)
            }
            setBuffer = ValueBuffer(data: Data(bytes), bigEndian: false)
        } else {
            setBuffer = ValueBuffer(data: data, bigEndian: syntax.bigEndian)
            reportOffset = 0
        }
        let start = syntax.deflated ? 0 : datasetStart
        let parsed: Result<DataSet, DICOMError> = setBuffer.data.withUnsafeBytes { raw in
            Result { () throws(DICOMError) -> DataSet in
                var parser = Parser(bytes: raw, buffer: setBuffer, explicitVR: syntax.explicitVR, bigEndian: syntax.bigEndian,
                                    path: path, limits: options.limits)
                parser.reportOffset = reportOffset
                return try parser.parseDataSet(from: start, to: raw.count, depth: 0).0
            }
        }
        dataSet = try parsed.get()
        self.warnings = warnings
    }

    /// Reads the preamble, "DICM" and the meta group. Returns the meta data set, where the main
    /// data set starts, and the transfer syntax UID (nil for a raw data set).
    static func parseMeta(_ raw: UnsafeRawBufferPointer, buffer: ValueBuffer, path: String,
                          limits: ParserLimits) throws(DICOMError) -> (DataSet, Int, String?) {
        let hasPreamble = raw.count >= 132 && raw[128] == 0x44 && raw[129] == 0x49 && raw[130] == 0x43 && raw[131] == 0x4D
        let metaStart: Int
        if hasPreamble {
            metaStart = 132
        } else if raw.count >= 8, raw[0] == 0x02, raw[1] == 0x00 {
            metaStart = 0 // meta group without preamble
        } else if raw.count >= 8, raw[1] == 0x00, [0x08, 0x10, 0x18, 0x20, 0x28].contains(raw[0]) {
            return (DataSet(buffer: buffer), 0, nil) // raw data set starting with a known group
        } else {
            throw .notDICOM(path: path, reason: raw.count < 132 ? "the file is too short to be DICOM (\(raw.count) bytes)" : "no 'DICM' marker at byte 128")
        }
        var parser = Parser(bytes: raw, buffer: buffer, explicitVR: true, bigEndian: false, path: path, limits: limits)
        var end = raw.count
        // The group length (0002,0000), when present and sane, bounds the meta group.
        if raw.count - metaStart >= 12, parser.u16(metaStart) == 2, parser.u16(metaStart + 2) == 0,
           raw[metaStart + 4] == 0x55, raw[metaStart + 5] == 0x4C, parser.u16(metaStart + 6) == 4 {
            let groupLength = Int(parser.u32(metaStart + 8))
            let groupEnd = metaStart + 12 + groupLength
            if groupEnd <= raw.count { end = groupEnd }
        }
        let (meta, next) = try parser.parseDataSet(from: metaStart, to: end, depth: 0, onlyGroup: 2)
        guard let uid = meta.string(Tag(0x0002, 0x0010)), !uid.isEmpty else {
            throw .notDICOM(path: path, reason: "the file meta information has no Transfer Syntax UID (0002,0010)")
        }
        return (meta, next, uid)
    }

    /// Non-fatal problems met while parsing.
}
