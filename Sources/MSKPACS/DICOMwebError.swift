import Foundation

/// Why a DICOMweb request or a PACS batch step failed. Each is one line: what failed, against which
/// server or instance, and what to do. Credentials never appear: URLs carrying `user:password@`
/// are refused before any request, and only the names of the variables are ever printed.
public enum DICOMwebError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The URL is not an http(s) DICOMweb root, or it carries credentials (bad usage).
    case badURL(String, reason: String)
    /// Credentials given incompletely (a user without a password), or a netrc file that cannot be read.
    case badCredentials(reason: String)
    /// `--ca-file` cannot be read or holds no certificate.
    case caFile(path: String, reason: String)
    /// No connection: refused, unknown host, no route.
    case unreachable(server: String, reason: String)
    /// TLS failed: the certificate is not trusted, or the handshake failed.
    case tls(server: String, reason: String)
    /// 401 or 403: `hint` names the variables to set.
    case unauthorized(server: String, status: Int, hint: String)
    /// No answer within `--timeout` seconds.
    case timedOut(url: String, seconds: Double)
    /// Any other HTTP status (after the retries for 429 and 503).
    case http(url: String, status: Int, action: String)
    /// The connection closed, or the body ended early, in the middle of a transfer.
    case transferCut(url: String, reason: String)
    /// The answer cannot be understood (not DICOM JSON, no multipart boundary, no DICOM part).
    case badResponse(url: String, reason: String)
    /// The local cache cannot be written.
    case cache(path: String, reason: String)

    public var description: String {
        switch self {
        case .badURL(let url, let reason):
            return "'\(url)': \(reason); give the DICOMweb root, e.g. http://host:8042/dicom-web"
        case .badCredentials(let reason):
            return "DICOMweb credentials: \(reason)"
        case .caFile(let path, let reason):
            return "--ca-file '\(path)': \(reason); give a readable PEM file of CA certificates"
        case .unreachable(let server, let reason):
            return "\(server): cannot reach the DICOMweb server (\(reason)); check the URL and that the server is running"
        case .tls(let server, let reason):
            return "\(server): TLS failed (\(reason)); check the server's certificate, or give its CA with --ca-file"
        case .unauthorized(let server, let status, let hint):
            return "\(server): the server refused access (HTTP \(status)); \(hint)"
        case .timedOut(let url, let seconds):
            return "\(url): no answer within \(DICOMwebError.seconds(seconds)) s; the server is slow or stalled, try again or raise --timeout"
        case .http(let url, let status, let action):
            return "\(url): \(action) failed with HTTP \(status); check the server's log, then run again (the batch resumes)"
        case .transferCut(let url, let reason):
            return "\(url): the transfer was cut (\(reason)); run again to fetch it (the batch resumes)"
        case .badResponse(let url, let reason):
            return "\(url): unexpected answer (\(reason)); check that the URL is the server's DICOMweb root"
        case .cache(let path, let reason):
            return "\(path): cannot write the DICOMweb cache (\(reason)); check free space and permissions, or give another --cache"
        }
    }

    /// Whether the whole run must stop (the server cannot be used at all) rather than one instance fail.
    public var isFatal: Bool {
        switch self {
        case .badURL, .badCredentials, .caFile, .unreachable, .tls, .unauthorized, .cache: return true
        case .timedOut, .http, .transferCut, .badResponse: return false
        }
    }

    /// Exit status: 2 bad usage, 3 the server cannot be used (down, refused, TLS, unreadable
    /// answer), 1 anything else.
    public var exitStatus: Int32 {
        switch self {
        case .badURL, .badCredentials: return 2
        case .caFile, .unreachable, .tls, .unauthorized, .timedOut, .badResponse: return 3
        case .http, .transferCut, .cache: return 1
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}
