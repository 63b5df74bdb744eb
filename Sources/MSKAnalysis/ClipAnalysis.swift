import MSKImage
import Foundation
import MSKImaging
import MSKReader

/// The unit a length is in: millimetres when the clip is calibrated, pixels when it is not.
public enum LengthUnit: String, Sendable, Codable {
    case mm, px
    /// Suffix of the result document's field names (`gapWidthMm`, `gapWidthPx`).
    public var fieldSuffix: String { self == .mm ? "Mm" : "Px" }
}

/// A length and its unit; pixels never pass for millimetres.
public struct Length: Sendable, Equatable, CustomStringConvertible {
    public var value: Double
    public var unit: LengthUnit
    public init(_ value: Double, _ unit: LengthUnit) { self.value = value; self.unit = unit }
    public var description: String { String(format: "%.2f %@", value, unit.rawValue) }
}

/// One frame's measurements (spec: per-frame measurements).
public struct FrameMeasurement: Sendable, Equatable {
    public var index: Int
    public var timeS: Double
    public var gapWidth: Length
    public var endSeparation: Length
    public var defectDepthFraction: Double
    /// Nil when the muscle was not found in this frame and could not be carried from neighbours.
    public var muscleThickness: Length?
    public var echoIntensity: Double?
    public var contraction: Double
    /// Whether both aponeuroses were detected in this frame (not only carried by tracking).
    public var muscleDetected: Bool
    /// Whether the defect was detected in this frame (not only carried by tracking).
    public var defectDetected: Bool
    /// How far this frame's measurements can be trusted (0...1): 0.7 when both aponeuroses were
    /// detected and agree with the fused track (0.35 when detected but overruled by tracking, 0
    /// when not detected), plus 0.3 times the share of the belly's tissue field followed into it.
    public var quality: Double = 1
    /// Fascicle geometry (spec: degrees, a line rising towards +x on screen positive), fused over
    /// the clip (`FascicleFusion`); nil where the muscle or its fascicles were not found.
    public var fascicleAngleDeg: Double? = nil
    public var deepAponeurosisAngleDeg: Double? = nil
    public var pennationAngleDeg: Double? = nil
    public var fascicleLength: Length? = nil
}

/// Spec: per-clip summary.
public struct ClipSummary: Sendable, Equatable {
    public var restGapWidth: Length?
    public var peakGapWidth: Length?
    public var gapWidening: Length?
    public var restEndSeparation: Length?
    public var peakEndSeparation: Length?
    public var endSeparationChange: Length?
    public var meanMuscleThickness: Length?
    public var meanEchoIntensity: Double?
    public var maxDefectDepthFraction: Double
    public var restFrameCount: Int
    public var peakFrameCount: Int
    /// Localised opening across the defect at peak contraction, relative to rest (nil: no defect or no contraction).
    public var peakOpening: Length? = nil
    /// Largest displacement of the belly from its rest position over the clip (the contraction's scale).
    public var tissueMotionRange: Length? = nil
}

public enum Classification: String, Sendable, Codable, CaseIterable {
    case fullThicknessTear = "full-thickness-tear"
    case partialTear = "partial-tear"
    case noTear = "no-tear"
    case indeterminate
}

/// The call on a clip and the evidence that produced it.
public struct Finding: Sendable, Equatable {
    public var classification: Classification
    public var suspectedFullThicknessTear: Bool { classification == .fullThicknessTear }
    public var confidence: Double
    public var evidence: [String]
    /// Peetrons' ultrasound grade as a secondary label: 0 no lesion, 2 partial rupture, 3 complete
    /// rupture with retraction; nil when indeterminate. Grade 1 (elongation without a visible
    /// discontinuity) is not told apart from 0 by this engine (Docs/findings.md).
    public var peetronsGrade: Int?
    /// The ids of the rules that decided the call (Docs/findings.md), e.g. "R3-full-depth".
    public var rules: [String]

    public init(classification: Classification, confidence: Double, evidence: [String], peetronsGrade: Int? = nil, rules: [String] = []) {
        self.classification = classification
        self.confidence = confidence
        self.evidence = evidence
        self.peetronsGrade = peetronsGrade
        self.rules = rules
    }
}

