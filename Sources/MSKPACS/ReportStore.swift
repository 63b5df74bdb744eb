import Foundation
import MSKAnalysis
import MSKDICOM
import MSKStudyDB

/// Findings back into the PACS: one Comprehensive SR per analysis, in the source's study,
/// referencing the source instance, stored with STOW-RS. UIDs are derived from the source SOP
/// Instance UID and the engine version, so storing again never makes a second report.
public enum ReportStore {
    /// The private coding scheme of MSKCine's concepts (Docs/pacs.md lists every code).
    public static let scheme = "99MSKCINE"

    public static func findingCode(_ classification: String) -> SRCode {
        switch classification {
        case "full-thickness-tear": return SRCode("MSK-FTT", scheme, "Full-thickness muscle tear")
        case "partial-tear": return SRCode("MSK-PT", scheme, "Partial muscle tear")
        case "no-tear": return SRCode("MSK-NT", scheme, "No muscle tear")
        default: return SRCode("MSK-IND", scheme, "Indeterminate")
        }
    }

    /// The report's SOP Instance UID: 2.25 and the first 128 bits of SHA-256("sr|SOP|engine").
    public static func reportUID(sopInstanceUID: String, engineVersion: String) -> String {
        uid("mskcine-sr|\(sopInstanceUID)|\(engineVersion)")
    }

    /// The report series of a study: one per study and engine version.
    public static func seriesUID(studyInstanceUID: String, engineVersion: String) -> String {
        uid("mskcine-sr-series|\(studyInstanceUID)|\(engineVersion)")
    }

    static func uid(_ name: String) -> String {
        var h = SHA256()
        h.update(Array(name.utf8))
        let hex = h.finalize()
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return DICOMUID.fromDigest(bytes)
    }

    /// The summary measurements of a record with their codes and units: lengths in UCUM `mm`, or
    /// `{px}` for an uncalibrated analysis; echo intensity in grey levels; depth fraction unitless.
    public static func measurements(_ r: InstanceAnalysisRecord) -> [SRMeasurement] {
        let length = r.unit == "mm" ? SRCode("mm", "UCUM", "millimeter") : SRCode("{px}", "UCUM", "pixels")
        let suffix = r.unit == "mm" ? "" : " (pixels)"
        var list: [SRMeasurement] = []
        func add(_ code: String, _ meaning: String, _ value: Double?, _ unit: SRCode) {
            guard let value, value.isFinite else { return }
            list.append(SRMeasurement(concept: SRCode(code, scheme, meaning), value: value, unit: unit))
        }
        add("MSK-RGW", "Gap width at rest" + suffix, r.restGapWidth, length)
        add("MSK-PGW", "Gap width at peak contraction" + suffix, r.peakGapWidth, length)
        add("MSK-GWD", "Gap widening" + suffix, r.gapWidening, length)
        add("MSK-RES", "End separation at rest" + suffix, r.restEndSeparation, length)
        add("MSK-PES", "End separation at peak contraction" + suffix, r.peakEndSeparation, length)
        add("MSK-ESC", "End separation change" + suffix, r.endSeparationChange, length)
        add("MSK-THK", "Mean muscle thickness" + suffix, r.meanMuscleThickness, length)
        add("MSK-ECHO", "Mean echo intensity", r.meanEchoIntensity, SRCode("{grey level}", "UCUM", "grey level"))
        add("MSK-DDF", "Maximum defect depth fraction", r.maxDefectDepthFraction, StructuredReportWriter.noUnits)
        return list
    }

    /// The report of one analysis.
    public static func content(_ r: InstanceAnalysisRecord, sourceSOPClassUID: String, sourceSeriesInstanceUID: String) -> StructuredReportContent {
        // analysedAt is ISO 8601 (UTC): 2026-12-02T15:04:05.123Z.
        let digits = r.analysedAt.filter(\.isNumber)
        let date = digits.count >= 8 ? String(digits.prefix(8)) : ""
        let time = digits.count >= 14 ? String(digits.dropFirst(8).prefix(6)) : ""
        return StructuredReportContent(
            studyInstanceUID: r.studyInstanceUID, patientID: r.patientId, studyDate: r.studyDate.map { $0.filter(\.isNumber) },
            sourceSOPClassUID: sourceSOPClassUID, sourceSOPInstanceUID: r.sopInstanceUID, sourceSeriesInstanceUID: sourceSeriesInstanceUID,
            seriesInstanceUID: seriesUID(studyInstanceUID: r.studyInstanceUID, engineVersion: r.engineVersion),
            sopInstanceUID: reportUID(sopInstanceUID: r.sopInstanceUID, engineVersion: r.engineVersion),
            contentDate: date, contentTime: time, finding: findingCode(r.classification), confidence: r.confidence,
            measurements: measurements(r), evidence: r.evidence, softwareVersion: r.engineVersion)
    }

    /// What a store pass did.
    public struct Summary: Sendable, Equatable {
        public var stored = 0
        public var alreadyStored = 0
        public var failed = 0
        public init() {}
    }

    public enum Event: Sendable {
        case stored(sopInstanceUID: String, reportUID: String)
        case failed(sopInstanceUID: String, reason: String)
    }

    /// Stores the report of every record not yet recorded as stored to this server. The source's
    /// SOP Class and series come from `known` (the search), else from the file the database names,
    /// else from a QIDO-RS search. A report the server refuses is counted and the pass goes on;
    /// a fatal error (server down, 401/403) stops it.
    public static func storeAll(_ records: [InstanceAnalysisRecord], client: DICOMwebClient, database: StudyDatabase,
                                known: [String: InstanceSummary] = [:],
                                events: @Sendable (Event) -> Void = { _ in }) async throws -> Summary {
        var summary = Summary()
        for r in records {
            if try database.reportStored(sopInstanceUID: r.sopInstanceUID, engineVersion: r.engineVersion, server: client.server) {
                summary.alreadyStored += 1
                continue
            }
            do {
                var sopClass = known[r.sopInstanceUID]?.sopClassUID
                var series = known[r.sopInstanceUID]?.seriesInstanceUID ?? r.seriesInstanceUID
                if sopClass == nil {
                    for path in r.paths {
                        if let file = try? DICOMFile(path: path), let c = file.identity().sopClassUID { sopClass = c; break }
                    }
                }
                if sopClass == nil || series == nil {
                    let found = try await client.findInstance(sopInstanceUID: r.sopInstanceUID)
                    sopClass = sopClass ?? found?.sopClassUID
                    series = series ?? found?.seriesInstanceUID
                }
                guard let sopClass, let series else {
                    throw DICOMwebError.badResponse(url: client.server + "/instances?SOPInstanceUID=" + r.sopInstanceUID,
                                                    reason: "the source instance's SOP Class or series is unknown (not on this server?)")
                }
                let content = content(r, sourceSOPClassUID: sopClass, sourceSeriesInstanceUID: series)
                try await client.store(StructuredReportWriter.encode(content), studyInstanceUID: r.studyInstanceUID)
                try database.recordStoredReport(sopInstanceUID: r.sopInstanceUID, engineVersion: r.engineVersion,
                                                server: client.server, reportInstanceUID: content.sopInstanceUID)
                summary.stored += 1
                events(.stored(sopInstanceUID: r.sopInstanceUID, reportUID: content.sopInstanceUID))
            } catch let e as DICOMwebError where !e.isFatal {
                summary.failed += 1
                events(.failed(sopInstanceUID: r.sopInstanceUID, reason: e.description))
            }
        }
        return summary
    }
}
