import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How to talk to one DICOMweb server.
public struct DICOMwebConfiguration: Sendable {
    /// The DICOMweb root without a trailing slash, e.g. `http://host:8042/dicom-web`.
    public let root: String
    public var credentials: Credentials?
    /// A PEM file of CA certificates trusted besides the system's (`--ca-file`).
    public var caFile: String?
    /// Connect and read (idle) timeout, in seconds (`--timeout`).
    public var timeoutS: Double
    /// Retries of a request answered 429 or 503, waiting `retryDelayS` * 2^attempt (or the
    /// server's Retry-After, at most 30 s) in between.
    public var retries: Int
    public var retryDelayS: Double

    /// Checks `url`: http or https, a host, no credentials in it, no query.
    public init(url: String, credentials: Credentials? = nil, caFile: String? = nil, timeoutS: Double = 30,
                retries: Int = 4, retryDelayS: Double = 0.5) throws(DICOMwebError) {
        root = try Self.checkedRoot(url)
        self.credentials = credentials
        self.caFile = caFile
        self.timeoutS = timeoutS
        self.retries = retries
        self.retryDelayS = retryDelayS
    }

    /// The host of the root (for the netrc file).
    public static func host(of url: String) -> String? { URLComponents(string: url)?.host }

    static func checkedRoot(_ url: String) throws(DICOMwebError) -> String {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased() else {
            throw .badURL(url, reason: "not a URL")
        }
        guard scheme == "http" || scheme == "https" else { throw .badURL(url, reason: "only http and https are spoken") }
        // Never echo a URL with credentials in it back: show it with them masked.
        if c.user != nil || c.password != nil {
            var masked = c
            masked.user = nil
            masked.password = nil
            throw .badURL(masked.string ?? "the URL",
                          reason: "credentials in the URL are refused (they would show in process lists and logs); set \(Credentials.userVariable)/\(Credentials.passwordVariable) or \(Credentials.tokenVariable) instead")
        }
        guard let host = c.host, !host.isEmpty else { throw .badURL(url, reason: "no host") }
        guard c.query == nil, c.fragment == nil else { throw .badURL(url, reason: "a root takes no query or fragment") }
        var root = url
        while root.hasSuffix("/") { root.removeLast() }
        return root
    }
}

/// One instance a QIDO-RS search found.
public struct InstanceSummary: Sendable, Equatable, Codable {
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var sopInstanceUID: String
    public var sopClassUID: String?
    public var modality: String?
    public var patientID: String?
    /// DICOM DA, YYYYMMDD.
    public var studyDate: String?
    public var numberOfFrames: Int?

    public init(studyInstanceUID: String, seriesInstanceUID: String, sopInstanceUID: String, sopClassUID: String? = nil,
                modality: String? = nil, patientID: String? = nil, studyDate: String? = nil, numberOfFrames: Int? = nil) {
        self.studyInstanceUID = studyInstanceUID; self.seriesInstanceUID = seriesInstanceUID; self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID; self.modality = modality; self.patientID = patientID; self.studyDate = studyDate
        self.numberOfFrames = numberOfFrames
    }

    public var isMultiFrame: Bool { (numberOfFrames ?? 1) > 1 }
}

/// QIDO-RS filters: `--patient`, `--study-date`, `--modality`, `--study`.
public struct InstanceQuery: Sendable, Equatable {
    public var patientID: String?
    /// DICOM date range: `YYYYMMDD`, `YYYYMMDD-YYYYMMDD`, `YYYYMMDD-` or `-YYYYMMDD`.
    public var studyDate: String?
    public var modality: String?
    public var studyInstanceUID: String?

    public init(patientID: String? = nil, studyDate: String? = nil, modality: String? = "US", studyInstanceUID: String? = nil) {
        self.patientID = patientID
        self.studyDate = studyDate
        self.modality = modality
        self.studyInstanceUID = studyInstanceUID
    }

