import Foundation

/// Credentials for the DICOMweb server. They come only from the environment
/// (`MSKCINE_DICOMWEB_USER` and `MSKCINE_DICOMWEB_PASSWORD`, or `MSKCINE_DICOMWEB_TOKEN`) or from a
/// netrc-style file (`machine HOST login USER password PASSWORD`), never from an argument, and
/// `description` never shows them.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case basic(user: String, password: String)
        case bearer(token: String)
    }

    public static let userVariable = "MSKCINE_DICOMWEB_USER"
    public static let passwordVariable = "MSKCINE_DICOMWEB_PASSWORD"
    public static let tokenVariable = "MSKCINE_DICOMWEB_TOKEN"
    public static let netrcVariable = "MSKCINE_DICOMWEB_NETRC"

    public let kind: Kind
    /// Where they came from, in words (variable names or the netrc file's path): for messages.
    public let source: String

    public init(kind: Kind, source: String) {
        self.kind = kind
        self.source = source
    }

    /// Never the secret: only where it came from.
    public var description: String { "credentials from \(source)" }

    /// The `Authorization` header's value.
    var authorization: String {
        switch kind {
        case .basic(let user, let password): return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case .bearer(let token): return "Bearer " + token
        }
    }

    /// What to tell a user whose request was refused (401/403), naming the variables.
    public static func hint(for credentials: Credentials?, status: Int) -> String {
        let set = "set \(userVariable) and \(passwordVariable), or \(tokenVariable), or name a netrc file in \(netrcVariable)"
        guard let credentials else { return "no credentials were given: \(set)" }
        if status == 403 {
            return "the \(credentials.description) are not allowed this request; use an account with access (\(set))"
        }
        return "the \(credentials.description) were not accepted; check them (\(set))"
    }

    /// Credentials for `host`: the token, else user and password, else the netrc file's entry
    /// (`netrcPath`, else the file named by `MSKCINE_DICOMWEB_NETRC`); nil when none is given.
    public static func resolve(host: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               netrcPath: String? = nil) throws(DICOMwebError) -> Credentials? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let token = value(tokenVariable) {
            return Credentials(kind: .bearer(token: token), source: tokenVariable)
        }
        switch (value(userVariable), value(passwordVariable)) {
        case (let user?, let password?):
            return Credentials(kind: .basic(user: user, password: password), source: "\(userVariable)/\(passwordVariable)")
        case (.some, nil):
            throw .badCredentials(reason: "\(userVariable) is set but \(passwordVariable) is not; set both (or \(tokenVariable))")
        case (nil, .some):
            throw .badCredentials(reason: "\(passwordVariable) is set but \(userVariable) is not; set both (or \(tokenVariable))")
        case (nil, nil):
            break
        }
        guard let path = netrcPath ?? value(netrcVariable) else { return nil }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .badCredentials(reason: "the netrc file '\(path)' cannot be read; check the path named by \(netrcVariable)")
        }
        guard let entry = Netrc.entry(for: host, in: text) else { return nil }
        return Credentials(kind: .basic(user: entry.login, password: entry.password), source: "the netrc file '\(path)'")
    }
}

/// The netrc format: whitespace-separated tokens `machine NAME login USER password PASS`, and a
/// `default` entry that matches any host. `macdef` bodies are skipped.
enum Netrc {
    static func entry(for host: String, in text: String) -> (login: String, password: String)? {
        var tokens: [String] = []
        var skippingMacro = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if skippingMacro {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { skippingMacro = false }
                continue
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if words.first?.hasPrefix("#") == true { continue }
            if words.first == "macdef" { skippingMacro = true; continue }
            tokens += words
        }
        var found: (login: String, password: String)?
        var fallback: (login: String, password: String)?
        var i = 0
        while i < tokens.count {
            let isDefault = tokens[i] == "default"
            guard tokens[i] == "machine" || isDefault else { i += 1; continue }
            let name = isDefault ? nil : (i + 1 < tokens.count ? tokens[i + 1] : nil)
            i += isDefault ? 1 : 2
            var login: String?, password: String?
            while i < tokens.count, tokens[i] != "machine", tokens[i] != "default" {
                if i + 1 < tokens.count {
                    switch tokens[i] {
                    case "login": login = tokens[i + 1]
                    case "password": password = tokens[i + 1]
                    default: break
                    }
                }
                i += 2
            }
            guard let login, let password else { continue }
            if isDefault { fallback = fallback ?? (login, password) } else if name == host, found == nil { found = (login, password) }
        }
        return found ?? fallback
    }
}
