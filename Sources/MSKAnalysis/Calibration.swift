import Foundation
import MSKImaging

// The one calibration rule of the engine: which source gives a clip's mm per pixel, and which
// values are believed. `analyze`, `regress` and `batch` all go through `Calibration.resolve`.

/// The calibration values each source offers for one clip ([x] or [x, y] mm per pixel; nil when
/// the source gives none).
public struct CalibrationCandidates: Sendable, Equatable {
    public var cli: [Double]?
    public var dicom: [Double]?
    public var labels: [Double]?
    public var screen: [Double]?

    public init(cli: [Double]? = nil, dicom: [Double]? = nil, labels: [Double]? = nil, screen: [Double]? = nil) {
        self.cli = cli
        self.dicom = dicom
        self.labels = labels
        self.screen = screen
    }

    public func values(for source: CalibrationSource) -> [Double]? {
        switch source {
        case .cli: return cli
        case .dicom: return dicom
        case .labels: return labels
        case .screen: return screen
        case .none: return nil
        }
    }

    public mutating func set(_ values: [Double]?, for source: CalibrationSource) {
        switch source {
        case .cli: cli = values
        case .dicom: dicom = values
        case .labels: labels = values
        case .screen: screen = values
        case .none: break
        }
    }
}

/// A calibration value outside the plausible range (or not a number). `isUsage` tells the command
/// line's value (exit 2) from a file's own (exit 3); in `batch` it is the clip's recorded failure.
public struct CalibrationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let source: CalibrationSource
    /// The values as given.
    public let values: [Double]
    /// The clip (nil for the command line's value checked before any clip is opened).
    public let path: String?
    /// The text as typed (the command line's value), shown in the message instead of the values.
    public let given: String?

    public init(source: CalibrationSource, values: [Double], path: String?, given: String? = nil) {
        self.source = source
        self.values = values
        self.path = path
        self.given = given
    }

    /// The value came from the command line (bad usage) rather than from a file.
    public var isUsage: Bool { source == .cli }

    public var description: String {
        let shown = given ?? values.map { String(describing: $0) }.joined(separator: ",")
        let range = Calibration.rangeText
        // Text that is not a number (or not a finite one) is named as such, not as out of range.
        if source == .cli, values.contains(where: { !$0.isFinite }) {
            return "--mm-per-pixel '\(shown)' is not a number; give one or two numbers within \(range), e.g. 0.1 or 0.1,0.12"
        }
        let what: String
        switch source {
        case .cli: what = "--mm-per-pixel '\(shown)'"
        case .dicom: what = "the file's DICOM calibration (PhysicalDeltaX/Y or Pixel Spacing) of \(shown) mm per pixel"
        case .labels: what = "the labels' mmPerPixel [\(shown)]"
        case .screen: what = "the depth scale read from the screen (\(shown) mm per pixel)"
        case .none: what = "calibration \(shown)"
        }
        let fix: String
        switch source {
        case .cli: fix = "give one or two numbers in that range, e.g. 0.1 or 0.1,0.12"
        case .dicom: fix = "the file's tags are wrong; give --mm-per-pixel X[,Y] to override them"
        case .labels: fix = "correct mmPerPixel in the labels file (or give --mm-per-pixel)"
        case .screen, .none: fix = "give --mm-per-pixel X[,Y]"
        }
        return (path.map { "\($0): " } ?? "") + "\(what) is outside the plausible range \(range); \(fix)"
    }
}

public enum Calibration {
    /// Plausible mm per pixel for a B-mode image: from 0.005 mm (a 5 µm pixel, finer than any
    /// clinical probe's resolution) to 2 mm (a 480-pixel image 96 cm deep, far more than any
    /// ultrasound depth). A value outside this range is an error in its source, not a clip to
    /// analyse; inside it every window size the detectors derive stays within the frame sizes
    /// MSKCine reads, so no spacing can make the engine hang or allocate without bound.
    public static let plausibleMmPerPixel: ClosedRange<Double> = 0.005...2

    /// "0.005-2 mm per pixel".
    public static var rangeText: String {
        String(format: "%g-%g mm per pixel", plausibleMmPerPixel.lowerBound, plausibleMmPerPixel.upperBound)
    }

    /// The order in which sources are believed.
    public static let precedence: [CalibrationSource] = [.cli, .dicom, .labels, .screen]

    /// `values` ([x] meaning x = y, or [x, y]) as a spacing, when they are plausible.
    public static func spacing(_ values: [Double], source: CalibrationSource, path: String?) throws(CalibrationError) -> Spacing {
        guard (1...2).contains(values.count), values.allSatisfy({ plausibleMmPerPixel.contains($0) }) else {
            throw CalibrationError(source: source, values: values, path: path)
        }
        return Spacing(mmPerPixelX: values[0], mmPerPixelY: values.count > 1 ? values[1] : values[0])
    }

    /// The calibration of one clip: the first source in `precedence` that offers a value. That
    /// value must be plausible: an implausible one is an error, never silently passed over for a
    /// lower source. No source: nil spacing, source `.none` (lengths in pixels).
    public static func resolve(_ candidates: CalibrationCandidates, path: String?) throws(CalibrationError) -> (spacing: Spacing?, source: CalibrationSource) {
        for source in precedence {
            guard let values = candidates.values(for: source) else { continue }
            return (try spacing(values, source: source, path: path), source)
        }
        return (nil, .none)
    }

    /// `--mm-per-pixel X[,Y]` as typed on the command line.
    public static func parseCLI(_ text: String) throws(CalibrationError) -> Spacing {
        let values = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
        do { return try spacing(values, source: .cli, path: nil) } catch {
            throw CalibrationError(source: .cli, values: error.values, path: nil, given: text)
        }
    }
}
