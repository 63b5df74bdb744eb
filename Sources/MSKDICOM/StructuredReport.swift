import Foundation

/// A coded concept: code value, coding scheme designator, code meaning (PS3.3 8.8).
public struct SRCode: Sendable, Equatable {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }
}

/// One numeric measurement of a report: its coded name, its value and its UCUM unit.
public struct SRMeasurement: Sendable, Equatable {
    public var concept: SRCode
    public var value: Double
    /// A UCUM unit code, e.g. `SRCode("mm", "UCUM", "millimeter")`.
    public var unit: SRCode

    public init(concept: SRCode, value: Double, unit: SRCode) {
        self.concept = concept
        self.value = value
        self.unit = unit
    }
}

/// What a Comprehensive SR of one analysis holds: the study and patient it belongs to (the
/// source's), the source instance it references, the finding, its confidence, the measurements
/// and the evidence as text. Patient names and birth dates are never written.
public struct StructuredReportContent: Sendable, Equatable {
    public var studyInstanceUID: String
    public var patientID: String?
    /// YYYYMMDD.
    public var studyDate: String?
    public var sourceSOPClassUID: String
    public var sourceSOPInstanceUID: String
    public var sourceSeriesInstanceUID: String
    public var seriesInstanceUID: String
    public var sopInstanceUID: String
    /// YYYYMMDD and HHMMSS of the analysis.
    public var contentDate: String
    public var contentTime: String
    public var finding: SRCode
    public var confidence: Double
    public var measurements: [SRMeasurement]
    public var evidence: [String]
    public var softwareVersion: String

    public init(studyInstanceUID: String, patientID: String?, studyDate: String?, sourceSOPClassUID: String,
                sourceSOPInstanceUID: String, sourceSeriesInstanceUID: String, seriesInstanceUID: String, sopInstanceUID: String,
                contentDate: String, contentTime: String, finding: SRCode, confidence: Double, measurements: [SRMeasurement],
                evidence: [String], softwareVersion: String) {
        self.studyInstanceUID = studyInstanceUID; self.patientID = patientID; self.studyDate = studyDate
        self.sourceSOPClassUID = sourceSOPClassUID; self.sourceSOPInstanceUID = sourceSOPInstanceUID
        self.sourceSeriesInstanceUID = sourceSeriesInstanceUID; self.seriesInstanceUID = seriesInstanceUID
        self.sopInstanceUID = sopInstanceUID; self.contentDate = contentDate; self.contentTime = contentTime
        self.finding = finding; self.confidence = confidence; self.measurements = measurements
        self.evidence = evidence; self.softwareVersion = softwareVersion
    }
}

/// Writes a Comprehensive SR (SOP Class 1.2.840.10008.5.1.4.1.1.88.33) as DICOM Part 10, Explicit
/// VR Little Endian, character set ISO_IR 192 (UTF-8). The tree (PS3.3 C.17.3):
///
///     CONTAINER (18748-4, LN, "Diagnostic Imaging Report"), SEPARATE
///       CONTAINS IMAGE (121112, DCM, "Source of Measurement") -> the source instance
///       CONTAINS CODE  (121071, DCM, "Finding") = the classification (99MSKCINE codes)
///       CONTAINS NUM   (MSK-CONF, 99MSKCINE, "Confidence of finding") in UCUM "1"
///       CONTAINS NUM   one per summary measurement, UCUM "mm" (or "{px}" without calibration)
///       CONTAINS TEXT  (MSK-EVID, 99MSKCINE, "Evidence") one per line of evidence
///
/// The source is also listed in the Current Requested Procedure Evidence Sequence.
public enum StructuredReportWriter {
    public static let comprehensiveSRClassUID = "1.2.840.10008.5.1.4.1.1.88.33"

