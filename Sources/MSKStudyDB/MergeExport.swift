import Foundation
import GRDB
import MSKAnalysis

/// What `merge` did.
public struct MergeReport: Sendable, Equatable {
    public var inputs: Int = 0
    public var clipsAdded: Int = 0
    public var analysesAdded: Int = 0
    /// Analyses already in the output (same content and engine version): kept once.
    public var analysesDuplicate: Int = 0
    public var failuresAdded: Int = 0
}

extension StudyDatabase {
    /// Joins shard databases into this one, in one transaction: clips by content hash, one
    /// analysis per content hash and engine version (the first seen is kept), every path, and the
    /// failures of clips no input analysed. The inputs are opened read-only and not changed.
    public func merge(_ inputs: [String]) throws(StudyDBError) -> MergeReport {
        var sources: [StudyDatabase] = []
        for input in inputs {
            if URL(fileURLWithPath: input).standardizedFileURL.path == URL(fileURLWithPath: path).standardizedFileURL.path {
                throw .failed(path: input, action: "merging", reason: "it is also the output; name a new OUT.sqlite")
            }
            sources.append(try StudyDatabase(path: input, readOnly: true))
        }
        var report = MergeReport(inputs: inputs.count)
        var current = path
        do {
            try queue.write { db in
                for source in sources {
                    current = source.path
                    let part = try source.queue.read { src in try MergeBatch(src) }
                    try part.apply(to: db, report: &report)
                }
                // A failure of content that some input analysed is no failure.
                try db.execute(sql: """
                    DELETE FROM failures WHERE sha256 IS NOT NULL AND EXISTS
                      (SELECT 1 FROM analyses a WHERE a.sha256 = failures.sha256 AND a.engineVersion = failures.engineVersion)
                    """)
            }
        } catch let error as StudyDBError {
            throw error
        } catch {
            throw .failed(path: current, action: "merging into \(path)", reason: Self.reason(error))
        }
        return report
    }

    // MARK: Export

    /// The flat tables `export --csv` writes: file name and query.
    /// The file names `export --csv` writes into its folder.
    public static var exportFileNames: [String] { exportTables.map(\.0) }

    static let exportTables: [(String, String)] = [
        ("clips.csv", "SELECT * FROM clips ORDER BY sha256"),
        ("clip_paths.csv", "SELECT * FROM clipPaths ORDER BY path"),
        ("analyses.csv", """
            SELECT a.*, c.patientId, c.muscle, c.side, c.studyDate, c.identitySource, c.mmPerPixelX, c.mmPerPixelY, c.calibrationSource
            FROM analyses a JOIN clips c USING (sha256) ORDER BY a.sha256, a.engineVersion
            """),
        ("frames.csv", """
            SELECT a.sha256, a.engineVersion, a.unit, f.frameIndex, f.timeS, f.gapWidth, f.endSeparation, f.defectDepthFraction,
                   f.muscleThickness, f.echoIntensity, f.contraction, f.muscleDetected, f.defectDetected,
                   f.fascicleAngleDeg, f.deepAponeurosisAngleDeg, f.pennationAngleDeg, f.fascicleLength
            FROM frames f JOIN analyses a ON a.id = f.analysisId ORDER BY a.sha256, a.engineVersion, f.frameIndex
            """),
        ("failures.csv", "SELECT * FROM failures ORDER BY path"),
    ]

