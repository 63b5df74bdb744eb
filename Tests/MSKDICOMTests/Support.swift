import Foundation
import MSKTestSupport
import Testing

/// pydicom (Debian's python3-pydicom, with python3-pil and python3-numpy) and dcmtk's dcmdump:
/// the references MSKDICOM is held to. `make deps` installs them; a missing one fails the test
/// with what to do (never a silent skip).
enum Reference {
    static let python = "/usr/bin/python3"
    static var scripts: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts") }
    static var realDICOM: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/real-dicom")
    }
    /// Whether the shared real DICOM files are on this machine (they are not part of the
    /// repository: a clone elsewhere runs every test that does not need them).
    static var hasRealData: Bool { FileManager.default.fileExists(atPath: realDICOM.appendingPathComponent("US1_UNCR.dcm").path) }
    /// The real files, or none when ../shared/data is absent.
    static var realFiles: [String] {
        hasRealData ? ["US1_UNCR.dcm", "examples_ybr_color.dcm", "color3d_jpeg_baseline.dcm",
                       "US-PAL-8-10x-echo.dcm", "OBXXXX1A_rle_2frame.dcm"] : []
    }
    static let fixtureFiles = ["grey8_explicit.dcm", "grey8_implicit.dcm", "grey8_undefined_sq.dcm", "grey8_pixel_spacing.dcm",
                               "grey16_bigendian.dcm", "grey8_deflated.dcm", "rgb_planar0.dcm", "rgb_planar1.dcm", "ybr_full.dcm",
                               "ybr_full_422.dcm", "grey8_rle.dcm", "rgb_rle.dcm", "jpeg_baseline.dcm", "jpeg_baseline_nobot.dcm"]

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs a program; throws with its stderr when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        try Binary.runChecked(executable, arguments)
    }

    /// Throws with what to do when pydicom or dcmdump is missing.
    static func requireTools() throws {
        do {
            try run(python, ["-c", "import pydicom, PIL, numpy"])
        } catch {
            throw Failure(description: "pydicom, Pillow or numpy is missing for \(python): run `make deps` (Debian packages python3-pydicom python3-pil python3-numpy)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcmdump") else {
            throw Failure(description: "dcmdump is missing: run `make deps` (Debian package dcmtk)")
        }
    }

    /// The generated fixtures, made once per test run into a temporary folder.
    static let fixtures: Result<String, Failure> = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskdicom-fixtures-\(UUID().uuidString)").path
        do {
            try requireTools()
            try run(python, [scripts.appendingPathComponent("make_fixtures.py").path, dir])
            return .success(dir)
        } catch let error as Failure {
            return .failure(error)
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }()

    static func fixture(_ name: String) throws -> String {
        (try fixtures.get() as NSString).appendingPathComponent(name)
    }

    /// pydicom's decode of `path`: summary plus raw samples and 8-bit RGB.
    struct Decoded {
        let summary: [String: Any]
        let raw: Data
        let rgb: Data?
        var frames: Int { summary["frames"] as? Int ?? 0 }
    }

    static func pydicom(_ path: String) throws -> Decoded {
        try requireTools()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskdicom-ref-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try run(python, [scripts.appendingPathComponent("pydicom_reference.py").path, path, dir.path])
        guard let summary = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw Failure(description: "pydicom_reference.py printed no JSON for \(path)")
        }
        let raw = try Data(contentsOf: dir.appendingPathComponent("raw.bin"))
        let rgb = try? Data(contentsOf: dir.appendingPathComponent("rgb.bin"))
        return Decoded(summary: summary, raw: raw, rgb: rgb)
    }

    /// One element's value as dcmdump prints it (`+P tag`), first occurrence; nil when absent.
    static func dcmdump(_ path: String, _ tag: String) throws -> String? {
        let out = String(decoding: try run("/usr/bin/dcmdump", ["-q", "+P", tag, path]), as: UTF8.self)
        guard let line = out.split(separator: "\n").first else { return nil }
        // "(0010,0020) LO [P001]   #   4, 1 PatientID" or "(0018,602c) FD 0.0125  # ..."
        let body = line.dropFirst(15)
        if let open = body.firstIndex(of: "["), let close = body.lastIndex(of: "]") {
            return String(body[body.index(after: open)..<close])
        }
        return body.split(separator: "#").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// A folder removed when the test ends.
final class Scratch {
    let url: URL
    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mskdicom-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}
