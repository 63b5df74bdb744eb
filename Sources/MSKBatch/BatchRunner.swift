import Foundation
import MSKAnalysis
import MSKImaging
import MSKLabels
import MSKReader
import MSKStudyDB

/// How to run a batch.
public struct BatchOptions: Sendable {
    /// Folders (walked recursively) and files.
    public var roots: [String]
    /// Written into every analysis; a clip analysed by this version is not analysed again.
    public var engineVersion: String
    /// Parallel analyses (default: one per core).
    public var jobs: Int
    public var shard: Shard
    /// Analyse again clips already analysed (or failed) by this engine version.
    public var force: Bool
    /// Try again clips that failed with this engine version (without `force`, failures are kept).
    public var retryFailed: Bool
    public var manifest: Manifest?
    /// `--mm-per-pixel`: overrides every clip's own calibration (DICOM, labels), as in `analyze`.
    public var mmPerPixel: Spacing?
    /// `--depth-mm`: the depth shown on the screen, for clips without calibration of their own
    /// (checks the depth ruler, or calibrates from the imaging region's height), as in `analyze`.
    public var depthMm: Double?

    public init(roots: [String], engineVersion: String, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                shard: Shard = .all, force: Bool = false, retryFailed: Bool = false, manifest: Manifest? = nil, mmPerPixel: Spacing? = nil,
                depthMm: Double? = nil) {
        self.depthMm = depthMm
        self.roots = roots
        self.engineVersion = engineVersion
        self.jobs = jobs
        self.shard = shard
        self.force = force
        self.retryFailed = retryFailed
        self.manifest = manifest
        self.mmPerPixel = mmPerPixel
    }
}

/// What happened to one file.
public enum ClipOutcome: Sendable, Equatable {
    case analysed
    /// Already analysed by this engine version (this content, maybe at another path).
    case alreadyAnalysed
    /// Failed earlier with this engine version; kept (use --retry-failed or --force).
    case failedEarlier(reason: String)
    case failed(stage: String, reason: String)
    /// Not a clip by its content (skipped quietly, counted).
    case notAClip
}

/// Counts so far, for the progress line.
public struct BatchProgress: Sendable, Equatable {
    /// Files in this shard (clips and others).
    public var total = 0
    public var done = 0
    public var analysed = 0
    public var alreadyAnalysed = 0
    public var failed = 0
    public var failedEarlier = 0
    public var notClips = 0
    /// Analysed clips without patient identity (no DICOM tags, manifest row or labels).
    public var withoutIdentity = 0
    public var elapsedS = 0.0
    /// Seconds left, estimated from the time per file analysed so far; nil before the first.
    public var etaS: Double?

    public var anyFailed: Bool { failed + failedEarlier > 0 }
}

public enum BatchEvent: Sendable {
    /// The walk is done: `progress.total` files in this shard (of `filesFound` in all).
    case started(filesFound: Int, progress: BatchProgress)
    case finishedFile(FoundFile, ClipOutcome, BatchProgress)
}

/// Analyses an archive into a study database: walks it, takes this shard's slice, recognises
/// clips by content, and analyses them on `jobs` threads. Each analysis runs on one thread and
/// owns its reader and analyser; the threads share only the immutable file list, the database
/// (GRDB's `DatabaseQueue` serialises writes) and the counters behind a lock.
public final class BatchRunner: Sendable {
    public let options: BatchOptions
    public let database: StudyDatabase

    public init(options: BatchOptions, database: StudyDatabase) throws(BatchError) {
        guard (1...256).contains(options.jobs) else { throw .badJobs(options.jobs) }
        self.options = options
        self.database = database
    }