    public static let documentTitle = SRCode("18748-4", "LN", "Diagnostic Imaging Report")
    public static let sourceConcept = SRCode("121112", "DCM", "Source of Measurement")
    public static let findingConcept = SRCode("121071", "DCM", "Finding")
    public static let confidenceConcept = SRCode("MSK-CONF", "99MSKCINE", "Confidence of finding")
    public static let evidenceConcept = SRCode("MSK-EVID", "99MSKCINE", "Evidence")
    public static let noUnits = SRCode("1", "UCUM", "no units")

    /// The whole file: preamble, meta group and data set.
    public static func encode(_ c: StructuredReportContent) -> Data {
        var out = DICOMWriter.preambleAndMeta(sopClassUID: comprehensiveSRClassUID, sopInstanceUID: c.sopInstanceUID)
        out.append(contentsOf: dataSet(c))
        return out
    }

    /// The data set, elements in ascending tag order.
    static func dataSet(_ c: StructuredReportContent) -> [UInt8] {
        var ds = ElementEncoder()
        ds.text(0x0008, 0x0005, "CS", "ISO_IR 192")
        ds.ui(0x0008, 0x0016, comprehensiveSRClassUID)
        ds.ui(0x0008, 0x0018, c.sopInstanceUID)
        ds.text(0x0008, 0x0020, "DA", c.studyDate ?? "")
        ds.text(0x0008, 0x0023, "DA", c.contentDate)
        ds.text(0x0008, 0x0030, "TM", "")
        ds.text(0x0008, 0x0033, "TM", c.contentTime)
        ds.text(0x0008, 0x0050, "SH", "")
        ds.text(0x0008, 0x0060, "CS", "SR")
        ds.text(0x0008, 0x0070, "LO", "MSKCine")
        ds.text(0x0008, 0x0090, "PN", "")
        ds.text(0x0008, 0x103E, "LO", "MSKCine findings")
        ds.sequence(0x0008, 0x1111, items: [])   // Referenced Performed Procedure Step (type 2, empty)
        ds.text(0x0010, 0x0010, "PN", "")
        ds.text(0x0010, 0x0020, "LO", c.patientID ?? "")
        ds.text(0x0010, 0x0030, "DA", "")
        ds.text(0x0010, 0x0040, "CS", "")
        ds.text(0x0018, 0x1020, "LO", "mskcine " + c.softwareVersion)
        ds.ui(0x0020, 0x000D, c.studyInstanceUID)
        ds.ui(0x0020, 0x000E, c.seriesInstanceUID)
        ds.text(0x0020, 0x0010, "SH", "")
        ds.text(0x0020, 0x0011, "IS", "9001")
        ds.text(0x0020, 0x0013, "IS", "1")
        ds.text(0x0040, 0xA040, "CS", "CONTAINER")
        ds.sequence(0x0040, 0xA043, items: [code(documentTitle)])
        ds.text(0x0040, 0xA050, "CS", "SEPARATE")
        ds.sequence(0x0040, 0xA372, items: [])   // Performed Procedure Code (type 2, empty)
        ds.sequence(0x0040, 0xA375, items: [evidenceItem(c)])
        ds.text(0x0040, 0xA491, "CS", "COMPLETE")
        ds.text(0x0040, 0xA493, "CS", "UNVERIFIED")
        var items: [[UInt8]] = []
        items.append(imageItem(c))
        items.append(codeItem(findingConcept, c.finding))
        items.append(numItem(confidenceConcept, c.confidence, noUnits))
        for m in c.measurements { items.append(numItem(m.concept, m.value, m.unit)) }
        for line in c.evidence { items.append(textItem(evidenceConcept, line)) }
        ds.sequence(0x0040, 0xA730, items: items)
        return ds.bytes
    }

    static func code(_ code: SRCode) -> [UInt8] {
        var e = ElementEncoder()
        e.text(0x0008, 0x0100, "SH", code.value)
        e.text(0x0008, 0x0102, "SH", code.scheme)
        e.utf8(0x0008, 0x0104, "LO", code.meaning)
        return e.bytes
    }

