import Foundation
import MSKReader
import MSKStudyDB

/// Why a batch could not start. One line each: what, which file, what to do.
public enum BatchError: Error, Sendable, CustomStringConvertible, Equatable {
    case pathNotFound(String)
    case badShard(String)
    case badJobs(Int)
    case manifestUnreadable(path: String, reason: String)
    case manifestBadRow(path: String, line: Int, reason: String)
    /// The study database cannot be written: the batch stops (what was stored stays).
    case database(StudyDBError)

    public var description: String {
        switch self {
        case .pathNotFound(let p):
            return "\(p): no such file or folder; check the path to the archive"
        case .badShard(let s):
            return "--shard '\(s)': give K/N with 1 <= K <= N, e.g. 2/3 for the second of three slices"
        case .badJobs(let n):
            return "--jobs \(n): give a number of parallel analyses from 1 to 256"
        case .manifestUnreadable(let p, let reason):
            return "\(p): cannot read the manifest (\(reason)); give a CSV file with a header row path,patientId,muscle,side,studyDate"
        case .manifestBadRow(let p, let line, let reason):
            return "\(p):\(line): \(reason); fix that row of the manifest"
        case .database(let e):
            return e.description
        }
    }
}

/// The K-th (1-based) of N deterministic slices of an archive.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let all = Shard(index: 1, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws(BatchError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 100_000, k >= 1, k <= n else {
            throw .badShard(text)
        }
        self.init(index: k, count: n)
    }

    /// Whether the file at `relativePath` (relative to the folder given on the command line)
    /// belongs to this slice: FNV-1a 64 of the path's UTF-8 bytes, modulo N. The same on every
    /// machine, whatever the order the file system lists files in.
    public func contains(relativePath: String) -> Bool {
        count == 1 || Int(Self.fnv1a(relativePath) % UInt64(count)) == index - 1
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    public var description: String { "\(index)/\(count)" }
}

/// A file the walker found: where, and its path relative to the argument it came from.
public struct FoundFile: Sendable, Equatable {
    public var path: String
    public var relativePath: String

    public init(path: String, relativePath: String) {
        self.path = path
        self.relativePath = relativePath
    }
}

/// Walking the archive.
public enum Discovery {
    /// Every regular file under each of `roots` (a root may be a file), in sorted order, with
    /// paths relative to their root. Hidden files and folders (`.name`) are left out.
    public static func files(under roots: [String]) throws(BatchError) -> [FoundFile] {
        var found: [FoundFile] = []
        let fm = FileManager.default
        for root in roots {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir) else { throw .pathNotFound(root) }
            if !isDir.boolValue {
                found.append(FoundFile(path: root, relativePath: URL(fileURLWithPath: root).lastPathComponent))
                continue
            }
            let base = URL(fileURLWithPath: root).standardizedFileURL
            let prefix = base.path.hasSuffix("/") ? base.path : base.path + "/"
            var here: [FoundFile] = []
            if let e = fm.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) {
                for case let url as URL in e {
                    guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                    let full = url.standardizedFileURL.path
                    let rel = full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : url.lastPathComponent
                    let shown = (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/" + rel
                    here.append(FoundFile(path: shown, relativePath: rel))
                }
            }
            found += here.sorted { $0.relativePath < $1.relativePath }
        }
        return found
    }
}