    /// Runs the batch to the end. `events` is called (serially) after the walk and after every file.
    /// Throws only when the batch cannot go on (a path missing, the database not writable);
    /// clips that fail are recorded and counted.
    public func run(events: @escaping @Sendable (BatchEvent) -> Void = { _ in }) throws(BatchError) -> BatchProgress {
        let all = try Discovery.files(under: options.roots)
        let files = all.filter { options.shard.contains(relativePath: $0.relativePath) }
        let start = Date()
        let state = Locked(RunState(progress: BatchProgress(total: files.count)))
        events(.started(filesFound: all.count, progress: state.withLock { $0.progress }))
        let group = DispatchGroup()
        for _ in 0..<min(options.jobs, max(1, files.count)) {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    let next: Int? = state.withLock { s in
                        guard s.fatal == nil, s.next < files.count else { return nil }
                        s.next += 1
                        return s.next - 1
                    }
                    guard let index = next else { return }
                    let file = files[index]
                    let outcome: ClipOutcome
                    let t0 = Date()
                    var noIdentity = false
                    do throws(StudyDBError) {
                        outcome = try process(file, identityMissing: &noIdentity)
                    } catch {
                        state.withLock { s in if s.fatal == nil { s.fatal = error } }
                        return
                    }
                    let spent = Date().timeIntervalSince(t0)
                    state.withLock { s in
                        s.progress.done += 1
                        s.workS += spent
                        switch outcome {
                        case .analysed: s.progress.analysed += 1
                        case .alreadyAnalysed: s.progress.alreadyAnalysed += 1
                        case .failedEarlier: s.progress.failedEarlier += 1
                        case .failed: s.progress.failed += 1
                        case .notAClip: s.progress.notClips += 1
                        }
                        s.progress.elapsedS = Date().timeIntervalSince(start)
                        // Time left: remaining files at the mean time per file so far, over the threads.
                        let remaining = Double(s.progress.total - s.progress.done)
                        s.progress.etaS = s.progress.done > 0 ? remaining * s.workS / Double(s.progress.done) / Double(options.jobs) : nil
                        if case .analysed = outcome, noIdentity { s.progress.withoutIdentity += 1 }
                        events(.finishedFile(file, outcome, s.progress))
                    }
                }
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        group.wait()
        if let fatal = state.withLock({ $0.fatal }) {
            throw .database(fatal)
        }
        return state.withLock { $0.progress }
    }

    /// One file (a folder's, or one retrieved from a DICOMweb server into the cache), analysed
    /// and stored exactly as `run` does it. Throws only database errors; the returned flag is true
    /// when an analysed clip has no patient identity.
    public func analyse(_ file: FoundFile) throws(StudyDBError) -> (outcome: ClipOutcome, withoutIdentity: Bool) {
        var noIdentity = false
        let outcome = try process(file, identityMissing: &noIdentity)
        return (outcome, noIdentity)
    }

    struct RunState {
        var progress: BatchProgress
        var next = 0
        var workS = 0.0
        var fatal: StudyDBError?
    }

