import Foundation
import MSKAnalysis
import MSKFiles
import MSKImage
import MSKWriter

/// Where to write a clip's outputs; nil = not asked for.
public struct ReportOutputs: Sendable, Equatable {
    /// The result document (`mskcine.analysis/1`).
    public var json: String?
    /// The per-frame table.
    public var csv: String?
    /// The self-contained HTML report.
    public var html: String?
    /// The annotated clip (MP4/MOV/MKV: H.264; AVI: MJPEG).
    public var overlay: String?

    public init(json: String? = nil, csv: String? = nil, html: String? = nil, overlay: String? = nil) {
        self.json = json; self.csv = csv; self.html = html; self.overlay = overlay
    }

    /// All four outputs in `directory`, named after the clip: `<stem>.analysis.json`,
    /// `<stem>.frames.csv`, `<stem>.report.html`, `<stem>.overlay.mp4`.
    public static func all(in directory: String, clip: String) -> ReportOutputs {
        let stem = URL(fileURLWithPath: clip).deletingPathExtension().lastPathComponent
        let dir = URL(fileURLWithPath: directory)
        func file(_ suffix: String) -> String { dir.appendingPathComponent(stem + suffix).path }
        return ReportOutputs(json: file(".analysis.json"), csv: file(".frames.csv"), html: file(".report.html"), overlay: file(".overlay.mp4"))
    }

    /// Fails, before any work, when a folder an output goes into does not exist.
    public func checkFolders() throws(ReportError) {
        for path in [json, csv, html, overlay].compactMap({ $0 }) where path != "-" {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .cannotWrite(path: path, reason: "the folder '\(folder)' does not exist")
            }
        }
    }

    public var isEmpty: Bool { json == nil && csv == nil && html == nil && overlay == nil }
    /// Whether the clip has to be decoded a second time (overlay clip, or key frames for the report).
    public var needsSecondPass: Bool { html != nil || overlay != nil }
}

/// How long each output took (seconds), for the record.
public struct ReportTimings: Sendable {
    public var secondPassS: Double?
    public var htmlS: Double?
    public var textS: Double?
}

/// Writes a clip's outputs. Each file is written to a temporary name beside it and renamed when
/// whole, so an interrupted or failed run never leaves a half file under the asked-for name.
public enum ClipReporter {
    /// The result document as written to a file or standard output.
    public static func jsonText(_ a: ClipAnalysis, sha256: String?, engineVersion: String) -> String {
        a.document(sha256: sha256, engineVersion: engineVersion).serialized(pretty: true) + "\n"
    }

    /// Writes `outputs` (the JSON path "-" is left to the caller: standard output is not a file).
    /// `progress` is called with the number of frames done in the second pass.
    @discardableResult
    public static func write(_ a: ClipAnalysis, to outputs: ReportOutputs, sha256: String?, engineVersion: String,
                             progress: ((Int) -> Void)? = nil) throws(ReportError) -> ReportTimings {
        var timings = ReportTimings()
        var keyImages: [Int: RGBImage] = [:]
        var rulerImage: RGBImage?
        if outputs.needsSecondPass {
            let start = Date()
            var wanted = Set<Int>()
            if outputs.html != nil {
                let keys = HTMLReport.keyFrames(a)
                if let r = keys.rest { wanted.insert(r) }
                if let p = keys.peak { wanted.insert(p) }
            }
            let result = try OverlayPass.run(analysis: a, overlayPath: outputs.overlay, keyFrames: wanted,
                                             rulerFigure: outputs.html != nil && a.screen?.scale != nil, progress: progress)
            keyImages = result.keyFrames
            rulerImage = result.ruler
            timings.secondPassS = Date().timeIntervalSince(start)
        }
        let textStart = Date()
        if let path = outputs.json, path != "-" {
            try save(jsonText(a, sha256: sha256, engineVersion: engineVersion), to: path)
        }
        if let path = outputs.csv {
            try save(CSVTable.make(a), to: path)
        }
        timings.textS = Date().timeIntervalSince(textStart)
        if let path = outputs.html {
            let start = Date()
            let html = try HTMLReport.make(a, keyFrameImages: keyImages, rulerImage: rulerImage, sha256: sha256, engineVersion: engineVersion)
            try save(html, to: path)
            timings.htmlS = Date().timeIntervalSince(start)
        }
        return timings
    }

    /// Writes `text` to `path` whole or not at all (a temporary name renamed into place).
    public static func save(_ text: String, to path: String) throws(ReportError) {
        do {
            try TemporaryName.write(Data(text.utf8), to: path)
        } catch {
            throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}
