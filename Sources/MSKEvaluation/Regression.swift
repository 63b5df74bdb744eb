import Foundation
import MSKImaging
import MSKLabels
import MSKReader
import MSKAnalysis
import MSKImage

/// Error statistics of one measurement against its labels.
public struct ErrorStats: Sendable, Equatable {
    public var count: Int
    public var mae: Double
    public var bias: Double

    public init?(_ errors: [Double]) {
        guard !errors.isEmpty else { return nil }
        count = errors.count
        mae = errors.map(abs).reduce(0, +) / Double(errors.count)
        bias = errors.reduce(0, +) / Double(errors.count)
    }
}

/// How one labelled clip's analysis compares with its labels.
public struct ClipRegression: Sendable {
    public var clip: String
    public var labelled: String
    public var found: String
    public var gapWidth: ErrorStats?
    public var endSeparation: ErrorStats?
    public var defectDepthFraction: ErrorStats?
    public var muscleThickness: ErrorStats?
    public var echoIntensity: ErrorStats?
    /// Pearson correlation of the estimated contraction with the labelled one.
    public var contractionR: Double?
    /// Estimated minus labelled gap widening (peak minus rest, on the labelled rest/peak frames), mm.
    public var gapWideningError: Double?
    /// Raw errors, for pooling over clips.
    var errors: [String: [Double]]
    /// Geometry against hand labels (thickness rules, edge rows, angles, observers).
    public var geometry = GeometryComparison()
}

/// What `mskcine regress` measures over a set of labelled clips.
public struct RegressionReport: Sendable {
    public var clips: [ClipRegression]
    /// Clips that could not be analysed, with the reason.
    public var failures: [(clip: String, reason: String)]

    public init(clips: [ClipRegression] = [], failures: [(clip: String, reason: String)] = []) {
        self.clips = clips
        self.failures = failures
    }

    public func pooled(_ key: String) -> ErrorStats? { ErrorStats(clips.flatMap { $0.errors[key] ?? [] }) }
    public var gapWidth: ErrorStats? { pooled("gapWidth") }
    public var endSeparation: ErrorStats? { pooled("endSeparation") }
    public var defectDepthFraction: ErrorStats? { pooled("defectDepthFraction") }
    public var muscleThickness: ErrorStats? { pooled("muscleThickness") }
    public var echoIntensity: ErrorStats? { pooled("echoIntensity") }
    /// Mean absolute gap-widening error over clips that label it (mm).
    public var gapWideningMae: Double? {
        let e = clips.compactMap(\.gapWideningError)
        return e.isEmpty ? nil : e.map(abs).reduce(0, +) / Double(e.count)
    }
    /// Smallest per-clip contraction correlation, and the mean.
    public var minContractionR: Double? { clips.compactMap(\.contractionR).min() }
    public var meanContractionR: Double? { Stats.mean(clips.compactMap(\.contractionR)) }

    /// Confusion counts: labelled -> found -> count.
    public var confusion: [String: [String: Int]] {
        var c: [String: [String: Int]] = [:]
        for clip in clips { c[clip.labelled, default: [:]][clip.found, default: 0] += 1 }
        return c
    }
    /// Full-thickness tears labelled, and how many were found.
    public var sensitivity: Double? {
        let positives = clips.filter { $0.labelled == MSKAnalysis.Classification.fullThicknessTear.rawValue }
        guard !positives.isEmpty else { return nil }
        return Double(positives.filter { $0.found == MSKAnalysis.Classification.fullThicknessTear.rawValue }.count) / Double(positives.count)
    }
    /// Clips not labelled full-thickness, and how many were not called full-thickness.
    public var specificity: Double? {
        let negatives = clips.filter { $0.labelled != MSKAnalysis.Classification.fullThicknessTear.rawValue }
        guard !negatives.isEmpty else { return nil }
        return Double(negatives.filter { $0.found != MSKAnalysis.Classification.fullThicknessTear.rawValue }.count) / Double(negatives.count)
    }
}

/// Thresholds `mskcine regress` holds the engine to (`Samples/thresholds.json`).
public struct RegressionThresholds: Codable, Sendable, Equatable {
    public var maxGapWidthMaeMm: Double?
    public var maxEndSeparationMaeMm: Double?
    public var maxGapWideningErrorMm: Double?
    public var maxThicknessMaeMm: Double?
    public var maxEchoIntensityMae: Double?
    public var minContractionR: Double?
    public var minSensitivity: Double?
    public var minSpecificity: Double?

