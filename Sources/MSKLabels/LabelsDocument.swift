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
    /// How the labelled thickness was measured (spec: `thicknessRule`); nil: the spec's rule.
    public var thicknessRule: ThicknessRule?
    /// Each observer's own values for the labelled frames (hand-labelled real data).
    public var observers: Observers?
    /// File name of a hand-drawn aponeurosis mask beside a still image (255 = aponeurosis).
    public var aponeurosisMask: String?

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

    /// Lengths in pixels, for an uncalibrated clip or still image (spec: `...Px` labels).
    public var gapWidthPx: Double?
    public var endSeparationPx: Double?
    public var muscleThicknessPx: Double?
    /// Rows of the superficial / deep inner edge at the thickness rule's column (frame pixels).
    public var superficialEdgeRowPx: Double?
    public var deepEdgeRowPx: Double?
    /// Angles (degrees, spec convention: a line rising towards +x on screen is positive).
    public var fascicleAngleDeg: Double?
    public var superficialAponeurosisAngleDeg: Double?
    public var deepAponeurosisAngleDeg: Double?
    public var pennationAngleDeg: Double?
    public var fascicleLengthMm: Double?
    /// A fascicle tracker's unsigned angle of the fascicle line to the image's horizontal axis
    /// (UltraTrack's "pennation", atan2(|dy|, |dx|) of its endpoints): compared with the absolute
    /// value of `fascicleAngleDeg`.
    public var fascicleAngleAbsDeg: Double?
    /// Fascicle length in frame pixels (a tracker's endpoint distance), for a clip whose lengths
    /// the labels do not give in mm.
    public var fascicleLengthPx: Double?

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

/// How a hand-measured thickness was taken (spec: `thicknessRule`).
public struct ThicknessRule: Codable, Sendable, Equatable {
    /// `vertical-at-x`: vertical distance between the inner edges at frame column `x`;
    /// `vertical-median`: median over columns of that vertical distance.
    public var kind: String
    public var x: Double?
    public var description: String?

    public static let verticalAtX = "vertical-at-x"
    public static let verticalMedian = "vertical-median"

    public init(kind: String, x: Double? = nil) { self.kind = kind; self.x = x }
}

/// Each observer's own values for the same labelled frames: `names`, an optional `unit` of the
/// pixel fields, and per field one list per labelled frame (in `frames` order) of one value per
/// observer (`null` where that observer gave none). Field names are the frame labels' (`fascicleAngleDeg`),
/// except that `muscleThickness` carries the length in `unit`.
public struct Observers: Codable, Sendable, Equatable {
    public var names: [String]
    public var unit: String?
    public var values: [String: [[Double?]]]

    public init(names: [String], unit: String? = nil, values: [String: [[Double?]]]) {
        self.names = names; self.unit = unit; self.values = values
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        names = try c.decode([String].self, forKey: Key(stringValue: "names"))
        unit = try c.decodeIfPresent(String.self, forKey: Key(stringValue: "unit"))
        var v: [String: [[Double?]]] = [:]
        for k in c.allKeys where k.stringValue != "names" && k.stringValue != "unit" {
            v[k.stringValue] = try c.decode([[Double?]].self, forKey: k)
        }
        values = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(names, forKey: Key(stringValue: "names"))
        try c.encodeIfPresent(unit, forKey: Key(stringValue: "unit"))
        for (k, v) in values { try c.encode(v, forKey: Key(stringValue: k)) }
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
    /// Mean grey of the fluid or haematoma over the belly's (0...0.5), as drawn.
    public var fluidEchogenicity: Double?
    /// Semi-synthetic clips: the share the fluid shows, the drawn one or, where brighter, the
    /// background scanner's noise floor over the belly's level (fluid is never darker than it).
    public var fluidShownShare: Double?
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
