import Foundation
import MSKTestSupport
import MSKAnalysis
import MSKEvaluation
import MSKReader

/// Paths and shared helpers of the report tests.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("Samples")

    /// Every `<clip>.labels.json` in Samples/, by file name.
    static var labelFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? [])
            .filter { $0.hasSuffix(".labels.json") }.sorted()
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The analysis of a sample with its labels' calibration, computed once per clip.
    static func analysis(labels name: String) throws -> (ClipRegression, ClipAnalysis) {
        if let cached = Cache.shared.get(name) { return cached }
        let result = try Regression.run(labels: samples.appendingPathComponent(name))
        Cache.shared.set(name, result)
        return result
    }

    private final class Cache: @unchecked Sendable {
        // Guarded by `lock`.
        static let shared = Cache()
        private let lock = NSLock()
        private var values: [String: (ClipRegression, ClipAnalysis)] = [:]
        func get(_ k: String) -> (ClipRegression, ClipAnalysis)? { lock.lock(); defer { lock.unlock() }; return values[k] }
        func set(_ k: String, _ v: (ClipRegression, ClipAnalysis)) { lock.lock(); defer { lock.unlock() }; values[k] = v }
    }

    /// Runs a program; standard output and error to files (nothing can block).
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        try Binary.run(executable, arguments)
    }

    /// Debian's `chromium`, when installed.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The example result document of the spec (spec/measurements.md, "Results"), copied verbatim:
/// the field names and JSON types a result document must have.
enum SpecExample {
    static let json = """
    {
      "schema": "mskcine.analysis/1",
      "source": {"path": "...", "sha256": "...", "container": "mp4", "codec": "h264",
                 "width": 640, "height": 480, "frameCount": 120, "fps": 30.0},
      "calibration": {"mmPerPixel": [0.1, 0.1], "source": "dicom|cli|none"},
      "imagingRegion": {"x": 0, "y": 0, "width": 640, "height": 480},
      "frames": [{"index": 0, "timeS": 0.0, "gapWidthMm": 5.1, "endSeparationMm": 5.3,
                  "defectDepthFraction": 0.97, "muscleThicknessMm": 21.7,
                  "echoIntensity": 61.2, "contraction": 0.0}],
      "summary": {"restGapWidthMm": 5.0, "peakGapWidthMm": 11.8, "gapWideningMm": 6.8,
                  "restEndSeparationMm": 5.2, "peakEndSeparationMm": 12.0, "endSeparationChangeMm": 6.8,
                  "meanMuscleThicknessMm": 21.9, "meanEchoIntensity": 60.8, "maxDefectDepthFraction": 1.0},
      "finding": {"classification": "full-thickness-tear", "suspectedFullThicknessTear": true,
                  "confidence": 0.9, "evidence": ["..."]}
    }
    """

    /// Where `document` lacks a field of `example` or has it with another JSON type: one line each.
    /// Arrays: every element of the document's array is checked against the example's first.
    static func mismatches(_ document: JSON, against example: JSON, at path: String = "$") -> [String] {
        switch (example, document) {
        case (.object(let e), .object(let d)):
            return e.keys.sorted().flatMap { key -> [String] in
                guard let value = d[key] else { return ["\(path).\(key): missing"] }
                return mismatches(value, against: e[key]!, at: "\(path).\(key)")
            }
        case (.array(let e), .array(let d)):
            guard let first = e.first else { return [] }
            return d.enumerated().flatMap { mismatches($1, against: first, at: "\(path)[\($0)]") }
        case (.number, .number), (.string, .string), (.bool, .bool), (.null, .null):
            return []
        default:
            return ["\(path): \(document.kind) where the spec has \(example.kind)"]
        }
    }
}

/// A JSON value that keeps booleans and numbers apart (JSONDecoder does not turn one into the other).
enum JSON: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([JSON].self) {
            self = .array(a)
        } else { self = .object(try c.decode([String: JSON].self)) }
    }

    static func parse(_ data: Data) throws -> JSON { try JSONDecoder().decode(JSON.self, from: data) }
    static func parse(_ text: String) throws -> JSON { try parse(Data(text.utf8)) }

    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    subscript(_ key: String) -> JSON? { if case .object(let o) = self { return o[key] }; return nil }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var number: Double? { if case .number(let n) = self { return n }; return nil }
    var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
}