    /// `--study-date`: `YYYYMMDD`, `YYYYMMDD-YYYYMMDD` (either side may be left open), or the same
    /// with ISO dates (`2026-01-01-2026-01-31`, `2026-01-10`). Returns the DICOM range; nil when
    /// the text is no date or range.
    public static func dateRange(_ text: String) -> String? {
        func dicom(_ s: Substring) -> String? {
            let digits = s.filter(\.isNumber)
            let iso = s.count == 10 && s.split(separator: "-").map(\.count) == [4, 2, 2]
            guard digits.count == 8, s.count == 8 || iso, Int(digits.prefix(4))! >= 1800,
                  (1...12).contains(Int(digits.dropFirst(4).prefix(2))!), (1...31).contains(Int(digits.suffix(2))!) else { return nil }
            return String(digits)
        }
        let t = Substring(text.trimmingCharacters(in: .whitespaces))
        if let single = dicom(t) { return single }
        // Split at the dash that separates two dates: after 8 (DICOM) or 10 (ISO) characters, or
        // at the start or end for an open range.
        for cut in [8, 10, 0] where cut < t.count && t[t.index(t.startIndex, offsetBy: cut)] == "-" {
            let from = t[t.startIndex..<t.index(t.startIndex, offsetBy: cut)]
            let to = t[t.index(t.startIndex, offsetBy: cut + 1)...]
            let a = from.isEmpty ? "" : dicom(from)
            let b = to.isEmpty ? "" : dicom(to)
            if let a, let b, !(a.isEmpty && b.isEmpty) { return a + "-" + b }
        }
        if t.hasSuffix("-"), let a = dicom(t.dropLast()) { return a + "-" }
        return nil
    }

    var parameters: [(String, String)] {
        var p: [(String, String)] = []
        if let patientID { p.append(("PatientID", patientID)) }
        if let studyDate { p.append(("StudyDate", studyDate)) }
        if let modality { p.append(("Modality", modality)) }
        if let studyInstanceUID { p.append(("StudyInstanceUID", studyInstanceUID)) }
        return p
    }
}

/// What a WADO-RS retrieval left in the cache.
public struct RetrievedInstance: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var bytes: Int64
    /// False when the cache already held it (nothing was fetched).
    public var fetched: Bool
}

/// A DICOMweb client: QIDO-RS search, WADO-RS retrieval streamed to disk, STOW-RS store, through
/// AsyncHTTPClient. Every request carries the credentials' Authorization header (never logged);
/// 429 and 503 are retried with backoff; TLS certificates are verified (plus `--ca-file`).
public final class DICOMwebClient: Sendable {
    public let configuration: DICOMwebConfiguration
    let http: HTTPClient

    /// Opens a client, runs `body`, and shuts the client down whatever happens.
    public static func with<R: Sendable>(_ configuration: DICOMwebConfiguration,
                                         _ body: (DICOMwebClient) async throws -> R) async throws -> R {
        let client = try DICOMwebClient(configuration)
        do {
            let result = try await body(client)
            try? await client.http.shutdown()
            return result
        } catch {
            try? await client.http.shutdown()
            throw error
        }
    }

