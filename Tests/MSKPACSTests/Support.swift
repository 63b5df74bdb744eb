import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MSKSimulator
import MSKSynth

/// A failed step of the test fixtures, with what to do.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Loopback sockets for the fixtures: a free port, a listening socket, a plain HTTP GET.
enum Loopback {
    /// A port the kernel hands out as free on 127.0.0.1 (closed again before it is returned).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(description: "socket() failed") }
        defer { close(fd) }
        guard let port = bindLoopback(fd) else { throw FixtureError(description: "bind() on 127.0.0.1 failed") }
        return port
    }

    /// Binds `fd` to a kernel-chosen port on 127.0.0.1 and returns that port (nil when it cannot).
    static func bindLoopback(_ fd: Int32) -> Int? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        return ok ? Int(UInt16(bigEndian: addr.sin_port)) : nil
    }

    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if !ok { close(fd); return nil }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// `GET path` with `Connection: close`; the status code, nil when nothing answers.
    static func getStatus(port: Int, path: String) -> Int? {
        guard let fd = connect(port: port) else { return nil }
        defer { close(fd) }
        guard writeAll(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)) else { return nil }
        let answer = String(decoding: readAll(fd).prefix(64), as: UTF8.self)
        let parts = answer.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) : nil
    }
}

/// Debian's Orthanc with its DICOMweb plugin on a free loopback port, with a temporary
/// configuration and storage; `stop()` ends it and removes them.
final class OrthancServer: @unchecked Sendable {
    // Safe: every property is set once in init; `stop` is called once, by the test that started it.
    static let binary = "/usr/sbin/Orthanc"
    let port: Int
    let directory: String
    let process: Process

    var root: String { "http://127.0.0.1:\(port)/dicom-web" }

