import Foundation
import MSKAnalysis

/// The content-addressed cache of retrieved instances: `DIR/objects/ab/<sha256>.dcm` holds the
/// bytes (named by their SHA-256), `DIR/sop/<SOP Instance UID>.dcm` is a link to them. A retrieval
/// is written to a temporary file inside DIR and renamed into place only when whole and hashed.
public struct InstanceCache: Sendable {
    public let directory: String

    public init(directory: String) throws(DICOMwebError) {
        self.directory = directory
        for sub in ["objects", "sop", "tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
            } catch {
                throw .cache(path: directory, reason: (error as NSError).localizedDescription)
            }
        }
    }

    /// The default cache: `<database's folder>/dicomweb-cache`.
    public static func defaultDirectory(forDatabase db: String) -> String {
        URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("dicomweb-cache").path
    }

    /// A SOP Instance UID is digits and dots; anything else is refused as a file name.
    static func safeName(_ uid: String) -> String? {
        guard !uid.isEmpty, uid.count <= 64, uid.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), !uid.hasPrefix(".") else { return nil }
        return uid
    }

    /// The cached copy of an instance, when the cache holds it whole.
    public func lookup(sopInstanceUID: String) -> (path: String, sha256: String, bytes: Int64)? {
        guard let name = Self.safeName(sopInstanceUID) else { return nil }
        let link = directory + "/sop/" + name + ".dcm"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else { return nil }
        let path = URL(fileURLWithPath: target, relativeTo: URL(fileURLWithPath: directory + "/sop/")).standardizedFileURL.path
        let sha = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value else { return nil }
        return (path, sha, size)
    }

    func temporaryFile() throws(DICOMwebError) -> String {
        let path = directory + "/tmp/" + UUID().uuidString + ".partial"
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw .cache(path: path, reason: String(cString: strerror(errno)))
        }
        return path
    }

    func discard(_ path: String) { unlink(path) }

    /// Copies `range` of `file` into the cache under its SHA-256 (hashing as it copies, 1 MiB at a
    /// time) and links the SOP Instance UID to it.
    func store(range: Range<Int64>, of file: String, sopInstanceUID: String) throws(DICOMwebError) -> (path: String, sha256: String, bytes: Int64) {
        guard let name = Self.safeName(sopInstanceUID) else {
            throw .cache(path: directory, reason: "the SOP Instance UID '\(sopInstanceUID.prefix(80))' is not a UID")
        }
        let temporary = try temporaryFile()
        defer { unlink(temporary) }
        var hasher = SHA256()
        do {
            guard let input = FileHandle(forReadingAtPath: file), let output = FileHandle(forWritingAtPath: temporary) else {
                throw DICOMwebError.cache(path: temporary, reason: String(cString: strerror(errno)))
            }
            defer { try? input.close(); try? output.close() }
            try input.seek(toOffset: UInt64(range.lowerBound))
            var left = range.upperBound - range.lowerBound
            while left > 0 {
                guard let chunk = try input.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else { break }
                hasher.update(chunk)
                try output.write(contentsOf: chunk)
                left -= Int64(chunk.count)
            }
            try output.synchronize()
        } catch let e as DICOMwebError {
            throw e
        } catch {
            throw .cache(path: temporary, reason: (error as NSError).localizedDescription)
        }
        let sha = hasher.finalize()
        let folder = directory + "/objects/" + String(sha.prefix(2))
        let final = folder + "/" + sha + ".dcm"
        let link = directory + "/sop/" + name + ".dcm"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: final) {
                guard rename(temporary, final) == 0 else { throw DICOMwebError.cache(path: final, reason: String(cString: strerror(errno))) }
            }
            unlink(link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../objects/" + String(sha.prefix(2)) + "/" + sha + ".dcm")
        } catch let e as DICOMwebError {
            throw e
        } catch {
            throw .cache(path: final, reason: (error as NSError).localizedDescription)
        }
        return (final, sha, range.upperBound - range.lowerBound)
    }
}
