import Foundation
import GRDB
import MSKAnalysis

/// Why the study database could not be opened, read or written. One line: what failed, which
/// file, what to do.
public enum StudyDBError: Error, Sendable, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case cannotOpen(path: String, reason: String)
    case newerSchema(path: String, unknown: [String])
    case notAStudyDatabase(path: String)
    /// The database (or its folder) cannot be written: permissions, or a read-only file system.
    case readOnly(path: String)
    case failed(path: String, action: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let p):
            return "\(p): no such study database; run `mskcine batch ... --db \(p)` first or check the path"
        case .cannotOpen(let p, let reason):
            return "\(p): cannot open the study database (\(reason)); check the file is an SQLite database and its folder is writable"
        case .newerSchema(let p, let unknown):
            return "\(p): the study database was written by a newer mskcine (schema \(unknown.joined(separator: ", "))); use that version or a new --db"
        case .notAStudyDatabase(let p):
            return "\(p): not an mskcine study database (no schema versions found); name a database written by `mskcine batch`"
        case .readOnly(let p):
            return "\(p): the study database is read-only (the file or its folder cannot be written); make it writable or give another --db"
        case .failed(let p, let action, let reason):
            return "\(p): \(action) failed (\(reason)); check the disk has space and the file is not in use, then run again"
        }
    }
}

/// Who the clip belongs to: patient, muscle, side, study date, and where that came from.
public struct ClipIdentity: Sendable, Equatable, Codable {
    public var patientId: String?
    public var muscle: String?
    public var side: String?
    /// ISO date `YYYY-MM-DD`.
    public var studyDate: String?
    /// "dicom" (the file's tags), "manifest" (--manifest), "labels" (`<clip>.labels.json`), "none".
    public var source: String
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?

    public init(patientId: String? = nil, muscle: String? = nil, side: String? = nil, studyDate: String? = nil,
                source: String = "none", studyInstanceUID: String? = nil, seriesInstanceUID: String? = nil, sopInstanceUID: String? = nil) {
        self.patientId = patientId
        self.muscle = muscle
        self.side = side
        self.studyDate = studyDate
        self.source = source
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.sopInstanceUID = sopInstanceUID
    }

    public var isEmpty: Bool { patientId == nil && muscle == nil && side == nil && studyDate == nil }
}

/// A clip as the database keeps it: content hash, what the file is, identity, calibration.
public struct ClipRecord: Sendable, Equatable {
    public var sha256: String
    public var sizeBytes: Int64
    /// "video" or "dicom".
    public var kind: String
    public var container: String
    public var codec: String
    public var width: Int
    public var height: Int
    public var fps: Double?
    public var identity: ClipIdentity
    /// mm per pixel [x, y] used for the analysis, nil when lengths are in pixels.
    public var mmPerPixel: [Double]?
    /// "dicom" (the file), "labels" (`<clip>.labels.json` beside it), "cli" (--mm-per-pixel), "none".
    public var calibrationSource: String

    public init(sha256: String, sizeBytes: Int64, kind: String, container: String, codec: String, width: Int, height: Int,
                fps: Double?, identity: ClipIdentity, mmPerPixel: [Double]?, calibrationSource: String) {
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.kind = kind
        self.container = container
        self.codec = codec
        self.width = width
        self.height = height
        self.fps = fps
        self.identity = identity
        self.mmPerPixel = mmPerPixel
        self.calibrationSource = calibrationSource
    }
}

/// Where a clip stands for one engine version.
public enum ClipStatus: Sendable, Equatable {
    case notSeen
    case analysed
    case failed(reason: String)
}

/// What `store` did.
public enum StoreOutcome: Sendable, Equatable {
    case inserted
    /// The same content was already analysed by this engine version (another path, another worker).
    case alreadyPresent
    case replaced
}

/// Row counts, for progress and tests.
public struct StudyCounts: Sendable, Equatable {
    public var clips: Int
    public var paths: Int
    public var analyses: Int
    public var frames: Int
    public var failures: Int
}

/// The study database: SQLite through GRDB, versioned schema applied by migrations.
///
/// Tables: `clips` (content hash, identity, calibration), `clipPaths` (every path a clip was seen
/// at), `analyses` (engine version, summary, finding, evidence; one per clip and engine version),
/// `frames` (per-frame measurements of an analysis), `failures` (clips that could not be
/// analysed, with the reason). View: `studies`. Every clip's result is written in one transaction.
public final class StudyDatabase: Sendable {
    public let path: String
    let queue: DatabaseQueue