    static func referencedSOP(classUID: String, instanceUID: String) -> [UInt8] {
        var e = ElementEncoder()
        e.ui(0x0008, 0x1150, classUID)
        e.ui(0x0008, 0x1155, instanceUID)
        return e.bytes
    }

    static func evidenceItem(_ c: StructuredReportContent) -> [UInt8] {
        var series = ElementEncoder()
        series.sequence(0x0008, 0x1199, items: [referencedSOP(classUID: c.sourceSOPClassUID, instanceUID: c.sourceSOPInstanceUID)])
        series.ui(0x0020, 0x000E, c.sourceSeriesInstanceUID)
        var study = ElementEncoder()
        study.sequence(0x0008, 0x1115, items: [series.bytes])
        study.ui(0x0020, 0x000D, c.studyInstanceUID)
        return study.bytes
    }

    static func imageItem(_ c: StructuredReportContent) -> [UInt8] {
        var e = ElementEncoder()
        e.sequence(0x0008, 0x1199, items: [referencedSOP(classUID: c.sourceSOPClassUID, instanceUID: c.sourceSOPInstanceUID)])
        e.text(0x0040, 0xA010, "CS", "CONTAINS")
        e.text(0x0040, 0xA040, "CS", "IMAGE")
        e.sequence(0x0040, 0xA043, items: [code(sourceConcept)])
        return e.bytes
    }

    static func codeItem(_ concept: SRCode, _ value: SRCode) -> [UInt8] {
        var e = ElementEncoder()
        e.text(0x0040, 0xA010, "CS", "CONTAINS")
        e.text(0x0040, 0xA040, "CS", "CODE")
        e.sequence(0x0040, 0xA043, items: [code(concept)])
        e.sequence(0x0040, 0xA168, items: [code(value)])
        return e.bytes
    }

    static func numItem(_ concept: SRCode, _ value: Double, _ unit: SRCode) -> [UInt8] {
        var measured = ElementEncoder()
        measured.sequence(0x0040, 0x08EA, items: [code(unit)])
        measured.text(0x0040, 0xA30A, "DS", DecimalString.format(value))
        var e = ElementEncoder()
        e.text(0x0040, 0xA010, "CS", "CONTAINS")
        e.text(0x0040, 0xA040, "CS", "NUM")
        e.sequence(0x0040, 0xA043, items: [code(concept)])
        e.sequence(0x0040, 0xA300, items: [measured.bytes])
        return e.bytes
    }

    static func textItem(_ concept: SRCode, _ text: String) -> [UInt8] {
        var e = ElementEncoder()
        e.text(0x0040, 0xA010, "CS", "CONTAINS")
        e.text(0x0040, 0xA040, "CS", "TEXT")
        e.sequence(0x0040, 0xA043, items: [code(concept)])
        e.utf8(0x0040, 0xA160, "UT", text)
        return e.bytes
    }
}

extension ElementEncoder {
    /// Text in UTF-8 (the report declares ISO_IR 192), padded with a space; control characters
    /// become spaces and LO values keep at most 64 characters.
    mutating func utf8(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: String) {
        var clean = String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0 == "\\" && vr != "UT" ? " " : $0 }))
        if vr == "LO" { clean = String(clean.prefix(64)) }
        add(group, element, vr, Array(clean.utf8), pad: 0x20)
    }
}

extension DICOMUID {
    /// `2.25.` and the decimal value of the first 16 bytes of `digest` (a hash of what names the
    /// object), made a version-8 UUID as `derived` does: the same digest gives the same UID.
    public static func fromDigest(_ digest: [UInt8]) -> String {
        precondition(digest.count >= 16, "a UID needs 16 bytes of digest")
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(digest[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(digest[i]) }
        hi = (hi & ~0x0000_0000_0000_F000) | 0x0000_0000_0000_8000
        lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return root + "." + decimal(hi: hi, lo: lo)
    }
}