/// Everything the analysis of one clip produced.
public struct ClipAnalysis: Sendable {
    public var info: ClipInfo
    public var calibration: Spacing?
    public var calibrationSource: CalibrationSource
    public var unit: LengthUnit
    public var imagingRegion: PixelRect
    /// "detected", "cli", or why the whole frame was used.
    public var imagingRegionSource: String
    public var frames: [FrameMeasurement]
    public var summary: ClipSummary
    public var finding: Finding
    /// Non-fatal problems (from the reader and the analysis).
    public var warnings: [String]
    /// Whether a contraction was seen (thickness range above the method's noise).
    public var contractionSeen: Bool
    /// Range of the muscle thickness over the clip (fused), in `unit`.
    public var thicknessRange: Length?
    /// Where a defect was found: its bounding box in imaging-region pixels, in a representative frame.
    public var defectBox: PixelRect?
    /// Per-frame detected structures (imaging-region pixels), for overlays: aponeurosis inner
    /// edges and the defect's faces where detected.
    public var overlays: [FrameOverlay]
    /// The parameters the analysis ran with.
    public var parameters = AnalysisParameters()
    /// Per frame: the localised opening across the clip's defect relative to rest (nil where it
    /// could not be measured, or no defect).
    public var opening: [Length?] = []
    /// Per frame: how far the belly has moved from its rest position (median over the field's nodes).
    public var tissueMotion: [Length] = []
    /// The belly's displacement field at peak contraction relative to rest (imaging-region pixels);
    /// empty when no contraction was seen.
    public var peakField: [FieldArrow] = []
    /// For a clip without calibration of its own: the depth ruler read beside the image, the
    /// `--depth-mm` check, and the calibration taken or why none was (`ScreenCalibration`).
    public var screen: ScreenCalibration?
}

/// One node of the displacement field: where it is and how far the tissue there moved (pixels).
public struct FieldArrow: Sendable, Equatable {
    public var position: SIMD2<Double>
    public var displacement: SIMD2<Double>
}

/// What to draw over a frame to check the analysis by eye (imaging-region pixels).
public struct FrameOverlay: Sendable, Equatable {
    public var superficialInner: Quadratic?
    public var deepInner: Quadratic?
    /// The edges are not this frame's own detection but carried from the nearest frame whose
    /// detection agreed with the fused muscle (`ClipFusion.carriedEdges`): drawn dashed.
    public var edgesCarried: Bool = false
    public var leftFace: SIMD2<Double>?
    public var rightFace: SIMD2<Double>?
    public var midY: Double?
    public var midLeftX: Double?
    public var midRightX: Double?
    /// The defect's bounding box where it was detected in this frame (only when the clip has a defect).
    public var defectBox: PixelRect?
    /// The clip's defect's centre in this frame (observed or carried by the tissue): its path.
    public var defectCentre: SIMD2<Double>? = nil
    /// The drawn fascicle: a straight line from the deep to the superficial inner edge at the
    /// frame's reported fascicle angle (imaging-region pixels).
    public var fascicleLine: (deep: SIMD2<Double>, superficial: SIMD2<Double>)? = nil

    public static func == (a: FrameOverlay, b: FrameOverlay) -> Bool {
        a.superficialInner == b.superficialInner && a.deepInner == b.deepInner && a.edgesCarried == b.edgesCarried && a.leftFace == b.leftFace && a.rightFace == b.rightFace
            && a.midY == b.midY && a.midLeftX == b.midLeftX && a.midRightX == b.midRightX && a.defectBox == b.defectBox
            && a.defectCentre == b.defectCentre
            && a.fascicleLine?.deep == b.fascicleLine?.deep && a.fascicleLine?.superficial == b.fascicleLine?.superficial
    }

    /// Most pixels between neighbouring points of a drawn or reported edge (spec: at most 8).
    public static let edgePointSpacing = 8

    /// An inner edge as points across the imaging region, in frame pixels (`region`'s origin added),
    /// at most `edgePointSpacing` px apart, first and last column included: what the overlay and
    /// the report draw and what the result document reports (`superficialEdgePx`, `deepEdgePx`).
    public static func edgePoints(_ edge: Quadratic, region: PixelRect) -> [SIMD2<Double>] {
        let ox = Double(region.x), oy = Double(region.y)
        var xs = Array(stride(from: 0, to: region.width - 1, by: edgePointSpacing))
        xs.append(max(0, region.width - 1))
        return xs.map { x in SIMD2(ox + Double(x), oy + edge.y(Double(x))) }
    }

    /// This frame's superficial and deep inner edges in frame pixels (nil where not found).
    public func superficialEdge(region: PixelRect) -> [SIMD2<Double>]? { superficialInner.map { Self.edgePoints($0, region: region) } }
    public func deepEdge(region: PixelRect) -> [SIMD2<Double>]? { deepInner.map { Self.edgePoints($0, region: region) } }

    /// The defect's path point in this frame, in frame pixels: what the overlay's path passes
    /// through and the result document reports (`defectCentrePx`).
    public func defectCentre(region: PixelRect) -> SIMD2<Double>? {
        defectCentre.map { SIMD2(Double(region.x) + $0.x, Double(region.y) + $0.y) }
    }

    /// The two stump end faces (their centroids) in frame pixels, left then right: where the overlay
    /// draws the caliper and the result document reports them (`stumpFacesPx`).
    public func stumpFaces(region: PixelRect) -> (left: SIMD2<Double>, right: SIMD2<Double>)? {
        guard let l = leftFace, let r = rightFace else { return nil }
        let o = SIMD2(Double(region.x), Double(region.y))
        return (o + l, o + r)
    }
}