    /// The schema's migrations, oldest first. A new version appends one; none is ever edited.
    public static let schemaVersions = ["v1-tables", "v2-studies-view", "v3-fascicle-geometry", "v4-stored-reports"]

    /// Opens (creating and migrating when `readOnly` is false) the database at `path`.
    /// Read-only opening never creates or changes the file.
    public init(path: String, readOnly: Bool = false) throws(StudyDBError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        if readOnly, !FileManager.default.fileExists(atPath: path) { throw .notFound(path: path) }
        if !readOnly { try Self.checkWritable(path) }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .cannotOpen(path: path, reason: Self.reason(error))
        }
        let migrator = Self.migrator()
        do {
            let (applied, superseded) = try queue.read { db in
                (try migrator.appliedIdentifiers(db), try migrator.hasBeenSuperseded(db))
            }
            if superseded {
                let unknown = try queue.read { db in
                    try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                }.filter { !Self.schemaVersions.contains($0) }
                throw StudyDBError.newerSchema(path: path, unknown: unknown)
            }
            if readOnly {
                guard applied.contains(Self.schemaVersions[0]) else { throw StudyDBError.notAStudyDatabase(path: path) }
            } else {
                // A database with tables but none of mskcine's schema versions belongs to another
                // program: refused, as `export` and `trend` refuse it (nothing is added to it).
                if !applied.contains(Self.schemaVersions[0]) {
                    let tables = try queue.read { db in
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'") ?? 0
                    }
                    if tables > 0 { throw StudyDBError.notAStudyDatabase(path: path) }
                }
                do {
                    try migrator.migrate(queue)
                } catch {
                    // Another process (a job array's tasks on one new file) may have been
                    // migrating at the same moment: once it is done, there is nothing left to do.
                    Thread.sleep(forTimeInterval: 0.5)
                    try migrator.migrate(queue)
                }
            }
        } catch let error as StudyDBError {
            throw error
        } catch {
            throw .cannotOpen(path: path, reason: Self.reason(error))
        }
    }

    /// Removes a database file and SQLite's files beside it (journal, WAL, shared memory): for a
    /// database this run created and could not use.
    public static func removeFiles(of path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// A database to be written must be writable, and so must its folder (SQLite keeps its
    /// journal beside it). Checked before SQLite is asked, so the message says so.
    static func checkWritable(_ path: String) throws(StudyDBError) {
        let fm = FileManager.default
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw .cannotOpen(path: path, reason: "it is a folder") }
            if !fm.isWritableFile(atPath: path) { throw .readOnly(path: path) }
        } else if !fm.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw .cannotOpen(path: path, reason: "the folder '\(folder)' does not exist")
        }
        if !fm.isWritableFile(atPath: folder) { throw .readOnly(path: path) }
    }

    /// A failed write: `.readOnly` when SQLite says the database is read-only, else `.failed`.
    static func writeFailure(path: String, action: String, _ error: any Error) -> StudyDBError {
        if let e = error as? DatabaseError, e.resultCode == .SQLITE_READONLY { return .readOnly(path: path) }
        return .failed(path: path, action: action, reason: reason(error))
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "SQLite error \(e.resultCode)" }
        return "\(error)"
    }

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-tables") { db in
            try db.execute(sql: """
                CREATE TABLE clips (
                  sha256 TEXT PRIMARY KEY NOT NULL,
                  sizeBytes INTEGER NOT NULL,
                  kind TEXT NOT NULL,
                  container TEXT NOT NULL,
                  codec TEXT NOT NULL,
                  width INTEGER NOT NULL,
                  height INTEGER NOT NULL,
                  fps REAL,
                  patientId TEXT,
                  muscle TEXT,
                  side TEXT,
                  studyDate TEXT,
                  identitySource TEXT NOT NULL,
                  studyInstanceUID TEXT,
                  seriesInstanceUID TEXT,
                  sopInstanceUID TEXT,
                  mmPerPixelX REAL,
                  mmPerPixelY REAL,
                  calibrationSource TEXT NOT NULL
                );
                CREATE TABLE clipPaths (
                  sha256 TEXT NOT NULL REFERENCES clips(sha256) ON DELETE CASCADE,
                  path TEXT NOT NULL,
                  relativePath TEXT NOT NULL,
                  PRIMARY KEY (sha256, path)
                );
                CREATE TABLE analyses (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  sha256 TEXT NOT NULL REFERENCES clips(sha256) ON DELETE CASCADE,
                  engineVersion TEXT NOT NULL,
                  analysedAt TEXT NOT NULL,
                  durationS REAL,
                  unit TEXT NOT NULL,
                  frameCount INTEGER NOT NULL,
                  imagingRegionX INTEGER NOT NULL,
                  imagingRegionY INTEGER NOT NULL,
                  imagingRegionWidth INTEGER NOT NULL,
                  imagingRegionHeight INTEGER NOT NULL,
                  imagingRegionSource TEXT NOT NULL,
                  restGapWidth REAL,
                  peakGapWidth REAL,
                  gapWidening REAL,
                  restEndSeparation REAL,
                  peakEndSeparation REAL,
                  endSeparationChange REAL,
                  meanMuscleThickness REAL,
                  restMuscleThickness REAL,
                  meanEchoIntensity REAL,
                  maxDefectDepthFraction REAL NOT NULL,
                  restFrameCount INTEGER NOT NULL,
                  peakFrameCount INTEGER NOT NULL,
                  contractionSeen INTEGER NOT NULL,
                  classification TEXT NOT NULL,
                  suspectedFullThicknessTear INTEGER NOT NULL,
                  confidence REAL NOT NULL,
                  evidence TEXT NOT NULL,
                  warnings TEXT NOT NULL,
                  UNIQUE (sha256, engineVersion)
                );
                CREATE TABLE frames (
                  analysisId INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
                  frameIndex INTEGER NOT NULL,
                  timeS REAL NOT NULL,
                  gapWidth REAL NOT NULL,
                  endSeparation REAL NOT NULL,
                  defectDepthFraction REAL NOT NULL,
                  muscleThickness REAL,
                  echoIntensity REAL,
                  contraction REAL NOT NULL,
                  muscleDetected INTEGER NOT NULL,
                  defectDetected INTEGER NOT NULL,
                  PRIMARY KEY (analysisId, frameIndex)
                );
                CREATE TABLE failures (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  sha256 TEXT,
                  path TEXT NOT NULL,
                  relativePath TEXT NOT NULL,
                  engineVersion TEXT NOT NULL,
                  stage TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  failedAt TEXT NOT NULL,
                  UNIQUE (path, engineVersion)
                );
                CREATE INDEX failuresBySha ON failures(sha256, engineVersion);
                """)
        }
        migrator.registerMigration("v2-studies-view") { db in
            // One row per study: the clips of one patient, muscle, side and date.
            try db.execute(sql: """
                CREATE VIEW studies AS
                  SELECT patientId, muscle, side, studyDate, COUNT(*) AS clipCount
                  FROM clips WHERE patientId IS NOT NULL
                  GROUP BY patientId, muscle, side, studyDate
                """)
        }
        migrator.registerMigration("v3-fascicle-geometry") { db in
            // Fascicle geometry per frame (degrees; length in the analysis' unit) and at rest per clip (issue 12).
            try db.execute(sql: """
                ALTER TABLE frames ADD COLUMN fascicleAngleDeg REAL;
                ALTER TABLE frames ADD COLUMN deepAponeurosisAngleDeg REAL;
                ALTER TABLE frames ADD COLUMN pennationAngleDeg REAL;
                ALTER TABLE frames ADD COLUMN fascicleLength REAL;
                ALTER TABLE analyses ADD COLUMN restPennationAngleDeg REAL;
                ALTER TABLE analyses ADD COLUMN restFascicleLength REAL;
                """)
        }
        migrator.registerMigration("v4-stored-reports") { db in
            // Structured reports stored to a DICOMweb server (issue 15): one row per source instance,
            // engine version and server root, so a second `--store-results` stores nothing again.
            try db.execute(sql: """
                CREATE TABLE storedReports (
                  sopInstanceUID TEXT NOT NULL,
                  engineVersion TEXT NOT NULL,
                  server TEXT NOT NULL,
                  reportInstanceUID TEXT NOT NULL,
                  storedAt TEXT NOT NULL,
                  PRIMARY KEY (sopInstanceUID, engineVersion, server)
                );
                """)
        }
        return migrator
    }

    // MARK: Batch

    /// Whether this content was analysed (or failed) with `engineVersion`.
    public func status(sha256: String, engineVersion: String) throws(StudyDBError) -> ClipStatus {
        do {
            return try queue.read { db in
                if try Int.fetchOne(db, sql: "SELECT 1 FROM analyses WHERE sha256 = ? AND engineVersion = ?", arguments: [sha256, engineVersion]) != nil {
                    return .analysed
                }
                if let reason = try String.fetchOne(db, sql: "SELECT reason FROM failures WHERE sha256 = ? AND engineVersion = ? ORDER BY id DESC LIMIT 1",
                                                    arguments: [sha256, engineVersion]) {
                    return .failed(reason: reason)
                }
                return .notSeen
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// Records another path for content already in the database.
    public func addPath(sha256: String, path clipPath: String, relativePath: String) throws(StudyDBError) {
        do {
            try queue.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO clipPaths (sha256, path, relativePath) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM clips WHERE sha256 = ?)",
                               arguments: [sha256, clipPath, relativePath, sha256])
            }
        } catch {
            throw Self.writeFailure(path: path, action: "writing", error)
        }
    }

    /// Stores one clip's analysis (clip, path, analysis, frames) in one transaction, and clears
    /// any failure recorded for the same content or path. With `replace`, an earlier analysis by
    /// the same engine version is deleted first; without it, one already there is kept.
    @discardableResult
    public func store(clip: ClipRecord, path clipPath: String, relativePath: String, analysis a: ClipAnalysis,
                      engineVersion: String, durationS: Double?, replace: Bool, analysedAt: Date = Date()) throws(StudyDBError) -> StoreOutcome {
        let row = AnalysisRow(a)
        let stamp = Self.timestamp(analysedAt)
        do {
            return try queue.write { db -> StoreOutcome in
                try Self.upsertClip(db, clip)
                try db.execute(sql: "INSERT OR IGNORE INTO clipPaths (sha256, path, relativePath) VALUES (?, ?, ?)",
                               arguments: [clip.sha256, clipPath, relativePath])
                try db.execute(sql: "DELETE FROM failures WHERE engineVersion = ? AND (sha256 = ? OR path = ?)",
                               arguments: [engineVersion, clip.sha256, clipPath])
                var outcome = StoreOutcome.inserted
                if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM analyses WHERE sha256 = ? AND engineVersion = ?",
                                                     arguments: [clip.sha256, engineVersion]) {
                    guard replace else { return .alreadyPresent }
                    try db.execute(sql: "DELETE FROM analyses WHERE id = ?", arguments: [existing])
                    outcome = .replaced
                }
                try row.insert(db, sha256: clip.sha256, engineVersion: engineVersion, analysedAt: stamp, durationS: durationS)
                return outcome
            }
        } catch {
            throw Self.writeFailure(path: path, action: "storing the result of \(clipPath)", error)
        }
    }

    static func upsertClip(_ db: Database, _ clip: ClipRecord) throws {
        let id = clip.identity
        try db.execute(sql: """
            INSERT INTO clips (sha256, sizeBytes, kind, container, codec, width, height, fps, patientId, muscle, side, studyDate,
                               identitySource, studyInstanceUID, seriesInstanceUID, sopInstanceUID, mmPerPixelX, mmPerPixelY, calibrationSource)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(sha256) DO UPDATE SET
              patientId = excluded.patientId, muscle = excluded.muscle, side = excluded.side, studyDate = excluded.studyDate,
              identitySource = excluded.identitySource, studyInstanceUID = excluded.studyInstanceUID,
              seriesInstanceUID = excluded.seriesInstanceUID, sopInstanceUID = excluded.sopInstanceUID,
              mmPerPixelX = excluded.mmPerPixelX, mmPerPixelY = excluded.mmPerPixelY, calibrationSource = excluded.calibrationSource
            """, arguments: [clip.sha256, clip.sizeBytes, clip.kind, clip.container, clip.codec, clip.width, clip.height, clip.fps,
                             id.patientId, id.muscle, id.side, id.studyDate, id.source, id.studyInstanceUID, id.seriesInstanceUID,
                             id.sopInstanceUID, clip.mmPerPixel?.first, clip.mmPerPixel.map { $0.count > 1 ? $0[1] : $0[0] }, clip.calibrationSource])
    }

    /// Records that a clip could not be analysed (replacing an earlier failure of the same path).
    public func recordFailure(sha256: String?, path clipPath: String, relativePath: String, engineVersion: String,
                              stage: String, reason: String, failedAt: Date = Date()) throws(StudyDBError) {
        do {
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO failures (sha256, path, relativePath, engineVersion, stage, reason, failedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(path, engineVersion) DO UPDATE SET sha256 = excluded.sha256, stage = excluded.stage,
                      reason = excluded.reason, failedAt = excluded.failedAt, relativePath = excluded.relativePath
                    """, arguments: [sha256, clipPath, relativePath, engineVersion, stage, reason, Self.timestamp(failedAt)])
            }
        } catch {
            throw Self.writeFailure(path: path, action: "recording the failure of \(clipPath)", error)
        }
    }

    public func counts() throws(StudyDBError) -> StudyCounts {
        do {
            return try queue.read { db in
                func n(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
                return StudyCounts(clips: try n("clips"), paths: try n("clipPaths"), analyses: try n("analyses"),
                                   frames: try n("frames"), failures: try n("failures"))
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    /// The applied schema versions, oldest first.
    public func schemaVersionsApplied() throws(StudyDBError) -> [String] {
        do {
            return try queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

/// The columns of `analyses` and `frames` from one `ClipAnalysis` (values in its `unit`).
struct AnalysisRow: Sendable {
    let a: ClipAnalysis
    init(_ a: ClipAnalysis) { self.a = a }

    /// Median thickness over the rest frames (the analysis' rest window), the value trends compare.
    static func restThickness(_ a: ClipAnalysis) -> Double? {
        let values = a.frames.filter { $0.contraction <= a.parameters.windows.restMaxContraction }.compactMap { $0.muscleThickness?.value }.sorted()
        guard !values.isEmpty else { return nil }
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }

    /// Median of a per-frame value over the rest frames (contraction <= 0.2), nil where none has it.
    static func rest(_ a: ClipAnalysis, _ value: (FrameMeasurement) -> Double?) -> Double? {
        let values = a.frames.filter { $0.contraction <= 0.2 }.compactMap(value).sorted()
        guard !values.isEmpty else { return nil }
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }

    static func json(_ strings: [String]) -> String {
        JSONValue.array(strings.map { .string($0) }).serialized()
    }

    func insert(_ db: Database, sha256: String, engineVersion: String, analysedAt: String, durationS: Double?) throws {
        let s = a.summary, r = a.imagingRegion, f = a.finding
        try db.execute(sql: """
            INSERT INTO analyses (sha256, engineVersion, analysedAt, durationS, unit, frameCount,
              imagingRegionX, imagingRegionY, imagingRegionWidth, imagingRegionHeight, imagingRegionSource,
              restGapWidth, peakGapWidth, gapWidening, restEndSeparation, peakEndSeparation, endSeparationChange,
              meanMuscleThickness, restMuscleThickness, meanEchoIntensity, maxDefectDepthFraction, restFrameCount, peakFrameCount,
              contractionSeen, classification, suspectedFullThicknessTear, confidence, evidence, warnings)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: StatementArguments([
                sha256, engineVersion, analysedAt, durationS, a.unit.rawValue, a.frames.count,
                r.x, r.y, r.width, r.height, a.imagingRegionSource,
                s.restGapWidth?.value, s.peakGapWidth?.value, s.gapWidening?.value,
                s.restEndSeparation?.value, s.peakEndSeparation?.value, s.endSeparationChange?.value,
                s.meanMuscleThickness?.value, Self.restThickness(a), s.meanEchoIntensity, s.maxDefectDepthFraction,
                s.restFrameCount, s.peakFrameCount, a.contractionSeen,
                f.classification.rawValue, f.suspectedFullThicknessTear, f.confidence, Self.json(f.evidence), Self.json(a.warnings),
            ] as [(any DatabaseValueConvertible)?]))
        let id = db.lastInsertedRowID
        try db.execute(sql: "UPDATE analyses SET restPennationAngleDeg = ?, restFascicleLength = ? WHERE id = ?",
                       arguments: [Self.rest(a, \.pennationAngleDeg), Self.rest(a) { $0.fascicleLength?.value }, id])
        let statement = try db.makeStatement(sql: """
            INSERT INTO frames (analysisId, frameIndex, timeS, gapWidth, endSeparation, defectDepthFraction, muscleThickness,
                                echoIntensity, contraction, muscleDetected, defectDetected,
                                fascicleAngleDeg, deepAponeurosisAngleDeg, pennationAngleDeg, fascicleLength)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for m in a.frames {
            try statement.execute(arguments: [id, m.index, m.timeS, m.gapWidth.value, m.endSeparation.value, m.defectDepthFraction,
                                              m.muscleThickness?.value, m.echoIntensity, m.contraction, m.muscleDetected, m.defectDetected,
                                              m.fascicleAngleDeg, m.deepAponeurosisAngleDeg, m.pennationAngleDeg, m.fascicleLength?.value])
        }
    }
}
