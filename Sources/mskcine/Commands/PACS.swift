import ArgumentParser
import Foundation
import MSKFiles
import MSKPACS
import MSKStudyDB

/// Connection options every DICOMweb command shares. Credentials are never options: they come
/// from the environment or a netrc file (Docs/pacs.md).
struct DICOMwebOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds to wait for a connection or for the next bytes of an answer (default 30).", valueName: "S"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("A PEM file of CA certificates trusted besides the system's (TLS is always verified).", valueName: "FILE.pem"))
    var caFile: String?

    @Option(help: ArgumentHelp("Retries of a request answered 429 or 503, with backoff (default 4).", valueName: "N"))
    var retries: Int = 4

    func validate() throws {
        guard timeout > 0, timeout <= 86_400, timeout.isFinite else { throw ValidationError("--timeout \(timeout): give seconds from 0.1 to 86400") }
        guard (0...20).contains(retries) else { throw ValidationError("--retries \(retries): give 0 to 20") }
    }

    /// The configuration for `url`, with credentials from the environment or the netrc file.
    func configuration(url: String) throws -> DICOMwebConfiguration {
        var config = try DICOMwebConfiguration(url: url, caFile: caFile, timeoutS: timeout, retries: retries)
        config.credentials = try Credentials.resolve(host: DICOMwebConfiguration.host(of: config.root) ?? "")
        return config
    }
}

/// QIDO-RS filters shared by `pacs find` and `batch --dicomweb`.
struct PACSQueryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only this Patient ID.", valueName: "ID"))
    var patient: String?

    @Option(name: .customLong("study-date"), help: ArgumentHelp("Study dates FROM-TO (YYYYMMDD-YYYYMMDD; either side may be left open), or one date.", valueName: "FROM-TO"))
    var studyDate: String?

    @Option(help: ArgumentHelp("Modality (default US).", valueName: "CODE"))
    var modality: String = "US"

    @Option(help: ArgumentHelp("Only this Study Instance UID.", valueName: "UID"))
    var study: String?

    func validate() throws {
        if let studyDate, InstanceQuery.dateRange(studyDate) == nil {
            throw ValidationError("--study-date '\(studyDate)': give FROM-TO as YYYYMMDD-YYYYMMDD (or 2026-01-01-2026-01-31), one side may be empty")
        }
        if let study, study.isEmpty || !study.allSatisfy({ $0.isNumber || $0 == "." }) {
            throw ValidationError("--study '\(study)': give a Study Instance UID (digits and dots)")
        }
        if modality.isEmpty || modality.count > 16 { throw ValidationError("--modality '\(modality)': give a modality code such as US") }
    }

    var query: InstanceQuery {
        InstanceQuery(patientID: patient, studyDate: studyDate.flatMap(InstanceQuery.dateRange), modality: modality, studyInstanceUID: study)
    }
}

/// Runs async library code from a synchronous command and returns its result (or throws its error).
enum AsyncBridge {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }

    /// The result, set once by the task and read after it signalled. `@unchecked Sendable` is safe:
    /// the lock guards every access.
    final class ResultBox<T: Sendable>: @unchecked Sendable {
        private var result: Result<T, any Error>?
        private let lock = NSLock()
        func set(_ r: Result<T, any Error>) { lock.lock(); result = r; lock.unlock() }
        func get() throws -> T {
            lock.lock()
            defer { lock.unlock() }
            return try result!.get()
        }
    }
}

extension MSKCine {
    /// `mskcine pacs find|store`.
    struct PACS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pacs",
            abstract: "Search a PACS (DICOMweb QIDO-RS) and store findings back into it (STOW-RS).",
            discussion: """
                Credentials come from MSKCINE_DICOMWEB_USER and MSKCINE_DICOMWEB_PASSWORD, or MSKCINE_DICOMWEB_TOKEN, or \
                the netrc file named by MSKCINE_DICOMWEB_NETRC; never from an argument. See Docs/pacs.md.
                """,
            subcommands: [Find.self, Store.self])
    }
}

extension MSKCine.PACS {
    /// `mskcine pacs find URL [--patient ID] [--study-date FROM-TO] [--modality US] [--study UID] [--json]`.
    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the series matching the filters: patient, date, series, instance count, multi-frame or not.")

        @Argument(help: ArgumentHelp("The DICOMweb root, e.g. http://host:8042/dicom-web.", valueName: "URL"))
        var url: String

        @OptionGroup var filters: PACSQueryOptions
        @OptionGroup var connection: DICOMwebOptions

