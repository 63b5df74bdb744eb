import Foundation
import MSKFiles

/// What a written US Multi-frame Image goes with: size, timing, calibration and identity.
public struct UltrasoundCineDescription: Sendable, Equatable {
    public var columns: Int
    public var rows: Int
    /// 1 (MONOCHROME2) or 3 (RGB, planar configuration 0).
    public var samplesPerPixel: Int
    public var frameCount: Int
    /// Frames per second; Frame Time (ms) and Cine Rate are derived from it.
    public var fps: Double
    /// The 2D tissue region (inclusive pixel bounds x0, y0, x1, y1) and its spacing in mm per pixel.
    public var region: (x0: Int, y0: Int, x1: Int, y1: Int)
    public var mmPerPixelX: Double
    public var mmPerPixelY: Double
    /// Patient ID (LO); nil writes it empty (type 2).
    public var patientID: String?
    /// Study Date as YYYYMMDD; nil writes it empty.
    public var studyDate: String?
    /// "R" or "L"; nil writes Laterality empty.
    public var laterality: String?
    public var studyDescription: String?
    public var seriesDescription: String?
    public var manufacturer: String
    public var modelName: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var sopInstanceUID: String

    public init(columns: Int, rows: Int, samplesPerPixel: Int, frameCount: Int, fps: Double,
                region: (x0: Int, y0: Int, x1: Int, y1: Int), mmPerPixelX: Double, mmPerPixelY: Double,
                patientID: String?, studyDate: String?, laterality: String?, studyDescription: String?,
                seriesDescription: String?, manufacturer: String, modelName: String,
                studyInstanceUID: String, seriesInstanceUID: String, sopInstanceUID: String) {
        self.columns = columns; self.rows = rows; self.samplesPerPixel = samplesPerPixel
        self.frameCount = frameCount; self.fps = fps; self.region = region
        self.mmPerPixelX = mmPerPixelX; self.mmPerPixelY = mmPerPixelY
        self.patientID = patientID; self.studyDate = studyDate; self.laterality = laterality
        self.studyDescription = studyDescription; self.seriesDescription = seriesDescription
        self.manufacturer = manufacturer; self.modelName = modelName
        self.studyInstanceUID = studyInstanceUID; self.seriesInstanceUID = seriesInstanceUID; self.sopInstanceUID = sopInstanceUID
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.columns == b.columns && a.rows == b.rows && a.samplesPerPixel == b.samplesPerPixel && a.frameCount == b.frameCount
            && a.fps == b.fps && a.region == b.region && a.mmPerPixelX == b.mmPerPixelX && a.mmPerPixelY == b.mmPerPixelY
            && a.patientID == b.patientID && a.studyDate == b.studyDate && a.laterality == b.laterality
            && a.studyDescription == b.studyDescription && a.seriesDescription == b.seriesDescription
            && a.manufacturer == b.manufacturer && a.modelName == b.modelName && a.studyInstanceUID == b.studyInstanceUID
            && a.seriesInstanceUID == b.seriesInstanceUID && a.sopInstanceUID == b.sopInstanceUID
    }

    /// Problems in words; empty when the description can be written.
    public func problems() -> [String] {
        var list: [String] = []
        if !(1...65535).contains(columns) || !(1...65535).contains(rows) { list.append("a \(columns)x\(rows) frame does not fit Rows/Columns (1...65535)") }
        if samplesPerPixel != 1 && samplesPerPixel != 3 { list.append("\(samplesPerPixel) samples per pixel (1 or 3 are written)") }
        if frameCount < 1 { list.append("\(frameCount) frames") }
        if !(fps > 0 && fps.isFinite) { list.append("frame rate \(fps)") }
        if !(mmPerPixelX > 0 && mmPerPixelY > 0 && mmPerPixelX.isFinite && mmPerPixelY.isFinite) { list.append("spacing must be positive") }
        if !(0 <= region.x0 && region.x0 <= region.x1 && region.x1 < columns && 0 <= region.y0 && region.y0 <= region.y1 && region.y1 < rows) {
            list.append("the region \(region) lies outside the \(columns)x\(rows) frame")
        }
        let bytes = UInt64(columns) * UInt64(rows) * UInt64(samplesPerPixel) * UInt64(max(frameCount, 0))
        if bytes >= 0xFFFF_FFFE { list.append("the pixel data (\(bytes) bytes) exceeds the 4 GiB a defined length can hold") }
        return list
    }
}