    /// The DICOMweb plugin as the orthanc-dicomweb package installs it.
    static func pluginPath() -> String? {
        for p in ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so", "/usr/lib/orthanc/libOrthancDicomWeb.so"] where FileManager.default.fileExists(atPath: p) {
            return p
        }
        let dir = "/usr/lib/orthanc"
        return (try? FileManager.default.contentsOfDirectory(atPath: dir))?.first { $0.hasPrefix("libOrthancDicomWeb.so") }.map { dir + "/" + $0 }
    }

    init(extraConfiguration: [String: Any] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary), let plugin = Self.pluginPath() else {
            throw FixtureError(description: "Orthanc or its DICOMweb plugin is not installed: run `make deps` (Debian packages orthanc orthanc-dicomweb)")
        }
        port = try Loopback.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-orthanc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/storage", withIntermediateDirectories: true)
        var config: [String: Any] = [
            "Name": "mskcine-test", "HttpPort": port, "DicomServerEnabled": false, "DicomPort": 0,
            "StorageDirectory": directory + "/storage", "IndexDirectory": directory + "/storage",
            "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [plugin],
            "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
        ]
        for (k, v) in extraConfiguration { config[k] = v }
        let configPath = directory + "/orthanc.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [configPath]
        process.standardInput = FileHandle.nullDevice
        let log = directory + "/orthanc.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // Wait for /system (at most 30 s).
        let deadline = Date().addingTimeInterval(30)
        while Loopback.getStatus(port: port, path: "/system") != 200 {
            if !process.isRunning || Date() > deadline {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                stop()
                throw FixtureError(description: "Orthanc did not start on port \(port): \(text.suffix(400))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop() {
        if process.isRunning {
            // SIGTERM, then SIGKILL after 5 s: the server's data is thrown away anyway.
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A small HTTP proxy in front of a server that injects faults: a status code instead of the
/// answer, an answer cut after some bytes, an answer held back for some seconds, or no answer
/// at all (the connection closed). Each rule
/// matches a substring of the request line and applies `times` times (nil: always). Every
/// connection carries one request (`Connection: close` both ways).
final class FaultProxy: @unchecked Sendable {
    // Safe: `rules`, `hits` and `listener` are reached only under `lock`.
    enum Fault: Sendable {
        case status(Int)
        case cut(afterBytes: Int)
        case delay(seconds: Double)
        /// The request read, the connection closed without an answer (a kept-alive connection the
        /// server dropped).
        case drop
    }

    struct Rule {
        var match: String
        var fault: Fault
        var times: Int?
    }

    let port: Int
    let upstreamPort: Int
    private let lock = NSLock()
    private var rules: [Rule] = []
    private var listener: Int32
    private var seen: [String] = []

    /// Every request line received so far, in order.
    var requestLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard let bound = Loopback.bindLoopback(fd), listen(fd, 64) == 0 else { close(fd); throw FixtureError(description: "the proxy cannot listen on 127.0.0.1") }
        port = bound
        listener = fd
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.start()
    }

    func add(_ match: String, _ fault: Fault, times: Int? = nil) {
        lock.lock(); rules.append(Rule(match: match, fault: fault, times: times)); lock.unlock()
    }

    func clear() {
        lock.lock(); rules = []; lock.unlock()
    }

    var root: String { "http://127.0.0.1:\(port)/dicom-web" }

    func stop() {
        lock.lock()
        let fd = listener
        listener = -1
        lock.unlock()
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            let t = Thread { [self] in handle(client) }
            t.start()
        }
    }

    private func fault(for requestLine: String) -> Fault? {
        lock.lock()
        defer { lock.unlock() }
        seen.append(requestLine)
        for i in rules.indices where requestLine.contains(rules[i].match) {
            if let t = rules[i].times {
                if t <= 0 { continue }
                rules[i].times = t - 1
            }
            return rules[i].fault
        }
        return nil
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        // The request: head, then Content-Length bytes of body.
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        while headEnd == nil {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            data += buffer[0..<n]
            headEnd = find([13, 10, 13, 10], in: data)
        }
        let head = String(decoding: data[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let length = lines.first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while data.count < headEnd! + 4 + length {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            data += buffer[0..<n]
        }
        let body = Array(data[(headEnd! + 4)..<(headEnd! + 4 + length)])
        let fault = fault(for: lines.first ?? "")
        if case .drop = fault { return }
        if case .status(let code) = fault {
            _ = Loopback.writeAll(client, Array("HTTP/1.1 \(code) Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        lines = lines.filter { !$0.lowercased().hasPrefix("connection:") && !$0.lowercased().hasPrefix("keep-alive:") }
        lines.append("Connection: close")
        guard let upstream = Loopback.connect(port: upstreamPort) else { return }
        defer { close(upstream) }
        guard Loopback.writeAll(upstream, Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body) else { return }
        let answer = Loopback.readAll(upstream)
        switch fault {
        case .delay(let seconds):
            Thread.sleep(forTimeInterval: seconds)
            _ = Loopback.writeAll(client, answer)
        case .cut(let bytes):
            _ = Loopback.writeAll(client, Array(answer.prefix(bytes)))
        default:
            _ = Loopback.writeAll(client, answer)
        }
    }

    private func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

/// Simulator DICOMs with identity (Patient ID, study date, laterality, UIDs from the seeds), made by
/// the project's own synth: always there, so the PACS tests never depend on ../shared.
enum SimulatedStudies {
    /// Writes the clips into `directory` (their labels removed: a PACS carries none) and returns the paths.
    static func write(into directory: String) throws -> [String] {
        var jobs: [SynthJob] = []
        let series = SerialStudy.series(patientId: "PACS01", side: "right", baseDate: "2026-02-02", studies: 2,
                                                 thicknessLossMmPer30Days: 0.5, echoRisePer30Days: 0, seed: 1501,
                                                 width: 320, height: 240, frameCount: 30, fps: 20)
        for (i, p) in series.enumerated() {
            var job = SynthJob(name: "pacs01_study\(i + 1)", parameters: p)
            job.format = .dicom
            jobs.append(job)
        }
        var full = SimulationParameters.preset(case: .full, seed: 7, width: 320, height: 240, frameCount: 40, fps: 20)
        full.patientId = "PACS02"
        full.side = "left"
        full.studyDate = "2026-03-01"
        var job = SynthJob(name: "pacs02_full", parameters: full)
        job.format = .dicom
        jobs.append(job)
        var paths: [String] = []
        for job in jobs {
            let result = try Synthesizer.write(job, into: directory)
            try? FileManager.default.removeItem(atPath: result.labelsPath)
            paths.append(result.clipPath)
        }
        return paths
    }
}

/// The real US DICOMs of ../shared/data/real-dicom, when that folder is there (not in CI's clone).
enum RealDICOM {
    static var folder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/real-dicom").path
    }

    static func files() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { $0.hasSuffix(".dcm") }.sorted().map { folder + "/" + $0 }
    }
}