    init(_ configuration: DICOMwebConfiguration) throws(DICOMwebError) {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let ca = configuration.caFile {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(ca)
                guard !certificates.isEmpty else { throw DICOMwebError.caFile(path: ca, reason: "no certificate in it") }
                tls.additionalTrustRoots = [.certificates(certificates)]
            } catch let e as DICOMwebError {
                throw e
            } catch {
                throw .caFile(path: ca, reason: FileManager.default.isReadableFile(atPath: ca) ? "not a PEM certificate file" : "cannot be read")
            }
        }
        let timeout = TimeAmount.milliseconds(Int64(configuration.timeoutS * 1000))
        // A refused connection fails the request at once (server down: one line, exit 3) instead of
        // being retried until the connect timeout; a batch resumes where it stopped anyway.
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.retryConnectionEstablishment = false
        var config = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                              timeout: .init(connect: timeout, read: timeout), connectionPool: pool,
                                              proxy: nil, ignoreUncleanSSLShutdown: false, decompression: .disabled)
        config.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    /// The server as shown in messages: the root (it never carries credentials).
    public var server: String { configuration.root }

    // MARK: Requests

    /// Sends `request` (its body built anew for each try), retrying 429 and 503; throws on
    /// connection, TLS, timeout, 401/403. Returns the response whatever its other status.
    /// `idempotent` requests (every GET; a STOW-RS of one instance, which stores the same SOP
    /// Instance UID again if it was received) are also sent again on a new connection when the
    /// one they went out on was closed before any answer.
    func send(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], idempotent: Bool? = nil,
              body: (@Sendable () -> HTTPClientRequest.Body)? = nil) async throws(DICOMwebError) -> HTTPClientResponse {
        let resend = idempotent ?? (method == .GET)
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let c = configuration.credentials { request.headers.add(name: "Authorization", value: c.authorization) }
            request.body = body?()
            let response: HTTPClientResponse
            do {
                // The read timeout bounds each wait for bytes; the deadline only bounds a runaway transfer.
                response = try await http.execute(request, deadline: .now() + .hours(24))
            } catch {
                // A GET (or a STOW-RS of one instance) that found its kept-alive connection already
                // closed by the server (or a proxy) before any answer is safe to send again on a new one.
                if resend, attempt < configuration.retries, Self.isStaleConnection(error) {
                    attempt += 1
                    try? await Task.sleep(nanoseconds: UInt64(configuration.retryDelayS * pow(2, Double(attempt - 1)) * 1e9))
                    continue
                }
                throw classify(error, url: url, started: false)
            }
            let status = Int(response.status.code)
            if status == 401 || status == 403 {
                throw .unauthorized(server: server, status: status, hint: Credentials.hint(for: configuration.credentials, status: status))
            }
            if (status == 429 || status == 503) && attempt < configuration.retries {
                // Drain what the server sent, then wait and try again.
                _ = try? await response.body.collect(upTo: 1 << 20)
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init).map { min(max($0, 0), 30) }
                let delay = retryAfter ?? configuration.retryDelayS * pow(2, Double(attempt))
                attempt += 1
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                continue
            }
            return response
        }
    }

    /// A connection closed or reset under a request before the server answered (not a refused
    /// connection: a server that is down is reported at once).
    static func isStaleConnection(_ error: any Error) -> Bool {
        if let e = error as? ChannelError, e == .ioOnClosedChannel || e == .eof || e == .alreadyClosed { return true }
        if let e = error as? HTTPClientError, e == .remoteConnectionClosed { return true }
        return String(describing: error).contains("Connection reset")
    }

    /// An AsyncHTTPClient or NIO error as one of ours.
    func classify(_ error: any Error, url: String, started: Bool) -> DICOMwebError {
        if let e = error as? DICOMwebError { return e }
        if let e = error as? HTTPClientError {
            if e == .readTimeout || e == .deadlineExceeded || e == .connectTimeout {
                return e == .connectTimeout && !started ? .unreachable(server: server, reason: "connection timed out")
                    : .timedOut(url: url, seconds: configuration.timeoutS)
            }
            if e == .remoteConnectionClosed || e == .cancelled {
                return started ? .transferCut(url: url, reason: "the server closed the connection")
                    : .transferCut(url: url, reason: "the server closed the connection before answering")
            }
        }
        if error is NIOSSLError || String(reflecting: type(of: error)).contains("SSL") {
            return .tls(server: server, reason: Self.short(error))
        }
        var text = Self.short(error)
        for (needle, plain) in [("Connection refused", "connection refused"), ("No route to host", "no route to host"),
                                ("Connection reset", "connection reset")] where text.contains(needle) {
            text = plain
            break
        }
        if started { return .transferCut(url: url, reason: text) }
        return .unreachable(server: server, reason: text)
    }

    /// An error's text, one line, at most 160 characters.
    static func short(_ error: any Error) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 160 ? String(text.prefix(157)) + "..." : text
    }

    static func percentEncoded(_ s: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// GET that must answer 200 (or 204), with the whole (small) body.
    func getSmall(_ url: String, accept: String, action: String, limit: Int = 256 << 20) async throws(DICOMwebError) -> (status: Int, body: Data) {
        let response = try await send(url, headers: [("Accept", accept)])
        let status = Int(response.status.code)
        let buffer: ByteBuffer
        do { buffer = try await response.body.collect(upTo: limit) } catch { throw classify(error, url: url, started: true) }
        guard status == 200 || status == 204 else { throw .http(url: url, status: status, action: action) }
        return (status, Data(buffer.readableBytesView))
    }

    // MARK: QIDO-RS

    /// Every instance matching `query` (QIDO-RS `/instances`, paged by 1000).
    public func searchInstances(_ query: InstanceQuery) async throws(DICOMwebError) -> [InstanceSummary] {
        let fields = ["0020000D", "0020000E", "00080018", "00080016", "00080060", "00100020", "00080020", "00280008"]
        var found: [InstanceSummary] = []
        var seen = Set<String>()
        let pageSize = 1000
        var offset = 0
        while true {
            var parameters = query.parameters
            parameters += fields.map { ("includefield", $0) }
            parameters += [("limit", String(pageSize)), ("offset", String(offset))]
            let url = server + "/instances?" + parameters.map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
            let (status, body) = try await getSmall(url, accept: "application/dicom+json", action: "the search (QIDO-RS)")
            let page: [InstanceSummary]
            if status == 204 || body.isEmpty { page = [] } else {
                do { page = try DICOMJSON.instances(body) } catch { throw .badResponse(url: url, reason: error.reason) }
            }
            let fresh = page.filter { seen.insert($0.sopInstanceUID).inserted }
            found += fresh
            // A server that ignores offset answers the same page again: stop there.
            if page.count < pageSize || fresh.isEmpty { break }
            offset += page.count
        }
        return found
    }

    /// One instance's summary by its SOP Instance UID, nil when the server has none.
    public func findInstance(sopInstanceUID: String) async throws(DICOMwebError) -> InstanceSummary? {
        let fields = ["0020000D", "0020000E", "00080018", "00080016", "00080060", "00100020", "00080020", "00280008"]
        let url = server + "/instances?SOPInstanceUID=" + Self.percentEncoded(sopInstanceUID) + "&" + fields.map { "includefield=\($0)" }.joined(separator: "&")
        let (status, body) = try await getSmall(url, accept: "application/dicom+json", action: "the search (QIDO-RS)")
        if status == 204 || body.isEmpty { return nil }
        do { return try DICOMJSON.instances(body).first { $0.sopInstanceUID == sopInstanceUID } } catch {
            throw .badResponse(url: url, reason: error.reason)
        }
    }

    // MARK: WADO-RS

    /// The WADO-RS URL of one instance.
    public func instanceURL(_ i: InstanceSummary) -> String {
        server + "/studies/\(i.studyInstanceUID)/series/\(i.seriesInstanceUID)/instances/\(i.sopInstanceUID)"
    }

    /// Retrieves one instance as stored (`transfer-syntax=*`) into `cache`, streamed to disk chunk
    /// by chunk (memory stays flat whatever the instance's size); the cache's copy when it has one.
    public func retrieve(_ instance: InstanceSummary, into cache: InstanceCache) async throws(DICOMwebError) -> RetrievedInstance {
        if let cached = cache.lookup(sopInstanceUID: instance.sopInstanceUID) {
            return RetrievedInstance(path: cached.path, sha256: cached.sha256, bytes: cached.bytes, fetched: false)
        }
        let url = instanceURL(instance)
        let response = try await send(url, headers: [("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*")])
        let status = Int(response.status.code)
        guard status == 200 else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            throw .http(url: url, status: status, action: "the retrieval (WADO-RS)")
        }
        let download = try cache.temporaryFile()
        defer { cache.discard(download) }
        guard let handle = FileHandle(forWritingAtPath: download) else {
            throw .cache(path: download, reason: String(cString: strerror(errno)))
        }
        var received: Int64 = 0
        do {
            for try await chunk in response.body {
                try handle.write(contentsOf: Data(chunk.readableBytesView))
                received += Int64(chunk.readableBytes)
            }
            try handle.close()
        } catch {
            try? handle.close()
            if error is CocoaError || (error as NSError).domain == NSCocoaErrorDomain || (error as NSError).domain == NSPOSIXErrorDomain {
                throw .cache(path: download, reason: (error as NSError).localizedDescription)
            }
            throw classify(error, url: url, started: true)
        }
        if let expected = response.headers.first(name: "Content-Length").flatMap(Int64.init), expected != received {
            throw .transferCut(url: url, reason: "\(received) of \(expected) bytes received")
        }
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        let part: Range<Int64>
        do { part = try Multipart.singlePart(file: download, contentType: contentType) } catch {
            throw error.reason.contains("closing boundary") ? .transferCut(url: url, reason: error.reason) : .badResponse(url: url, reason: error.reason)
        }
        let stored = try cache.store(range: part, of: download, sopInstanceUID: instance.sopInstanceUID)
        return RetrievedInstance(path: stored.path, sha256: stored.sha256, bytes: stored.bytes, fetched: true)
    }

    // MARK: STOW-RS

    /// Stores one DICOM file (its Part 10 bytes) in `studyInstanceUID` with STOW-RS; throws when
    /// the server refuses it (an HTTP error, or the SOP listed as failed).
    public func store(_ dicom: Data, studyInstanceUID: String) async throws(DICOMwebError) {
        let url = server + "/studies/" + studyInstanceUID
        let boundary = "mskcine-" + UUID().uuidString
        var body = Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8)
        body.append(dicom)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let bytes = body
        // Safe to send again on a closed connection: the instance's SOP Instance UID is fixed, so a
        // second copy is the same instance, not a new one.
        let response = try await send(url, method: .POST,
                                      headers: [("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"),
                                                ("Accept", "application/dicom+json")], idempotent: true,
                                      body: { .bytes(ByteBuffer(bytes: bytes)) })
        let status = Int(response.status.code)
        let answer: ByteBuffer
        do { answer = try await response.body.collect(upTo: 16 << 20) } catch { throw classify(error, url: url, started: true) }
        guard status == 200 || status == 202 else { throw .http(url: url, status: status, action: "the store (STOW-RS)") }
        if let failed = DICOMJSON.failedSOPCount(Data(answer.readableBytesView)), failed > 0 {
            throw .http(url: url, status: status, action: "the store (STOW-RS: the server listed the instance as failed)")
        }
    }
}

