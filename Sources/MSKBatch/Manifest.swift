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
        let rows = Self.parse(text)
        guard let header = rows.first else { throw .manifestUnreadable(path: path, reason: "it is empty") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ n: String) -> Int? { names.firstIndex(of: n.lowercased()) }
        guard column("path") != nil else { throw .manifestUnreadable(path: path, reason: "no 'path' column in the header row") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        for (i, row) in rows.enumerated().dropFirst() {
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func value(_ n: String) -> String? {
                guard let c = column(n), c < row.count else { return nil }
                let v = row[c].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            guard let clip = value("path") else {
                throw .manifestBadRow(path: path, line: i + 1, reason: "the path is empty")
            }
            var date = value("studyDate")
            if let d = date {
                guard let iso = Self.isoDate(d) else {
                    throw .manifestBadRow(path: path, line: i + 1, reason: "studyDate '\(d)' is not a date (give YYYY-MM-DD)")
                }
                date = iso
            }
            let url = clip.hasPrefix("/") ? URL(fileURLWithPath: clip) : base.appendingPathComponent(clip)
            entries[url.standardizedFileURL.path] = ClipIdentity(
                patientId: value("patientId"), muscle: value("muscle"), side: value("side").map(Self.side), studyDate: date, source: "manifest")
        }
    }

    public func identity(forFile file: String) -> ClipIdentity? {
        entries[URL(fileURLWithPath: file).standardizedFileURL.path]
    }

    /// `YYYY-MM-DD` or DICOM's `YYYYMMDD` to `YYYY-MM-DD`; nil when it is not a date.
    public static func isoDate(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.filter(\.isNumber)
        let shapeOK = (t.count == 10 && t.filter { $0 == "-" }.count == 2 && digits.count == 8) || (t.count == 8 && digits.count == 8)
        guard shapeOK else { return nil }
        let y = Int(digits.prefix(4))!, m = Int(digits.dropFirst(4).prefix(2))!, d = Int(digits.suffix(2))!
        guard (1...12).contains(m), (1...31).contains(d), y >= 1900 else { return nil }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// "R"/"right" -> "right", "L"/"left" -> "left"; anything else as given, lower-cased.
    public static func side(_ text: String) -> String {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "r", "right", "rt": return "right"
        case "l", "left", "lt": return "left"
        case "b", "both", "bilateral": return "both"
        case let other: return other
        }
    }

    /// RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF).
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, wasQuote = false
        for ch in text {
            if quoted {
                if ch == "\"" { quoted = false; wasQuote = true } else { field.append(ch) }
                continue
            }
            switch ch {
            case "\"":
                if wasQuote { field.append("\"") }
                quoted = true
            case ",":
                row.append(field); field = ""
            case "\n", "\r\n", "\r":
                row.append(field); field = ""
                rows.append(row); row = []
            default:
                field.append(ch)
            }
            wasQuote = false
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