        @Flag(help: "Print the series as JSON on standard output.")
        var json = false

        func run() throws {
            let config = try connection.configuration(url: url)
            let query = filters.query
            let instances = try AsyncBridge.run { try await DICOMwebClient.with(config) { try await $0.searchInstances(query) } }
            let series = SeriesSummary.group(instances)
            if json {
                print(SeriesSummary.json(series))
            } else {
                for s in series { print(s.line) }
                printError("mskcine: pacs find: \(series.count) series, \(instances.count) instance(s)")
            }
        }
    }

    /// `mskcine pacs store --db FILE URL`.
    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a structured report (DICOM Comprehensive SR, STOW-RS) of every DICOM analysis in the database that was not stored yet.")

        @Argument(help: ArgumentHelp("The DICOMweb root, e.g. http://host:8042/dicom-web.", valueName: "URL"))
        var url: String

        @Option(help: ArgumentHelp("The study database.", valueName: "FILE.sqlite"))
        var db: String

        @OptionGroup var connection: DICOMwebOptions

        func run() throws {
            let config = try connection.configuration(url: url)
            guard FileManager.default.fileExists(atPath: db) else { throw StudyDBError.notFound(path: db) }
            let database = try StudyDatabase(path: db)
            let records = try database.instanceAnalyses()
            let summary = try AsyncBridge.run {
                try await DICOMwebClient.with(config) { client in
                    try await ReportStore.storeAll(records, client: client, database: database) { event in
                        if case .failed(let sop, let reason) = event { printError("mskcine: pacs store: failed: \(reason) (instance \(sop))") }
                    }
                }
            }
            print("pacs store: \(summary.stored) report(s) stored, \(summary.alreadyStored) already stored, \(summary.failed) failed; server \(config.root)")
            if summary.failed > 0 { throw ExitCode(ExitStatus.failure) }
        }
    }
}

/// One line of `pacs find`: a series and what it holds.
struct SeriesSummary: Sendable, Equatable {
    var patientID: String?
    var studyDate: String?
    var studyInstanceUID: String
    var seriesInstanceUID: String
    var modality: String?
    var instances: Int
    var multiFrameInstances: Int

    static func group(_ instances: [InstanceSummary]) -> [SeriesSummary] {
        var order: [String] = []
        var bySeries: [String: SeriesSummary] = [:]
        for i in instances {
            if bySeries[i.seriesInstanceUID] == nil {
                order.append(i.seriesInstanceUID)
                bySeries[i.seriesInstanceUID] = SeriesSummary(patientID: i.patientID, studyDate: i.studyDate, studyInstanceUID: i.studyInstanceUID,
                                                              seriesInstanceUID: i.seriesInstanceUID, modality: i.modality, instances: 0, multiFrameInstances: 0)
            }
            bySeries[i.seriesInstanceUID]!.instances += 1
            if i.isMultiFrame { bySeries[i.seriesInstanceUID]!.multiFrameInstances += 1 }
        }
        return order.map { bySeries[$0]! }.sorted {
            ($0.patientID ?? "", $0.studyDate ?? "", $0.seriesInstanceUID) < ($1.patientID ?? "", $1.studyDate ?? "", $1.seriesInstanceUID)
        }
    }

    var multiFrame: String {
        multiFrameInstances == instances ? "multi-frame" : multiFrameInstances == 0 ? "single-frame" : "\(multiFrameInstances) multi-frame"
    }

    var isoDate: String? {
        guard let d = studyDate, d.count == 8 else { return studyDate }
        return "\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))"
    }

    var line: String {
        "patient \(patientID ?? "-")  date \(isoDate ?? "-")  \(modality ?? "-")  series \(seriesInstanceUID)  \(instances) instance(s)  \(multiFrame)  study \(studyInstanceUID)"
    }

    static func json(_ list: [SeriesSummary]) -> String {
        let objects: [[String: Any]] = list.map { s in
            var o: [String: Any] = ["studyInstanceUID": s.studyInstanceUID, "seriesInstanceUID": s.seriesInstanceUID,
                                    "instances": s.instances, "multiFrameInstances": s.multiFrameInstances,
                                    "multiFrame": s.multiFrameInstances > 0]
            o["patientId"] = s.patientID ?? NSNull()
            o["studyDate"] = s.isoDate ?? NSNull()
            o["modality"] = s.modality ?? NSNull()
            return o
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["schema": "mskcine.pacs-series/1", "series": objects],
                                                options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
