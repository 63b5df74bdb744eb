import ArgumentParser
import Foundation
import MSKBatch
import MSKFFmpeg
import MSKFiles
import MSKPACS
import MSKReader
import MSKStudyDB

extension MSKCine {
    /// `mskcine batch PATH... --db results.sqlite [--jobs N] [--manifest FILE.csv] [--shard K/N] [--force]`, or
    /// `mskcine batch --dicomweb URL [filters] --db results.sqlite [--cache DIR] [--store-results]`.
    struct Batch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse every clip under the given folders into a study database (resumable, parallel, shardable).",
            discussion: """
                Clips are recognised by content (video FFmpeg's probe knows, or DICOM); other files are counted and skipped. \
                A clip whose content was already analysed by this engine version is skipped (--force redoes it); each result \
                is stored in one transaction, so a killed batch started again loses nothing and stores nothing twice. \
                Exit status 1 when any clip failed (each failure is recorded in the database with its reason). \
                With --dicomweb URL the clips come from a PACS instead (Docs/pacs.md): multi-frame instances found by QIDO-RS \
                are retrieved with WADO-RS into --cache and analysed the same way; an instance whose SOP Instance UID was \
                already analysed by this engine version is not fetched again. Exit status 3 when the server cannot be used.
                """)

        @Argument(help: "Folders (walked recursively) or files.")
        var paths: [String] = []

        @Option(help: ArgumentHelp("Take the clips from this DICOMweb server instead of folders (its root, e.g. http://host:8042/dicom-web).", valueName: "URL"))
        var dicomweb: String?

        @Option(help: ArgumentHelp("With --dicomweb: the content-addressed cache of retrieved instances (default: dicomweb-cache beside the database).", valueName: "DIR"))
        var cache: String?

        @Flag(help: "With --dicomweb: store a structured report (DICOM SR, STOW-RS) of each analysis to the same server.")
        var storeResults = false

        @OptionGroup var filters: PACSQueryOptions
        @OptionGroup var connection: DICOMwebOptions

        @Option(help: ArgumentHelp("The study database (SQLite), created when missing.", valueName: "FILE.sqlite"))
        var db: String

        @Option(help: "Parallel analyses (default: one per core).")
        var jobs: Int?

        @Option(help: ArgumentHelp("Identity for clips without DICOM tags: CSV with columns path,patientId,muscle,side,studyDate.", valueName: "FILE.csv"))
        var manifest: String?

        @Option(help: ArgumentHelp("Take the K-th of N deterministic slices of the files (for job arrays).", valueName: "K/N"))
        var shard: String?

        @Flag(help: "Analyse again clips already analysed (or failed) by this engine version.")
        var force = false

        @Flag(help: "Try again clips that failed with this engine version.")
        var retryFailed = false

        @OptionGroup var calibration: CalibrationOptions

        @OptionGroup var depth: DepthOption

        func validate() throws {
            try depth.check(with: calibration)
            if dicomweb == nil {
                if paths.isEmpty { throw ValidationError("give the folders or files to analyse, or --dicomweb URL") }
                if filters.patient != nil || filters.studyDate != nil || filters.study != nil || cache != nil || storeResults {
                    throw ValidationError("--patient, --study-date, --study, --cache and --store-results go with --dicomweb URL")
                }
            } else {
                if !paths.isEmpty { throw ValidationError("give either folders or --dicomweb URL, not both") }
                if manifest != nil || force || retryFailed {
                    throw ValidationError("--manifest, --force and --retry-failed are for folders; a PACS instance's identity comes from its tags")
                }
            }
            if let jobs, !(1...256).contains(jobs) { throw ValidationError(BatchError.badJobs(jobs).description) }
            if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError(error.description) } }
        }

        func run() throws {
            FFmpegLogging.setVerbose(false)
            if let dicomweb { return try runDICOMweb(dicomweb) }
            // Everything that can be checked is checked before the database is touched, so a batch
            // that cannot start leaves no file behind.
            for root in paths where !FileManager.default.fileExists(atPath: root) { throw BatchError.pathNotFound(root) }
            try OutputCheck.check(outputs: [NamedPath("--db", db)],
                                  inputs: paths.map { NamedPath("the archive '\($0)'", $0) } + (manifest.map { [NamedPath("--manifest", $0)] } ?? []))
            let options = BatchOptions(
                roots: paths, engineVersion: EngineVersion.string,
                jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                shard: try shard.map { s throws(BatchError) in try Shard(parsing: s) } ?? .all,
                force: force, retryFailed: retryFailed,
                manifest: try manifest.map { m throws(BatchError) in try Manifest(path: m) },
                mmPerPixel: try calibration.spacing(), depthMm: depth.depthMm)
            let existed = FileManager.default.fileExists(atPath: db)
            let database: StudyDatabase
            do {
                database = try StudyDatabase(path: db)
            } catch {
                if !existed { StudyDatabase.removeFiles(of: db) }
                throw error
            }
            let progress = BatchProgressLine(interactive: isatty(2) == 1)
            let summary: BatchProgress
            do {
                summary = try BatchRunner(options: options, database: database).run { event in progress.show(event) }
            } catch {
                progress.end()
                throw error
            }
            progress.end()
            print(BatchText.summary(summary, shard: options.shard, db: db))
            if summary.withoutIdentity > 0 {
                printError("mskcine: note: \(summary.withoutIdentity) analysed clip(s) have no patient identity (no DICOM tags, manifest row or labels beside them); give --manifest FILE.csv so trends can use them")
            }
            if summary.anyFailed { throw ExitCode(ExitStatus.failure) }
        }
    }
}