    public init() {}

    /// The analysis targets (the tear analysis issue), used when no thresholds file is given.
    public static let targets: RegressionThresholds = {
        var t = RegressionThresholds()
        t.maxGapWidthMaeMm = 0.5
        t.maxEndSeparationMaeMm = 0.7
        t.maxGapWideningErrorMm = 0.5
        t.maxThicknessMaeMm = 0.3
        t.maxEchoIntensityMae = 2
        t.minContractionR = 0.9
        t.minSensitivity = 1
        t.minSpecificity = 1
        return t
    }()

    /// The thresholds in words, for the report.
    public var summary: String {
        var parts: [String] = []
        func add(_ name: String, _ v: Double?) { if let v { parts.append("\(name) \(v)") } }
        add("gap MAE <=", maxGapWidthMaeMm); add("separation MAE <=", maxEndSeparationMaeMm)
        add("widening error <=", maxGapWideningErrorMm); add("thickness MAE <=", maxThicknessMaeMm)
        add("echo MAE <=", maxEchoIntensityMae); add("contraction r >=", minContractionR)
        add("sensitivity >=", minSensitivity); add("specificity >=", minSpecificity)
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// Each threshold broken, in words. A measure the set cannot give (no labels for it, no
    /// intact clip for specificity) is not a failure; the report shows it as not labelled.
    public func failures(of report: RegressionReport) -> [String] {
        var out: [String] = []
        func check(_ name: String, _ value: Double?, max limit: Double?) {
            guard let limit else { return }
            guard let value else { return }   // not measurable on this set (no labels for it)
            if value > limit { out.append(String(format: "%@ %.3f is above the limit %.3f", name, value, limit)) }
        }
        func check(_ name: String, _ value: Double?, min limit: Double?) {
            guard let limit else { return }
            guard let value else { return }
            if value < limit { out.append(String(format: "%@ %.3f is below the limit %.3f", name, value, limit)) }
        }
        check("gap width MAE (mm)", report.gapWidth?.mae, max: maxGapWidthMaeMm)
        check("end separation MAE (mm)", report.endSeparation?.mae, max: maxEndSeparationMaeMm)
        check("gap widening error (mm)", report.gapWideningMae, max: maxGapWideningErrorMm)
        check("thickness MAE (mm)", report.muscleThickness?.mae, max: maxThicknessMaeMm)
        check("echo intensity MAE (grey levels)", report.echoIntensity?.mae, max: maxEchoIntensityMae)
        check("contraction correlation (lowest clip)", report.minContractionR, min: minContractionR)
        check("full-thickness sensitivity", report.sensitivity, min: minSensitivity)
        check("full-thickness specificity", report.specificity, min: minSpecificity)
        return out
    }
}

public enum RegressionError: Error, CustomStringConvertible, Sendable {
    case notADirectory(String)
    case noLabels(String)
    case unreadableThresholds(String, String)