    /// Writes every table as CSV (RFC 4180, header row, empty field for NULL) into `directory`,
    /// each file whole or not at all. Returns the files written.
    public func exportCSV(to directory: String) throws(StudyDBError) -> [String] {
        let dir = URL(fileURLWithPath: directory)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw .failed(path: directory, action: "creating the export folder", reason: (error as NSError).localizedDescription)
        }
        var written: [String] = []
        for (name, sql) in Self.exportTables {
            let text: String
            do {
                text = try queue.read { db in
                    let cursor = try Row.fetchCursor(db, sql: sql)
                    var out = ""
                    var header = false
                    while let row = try cursor.next() {
                        if !header { out += row.columnNames.map(CSV.field).joined(separator: ",") + "\r\n"; header = true }
                        out += row.databaseValues.map { CSV.field(CSV.text($0)) }.joined(separator: ",") + "\r\n"
                    }
                    if !header {
                        // No rows: still a header, from the statement's columns.
                        let statement = try db.makeStatement(sql: sql)
                        out = statement.columnNames.map(CSV.field).joined(separator: ",") + "\r\n"
                    }
                    return out
                }
            } catch {
                throw .failed(path: path, action: "reading \(name)", reason: Self.reason(error))
            }
            let target = dir.appendingPathComponent(name)
            do {
                try Data(text.utf8).write(to: target, options: .atomic)
            } catch {
                throw .failed(path: target.path, action: "writing", reason: (error as NSError).localizedDescription)
            }
            written.append(target.path)
        }
        return written
    }

    // MARK: Content digest

    /// The database's content as sorted lines, leaving out what differs between equal runs:
    /// row ids, timestamps and durations. Two databases with the same lines hold the same results.
    public func canonicalLines() throws(StudyDBError) -> [String] {
        let queries = [
            "SELECT 'clip', * FROM clips ORDER BY sha256",
            "SELECT 'path', * FROM clipPaths ORDER BY sha256, path",
            """
            SELECT 'analysis', sha256, engineVersion, unit, frameCount, imagingRegionX, imagingRegionY, imagingRegionWidth, imagingRegionHeight,
              imagingRegionSource, restGapWidth, peakGapWidth, gapWidening, restEndSeparation, peakEndSeparation, endSeparationChange,
              meanMuscleThickness, restMuscleThickness, meanEchoIntensity, maxDefectDepthFraction, restFrameCount, peakFrameCount,
              contractionSeen, classification, suspectedFullThicknessTear, confidence, evidence, warnings
            FROM analyses ORDER BY sha256, engineVersion
            """,
            """
            SELECT 'frame', a.sha256, a.engineVersion, f.frameIndex, f.timeS, f.gapWidth, f.endSeparation, f.defectDepthFraction,
              f.muscleThickness, f.echoIntensity, f.contraction, f.muscleDetected, f.defectDetected
            FROM frames f JOIN analyses a ON a.id = f.analysisId ORDER BY a.sha256, a.engineVersion, f.frameIndex
            """,
            "SELECT 'failure', sha256, path, relativePath, engineVersion, stage, reason FROM failures ORDER BY path, engineVersion",
        ]
        do {
            return try queue.read { db in
                var lines: [String] = []
                for sql in queries {
                    for row in try Row.fetchAll(db, sql: sql) {
                        lines.append(row.databaseValues.map(CSV.text).joined(separator: "\t"))
                    }
                }
                return lines
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// SHA-256 of `canonicalLines()`.
    public func contentDigest() throws(StudyDBError) -> String {
        var hasher = SHA256()
        for line in try canonicalLines() { hasher.update(Array((line + "\n").utf8)) }
        return hasher.finalize()
    }
}

/// One input database's rows, read in one go.
private struct MergeBatch {
    var clips: [Row]
    var paths: [Row]
    var analyses: [Row]
    var frames: [Int64: [Row]]
    var failures: [Row]

    init(_ db: Database) throws {
        clips = try Row.fetchAll(db, sql: "SELECT * FROM clips ORDER BY sha256")
        paths = try Row.fetchAll(db, sql: "SELECT * FROM clipPaths ORDER BY sha256, path")
        analyses = try Row.fetchAll(db, sql: "SELECT * FROM analyses ORDER BY id")
        frames = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM frames ORDER BY analysisId, frameIndex") {
            frames[row["analysisId"], default: []].append(row)
        }
        failures = try Row.fetchAll(db, sql: "SELECT * FROM failures ORDER BY id")
    }

    func apply(to db: Database, report: inout MergeReport) throws {
        for row in clips {
            try insert(db, "INSERT OR IGNORE INTO clips", row, skipping: [])
            if db.changesCount > 0 { report.clipsAdded += 1 }
        }
        for row in paths { try insert(db, "INSERT OR IGNORE INTO clipPaths", row, skipping: []) }
        for row in analyses {
            let sha: String = row["sha256"], engine: String = row["engineVersion"]
            if try Int.fetchOne(db, sql: "SELECT 1 FROM analyses WHERE sha256 = ? AND engineVersion = ?", arguments: [sha, engine]) != nil {
                report.analysesDuplicate += 1
                continue
            }
            try insert(db, "INSERT INTO analyses", row, skipping: ["id"])
            let id = db.lastInsertedRowID
            for frame in frames[row["id"]] ?? [] {
                let original = Array(frame.databaseValues)
                var values = original
                for (i, name) in frame.columnNames.enumerated() where name == "analysisId" { values[i] = id.databaseValue }
                let cols = frame.columnNames.joined(separator: ", ")
                try db.execute(sql: "INSERT INTO frames (\(cols)) VALUES (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))",
                               arguments: StatementArguments(values))
            }
            report.analysesAdded += 1
        }
        for row in failures {
            try insert(db, "INSERT OR IGNORE INTO failures", row, skipping: ["id"])
            if db.changesCount > 0 { report.failuresAdded += 1 }
        }
    }

    private func insert(_ db: Database, _ verb: String, _ row: Row, skipping: Set<String>) throws {
        var names: [String] = [], values: [DatabaseValue] = []
        let all = Array(row.databaseValues)
        for (i, name) in row.columnNames.enumerated() where !skipping.contains(name) {
            names.append(name)
            values.append(all[i])
        }
        try db.execute(sql: "\(verb) (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))",
                       arguments: StatementArguments(values))
    }
}

/// CSV fields (RFC 4180).
enum CSV {
    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return ""
        case .int64(let i): return String(i)
        case .double(let d): return "\(d)"
        case .string(let s): return s
        case .blob(let b): return b.base64EncodedString()
        }
    }

    static func field(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}