/// Why a DICOM file could not be written; `description` is one line.
public enum DICOMWriteError: Error, Equatable, CustomStringConvertible, Sendable {
    case badDescription(path: String, problems: [String])
    case cannotCreate(path: String, reason: String)
    case frameSizeMismatch(path: String, expected: Int, got: Int)
    case frameCountMismatch(path: String, expected: Int, got: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .badDescription(let p, let problems):
            return "cannot write '\(p)': \(problems.joined(separator: "; ")); change the clip's parameters"
        case .cannotCreate(let p, let reason):
            return "cannot write '\(p)': \(reason); check that the folder exists and is writable"
        case .frameSizeMismatch(let p, let expected, let got):
            return "cannot write '\(p)': a frame of \(got) bytes was given, the file holds frames of \(expected); give frames of one size"
        case .frameCountMismatch(let p, let expected, let got):
            return "cannot write '\(p)': Number of Frames is \(expected) but \(got) frames were given; write every frame before finishing"
        case .writeFailed(let p, let reason):
            return "cannot write '\(p)': \(reason); check free disk space and try again"
        }
    }
}

/// Writes an Ultrasound Multi-frame Image (SOP Class 1.2.840.10008.5.1.4.1.1.3.1) as DICOM Part 10,
/// Explicit VR Little Endian, native 8-bit MONOCHROME2 or RGB (planar configuration 0), with Frame
/// Time, Cine Rate, Number of Frames and a Sequence of Ultrasound Regions holding one 2D tissue
/// region in cm (PhysicalDeltaX/Y = mm / 10).
///
/// Frames are appended one at a time to a temporary file beside `path` (never the whole clip in
/// memory); `finish()` renames it into place once every frame announced is written. A writer dropped
/// unfinished removes its temporary file.
///
/// Not Sendable: one writer belongs to one task.
public final class DICOMWriter {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    public static let explicitVRLittleEndian = "1.2.840.10008.1.2.1"
    /// Implementation Class UID of MSKCine's writer (a UUID-derived 2.25 UID, fixed).
    public static let implementationClassUID = DICOMUID.derived(role: "implementation", values: [0x4D53_4B43_696E_6501])
    public static let implementationVersionName = "MSKCINE_1"

    public let path: String
    public let description: UltrasoundCineDescription
    private let temporaryPath: String
    private var handle: FileHandle?
    private var framesWritten = 0
    private var finished = false
    private let frameBytes: Int

