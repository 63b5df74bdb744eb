import Foundation
import GRDB

/// One analysis of a DICOM instance, as a structured report needs it: the source's identity and
/// UIDs, the finding, the summary measurements (in `unit`) and the evidence.
public struct InstanceAnalysisRecord: Sendable, Equatable {
    public var sha256: String
    public var engineVersion: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String?
    public var patientId: String?
    /// ISO date `YYYY-MM-DD`.
    public var studyDate: String?
    /// Every path the content was seen at (a folder's file, or the DICOMweb cache's).
    public var paths: [String]
    /// "mm" or "px".
    public var unit: String
    public var analysedAt: String
    public var classification: String
    public var confidence: Double
    public var evidence: [String]
    public var restGapWidth: Double?
    public var peakGapWidth: Double?
    public var gapWidening: Double?
    public var restEndSeparation: Double?
    public var peakEndSeparation: Double?
    public var endSeparationChange: Double?
    public var meanMuscleThickness: Double?
    public var meanEchoIntensity: Double?
    public var maxDefectDepthFraction: Double

    public init(sha256: String, engineVersion: String, sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String?,
                patientId: String?, studyDate: String?, paths: [String], unit: String, analysedAt: String, classification: String,
                confidence: Double, evidence: [String], restGapWidth: Double?, peakGapWidth: Double?, gapWidening: Double?,
                restEndSeparation: Double?, peakEndSeparation: Double?, endSeparationChange: Double?, meanMuscleThickness: Double?,
                meanEchoIntensity: Double?, maxDefectDepthFraction: Double) {
        self.sha256 = sha256; self.engineVersion = engineVersion; self.sopInstanceUID = sopInstanceUID
        self.studyInstanceUID = studyInstanceUID; self.seriesInstanceUID = seriesInstanceUID; self.patientId = patientId
        self.studyDate = studyDate; self.paths = paths; self.unit = unit; self.analysedAt = analysedAt
        self.classification = classification; self.confidence = confidence; self.evidence = evidence
        self.restGapWidth = restGapWidth; self.peakGapWidth = peakGapWidth; self.gapWidening = gapWidening
        self.restEndSeparation = restEndSeparation; self.peakEndSeparation = peakEndSeparation
        self.endSeparationChange = endSeparationChange; self.meanMuscleThickness = meanMuscleThickness
        self.meanEchoIntensity = meanEchoIntensity; self.maxDefectDepthFraction = maxDefectDepthFraction
    }
}

extension StudyDatabase {
    /// The SOP Instance UIDs whose content was analysed by `engineVersion`: the DICOMweb batch's
    /// resume set (such an instance is not fetched again).
    public func analysedSOPInstanceUIDs(engineVersion: String) throws(StudyDBError) -> Set<String> {
        do {
            return try queue.read { db in
                Set(try String.fetchAll(db, sql: """
                    SELECT c.sopInstanceUID FROM clips c JOIN analyses a ON a.sha256 = c.sha256
                    WHERE a.engineVersion = ? AND c.sopInstanceUID IS NOT NULL
                    """, arguments: [engineVersion]))
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// Every analysis of a clip that carries study and SOP Instance UIDs (DICOM), oldest first;
    /// `sopInstanceUIDs` narrows it to those instances.
    public func instanceAnalyses(sopInstanceUIDs: Set<String>? = nil) throws(StudyDBError) -> [InstanceAnalysisRecord] {
        do {
            let all = try queue.read { db -> [InstanceAnalysisRecord] in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT a.*, c.sopInstanceUID, c.studyInstanceUID, c.seriesInstanceUID, c.patientId, c.studyDate,
                      (SELECT group_concat(p.path, char(10)) FROM clipPaths p WHERE p.sha256 = c.sha256) AS paths
                    FROM analyses a JOIN clips c ON c.sha256 = a.sha256
                    WHERE c.sopInstanceUID IS NOT NULL AND c.studyInstanceUID IS NOT NULL
                    ORDER BY a.id
                    """)
                return rows.map { r in
                    let evidenceText: String = r["evidence"] ?? "[]"
                    let evidence = (try? JSONSerialization.jsonObject(with: Data(evidenceText.utf8))) as? [String] ?? []
                    let paths: String? = r["paths"]
                    return InstanceAnalysisRecord(
                        sha256: r["sha256"], engineVersion: r["engineVersion"], sopInstanceUID: r["sopInstanceUID"],
                        studyInstanceUID: r["studyInstanceUID"], seriesInstanceUID: r["seriesInstanceUID"],
                        patientId: r["patientId"], studyDate: r["studyDate"],
                        paths: paths.map { $0.split(separator: "\n").map(String.init) } ?? [],
                        unit: r["unit"], analysedAt: r["analysedAt"], classification: r["classification"],
                        confidence: r["confidence"], evidence: evidence,
                        restGapWidth: r["restGapWidth"], peakGapWidth: r["peakGapWidth"], gapWidening: r["gapWidening"],
                        restEndSeparation: r["restEndSeparation"], peakEndSeparation: r["peakEndSeparation"],
                        endSeparationChange: r["endSeparationChange"], meanMuscleThickness: r["meanMuscleThickness"],
                        meanEchoIntensity: r["meanEchoIntensity"], maxDefectDepthFraction: r["maxDefectDepthFraction"])
                }
            }
            guard let wanted = sopInstanceUIDs else { return all }
            return all.filter { wanted.contains($0.sopInstanceUID) }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// Whether the report of this instance's analysis by `engineVersion` was stored to `server`.
    public func reportStored(sopInstanceUID: String, engineVersion: String, server: String) throws(StudyDBError) -> Bool {
        do {
            return try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT 1 FROM storedReports WHERE sopInstanceUID = ? AND engineVersion = ? AND server = ?",
                                 arguments: [sopInstanceUID, engineVersion, server]) != nil
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// Records a report stored to `server` (a server root without credentials).
    public func recordStoredReport(sopInstanceUID: String, engineVersion: String, server: String, reportInstanceUID: String,
                                   storedAt: Date = Date()) throws(StudyDBError) {
        do {
            try queue.write { db in
                try db.execute(sql: """
                    INSERT OR REPLACE INTO storedReports (sopInstanceUID, engineVersion, server, reportInstanceUID, storedAt)
                    VALUES (?, ?, ?, ?, ?)
                    """, arguments: [sopInstanceUID, engineVersion, server, reportInstanceUID, Self.timestamp(storedAt)])
            }
        } catch {
            throw Self.writeFailure(path: path, action: "recording a stored report", error)
        }
    }

    /// Removes the failure recorded for `path` (a DICOMweb instance retrieved at last).
    public func clearFailure(path clipPath: String, engineVersion: String) throws(StudyDBError) {
        do {
            try queue.write { db in
                try db.execute(sql: "DELETE FROM failures WHERE path = ? AND engineVersion = ?", arguments: [clipPath, engineVersion])
            }
        } catch {
            throw Self.writeFailure(path: path, action: "writing", error)
        }
    }
}
