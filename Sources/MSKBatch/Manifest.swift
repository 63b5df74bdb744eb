import Foundation
import MSKStudyDB

/// `--manifest FILE.csv`: identity for clips that carry none (video exports).
/// Header row with the columns `path,patientId,muscle,side,studyDate` (any order, more columns
/// allowed); `path` is relative to the manifest's folder, or absolute. Empty fields stay empty.
public struct Manifest: Sendable {
    /// Identity by standardized absolute path.
    public private(set) var entries: [String: ClipIdentity] = [:]
    public let path: String

    public init(path: String) throws(BatchError) {
        self.path = path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .manifestUnreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let rows: [ManifestRow]
        do {
            rows = try ManifestTable.rows(text: text, base: URL(fileURLWithPath: path).deletingLastPathComponent())
        } catch {
            switch error {
            case .unreadable(let reason): throw .manifestUnreadable(path: path, reason: reason)
            case .badRow(let line, let reason): throw .manifestBadRow(path: path, line: line, reason: reason)
            }
        }
        for r in rows {
            entries[r.path] = ClipIdentity(patientId: r.patientId, muscle: r.muscle, side: r.side, studyDate: r.studyDate, source: "manifest")
        }
    }

    public func identity(forFile file: String) -> ClipIdentity? {
        entries[URL(fileURLWithPath: file).standardizedFileURL.path]
    }

    /// `YYYY-MM-DD` or DICOM's `YYYYMMDD` to `YYYY-MM-DD`; nil when it is not a date.
    public static func isoDate(_ text: String) -> String? { ManifestTable.isoDate(text) }

    /// "R"/"right" -> "right", "L"/"left" -> "left"; anything else as given, lower-cased.
    public static func side(_ text: String) -> String { ManifestTable.side(text) }
}
