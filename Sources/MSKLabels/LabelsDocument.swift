import Foundation
import MSKImage

/// The labels document that sits beside a clip as `<clip>.labels.json` (schema `mskcine.labels/1`).
///
/// Field names follow `spec/measurements.md` exactly. Every field but `schema`, `clip` and
/// `classification` may be missing, and `frames` may be sparse. The fields after `frames`
/// (`case`, `seed`, `imagingRegion`, ...) are this project's additions: a simulator knows them
/// and an analysis may be checked against them; a hand-labelled clip leaves them out.
public struct LabelsDocument: Codable, Sendable, Equatable {
    /// The only schema this model reads and writes.
    public static let currentSchema = "mskcine.labels/1"

    public var schema: String
    /// File name of the clip (not a path), e.g. `full_01.mp4`.
    public var clip: String
    /// Calibration `[x, y]` in mm per pixel.
    public var mmPerPixel: [Double]?
    public var classification: Classification
    public var patientId: String?
    public var muscle: String?
    public var side: String?
    /// ISO date `YYYY-MM-DD`.
    public var studyDate: String?
    public var frames: [FrameLabel]?

    // MARK: Project additions (optional)

    /// Simulator case: `full`, `full-subtle`, `partial` or `none`.
    public var `case`: String?
    /// Seed the clip was simulated from.
    public var seed: UInt64?
    /// Rectangle of the ultrasound image inside the frame, in pixels.
    public var imagingRegion: PixelRect?
    /// 0-based index of this study in a serial-study series of one patient, muscle and side.
    public var studyIndex: Int?
    public var fps: Double?
    public var frameCount: Int?
    /// Frame size in pixels `[width, height]`.
    public var frameSize: [Int]?
    /// Simulation settings an analysis may be checked against (rest pennation, set widening, ...).
    public var simulation: SimulationInfo?

    public init(clip: String, classification: Classification, mmPerPixel: [Double]? = nil,
                patientId: String? = nil, muscle: String? = nil, side: String? = nil,
                studyDate: String? = nil, frames: [FrameLabel]? = nil) {
        self.schema = Self.currentSchema
        self.clip = clip
        self.classification = classification
        self.mmPerPixel = mmPerPixel
        self.patientId = patientId
        self.muscle = muscle
        self.side = side
        self.studyDate = studyDate
        self.frames = frames
    }
}

/// The clip-level call. Stored as its string so a document with an unknown value still decodes
/// and `validate()` can name the problem.
public struct Classification: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let fullThicknessTear = Classification(rawValue: "full-thickness-tear")
    public static let partialTear = Classification(rawValue: "partial-tear")
    public static let noTear = Classification(rawValue: "no-tear")
    public static let indeterminate = Classification(rawValue: "indeterminate")
    /// The four values the spec allows.
    public static let known: [Classification] = [.fullThicknessTear, .partialTear, .noTear, .indeterminate]

    public var isKnown: Bool { Self.known.contains(self) }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Ground truth (or hand labels) for one frame. `index` is the 0-based decode order.
public struct FrameLabel: Codable, Sendable, Equatable {
    public var index: Int
    /// mm, defect length along the muscle axis at half its depth extent; 0 where no defect.
    public var gapWidthMm: Double?
    /// mm, distance between the centroids of the two stump end faces; 0 where no defect.
    public var endSeparationMm: Double?
    /// 0...1, vertical extent of the fibre discontinuity over local muscle thickness.
    public var defectDepthFraction: Double?
    /// mm, between the inner edges of the aponeuroses, perpendicular to the muscle axis.
    public var muscleThicknessMm: Double?
    /// 0...255, mean grey of the intact belly inside the imaging region.
    public var echoIntensity: Double?
    /// 0...1 relative to the clip (0 most relaxed frame, 1 most contracted).
    public var contraction: Double?

    // Project additions.
    /// Seconds from the first frame.
    public var timeS: Double?
    /// Fascicle angle to the deep aponeurosis in this frame, degrees.
    public var pennationDeg: Double?

    public init(index: Int, gapWidthMm: Double? = nil, endSeparationMm: Double? = nil,
                defectDepthFraction: Double? = nil, muscleThicknessMm: Double? = nil,
                echoIntensity: Double? = nil, contraction: Double? = nil,
                timeS: Double? = nil, pennationDeg: Double? = nil) {
        self.index = index
        self.gapWidthMm = gapWidthMm
        self.endSeparationMm = endSeparationMm
        self.defectDepthFraction = defectDepthFraction
        self.muscleThicknessMm = muscleThicknessMm
        self.echoIntensity = echoIntensity
        self.contraction = contraction
        self.timeS = timeS
        self.pennationDeg = pennationDeg
    }
}


/// What the simulator set (rather than measured): the knobs an analysis result can be compared to.
public struct SimulationInfo: Codable, Sendable, Equatable {
    public var generator: String
    public var pennationDeg: Double?
    public var restThicknessMm: Double?
    public var thickening: Double?
    public var restGapMm: Double?
    public var gapWideningMm: Double?
    public var frequencyMHz: Double?
    public var dynamicRangeDb: Double?
    public var contractionCycles: Int?
    public var distractor: String?
    public var bone: Bool?
    public var exportCanvas: Bool?
    /// Set rates for serial studies (per 30 days).
    public var thicknessLossMmPer30Days: Double?
    public var echoRisePer30Days: Double?
    /// Semi-synthetic clips: the real clip the frames came from, and every how many of its frames was kept.
    public var background: String?
    public var backgroundStride: Int?
    /// Mean grey of the fluid or haematoma over the belly's (0...0.5).
    public var fluidEchogenicity: Double?
    /// Tilt of the tear's end faces against the vertical, degrees.
    public var obliquityDeg: Double?
    /// `tissue-motion` (estimated from the clip's own motion) or `given`.
    public var contractionSource: String?
    /// Randomised simulator clips: the scanner layout of the export canvas, and the number of dark distractors.
    public var layout: String?
    public var distractorCount: Int?

    public init(generator: String) { self.generator = generator }
}

// MARK: - JSON

extension LabelsDocument {
    /// Stable output: sorted keys, pretty-printed, no escaped slashes, trailing newline.
    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    public static func decode(from data: Data) throws -> LabelsDocument {
        try JSONDecoder().decode(LabelsDocument.self, from: data)
    }

    public static func read(from url: URL) throws -> LabelsDocument {
        try decode(from: Data(contentsOf: url))
    }

    public func write(to url: URL) throws {
        try encodedJSON().write(to: url, options: .atomic)
    }

    /// `full_01.mp4` -> `full_01.labels.json` (the extension of the clip is replaced).
    public static func fileName(forClip clip: String) -> String {
        var base = clip
        if let dot = clip.lastIndex(of: "."), dot != clip.startIndex { base = String(clip[..<dot]) }
        return base + ".labels.json"
    }
}
