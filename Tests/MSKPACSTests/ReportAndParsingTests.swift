import Foundation
import MSKDICOM
import MSKStudyDB
import MSKTestSupport
import Testing
@testable import MSKPACS

func sampleRecord(unit: String = "mm", classification: String = "full-thickness-tear") -> InstanceAnalysisRecord {
    InstanceAnalysisRecord(
        sha256: String(repeating: "a", count: 64), engineVersion: "0.1.0", sopInstanceUID: "1.2.826.0.1.3680043.2.1125.7",
        studyInstanceUID: "1.2.826.0.1.3680043.2.1125.1", seriesInstanceUID: "1.2.826.0.1.3680043.2.1125.2",
        patientId: "P007", studyDate: "2026-03-01", paths: [], unit: unit, analysedAt: "2026-12-02T15:04:05.123Z",
        classification: classification, confidence: 0.85,
        evidence: ["Gap widens from 4.1 mm at rest to 10.9 mm at peak contraction (+6.8 mm ≥ 2 mm)", "Discontinuity spans 100 % of the thickness"],
        restGapWidth: 4.1, peakGapWidth: 10.9, gapWidening: 6.8, restEndSeparation: 4.3, peakEndSeparation: 11.2,
        endSeparationChange: 6.9, meanMuscleThickness: 21.7, meanEchoIntensity: 61.2, maxDefectDepthFraction: 1.0)
}

@Suite("Structured report")
struct StructuredReportTests {
    /// dcmtk's dsrdump reads the report back: document type, references, coded finding, numbers
    /// with their UCUM units, evidence text; MSKCine's own parser reads its identity.
    @Test(arguments: ["mm", "px"])
    func dsrdumpReadsTheReport(unit: String) throws {
        let record = sampleRecord(unit: unit)
        let content = ReportStore.content(record, sourceSOPClassUID: "1.2.840.10008.5.1.4.1.1.3.1", sourceSeriesInstanceUID: "1.2.826.0.1.3680043.2.1125.2")
        let dir = try temporaryFolder("sr")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/report.dcm"
        try StructuredReportWriter.encode(content).write(to: URL(fileURLWithPath: path))

        let dump = try Binary.run("/usr/bin/dsrdump", ["+Pl", "+Pc", "+Pu", path])
        #expect(dump.status == 0, "\(dump.stderr)")
        let text = String(decoding: dump.stdout, as: UTF8.self)
        #expect(text.contains("Comprehensive SR Document"))
        #expect(text.contains("Diagnostic Imaging Report"))
        let tags = String(decoding: try Binary.runChecked("/usr/bin/dcmdump", ["+P", "0010,0020", "+P", "0010,0010", path]), as: UTF8.self)
        #expect(tags.contains("[P007]"))
        #expect(tags.contains("PatientName") && !tags.contains("^"), "no patient name is written")
        #expect(text.contains("1.2.826.0.1.3680043.2.1125.7"))
        #expect(text.contains("Full-thickness muscle tear"))
        #expect(text.contains("Confidence of finding") && text.contains("\"0.85\""))
        #expect(text.contains("Gap widening"))
        #expect(text.contains("\"6.8\""))
        #expect(text.contains(unit == "mm" ? "(mm,UCUM,\"millimeter\")" : "({px},UCUM,\"pixels\")"))
        #expect(text.contains("+6.8 mm ≥ 2 mm"), "evidence kept in UTF-8")
        #expect(!dump.stderr.contains("Error"), "\(dump.stderr)")

        let file = try DICOMFile(path: path)
        let identity = file.identity()
        #expect(identity.sopClassUID == StructuredReportWriter.comprehensiveSRClassUID)
        #expect(identity.studyInstanceUID == record.studyInstanceUID)
        #expect(identity.modality == "SR")
        #expect(identity.patientName == nil)
    }

    /// The report's UIDs follow from the source instance and the engine version alone.
    @Test func uidsAreDeterministic() throws {
        let a = ReportStore.reportUID(sopInstanceUID: "1.2.3.4", engineVersion: "0.1.0")
        #expect(a == ReportStore.reportUID(sopInstanceUID: "1.2.3.4", engineVersion: "0.1.0"))
        #expect(a != ReportStore.reportUID(sopInstanceUID: "1.2.3.5", engineVersion: "0.1.0"))
        #expect(a != ReportStore.reportUID(sopInstanceUID: "1.2.3.4", engineVersion: "0.2.0"))
        #expect(a.hasPrefix("2.25.") && a.count <= 64)
        let digitsOnly = a.dropFirst(5).allSatisfy { $0.isNumber }
        #expect(digitsOnly)
        #expect(ReportStore.seriesUID(studyInstanceUID: "1.2", engineVersion: "0.1.0") != ReportStore.seriesUID(studyInstanceUID: "1.3", engineVersion: "0.1.0"))
    }

    @Test func everyClassificationHasItsCode() {
        let codes = ["full-thickness-tear", "partial-tear", "no-tear", "indeterminate"].map { ReportStore.findingCode($0).value }
        #expect(Set(codes).count == 4)
    }
}