    /// One file, start to end. Throws only database errors (the batch stops); every other
    /// problem is the clip's failure, recorded.
    func process(_ file: FoundFile, identityMissing: inout Bool) throws(StudyDBError) -> ClipOutcome {
        let engine = options.engineVersion
        let content = ClipKind.content(path: file.path)
        if content == .notAClip { return .notAClip }
        guard let sha = SHA256.hexDigest(ofFile: file.path) else {
            let reason = "cannot read '\(file.path)'; check the file's permissions"
            try database.recordFailure(sha256: nil, path: file.path, relativePath: file.relativePath, engineVersion: engine, stage: "read", reason: reason)
            return .failed(stage: "read", reason: reason)
        }
        if !options.force {
            switch try database.status(sha256: sha, engineVersion: engine) {
            case .analysed:
                try database.addPath(sha256: sha, path: file.path, relativePath: file.relativePath)
                return .alreadyAnalysed
            case .failed(let reason) where !options.retryFailed:
                return .failedEarlier(reason: reason)
            default:
                break
            }
        }
        func fail(_ stage: String, _ reason: String) throws(StudyDBError) -> ClipOutcome {
            try database.recordFailure(sha256: sha, path: file.path, relativePath: file.relativePath, engineVersion: engine, stage: stage, reason: reason)
            return .failed(stage: stage, reason: reason)
        }
        let reader: any FrameSource
        do {
            // With several jobs each one decodes on its own thread: the jobs already fill the cores,
            // and decoder threads on top of them only contend.
            reader = try openClip(path: file.path, options: ClipOptions(reader: ReaderOptions(decoderThreads: self.options.jobs > 1 ? 1 : 0)))
        } catch {
            if case .noVideoStream = error { return .notAClip }
            return try fail("open", error.description)
        }
        let labels = Self.labelsBeside(file.path)
        // One rule (Calibration.resolve): --mm-per-pixel, then the file's DICOM calibration, then the
        // labels beside the clip. An implausible value is this clip's recorded failure.
        var candidates = CalibrationCandidates(dicom: reader.info.calibration?.mmPerPixel, labels: labels?.mmPerPixel)
        if let s = self.options.mmPerPixel { candidates.cli = [s.mmPerPixelX, s.mmPerPixelY] }
        let resolved: (spacing: Spacing?, source: CalibrationSource)
        do { resolved = try Calibration.resolve(candidates, path: file.path) } catch {
            return try fail("calibration", error.description)
        }
        var options = AnalysisOptions(mmPerPixel: resolved.spacing, calibrationSource: resolved.source)
        options.depthMm = self.options.depthMm
        let identity = identity(for: file.path, info: reader.info, labels: labels)
        identityMissing = identity.patientId == nil
        let t0 = Date()
        let analysis: ClipAnalysis
        do {
            analysis = try ClipAnalyzer.analyze(source: reader, options: options)
        } catch let error as ReaderError {
            return try fail("decode", error.description)
        } catch let error as AnalysisError {
            return try fail("analysis", error.description)
        } catch {
            return try fail("analysis", "\(file.path): \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
        // The calibration the analysis used: the resolved one, or the screen's (ruler, --depth-mm).
        let mmPerPixel = analysis.calibration.map { [$0.mmPerPixelX, $0.mmPerPixelY] }
        let calibrationSource = analysis.calibrationSource.rawValue
        let info = reader.info
        let record = ClipRecord(sha256: sha, sizeBytes: size, kind: Self.kind(content), container: info.container,
                                codec: info.codec, width: info.width, height: info.height, fps: info.fps, identity: identity,
                                mmPerPixel: mmPerPixel, calibrationSource: calibrationSource)
        let outcome = try database.store(clip: record, path: file.path, relativePath: file.relativePath, analysis: analysis,
                                         engineVersion: engine, durationS: Date().timeIntervalSince(t0), replace: self.options.force)
        return outcome == .alreadyPresent ? .alreadyAnalysed : .analysed
    }

    /// The `kind` column: "dicom", "video", or "image" (a still image, analysed as one frame).
    static func kind(_ content: ClipContent) -> String {
        switch content {
        case .dicom: return "dicom"
        case .still: return "image"
        case .video, .notAClip: return "video"
        }
    }

    /// Identity: the manifest's row first, then the DICOM tags, then the labels beside the clip;
    /// each field from the first that gives it. `source` names where the patient id came from.
    func identity(for path: String, info: ClipInfo, labels: LabelsDocument?) -> ClipIdentity {
        var id = ClipIdentity()
        var sources: [String] = []
        func take(_ other: ClipIdentity, _ source: String) {
            var used = false
            if id.patientId == nil, let v = other.patientId { id.patientId = v; used = true }
            if id.muscle == nil, let v = other.muscle { id.muscle = v; used = true }
            if id.side == nil, let v = other.side { id.side = v; used = true }
            if id.studyDate == nil, let v = other.studyDate { id.studyDate = v; used = true }
            if used { sources.append(source) }
        }
        if let m = options.manifest?.identity(forFile: path) { take(m, "manifest") }
        if let d = info.dicom {
            take(ClipIdentity(patientId: d.patientID.flatMap { $0.isEmpty ? nil : $0 }, side: d.laterality.map(Manifest.side),
                              studyDate: d.studyDate.flatMap(Manifest.isoDate)), "dicom")
            id.studyInstanceUID = d.studyInstanceUID
            id.seriesInstanceUID = d.seriesInstanceUID
            id.sopInstanceUID = d.sopInstanceUID
        }
        if let l = labels {
            take(ClipIdentity(patientId: l.patientId, muscle: l.muscle, side: l.side.map(Manifest.side),
                              studyDate: l.studyDate.flatMap(Manifest.isoDate)), "labels")
        }
        id.source = sources.isEmpty ? "none" : sources.joined(separator: "+")
        return id
    }

    /// `<stem>.labels.json` (or `<name>.labels.json`) beside the clip, when it names this clip.
    static func labelsBeside(_ path: String) -> LabelsDocument? {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        for name in [url.deletingPathExtension().lastPathComponent, url.lastPathComponent] {
            let candidate = dir.appendingPathComponent(name + ".labels.json")
            guard FileManager.default.fileExists(atPath: candidate.path),
                  let labels = try? LabelsDocument.read(from: candidate), labels.clip == url.lastPathComponent else { continue }
            return labels
        }
        return nil
    }
}

/// A value behind a lock. `@unchecked Sendable` is safe: the value is only reached through
/// `withLock`, which holds the lock for the whole access.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
