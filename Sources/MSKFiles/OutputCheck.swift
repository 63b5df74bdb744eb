import Foundation

/// One file a command reads or writes, for the clash check made before any work.
public struct NamedPath: Sendable, Equatable {
    /// How the user named it: "--json", "the clip", "--db", ...
    public var role: String
    public var path: String
    public init(_ role: String, _ path: String) {
        self.role = role
        self.path = path
    }
}

/// An output that would overwrite an input, the study database or another output.
public struct OutputClash: Error, Sendable, Equatable, CustomStringConvertible {
    public let output: NamedPath
    public let other: NamedPath
    /// Whether `other` is an output too.
    public let otherIsOutput: Bool

    public var description: String {
        let same = output.path == other.path ? "'\(output.path)'" : "'\(output.path)' (the same file as '\(other.path)')"
        let what = otherIsOutput ? "the output \(other.role)" : other.role
        return "\(output.role) \(same) would overwrite \(what); give \(output.role) another path"
    }
}

/// File identity: device and inode of an existing file (after resolving links), or the resolved
/// absolute path of one that does not exist yet.
public enum FileIdentity: Hashable, Sendable {
    case inode(device: UInt64, inode: UInt64)
    case path(String)

    /// The identity of `path` as it is now.
    public static func of(_ path: String) -> FileIdentity {
        var info = stat()
        if stat(path, &info) == 0 {
            return .inode(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        }
        // `missing/../clip.mp4`: the path as resolved may still name an existing file.
        let resolvedPath = resolved(path)
        if stat(resolvedPath, &info) == 0 {
            return .inode(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        }
        return .path(resolvedPath)
    }

    /// `path` made absolute, with `.`/`..` and links of its existing part resolved; the part that
    /// does not exist yet is appended as written.
    public static func resolved(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var head = absolute
        var tail: [String] = []
        while head != "/" && !head.isEmpty {
            if let real = realpath(head, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return ([base] + tail.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
            }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
        return absolute
    }
}

public enum OutputCheck {
    /// Checks, before any work, that no output is the same file as an input (or the study
    /// database, which callers pass among `inputs`) nor as another output. Special files
    /// (/dev/null, a FIFO, standard output "-") are never a clash.
    public static func check(outputs: [NamedPath], inputs: [NamedPath]) throws(OutputClash) {
        var seen: [(FileIdentity, NamedPath, Bool)] = inputs.filter { !isExempt($0.path) }.map { (FileIdentity.of($0.path), $0, false) }
        for output in outputs where !isExempt(output.path) {
            let id = FileIdentity.of(output.path)
            if let clash = seen.first(where: { $0.0 == id }) {
                throw OutputClash(output: output, other: clash.1, otherIsOutput: clash.2)
            }
            seen.append((id, output, true))
        }
    }

    static func isExempt(_ path: String) -> Bool {
        path == "-" || TemporaryName.isSpecialFile(path)
    }
}

/// Folders for outputs.
public enum OutputFolder {
    /// Why `folder` cannot be created, in words, when a part of its path is a file (the error
    /// Foundation gives then is "NSCocoaErrorDomain error 512"); nil when nothing is in the way.
    public static func obstacle(creating folder: String) -> String? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: folder, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : "'\(folder)' is a file, not a folder"
        }
        var head = (folder as NSString).deletingLastPathComponent
        while !head.isEmpty, head != "/", !fm.fileExists(atPath: head) { head = (head as NSString).deletingLastPathComponent }
        if !head.isEmpty, fm.fileExists(atPath: head, isDirectory: &isDirectory), !isDirectory.boolValue {
            return "'\(head)' is a file, not a folder"
        }
        return nil
    }

    /// The reason a folder could not be created: the obstacle in its path, else the system's word.
    public static func reason(creating folder: String, errno code: Int32) -> String {
        obstacle(creating: folder) ?? String(cString: strerror(code))
    }
}