@Suite("DICOMweb parsing and credentials")
struct ParsingTests {
    @Test(arguments: [
        ("20260101-20260131", "20260101-20260131"), ("20260110", "20260110"), ("2026-01-10", "20260110"),
        ("2026-01-01-2026-01-31", "20260101-20260131"), ("20260101-", "20260101-"), ("-20260131", "-20260131"),
    ])
    func studyDates(text: String, expected: String) {
        #expect(InstanceQuery.dateRange(text) == expected)
    }

    @Test(arguments: ["", "2026", "20261301", "yesterday", "20260101-20261399", "-", "20260101--20260102"])
    func badStudyDates(text: String) {
        #expect(InstanceQuery.dateRange(text) == nil)
    }

    @Test func credentialsFromTheEnvironment() throws {
        let token = try #require(try Credentials.resolve(host: "h", environment: [Credentials.tokenVariable: "tok"], netrcPath: nil))
        #expect(token.kind == .bearer(token: "tok"))
        let basic = try #require(try Credentials.resolve(host: "h", environment: [Credentials.userVariable: "u", Credentials.passwordVariable: "secret-x"]))
        #expect(basic.kind == .basic(user: "u", password: "secret-x"))
        #expect(basic.authorization == "Basic " + Data("u:secret-x".utf8).base64EncodedString())
        #expect(!basic.description.contains("secret-x"))
        #expect(!Credentials.hint(for: basic, status: 401).contains("secret-x"))
        #expect(Credentials.hint(for: nil, status: 401).contains(Credentials.userVariable))
        #expect(throws: DICOMwebError.self) { try Credentials.resolve(host: "h", environment: [Credentials.userVariable: "u"]) }
        #expect(try Credentials.resolve(host: "h", environment: [:]) == nil)
    }

    @Test func netrcEntries() throws {
        let text = """
            # archive
            machine pacs.example login alice password pw1
            machine other login bob
              password pw2
            default login anon password pw3
            """
        #expect(Netrc.entry(for: "pacs.example", in: text)! == ("alice", "pw1"))
        #expect(Netrc.entry(for: "other", in: text)! == ("bob", "pw2"))
        #expect(Netrc.entry(for: "elsewhere", in: text)! == ("anon", "pw3"))
        #expect(Netrc.entry(for: "x", in: "machine y login a password b") == nil)
        let dir = try temporaryFolder("netrc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/netrc", atomically: true, encoding: .utf8)
        let c = try #require(try Credentials.resolve(host: "pacs.example", environment: [Credentials.netrcVariable: dir + "/netrc"]))
        #expect(c.kind == .basic(user: "alice", password: "pw1"))
        #expect(!c.description.contains("pw1"))
    }

    @Test func urlsWithCredentialsAreRefusedWithoutEchoingThem() throws {
        do {
            _ = try DICOMwebConfiguration(url: "https://u:hunter2@pacs.example/dicom-web")
            Issue.record("accepted a URL with credentials")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.exitStatus == 2)
        }
        #expect(throws: DICOMwebError.self) { try DICOMwebConfiguration(url: "ftp://pacs.example/") }
        #expect(try DICOMwebConfiguration(url: "http://h:8042/dicom-web/").root == "http://h:8042/dicom-web")
    }

    @Test func multipartPart() throws {
        let dir = try temporaryFolder("mp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let payload = Data((0..<5000).map { UInt8($0 % 251) })
        var body = Data("--abc\r\nContent-Type: application/dicom\r\n\r\n".utf8)
        body.append(payload)
        body.append(Data("\r\n--abc--\r\n".utf8))
        try body.write(to: URL(fileURLWithPath: dir + "/whole"))
        let range = try Multipart.singlePart(file: dir + "/whole", contentType: "multipart/related; type=\"application/dicom\"; boundary=\"abc\"")
        #expect(body.subdata(in: Int(range.lowerBound)..<Int(range.upperBound)) == payload)
        // Cut before the closing boundary: refused.
        try body.prefix(3000).write(to: URL(fileURLWithPath: dir + "/cut"))
        #expect(throws: ParseFailure.self) { try Multipart.singlePart(file: dir + "/cut", contentType: "multipart/related; boundary=abc") }
    }

    @Test func qidoJSON() throws {
        let json = """
            [{"0020000D":{"vr":"UI","Value":["1.2"]},"0020000E":{"vr":"UI","Value":["1.2.3"]},"00080018":{"vr":"UI","Value":["1.2.3.4"]},
              "00280008":{"vr":"IS","Value":[30]},"00100020":{"vr":"LO","Value":["P1"]},"00080060":{"vr":"CS","Value":["US"]}},
             {"0020000D":{"vr":"UI","Value":["1.2"]},"0020000E":{"vr":"UI","Value":["1.2.3"]},"00080018":{"vr":"UI","Value":["1.2.3.5"]}}]
            """
        let list = try DICOMJSON.instances(Data(json.utf8))
        #expect(list.count == 2)
        #expect(list[0].numberOfFrames == 30 && list[0].isMultiFrame && list[0].patientID == "P1")
        #expect(!list[1].isMultiFrame)
        #expect(DICOMJSON.failedSOPCount(Data(#"{"00081198":{"vr":"SQ"}}"#.utf8)) == 0)
        #expect(DICOMJSON.failedSOPCount(Data(#"{"00081198":{"vr":"SQ","Value":[{}]}}"#.utf8)) == 1)
    }
}