    public init(path: String, description d: UltrasoundCineDescription) throws(DICOMWriteError) {
        self.path = path
        description = d
        let problems = d.problems()
        guard problems.isEmpty else { throw .badDescription(path: path, problems: problems) }
        frameBytes = d.columns * d.rows * d.samplesPerPixel
        temporaryPath = TemporaryName.beside(path)
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw .cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
        do {
            try handle.write(contentsOf: Self.header(d))
        } catch {
            abandon()
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    deinit { abandon() }

    /// Appends one frame: `columns * rows * samplesPerPixel` bytes, rows top to bottom (RGB interleaved).
    public func append(_ pixels: [UInt8]) throws(DICOMWriteError) {
        guard let handle, !finished else { throw .writeFailed(path: path, reason: "the writer is already finished") }
        guard pixels.count == frameBytes else { throw .frameSizeMismatch(path: path, expected: frameBytes, got: pixels.count) }
        guard framesWritten < description.frameCount else {
            throw .frameCountMismatch(path: path, expected: description.frameCount, got: framesWritten + 1)
        }
        do {
            try handle.write(contentsOf: pixels.withUnsafeBufferPointer { Data(buffer: $0) })
        } catch {
            abandon()
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
        framesWritten += 1
    }

    /// Pads the pixel data to even length, closes the file and renames it into place. Returns the frame count.
    @discardableResult
    public func finish() throws(DICOMWriteError) -> Int {
        guard let handle, !finished else { throw .writeFailed(path: path, reason: "the writer is already finished") }
        guard framesWritten == description.frameCount else {
            abandon()
            throw .frameCountMismatch(path: path, expected: description.frameCount, got: framesWritten)
        }
        do {
            if (frameBytes * framesWritten) % 2 == 1 { try handle.write(contentsOf: Data([0])) }
            try handle.synchronize()
            try handle.close()
        } catch {
            abandon()
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
        self.handle = nil
        do { try TemporaryName.commit(temporaryPath, to: path) } catch {
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
        finished = true
        return framesWritten
    }

    private func abandon() {
        guard !finished else { return }
        if let handle { try? handle.close() }
        handle = nil
        TemporaryName.discard(temporaryPath)
    }

    // MARK: Encoding (Explicit VR Little Endian)

    /// The 128-byte preamble, "DICM" and the file meta group (Explicit VR Little Endian) of an
    /// instance of `sopClassUID`: what every file this project writes starts with.
    static func preambleAndMeta(sopClassUID classUID: String, sopInstanceUID: String) -> Data {
        var meta = ElementEncoder()
        meta.add(0x0002, 0x0001, "OB", [0x00, 0x01])
        meta.ui(0x0002, 0x0002, classUID)
        meta.ui(0x0002, 0x0003, sopInstanceUID)
        meta.ui(0x0002, 0x0010, explicitVRLittleEndian)
        meta.ui(0x0002, 0x0012, implementationClassUID)
        meta.text(0x0002, 0x0013, "SH", implementationVersionName)
        var out = Data(count: 128)
        out.append(contentsOf: Array("DICM".utf8))
        var groupLength = ElementEncoder()
        groupLength.ul(0x0002, 0x0000, [UInt32(meta.bytes.count)])
        out.append(contentsOf: groupLength.bytes)
        out.append(contentsOf: meta.bytes)
        return out
    }

    /// Preamble, meta group and data set up to and including the Pixel Data element's header.
    static func header(_ d: UltrasoundCineDescription) -> Data {
        var out = preambleAndMeta(sopClassUID: sopClassUID, sopInstanceUID: d.sopInstanceUID)

        let frameTimeMs = 1000 / d.fps
        var ds = ElementEncoder()
        ds.text(0x0008, 0x0008, "CS", "DERIVED\\PRIMARY")
        ds.ui(0x0008, 0x0016, sopClassUID)
        ds.ui(0x0008, 0x0018, d.sopInstanceUID)
        ds.text(0x0008, 0x0020, "DA", d.studyDate ?? "")
        ds.text(0x0008, 0x0030, "TM", "")
        ds.text(0x0008, 0x0050, "SH", "")
        ds.text(0x0008, 0x0060, "CS", "US")
        ds.text(0x0008, 0x0070, "LO", d.manufacturer)
        ds.text(0x0008, 0x0090, "PN", "")
        if let s = d.studyDescription { ds.text(0x0008, 0x1030, "LO", s) }
        if let s = d.seriesDescription { ds.text(0x0008, 0x103E, "LO", s) }
        ds.text(0x0008, 0x1090, "LO", d.modelName)
        ds.text(0x0010, 0x0010, "PN", "")
        ds.text(0x0010, 0x0020, "LO", d.patientID ?? "")
        ds.text(0x0010, 0x0030, "DA", "")
        ds.text(0x0010, 0x0040, "CS", "")
        ds.text(0x0018, 0x0040, "IS", String(Int(d.fps.rounded())))
        ds.text(0x0018, 0x1063, "DS", DecimalString.format(frameTimeMs))
        var region = ElementEncoder()
        region.us(0x0018, 0x6012, [1])      // Region Spatial Format: 2D
        region.us(0x0018, 0x6014, [1])      // Region Data Type: tissue
        region.ul(0x0018, 0x6016, [0])      // Region Flags
        region.ul(0x0018, 0x6018, [UInt32(d.region.x0)])
        region.ul(0x0018, 0x601A, [UInt32(d.region.y0)])
        region.ul(0x0018, 0x601C, [UInt32(d.region.x1)])
        region.ul(0x0018, 0x601E, [UInt32(d.region.y1)])
        region.us(0x0018, 0x6024, [3])      // Physical Units X Direction: cm
        region.us(0x0018, 0x6026, [3])      // Physical Units Y Direction: cm
        region.fd(0x0018, 0x602C, [d.mmPerPixelX / 10])
        region.fd(0x0018, 0x602E, [d.mmPerPixelY / 10])
        ds.sequence(0x0018, 0x6011, items: [region.bytes])
        ds.ui(0x0020, 0x000D, d.studyInstanceUID)
        ds.ui(0x0020, 0x000E, d.seriesInstanceUID)
        ds.text(0x0020, 0x0010, "SH", "")
        ds.text(0x0020, 0x0011, "IS", "1")
        ds.text(0x0020, 0x0013, "IS", "1")
        ds.text(0x0020, 0x0020, "CS", "")
        ds.text(0x0020, 0x0060, "CS", d.laterality ?? "")
        ds.us(0x0028, 0x0002, [UInt16(d.samplesPerPixel)])
        ds.text(0x0028, 0x0004, "CS", d.samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
        if d.samplesPerPixel == 3 { ds.us(0x0028, 0x0006, [0]) }
        ds.text(0x0028, 0x0008, "IS", String(d.frameCount))
        ds.add(0x0028, 0x0009, "AT", [0x18, 0x00, 0x63, 0x10])  // Frame Increment Pointer: Frame Time
        ds.us(0x0028, 0x0010, [UInt16(d.rows)])
        ds.us(0x0028, 0x0011, [UInt16(d.columns)])
        ds.us(0x0028, 0x0100, [8])
        ds.us(0x0028, 0x0101, [8])
        ds.us(0x0028, 0x0102, [7])
        ds.us(0x0028, 0x0103, [0])
        ds.text(0x0028, 0x2110, "CS", "00")  // Lossy Image Compression: none
        let pixelBytes = d.columns * d.rows * d.samplesPerPixel * d.frameCount
        ds.longHeader(0x7FE0, 0x0010, "OB", UInt32(pixelBytes + pixelBytes % 2))
        out.append(contentsOf: ds.bytes)
        return out
    }
}

/// Explicit VR Little Endian element encoding (values padded to even length).
struct ElementEncoder {
    var bytes: [UInt8] = []
    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OW", "SQ", "UC", "UN", "UR", "UT"]

    mutating func tag(_ group: UInt16, _ element: UInt16) {
        append16(group); append16(element)
    }
    mutating func append16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func append32(_ v: UInt32) { bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }

    mutating func add(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8], pad: UInt8 = 0) {
        var value = value
        if value.count % 2 == 1 { value.append(pad) }
        tag(group, element)
        bytes += Array(vr.utf8)
        if Self.longVRs.contains(vr) {
            bytes += [0, 0]
            append32(UInt32(value.count))
        } else {
            append16(UInt16(value.count))
        }
        bytes += value
    }

    /// Element header with a long (4-byte) length and no value (the value follows separately).
    mutating func longHeader(_ group: UInt16, _ element: UInt16, _ vr: String, _ length: UInt32) {
        tag(group, element)
        bytes += Array(vr.utf8) + [0, 0]
        append32(length)
    }

    /// Text VRs: ASCII, padded with a space. Characters DICOM text may not hold are replaced by '_'.
    mutating func text(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: String) {
        let limit = ["CS": 16, "SH": 16, "LO": 64, "PN": 64, "DA": 8, "TM": 16, "IS": 12, "DS": 16][vr] ?? 64
        let clean = value.unicodeScalars.map { s -> UInt8 in
            s.isASCII && s.value >= 0x20 && s.value != 0x5C ? UInt8(s.value) : 0x5F
        }
        // Backslash is the value separator; keep the ones the caller meant (multi-valued CS).
        let raw = vr == "CS" && value.contains("\\") ? Array(value.utf8) : clean
        add(group, element, vr, Array(raw.prefix(limit * (vr == "CS" ? 4 : 1))), pad: 0x20)
    }

    mutating func ui(_ group: UInt16, _ element: UInt16, _ uid: String) { add(group, element, "UI", Array(uid.utf8), pad: 0) }
    mutating func us(_ group: UInt16, _ element: UInt16, _ values: [UInt16]) {
        var v: [UInt8] = []
        for x in values { v += [UInt8(x & 0xFF), UInt8(x >> 8)] }
        add(group, element, "US", v)
    }
    mutating func ul(_ group: UInt16, _ element: UInt16, _ values: [UInt32]) {
        var e = ElementEncoder()
        for x in values { e.append32(x) }
        add(group, element, "UL", e.bytes)
    }
    mutating func fd(_ group: UInt16, _ element: UInt16, _ values: [Double]) {
        var v: [UInt8] = []
        for x in values { withUnsafeBytes(of: x.bitPattern.littleEndian) { v += $0 } }
        add(group, element, "FD", v)
    }
    /// A sequence of defined length whose items (already encoded data sets) have defined lengths.
    mutating func sequence(_ group: UInt16, _ element: UInt16, items: [[UInt8]]) {
        var body = ElementEncoder()
        for item in items {
            body.tag(0xFFFE, 0xE000)
            body.append32(UInt32(item.count))
            body.bytes += item
        }
        add(group, element, "SQ", body.bytes)
    }
}

/// DS text: at most 16 characters, shortest form that round-trips where it fits.
enum DecimalString {
    static func format(_ value: Double) -> String {
        let plain = "\(value)"
        if plain.count <= 16 && !plain.contains("e") { return plain }
        for digits in stride(from: 15, through: 1, by: -1) {
            let s = String(format: "%.\(digits)g", value)
            if s.count <= 16 { return s }
        }
        return "0"
    }
}

/// UIDs derived deterministically from numbers (a simulation's seeds): `2.25.` followed by the
/// decimal value of a 128-bit name-based UUID (version 8, RFC 9562), as PS3.5 B.2 allows.
public enum DICOMUID {
    public static let root = "2.25"

    /// The UID for `role` ("study", "series", "sop", ...) and `values`; the same inputs give the same UID.
    public static func derived(role: String, values: [UInt64]) -> String {
        var h1: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in role.utf8 { h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var h2 = splitMix(h1 ^ 0x9E37_79B9_7F4A_7C15)
        for v in values {
            h1 = splitMix(h1 ^ v)
            h2 = splitMix(h2 &+ v &+ 0x632B_E59B_D9B4_E019)
        }
        // Version 8 in the high nibble of byte 6, variant 10 in the top bits of byte 8.
        let hi = (h1 & ~0x0000_0000_0000_F000) | 0x0000_0000_0000_8000
        let lo = (h2 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return root + "." + decimal(hi: hi, lo: lo)
    }

    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The decimal digits of the 128-bit number hi * 2^64 + lo.
    static func decimal(hi: UInt64, lo: UInt64) -> String {
        var h = hi, l = lo
        var digits: [UInt8] = []
        repeat {
            let (qh, rh) = h.quotientAndRemainder(dividingBy: 10)
            let (ql, rl) = UInt64(10).dividingFullWidth((high: rh, low: l))
            h = qh; l = ql
            digits.append(UInt8(rl) + 0x30)
        } while h != 0 || l != 0
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