    public var description: String {
        switch self {
        case .notADirectory(let p): return "\(p): not a directory; give the folder that holds the clips and their .labels.json files"
        case .noLabels(let p): return "\(p): no <clip>.labels.json files found; regress needs labelled clips"
        case .unreadableThresholds(let p, let why): return "\(p): cannot read the thresholds (\(why)); fix the JSON or pass --thresholds"
        }
    }
}

public enum Regression {
    /// Every `*.labels.json` under `directory` (recursively), sorted by path.
    public static func labelFiles(in directory: String) throws(RegressionError) -> [URL] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else { throw .notADirectory(directory) }
        let root = URL(fileURLWithPath: directory)
        var found: [URL] = []
        if let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in e where url.lastPathComponent.hasSuffix(".labels.json") { found.append(url) }
        }
        guard !found.isEmpty else { throw .noLabels(directory) }
        return found.sorted { $0.path < $1.path }
    }

    public static func readThresholds(_ path: String) throws(RegressionError) -> RegressionThresholds {
        do {
            return try JSONDecoder().decode(RegressionThresholds.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadableThresholds(path, "\(error)")
        }
    }

    /// Analyses the clip a labels file names (the clip beside it) with the labels' calibration
    /// (video files carry none; a DICOM's own calibration is used first: `Calibration.resolve`) and compares.
    public static func run(labels url: URL, options base: AnalysisOptions = AnalysisOptions()) throws -> (ClipRegression, ClipAnalysis) {
        let labels = try LabelsDocument.read(from: url)
        let clipPath = url.deletingLastPathComponent().appendingPathComponent(labels.clip).path
        var options = base
        let reader = try openClip(path: clipPath)
        // Calibration.resolve (in ClipAnalyzer.analyze) puts the file's DICOM calibration before the labels'.
        if options.mmPerPixel == nil, let m = labels.mmPerPixel {
            // No path in the message: `regress` names the labels file.
            let resolved = try Calibration.resolve(CalibrationCandidates(dicom: reader.info.calibration?.mmPerPixel, labels: m), path: nil)
            options.mmPerPixel = resolved.spacing
            options.calibrationSource = resolved.source
        }
        let analysis = try ClipAnalyzer.analyze(source: reader, options: options)
        var mask: GreyImage?
        if let name = labels.aponeurosisMask {
            let maskPath = url.deletingLastPathComponent().appendingPathComponent(name).path
            mask = try openClip(path: maskPath).nextFrame()?.grey
        }
        return (compare(analysis, with: labels, mask: mask), analysis)
    }

    public static func compare(_ a: ClipAnalysis, with labels: LabelsDocument, mask: GreyImage? = nil) -> ClipRegression {
        let byIndex = Dictionary(a.frames.map { ($0.index, $0) }, uniquingKeysWith: { x, _ in x })
        var errors: [String: [Double]] = [:]
        var estimated: [Double] = [], labelled: [Double] = []
        let mm = a.unit == .mm
        for l in labels.frames ?? [] {
            guard let f = byIndex[l.index] else { continue }
            func add(_ key: String, _ x: Double?, _ y: Double?) { if let x, let y { errors[key, default: []].append(x - y) } }
            if mm {
                add("gapWidth", f.gapWidth.value, l.gapWidthMm)
                add("endSeparation", f.endSeparation.value, l.endSeparationMm)
                if labels.thicknessRule == nil { add("muscleThickness", f.muscleThickness?.value, l.muscleThicknessMm) }
            }
            add("defectDepthFraction", f.defectDepthFraction, l.defectDepthFraction)
            add("echoIntensity", f.echoIntensity, l.echoIntensity)
            if let c = l.contraction { estimated.append(f.contraction); labelled.append(c) }
        }
        // Gap widening on the labelled rest and peak frames.
        var wideningError: Double?
        let labelledFrames = (labels.frames ?? []).filter { $0.contraction != nil && $0.gapWidthMm != nil && byIndex[$0.index] != nil }
        let rest = labelledFrames.filter { $0.contraction! <= 0.2 }, peak = labelledFrames.filter { $0.contraction! >= 0.8 }
        if mm, !rest.isEmpty, !peak.isEmpty,
           let tr = Stats.median(rest.map { $0.gapWidthMm! }), let tp = Stats.median(peak.map { $0.gapWidthMm! }),
           let er = Stats.median(rest.map { byIndex[$0.index]!.gapWidth.value }), let ep = Stats.median(peak.map { byIndex[$0.index]!.gapWidth.value }) {
            wideningError = (ep - er) - (tp - tr)
        }
        let r = estimated.count >= 3 ? Stats.correlation(estimated, labelled) : nil
        let geometry = GeometryComparison.compare(a, with: labels, mask: mask)
        return ClipRegression(
            clip: labels.clip, labelled: labels.classification.rawValue, found: a.finding.classification.rawValue,
            gapWidth: ErrorStats(errors["gapWidth"] ?? []), endSeparation: ErrorStats(errors["endSeparation"] ?? []),
            defectDepthFraction: ErrorStats(errors["defectDepthFraction"] ?? []),
            muscleThickness: ErrorStats(errors["muscleThickness"] ?? []), echoIntensity: ErrorStats(errors["echoIntensity"] ?? []),
            contractionR: r, gapWideningError: wideningError, errors: errors, geometry: geometry)
    }
}
