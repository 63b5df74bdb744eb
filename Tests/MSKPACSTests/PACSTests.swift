import Foundation
import MSKAnalysis
import MSKDICOM
import MSKStudyDB
import MSKTestSupport
import Testing
@testable import MSKPACS

/// Runs the built mskcine with `arguments` (and extra environment variables).
func mskcine(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
    var env = ProcessInfo.processInfo.environment
    for key in [Credentials.userVariable, Credentials.passwordVariable, Credentials.tokenVariable, Credentials.netrcVariable] { env[key] = nil }
    for (k, v) in extra { env[k] = v }
    return try Binary.run(try Binary.mskcine(), arguments, environment: env)
}

func stdoutText(_ r: ProcessResult) -> String { String(decoding: r.stdout, as: UTF8.self) }

/// Standard error's lines, the empty ones left out.
func errorLines(_ r: ProcessResult) -> [String] { r.stderr.split(separator: "\n").map(String.init) }

func temporaryFolder(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-pacs-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Uploads `files` with STOW-RS through the project's client.
func upload(_ files: [String], to root: String) async throws {
    let config = try DICOMwebConfiguration(url: root)
    try await DICOMwebClient.with(config) { client in
        for f in files {
            let study = try #require(try DICOMFile(path: f).identity().studyInstanceUID)
            try await client.store(try Data(contentsOf: URL(fileURLWithPath: f)), studyInstanceUID: study)
        }
    }
}

func search(_ root: String, _ query: InstanceQuery) async throws -> [InstanceSummary] {
    let config = try DICOMwebConfiguration(url: root)
    return try await DICOMwebClient.with(config) { try await $0.searchInstances(query) }
}

/// The WADO-RS requests a proxy saw (QIDO-RS searches are `/instances?...`).
func retrievals(_ proxy: FaultProxy) -> [String] {
    proxy.requestLines.filter { $0.hasPrefix("GET") && $0.contains("/series/") }
}

@Suite("DICOMweb against a real Orthanc", .serialized)
struct OrthancTests {
    /// find, batch, resume, store, SR round trip, and equality with a folder run of the same files.
    @Test func findBatchResumeStoreRoundTrip() async throws {
        let work = try temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let simulated = try SimulatedStudies.write(into: work + "/sim")
        let real = RealDICOM.files()
        if real.isEmpty {
            print("note: \(RealDICOM.folder) is absent: only the simulator DICOMs go to the PACS in this run")
        }
        let server = try OrthancServer()
        defer { server.stop() }
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        try await upload(simulated + real, to: server.root)

        // find: one line per series; --json; filters.
        let all = try await search(server.root, InstanceQuery())
        let multiFrame = all.filter(\.isMultiFrame)
        #expect(all.count >= 3)
        let found = try mskcine(["pacs", "find", server.root, "--json"])
        #expect(found.status == 0, "\(found.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: found.stdout) as? [String: Any])
        let series = try #require(doc["series"] as? [[String: Any]])
        #expect(series.count == Set(all.map(\.seriesInstanceUID)).count)
        #expect(series.filter { $0["patientId"] as? String == "PACS01" }.count == 2)
        #expect(series.map { $0["instances"] as? Int ?? 0 }.reduce(0, +) == all.count)
        let byDate = try mskcine(["pacs", "find", server.root, "--study-date", "2026-03-01"])
        #expect(byDate.status == 0)
        let dateLines = stdoutText(byDate).split(separator: "\n")
        #expect(dateLines.count == 1)
        #expect(dateLines.first?.contains("patient PACS02") == true && dateLines.first?.contains("multi-frame") == true)
        let byPatient = try mskcine(["pacs", "find", server.root, "--patient", "PACS01"])
        #expect(stdoutText(byPatient).split(separator: "\n").count == 2)

        // batch from the PACS.
        let db = work + "/pacs.sqlite"
        let first = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db, "--jobs", "2"])
        let database = try StudyDatabase(path: db)
        let failures = try database.counts().failures
        #expect(first.status == (failures > 0 ? 1 : 0), "\(first.stderr)")
        let analysed = try database.analysedSOPInstanceUIDs(engineVersion: "0.1.0")
        for f in simulated {
            let sop = try #require(try DICOMFile(path: f).identity().sopInstanceUID)
            #expect(analysed.contains(sop), "simulated instance \(sop) not analysed")
        }
        #expect(analysed.count + failures == multiFrame.count)
        #expect(retrievals(proxy).count == multiFrame.count)
        #expect(FileManager.default.fileExists(atPath: work + "/dicomweb-cache/sop"))

        // Equal to a folder run of the same files: every retrieved instance is byte for byte an
        // uploaded file (same SHA-256), and its analysis equals the folder batch's.
        let records = try database.instanceAnalyses()
        let folder = work + "/folder"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var originals: [String: String] = [:]
        for f in simulated + real { originals[try #require(MSKAnalysisSHA.file(f))] = f }
        for r in records {
            let original = try #require(originals[r.sha256], "the retrieved \(r.sopInstanceUID) is not byte-identical to an uploaded file")
            let copy = folder + "/" + URL(fileURLWithPath: original).lastPathComponent
            if !FileManager.default.fileExists(atPath: copy) { try FileManager.default.copyItem(atPath: original, toPath: copy) }
        }
        let folderDB = work + "/folder.sqlite"
        _ = try mskcine(["batch", folder, "--db", folderDB, "--jobs", "2"])
        let folderRecords = Dictionary(try StudyDatabase(path: folderDB).instanceAnalyses().map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(!records.isEmpty)
        for r in records {
            var expected = try #require(folderRecords[r.sha256])
            expected.paths = r.paths
            expected.analysedAt = r.analysedAt
            #expect(expected == r, "PACS and folder analyses differ for \(r.sopInstanceUID)")
        }

        // Resume: nothing fetched, nothing analysed again.
        let before = try database.counts()
        let again = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db])
        #expect(retrievals(proxy).count == multiFrame.count, "a second run fetched again")
        #expect(stdoutText(again).contains(" 0 analysed"), "\(stdoutText(again))")
        #expect(stdoutText(again).contains("0 fetched"))
        #expect(try database.counts().analyses == before.analyses)

        // Store the findings: one SR per analysis, in the source's study; fetches nothing.
        // The first STOW-RS finds its connection closed without an answer (a server dropping a
        // kept-alive connection): it is sent again, and every report is stored once.
        let studiesBefore = try orthancCount(server, "/studies")
        let postsBeforeStore = proxy.requestLines.filter { $0.hasPrefix("POST") }.count
        proxy.add("POST", .drop, times: 1)
        let stored = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db, "--store-results"])
        proxy.clear()
        #expect(stdoutText(stored).contains("reports: \(records.count) stored"), "\(stdoutText(stored)) \(stored.stderr)")
        #expect(proxy.requestLines.filter { $0.hasPrefix("POST") }.count == postsBeforeStore + records.count + 1)
        #expect(retrievals(proxy).count == multiFrame.count)
        let reports = try await search(server.root, InstanceQuery(modality: "SR"))
        #expect(reports.count == records.count)
        for r in records {
            let uid = ReportStore.reportUID(sopInstanceUID: r.sopInstanceUID, engineVersion: r.engineVersion)
            let report = try #require(reports.first { $0.sopInstanceUID == uid })
            #expect(report.studyInstanceUID == r.studyInstanceUID)
        }
        // Orthanc lists each report under its source's study (no new study appeared).
        #expect(try orthancCount(server, "/studies") == studiesBefore)

        // A second store, by batch or by `pacs store`, stores nothing.
        let posts = proxy.requestLines.filter { $0.hasPrefix("POST") }.count
        let storedAgain = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db, "--store-results"])
        #expect(stdoutText(storedAgain).contains("reports: 0 stored, \(records.count) already stored"))
        let storeCommand = try mskcine(["pacs", "store", "--db", db, proxy.root])
        #expect(storeCommand.status == 0, "\(storeCommand.stderr)")
        #expect(stdoutText(storeCommand).contains("0 report(s) stored, \(records.count) already stored"))
        #expect(proxy.requestLines.filter { $0.hasPrefix("POST") }.count == posts)
        #expect(try await search(server.root, InstanceQuery(modality: "SR")).count == records.count)

        // The stored SR, fetched back from the server, is read by dcmtk's dsrdump.
        let record = try #require(records.first { $0.classification == "full-thickness-tear" } ?? records.first)
        let report = try #require(reports.first { $0.sopInstanceUID == ReportStore.reportUID(sopInstanceUID: record.sopInstanceUID, engineVersion: record.engineVersion) })
        let cache = try InstanceCache(directory: work + "/sr-cache")
        let fetched = try await DICOMwebClient.with(try DICOMwebConfiguration(url: server.root)) { try await $0.retrieve(report, into: cache) }
        let dump = try Binary.run("/usr/bin/dsrdump", ["+Pl", "+Pc", "+Pu", fetched.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        let text = String(decoding: dump.stdout, as: UTF8.self)
        #expect(text.contains("Comprehensive SR"))
        #expect(text.contains(record.sopInstanceUID))
        #expect(text.contains(ReportStore.findingCode(record.classification).meaning))
        #expect(text.contains("Confidence of finding"))
        if record.unit == "mm" { #expect(text.contains("\"mm\"") || text.contains("mm")) }
        for line in record.evidence.prefix(2) { #expect(text.contains(String(line.prefix(30)))) }
    }

    /// Every fault ends in one line with the right status, and the batch goes on past an instance's fault.
    @Test func faults() async throws {
        let work = try temporaryFolder("faults")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let simulated = try SimulatedStudies.write(into: work + "/sim")
        let sops = try simulated.map { try #require(try DICOMFile(path: $0).identity().sopInstanceUID) }.sorted()
        let server = try OrthancServer()
        defer { server.stop() }
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        try await upload(simulated, to: server.root)

        // Server down: exit 3, one line, no database left behind.
        let downPort = try Loopback.freePort()
        let down = try mskcine(["batch", "--dicomweb", "http://127.0.0.1:\(downPort)/dicom-web", "--db", work + "/down.sqlite"])
        #expect(down.status == 3)
        #expect(errorLines(down).count == 1, "\(down.stderr)")
        #expect(down.stderr.contains("cannot reach the DICOMweb server"), "\(down.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/down.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: work + "/dicomweb-cache"))

        // 401 and 403: exit 3, naming the credential variables, never showing the secret.
        for status in [401, 403] {
            proxy.clear()
            proxy.add(" /", .status(status))
            let refused = try mskcine(["pacs", "find", proxy.root],
                                      environment: [Credentials.userVariable: "reader", Credentials.passwordVariable: "s3cret-pw"])
            #expect(refused.status == 3)
            #expect(errorLines(refused).count == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("HTTP \(status)") && refused.stderr.contains(Credentials.passwordVariable))
            #expect(!refused.stderr.contains("s3cret-pw") && !stdoutText(refused).contains("s3cret-pw"))
        }
        // Credentials in the URL are refused before any request (bad usage), and not echoed.
        let inURL = try mskcine(["pacs", "find", "http://reader:s3cret-pw@127.0.0.1:\(proxy.port)/dicom-web"])
        #expect(inURL.status == 2)
        #expect(!inURL.stderr.contains("s3cret-pw"))

        // A slow server: the search times out after --timeout seconds, one line, exit 3.
        proxy.clear()
        proxy.add("/instances?", .delay(seconds: 3), times: 1)
        let slow = try mskcine(["pacs", "find", proxy.root, "--timeout", "1"])
        #expect(slow.status == 3)
        #expect(errorLines(slow).count == 1, "\(slow.stderr)")
        #expect(slow.stderr.contains("no answer within 1 s"), "\(slow.stderr)")

        // 429 and 503 are retried with backoff.
        proxy.clear()
        proxy.add("/instances?", .status(429), times: 1)
        proxy.add("/instances?", .status(503), times: 1)
        let retried = try mskcine(["pacs", "find", proxy.root])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(stdoutText(retried).split(separator: "\n").count == 3)

        // A search whose connection is closed without an answer is sent again.
        proxy.clear()
        proxy.add("/instances?", .drop, times: 1)
        let dropped = try mskcine(["pacs", "find", proxy.root])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        #expect(stdoutText(dropped).split(separator: "\n").count == 3)

        // Per instance: a 500, a cut transfer and a stalled one are recorded; the others go on.
        proxy.clear()
        proxy.add("/instances/\(sops[0])", .status(500))
        proxy.add("/instances/\(sops[1])", .cut(afterBytes: 3000))
        proxy.add("/instances/\(sops[2])", .status(503), times: 2)
        let db = work + "/faults.sqlite"
        let hurt = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db, "--jobs", "2", "--timeout", "5"])
        #expect(hurt.status == 1, "\(hurt.stderr)")
        let failedLines = errorLines(hurt).filter { $0.contains("failed:") }
        #expect(failedLines.count == 2, "\(hurt.stderr)")
        #expect(failedLines.contains { $0.contains("HTTP 500") && $0.contains(sops[0]) })
        #expect(failedLines.contains { $0.contains("transfer was cut") && $0.contains(sops[1]) })
        let database = try StudyDatabase(path: db)
        #expect(try database.analysedSOPInstanceUIDs(engineVersion: "0.1.0") == [sops[2]])
        #expect(try database.counts().failures == 2)
        #expect(retrievals(proxy).filter { $0.contains(sops[2]) }.count == 3)
        // Nothing half-written is left in the cache.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work + "/dicomweb-cache/tmp")
        #expect(leftovers.isEmpty)

        // A stalled transfer times out and is that instance's failure.
        proxy.clear()
        proxy.add("/instances/\(sops[0])", .delay(seconds: 4))
        proxy.add("/instances/\(sops[1])", .delay(seconds: 4))
        let before = retrievals(proxy).count
        let stalled = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db, "--timeout", "1"])
        #expect(stalled.status == 1)
        #expect(errorLines(stalled).contains { $0.contains("no answer within 1 s") && $0.contains(sops[0]) }, "\(stalled.stderr)")

        // Without faults the next run fetches exactly the instances that failed, and clears their failures.
        proxy.clear()
        let mark = retrievals(proxy).count
        #expect(mark > before)
        let healed = try mskcine(["batch", "--dicomweb", proxy.root, "--db", db])
        #expect(healed.status == 0, "\(healed.stderr)")
        #expect(retrievals(proxy).count - mark == 2)
        #expect(try database.analysedSOPInstanceUIDs(engineVersion: "0.1.0") == Set(sops))
        #expect(try database.counts().failures == 0)
    }

    /// Orthanc's own REST API: the number of resources under `path`.
    func orthancCount(_ server: OrthancServer, _ path: String) throws -> Int {
        guard let fd = Loopback.connect(port: server.port) else { throw FixtureError(description: "Orthanc does not answer") }
        defer { close(fd) }
        _ = Loopback.writeAll(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let answer = Loopback.readAll(fd)
        guard let split = String(decoding: answer, as: UTF8.self).range(of: "\r\n\r\n") else { return -1 }
        let body = String(decoding: answer, as: UTF8.self)[split.upperBound...]
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [Any])?.count ?? -1
    }
}

/// SHA-256 of a file as the study database keys content.
enum MSKAnalysisSHA {
    static func file(_ path: String) -> String? { SHA256.hexDigest(ofFile: path) }
}