/// A parse failure with its reason.
struct ParseFailure: Error {
    let reason: String
}

/// The DICOM JSON model (PS3.18 F.2) as far as the searches need it.
enum DICOMJSON {
    static func instances(_ data: Data) throws(ParseFailure) -> [InstanceSummary] {
        guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw ParseFailure(reason: "not a DICOM JSON array")
        }
        return array.compactMap { o in
            func string(_ tag: String) -> String? {
                guard let e = o[tag] as? [String: Any], let values = e["Value"] as? [Any], let first = values.first else { return nil }
                if let s = first as? String { return s.trimmingCharacters(in: .whitespaces) }
                if let n = first as? NSNumber { return n.stringValue }
                return nil
            }
            guard let study = string("0020000D"), let series = string("0020000E"), let sop = string("00080018") else { return nil }
            return InstanceSummary(studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUID: sop,
                                   sopClassUID: string("00080016"), modality: string("00080060"), patientID: string("00100020"),
                                   studyDate: string("00080020"), numberOfFrames: string("00280008").flatMap { Int($0) })
        }
    }

    /// The number of items in a STOW-RS answer's Failed SOP Sequence (0008,1198); nil when the
    /// answer is not DICOM JSON.
    static func failedSOPCount(_ data: Data) -> Int? {
        guard !data.isEmpty, let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        guard let failed = o["00081198"] as? [String: Any] else { return 0 }
        return (failed["Value"] as? [Any])?.count ?? 0
    }
}
