import Foundation

// The manifest CSV as plain values: no study-database types, so that `make fuzz` can build it
// alone (Fuzz/TextFuzz.swift). `Manifest` turns the rows into identities.

/// One row of a manifest: the clip's standardized absolute path and its identity fields.
public struct ManifestRow: Sendable, Equatable {
    public var path: String
    public var patientId: String?
    public var muscle: String?
    public var side: String?
    /// ISO `YYYY-MM-DD`.
    public var studyDate: String?
}

/// Why a manifest's text cannot be used (`Manifest` adds the file's path).
public enum ManifestTableError: Error, Sendable, Equatable {
    case unreadable(reason: String)
    case badRow(line: Int, reason: String)
}

public enum ManifestTable {
    /// The rows of a manifest: a header row with the columns `path,patientId,muscle,side,studyDate`
    /// (any order, more columns allowed); `path` relative to `base`, or absolute. Empty rows are
    /// skipped; a row without a path or with a study date that is not a date is an error.
    public static func rows(text: String, base: URL) throws(ManifestTableError) -> [ManifestRow] {
        let rows = parse(text)
        guard let header = rows.first else { throw .unreadable(reason: "it is empty") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ n: String) -> Int? { names.firstIndex(of: n.lowercased()) }
        guard column("path") != nil else { throw .unreadable(reason: "no 'path' column in the header row") }
        var result: [ManifestRow] = []
        for (i, row) in rows.enumerated().dropFirst() {
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func value(_ n: String) -> String? {
                guard let c = column(n), c < row.count else { return nil }
                let v = row[c].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            guard let clip = value("path") else { throw .badRow(line: i + 1, reason: "the path is empty") }
            var date = value("studyDate")
            if let d = date {
                guard let iso = isoDate(d) else { throw .badRow(line: i + 1, reason: "studyDate '\(d)' is not a date (give YYYY-MM-DD)") }
                date = iso
            }
            let url = clip.hasPrefix("/") ? URL(fileURLWithPath: clip) : base.appendingPathComponent(clip)
            result.append(ManifestRow(path: url.standardizedFileURL.path, patientId: value("patientId"), muscle: value("muscle"),
                                      side: value("side").map(side), studyDate: date))
        }
        return result
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