extension MSKCine.Batch {
    /// The batch fed from a DICOMweb server.
    func runDICOMweb(_ url: String) throws {
        let config = try connection.configuration(url: url)
        try OutputCheck.check(outputs: [NamedPath("--db", db)], inputs: cache.map { [NamedPath("--cache", $0)] } ?? [])
        let options = PACSBatchOptions(
            query: filters.query, engineVersion: EngineVersion.string,
            jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            shard: try shard.map { s throws(BatchError) in try Shard(parsing: s) } ?? .all,
            cacheDirectory: cache ?? InstanceCache.defaultDirectory(forDatabase: db),
            storeResults: storeResults, mmPerPixel: try calibration.spacing(), depthMm: depth.depthMm)
        let existed = FileManager.default.fileExists(atPath: db)
        let database: StudyDatabase
        do { database = try StudyDatabase(path: db) } catch {
            if !existed { StudyDatabase.removeFiles(of: db) }
            throw error
        }
        let interactive = isatty(2) == 1
        let summary: PACSBatchSummary
        do {
            summary = try AsyncBridge.run {
                try await DICOMwebClient.with(config) { client in
                    try await PACSBatch.run(client: client, database: database, options: options) { event in
                        PACSBatchText.show(event, interactive: interactive)
                    }
                }
            }
        } catch {
            // A database this run created and never wrote an analysis into is not left behind.
            if !existed, (try? database.counts()).map({ $0.analyses == 0 && $0.failures == 0 }) == true { StudyDatabase.removeFiles(of: db) }
            throw error
        }
        print(PACSBatchText.summary(summary, shard: options.shard, db: db, storeResults: storeResults))
        if summary.withoutIdentity > 0 {
            printError("mskcine: note: \(summary.withoutIdentity) analysed instance(s) carry no Patient ID; trends leave them out")
        }
        if summary.anyFailed { throw ExitCode(ExitStatus.failure) }
    }
}

enum PACSBatchText {
    static func show(_ event: PACSBatchEvent, interactive: Bool) {
        switch event {
        case .searched(let found, let candidates, let toFetch):
            printError("mskcine: batch: \(found) instance(s) found, \(candidates) multi-frame in this shard, \(toFetch) to analyse")
        case .instanceFailed(let sop, let reason):
            printError("mskcine: batch: failed: \(reason)" + (reason.contains(sop) ? "" : " (instance \(sop))"))
        case .instanceDone:
            break
        case .report(let e):
            if case .failed(let sop, let reason) = e { printError("mskcine: batch: report not stored: \(reason) (instance \(sop))") }
        }
    }

    static func summary(_ s: PACSBatchSummary, shard: Shard, db: String, storeResults: Bool) -> String {
        var line = "batch" + (shard.count > 1 ? " (shard \(shard))" : "") + ": \(s.candidates) instance(s): \(s.analysed) analysed, "
            + "\(s.alreadyAnalysed) already done, \(s.retrieveFailed + s.analysisFailed) failed; \(s.fetched) fetched ("
            + String(format: "%.1f MB", Double(s.fetchedBytes) / 1e6) + ")"
        if storeResults {
            line += "; reports: \(s.reports.stored) stored, \(s.reports.alreadyStored) already stored, \(s.reports.failed) failed"
        }
        return line + " in " + BatchText.duration(s.elapsedS) + "; results in \(db)"
    }
}

enum BatchText {
    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }

    static func counts(_ p: BatchProgress) -> String {
        var s = "\(p.done)/\(p.total) files: \(p.analysed) analysed, \(p.alreadyAnalysed) already done, \(p.failed + p.failedEarlier) failed"
        if p.notClips > 0 { s += ", \(p.notClips) not clips" }
        return s
    }

    static func summary(_ p: BatchProgress, shard: Shard, db: String) -> String {
        var s = "batch" + (shard.count > 1 ? " (shard \(shard))" : "") + ": " + counts(p) + " in " + duration(p.elapsedS)
        if p.failedEarlier > 0 { s += " (\(p.failedEarlier) failed in an earlier run; --retry-failed tries them again)" }
        return s + "; results in \(db)"
    }
}

/// The progress line on standard error: rewritten in place on a terminal; otherwise a line at
/// every tenth of the files and for each failure, so logs stay short.
final class BatchProgressLine: @unchecked Sendable {
    // Safe: BatchRunner calls `show` serially (under its lock), and `end` after the run.
    let interactive: Bool
    private var lastTenth = -1
    private var drawn = false

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ event: BatchEvent) {
        switch event {
        case .started(let found, let p):
            printError("mskcine: batch: \(p.total) file(s) to look at" + (p.total != found ? " (of \(found) found)" : ""))
        case .finishedFile(let file, let outcome, let p):
            if case .failed(_, let reason) = outcome {
                clear()
                printError("mskcine: batch: failed: \(reason)" + (reason.contains(file.path) ? "" : " (\(file.path))"))
            }
            let line = "mskcine: batch: " + BatchText.counts(p) + ", elapsed " + BatchText.duration(p.elapsedS)
                + (p.done < p.total ? ", about " + (p.etaS.map(BatchText.duration) ?? "?") + " left" : "")
            if interactive {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                drawn = true
            } else {
                let tenth = p.total > 0 ? p.done * 10 / p.total : 10
                if tenth != lastTenth { lastTenth = tenth; printError(line) }
            }
        }
    }

    private func clear() {
        if interactive && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
    }

    func end() {
        if interactive && drawn { FileHandle.standardError.write(Data("\n".utf8)); drawn = false }
    }
}
