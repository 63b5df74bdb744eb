import Foundation
import MSKAnalysis
import MSKBatch
import MSKImaging
import MSKStudyDB

/// How to run a batch fed from a DICOMweb server.
public struct PACSBatchOptions: Sendable {
    public var query: InstanceQuery
    public var engineVersion: String
    /// Instances in flight at once: each is retrieved, then analysed on its own thread, so one
    /// instance's retrieval overlaps another's analysis.
    public var jobs: Int
    public var shard: Shard
    public var cacheDirectory: String
    /// Store a structured report of every analysis (this run's and earlier ones') with STOW-RS.
    public var storeResults: Bool
    /// `--mm-per-pixel`, as for folders.
    public var mmPerPixel: Spacing?
    /// `--depth-mm`, as for folders (used where an instance carries no calibration of its own).
    public var depthMm: Double?

    public init(query: InstanceQuery, engineVersion: String, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                shard: Shard = .all, cacheDirectory: String, storeResults: Bool = false, mmPerPixel: Spacing? = nil,
                depthMm: Double? = nil) {
        self.depthMm = depthMm
        self.query = query
        self.engineVersion = engineVersion
        self.jobs = jobs
        self.shard = shard
        self.cacheDirectory = cacheDirectory
        self.storeResults = storeResults
        self.mmPerPixel = mmPerPixel
    }
}

/// What a PACS batch did.
public struct PACSBatchSummary: Sendable, Equatable {
    /// Instances the search returned.
    public var found = 0
    /// Of those, multi-frame instances (cine clips) in this shard.
    public var candidates = 0
    /// Already analysed by this engine version (not fetched).
    public var alreadyAnalysed = 0
    /// Retrieved over the network in this run (not from the cache).
    public var fetched = 0
    public var fetchedBytes: Int64 = 0
    public var analysed = 0
    /// Analysed content already in the database (the same bytes under another UID).
    public var sameContent = 0
    /// Retrievals that failed (HTTP error, cut transfer, timeout): recorded, tried again next run.
    public var retrieveFailed = 0
    /// Analyses that failed (open, decode, analysis), now or in an earlier run.
    public var analysisFailed = 0
    public var withoutIdentity = 0
    public var reports = ReportStore.Summary()
    public var elapsedS = 0.0

    public init() {}

    public var anyFailed: Bool { retrieveFailed + analysisFailed + reports.failed > 0 }
}

public enum PACSBatchEvent: Sendable {
    case searched(found: Int, candidates: Int, toFetch: Int)
    case instanceFailed(sopInstanceUID: String, reason: String)
    case instanceDone(sopInstanceUID: String, PACSBatchSummary)
    case report(ReportStore.Event)
}

/// The batch fed from a PACS: QIDO-RS finds the multi-frame instances, those not analysed by this
/// engine version are retrieved with WADO-RS into the content-addressed cache and analysed by the
/// folder batch's own code (`BatchRunner.analyse`), so results equal those of the same files
/// analysed from a folder; with `storeResults`, each analysis goes back as a structured report.
public enum PACSBatch {
    public static func run(client: DICOMwebClient, database: StudyDatabase, options: PACSBatchOptions,
                           events: @escaping @Sendable (PACSBatchEvent) -> Void = { _ in }) async throws -> PACSBatchSummary {
        let start = Date()
        guard (1...256).contains(options.jobs) else { throw BatchError.badJobs(options.jobs) }
        let found = try await client.searchInstances(options.query)
        // Created once the server has answered: a batch that cannot start leaves no folder behind.
        let cache = try InstanceCache(directory: options.cacheDirectory)
        let candidates = found.filter { $0.isMultiFrame && options.shard.contains(relativePath: $0.sopInstanceUID) }
            .sorted { $0.sopInstanceUID < $1.sopInstanceUID }
        let done = try database.analysedSOPInstanceUIDs(engineVersion: options.engineVersion)
        let todo = candidates.filter { !done.contains($0.sopInstanceUID) }
        var summary = PACSBatchSummary()
        summary.found = found.count
        summary.candidates = candidates.count
        summary.alreadyAnalysed = candidates.count - todo.count
        events(.searched(found: found.count, candidates: candidates.count, toFetch: todo.count))

        let runner = try BatchRunner(options: BatchOptions(roots: [], engineVersion: options.engineVersion, jobs: options.jobs,
                                                           mmPerPixel: options.mmPerPixel, depthMm: options.depthMm), database: database)
        let state = Counters(summary)
        let work = Work(client: client, cache: cache, runner: runner, database: database, engineVersion: options.engineVersion,
                        state: state, events: events)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = todo[...]
            for _ in 0..<min(options.jobs, todo.count) {
                guard let instance = pending.popFirst() else { break }
                group.addTask { try await work.process(instance) }
            }
            while try await group.next() != nil {
                if let instance = pending.popFirst() { group.addTask { try await work.process(instance) } }
            }
        }
        summary = state.summary
        if options.storeResults {
            let uids = Set(candidates.map(\.sopInstanceUID))
            let records = try database.instanceAnalyses(sopInstanceUIDs: uids).filter { $0.engineVersion == options.engineVersion }
            let known = Dictionary(candidates.map { ($0.sopInstanceUID, $0) }, uniquingKeysWith: { a, _ in a })
            summary.reports = try await ReportStore.storeAll(records, client: client, database: database, known: known) { events(.report($0)) }
        }
        summary.elapsedS = Date().timeIntervalSince(start)
        return summary
    }

}

/// What every instance's task shares: the client, the cache, the analyser, the counters.
struct Work: Sendable {
    let client: DICOMwebClient
    let cache: InstanceCache
    let runner: BatchRunner
    let database: StudyDatabase
    let engineVersion: String
    let state: Counters
    let events: @Sendable (PACSBatchEvent) -> Void

    /// One instance: retrieve (or take from the cache), analyse on a thread of its own, count.
    /// Fatal errors (server down, refused credentials, cache or database unwritable) are thrown and
    /// stop the batch; any other failure is recorded and counted.
    func process(_ instance: InstanceSummary) async throws {
        let url = client.instanceURL(instance)
        let retrieved: RetrievedInstance
        do {
            retrieved = try await client.retrieve(instance, into: cache)
        } catch {
            if error.isFatal { throw error }
            try database.recordFailure(sha256: nil, path: url, relativePath: instance.sopInstanceUID, engineVersion: engineVersion,
                                       stage: "retrieve", reason: error.description)
            let s = state.retrieveFailed()
            events(.instanceFailed(sopInstanceUID: instance.sopInstanceUID, reason: error.description))
            events(.instanceDone(sopInstanceUID: instance.sopInstanceUID, s))
            return
        }
        try database.clearFailure(path: url, engineVersion: engineVersion)
        let analysed = try await analyse(FoundFile(path: retrieved.path, relativePath: instance.sopInstanceUID))
        let failure = Self.failureReason(analysed.outcome, path: retrieved.path)
        let s = state.record(analysed, fetchedBytes: retrieved.fetched ? retrieved.bytes : nil)
        if let failure { events(.instanceFailed(sopInstanceUID: instance.sopInstanceUID, reason: failure)) }
        events(.instanceDone(sopInstanceUID: instance.sopInstanceUID, s))
    }

    /// The failure's reason in words, nil when the analysis did not fail.
    static func failureReason(_ outcome: ClipOutcome, path: String) -> String? {
        switch outcome {
        case .analysed, .alreadyAnalysed: return nil
        case .failed(_, let reason): return reason
        case .failedEarlier(let reason): return reason
        case .notAClip: return "\(path): the retrieved instance is not a clip MSKCine can open"
        }
    }

    static func analyse(_ file: FoundFile, runner: BatchRunner, result: Shared<Analysed?>, failure: Shared<StudyDBError?>) {
        do {
            let r = try runner.analyse(file)
            result.update { $0 = Analysed(outcome: r.outcome, withoutIdentity: r.withoutIdentity) }
        } catch {
            failure.update { $0 = error }
        }
    }

    /// What the analysis of one file gave.
    struct Analysed: Sendable {
        var outcome: ClipOutcome
        var withoutIdentity: Bool
    }

    /// The analysis is CPU-bound and synchronous: it runs on a thread of its own (as the folder
    /// batch's do), never on the concurrency pool that drives the transfers.
    func analyse(_ file: FoundFile) async throws -> Analysed {
        let box = Shared<Analysed?>(nil)
        let failed = Shared<StudyDBError?>(nil)
        let runner = self.runner
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                Self.analyse(file, runner: runner, result: box, failure: failed)
                continuation.resume()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        if let e = failed.value { throw e }
        guard let result = box.value else { throw StudyDBError.failed(path: database.path, action: "analysing \(file.path)", reason: "no result") }
        return result
    }
}

/// The batch's counts, shared by the instances' tasks. `@unchecked Sendable` is safe: the summary
/// is only reached under the lock.
final class Counters: @unchecked Sendable {
    private var value: PACSBatchSummary
    private let lock = NSLock()

    init(_ summary: PACSBatchSummary) { value = summary }

    var summary: PACSBatchSummary {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func retrieveFailed() -> PACSBatchSummary {
        lock.lock()
        defer { lock.unlock() }
        value.retrieveFailed += 1
        return value
    }

    /// Counts one analysed instance (fetched over the network when `fetchedBytes` is given).
    func record(_ analysed: Work.Analysed, fetchedBytes: Int64?) -> PACSBatchSummary {
        lock.lock()
        defer { lock.unlock() }
        if let fetchedBytes {
            value.fetched += 1
            value.fetchedBytes += fetchedBytes
        }
        switch analysed.outcome {
        case .analysed:
            value.analysed += 1
            if analysed.withoutIdentity { value.withoutIdentity += 1 }
        case .alreadyAnalysed:
            value.sameContent += 1
        case .failed, .failedEarlier, .notAClip:
            value.analysisFailed += 1
        }
        return value
    }
}

/// A value shared by the batch's tasks behind a lock. `@unchecked Sendable` is safe: the value is
/// only reached through `update` and `value`, which hold the lock for the whole access.
final class Shared<Value: Sendable>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// Changes the value and returns it as it is after the change.
    @discardableResult
    func update(_ body: (inout Value) -> Void) -> Value {
        lock.lock()
        defer { lock.unlock() }
        body(&stored)
        return stored
    }
}
