import Foundation
import MSKImaging

/// Every tuning value of the analysis in one place: detectors, the tissue field, tracking and
/// fusion, contraction, the rest and peak windows, the finding rules and the confidence weights.
/// Each value carries its unit in its name (`...Mm` millimetres, `...Frames` frames, fractions
/// 0...1 otherwise) and where it comes from in its comment; Docs/findings.md and Docs/methods.md
/// explain them.
///
/// The values in force are written into the result document (`parameters`), and
/// `mskcine analyze --parameters FILE.json` overrides any subset of them (a JSON object with the
/// same nesting; unknown keys are refused), so a validation sweep needs no rebuild.
///
/// How they were set: on development data only (`Samples/`, simulator and semi-synthetic sets
/// with development seeds, the six real p6 clips and the seven real-cine clips for specificity),
/// then frozen before the validation sets of `make validate` were scored (Docs/validation.md).
public struct AnalysisParameters: Sendable, Codable, Equatable {
    /// Imaging-region search and the working scale of uncalibrated clips.
    public struct Region: Sendable, Codable, Equatable {
        /// Frames buffered at the start of the clip to find the imaging region.
        public var bufferedFrames: Int = 12
        /// Image depth assumed to set the detectors' scale when the clip is uncalibrated (mm over
        /// the imaging region's height). Only the scale of the filters depends on it; results are
        /// then reported in pixels.
        public var assumedDepthMm: Double = 40
        /// A curved array's sector is measured in its inscribed rectangle from the top arc down
        /// (since session 35, `ClipAnalyzer.sectorRectangle`). Off: in its bounding rectangle.
        public var sectorInscribed: Bool = true
        public init() {}
    }

    /// Fusing detections with frame-to-frame tracking (`TrackSmoother`).
    public struct Fusion: Sendable, Codable, Equatable {
        /// Thickness: tracked change error per frame and detection error (mm); from the spread of
        /// both on simulated clips (Docs/methods.md).
        public var thicknessMotionNoiseMm: Double = 0.03
        public var thicknessDetectionNoiseMm: Double = 0.15
        /// Stump faces and gap: tracked motion error per frame and detection error (mm).
        public var faceMotionNoiseMm: Double = 0.08
        public var faceDetectionNoiseMm: Double = 0.35
        /// Innovation gate (standard deviations) beyond which a detection is taken for an outlier.
        public var gateSD: Double = 4
        /// When this many consecutive detections disagree with the track, the track is taken to
        /// have drifted: it re-acquires from the detection (said in the evidence).
        public var reacquireAfterFrames: Int = 5
        /// A clip whose belly can be followed from frame to frame over less than this share of the
        /// tissue field's nodes (median over its frames, `TissueField.trustedFraction`) is not a
        /// time series the tracking can follow (frames far apart in time, or independent images):
        /// its thickness is not fused with the tracking, each frame reports its own detection
        /// (session 37: the real labelled sequences, frames 0.07 s to several seconds apart or
        /// unrelated, follow 0.00-0.31 of the nodes; real continuous clips 0.34 (a re-export at 15
        /// frames/s) and more; a poorly followed continuous clip can fall under it too). 0: always fused.
        public var minSeriesFollowedShare: Double = 0.3
        /// The thinnest muscle the analysis reports (mm); a pair of edges closer than this is not a muscle.
        public var minThicknessMm: Double = 3
        /// An observation of the defect whose gap width differs from the median of the track's
        /// `jumpNeighbours` nearest observations in time by more than `maxGapJumpMm` and by more than
        /// `maxGapJumpFraction` of that median is another dark region joined to it in that frame: it
        /// does not measure the gap or the faces (0 mm: every observation does).
        public var maxGapJumpMm: Double = 3
        public var maxGapJumpFraction: Double = 0.5
        public var jumpNeighbours: Int = 4
        /// An observation wider than this many times the median width of all the track's
        /// observations, and by more than `minGapOverMedianMm`, is another dark region joined to it
        /// (a run of such frames agrees with itself, so `maxGapJumpMm` keeps it); 0: none dropped.
        public var maxGapOverMedianFactor: Double = 3
        public var minGapOverMedianMm: Double = 9
        public init() {}
    }

    /// Contraction from the tissue's motion (the belly's displacement field).
    public struct Contraction: Sendable, Codable, Equatable {
        /// Temporal smoothing of the motion magnitude (Gaussian sigma, frames).
        public var smoothingSigmaFrames: Double = 1.5
        /// The belly must move at least this far from its position in the first frames for a
        /// contraction to be seen (mm). Chosen, not derived: on a clip of one real frame repeated
        /// (no motion at all) the accumulated field drifts about 0.004 mm a frame (sub-pixel peak
        /// bias), so a still clip longer than about 120 frames passes this (Docs/methods.md).
        public var minMotionMm: Double = 0.5
        /// Frames averaged as the reference (rest) position at the start of the clip.
        public var referenceFrames: Int = 3
        public init() {}
    }

    /// The rest and peak windows on the contraction scale (spec: <= 0.2 and >= 0.8).
    public struct Windows: Sendable, Codable, Equatable {
        public var restMaxContraction: Double = 0.2
        public var peakMinContraction: Double = 0.8
        public init() {}
    }

    /// Following one defect through the clip.
    public struct DefectTracking: Sendable, Codable, Equatable {
        /// A candidate joins a track when its centre lies within this distance (mm) of where the
        /// tissue motion carried the track, or within half its own width if that is larger.
        public var linkDistanceMm: Double = 3.0
        /// Tissue-field nodes within this distance (mm, along the muscle) of a defect move it.
        public var motionRadiusMm: Double = 8.0
        /// A track is the clip's defect when seen in at least this fraction of the frames (and at
        /// least `minFrames` frames): a tear is there throughout; dark spaces between fascicles come
        /// and go (real p6 clips: up to 25% of frames at one place).
        public var minFrameFraction: Double = 0.5
        public var minFrames: Int = 3
        /// Or in at least this fraction of the peak-contraction frames (a tear that opens only then).
        public var minPeakFraction: Double = 0.5
        /// Whether, when no track qualifies on the frames it is seen in (nor at peak), the frames
        /// where a track is not seen but its carried position lies inside a region turned down for
        /// its shape alone (at the image's side, or elongated along the muscle:
        /// `RejectedStructure.joined`) count towards `minFrameFraction`: a tear joined to the
        /// belly's dark spaces in some frames is still there (session 29). Such frames are never
        /// measured, and the finding's presence counts the frames seen.
        public var countJoinedFrames: Bool = true
        /// ... and then only for a track itself seen in at least this fraction of the frames: real
        /// p6 dark spaces are seen at one place in up to a quarter of the frames (above), so a
        /// track seen less is not made the defect by the frames it is joined in.
        public var minSeenFractionWithJoined: Double = 0.25
        public init() {}
    }

    /// The localised opening across a defect, from the displacement field.
    public struct Opening: Sendable, Codable, Equatable {
        /// Nodes within this distance (mm) either side of the defect take part in the fit.
        public var windowMm: Double = 15
        /// Nodes within the defect's half width plus this margin (mm) are left out (fluid, no speckle).
        public var exclusionMarginMm: Double = 1.5
        /// Trusted nodes needed on each side.
        public var minNodesPerSide: Int = 2
        public init() {}
    }

    /// The finding rules (Docs/findings.md: every rule, its threshold and where it comes from).
    public struct Findings: Sendable, Codable, Equatable {
        /// R1: frames needed to follow a contraction.
        public var minFrames: Int = 10
        /// R2: share of frames where both aponeuroses must be found.
        public var minMuscleFrameFraction: Double = 0.5
        /// R3: a discontinuity through at least this fraction of the thickness spans it (spec).
        public var fullDepthFraction: Double = 0.9
        /// R3 asks this quantile (0.5...1) of the depth fractions over the open window's observed
        /// frames to reach `fullDepthFraction` (0.75, the upper quartile: the discontinuity reads
        /// through the thickness in a quarter of the frames while open; 0.5, their median, before
        /// session 24). A frame's depth reads short far more often than long: the dark band stops at
        /// a septum or at echoes inside a haematoma. The partial grade (R6) keeps the median.
        public var openDepthQuantile: Double = 0.75
        /// R4: stumps retracting (gap widening or end-separation change) by at least this much from
        /// rest to peak contraction (mm). Peetrons grade 3 tears retract by several mm.
        public var retractionMm: Double = 1.5
        /// R4: or the tissue either side opening at the defect by at least this much (mm).
        public var openingMm: Double = 1.0
        /// A full-depth region that opens by less than this (mm) on a seen contraction argues
        /// against a full-thickness tear (its stumps would retract).
        public var noRetractionMm: Double = 0.5
        /// R3 by motion: a defect whose dark region spans at least this fraction of the thickness,
        /// across which the tissue opens by `openingMm` or more at every depth of the field's rows
        /// (the image's depth extent reads short for oblique tears and haematomas with echoes).
        public var minMotionDepthFraction: Double = 0.3
        /// R6: a partial tear reaches at least this fraction of the thickness (shallower dark
        /// regions are within what intact bellies show) ...
        public var minPartialDepthFraction: Double = 0.3
        /// ... is seen in at least this fraction of the frames (real dark spaces flicker) ...
        /// 0.6 since session 30 (0.7 before): on the dark, moving real backgrounds a partial tear
        /// joins the belly's dark spaces in some frames and is seen in only 24-68 % of them
        /// (development sets). The real healthy runs' followed dark regions were seen in 25-50 %
        /// of the frames (those reaching 30 % of the thickness in 26-34 %), the development intact
        /// clips' in up to 40 %: 0.5 graded 7 more development partial tears right than 0.6 but
        /// left a real healthy run (50 %, 28 % of the thickness) one depth step from a partial
        /// call. Development: partial graded right 11 -> 14 of 72 and 15 -> 16 of 24, no intact
        /// clip called torn (`Docs/validation.md`, session 30).
        public var minPartialPresence: Double = 0.6
        /// ... and changes by less than this on contraction (mm); more is not a partial tear.
        public var partialMaxChangeMm: Double = 1.5
        /// R9 does not weigh the image's gap widening and end-separation change when the image
        /// shows the defect in at least this many of the rest frames but fewer of the peak frames
        /// (all of a window's frames when it has fewer; 0: always weighed): the figure at peak is
        /// then the stump faces carried by the tissue's motion, not a change seen. On the
        /// development sets 11 of the 16 partial tears left indeterminate by R9 were seen in at most
        /// 2 of their peak frames (session 30). Since session 31 R3 by motion does not weigh them
        /// either there (they are the field again). A defect not seen at rest keeps both: it appears
        /// on contraction.
        public var minWindowFramesSeen: Int = 3
        /// R10 (since session 35): in a curved array's sector (`ImagingRegion.curvedArray`), whose
        /// tissue layers are arcs, a tear call (full or partial) is made only when this is on; off,
        /// the clip is indeterminate with the call the rules would make in its evidence. The defect
        /// rules were tuned and validated on straight layers; on curved ones they called a healthy
        /// real clip drawn into a sector full-thickness (Docs/validation.md, session 35).
        public var tearCallsInCurvedSectors: Bool = false
        /// R6 shallow against the stumps separating (since session 36): a defect under
        /// `minPartialDepthFraction` of the thickness is no tear only while nothing says its stumps
        /// pull apart. When both the image (gap widening or end-separation change, seen or carried,
        /// at least `retractionMm`) and the tissue beside it (opening at least `openingMm`) do, the
        /// clip is indeterminate (`R9-shallow-separating`); when one of them does, no tear with its
        /// confidence lowered by `confidence.shallowSeparatingPenalty`. Off: R6 shallow as before.
        /// Why: "no tear" beside "the stumps separate by 4.7 mm and the tissue opens by 1.5 mm" is a
        /// finding that contradicts its own evidence; on development clips those were thin clefts
        /// (full-subtle tears) lost in a dark belly at peak (Docs/validation.md, session 36).
        public var shallowSeparating: Bool = true
        public init() {}
    }

    /// The confidence of each call (0...1; Docs/findings.md, "Confidence"): a weight for every figure
    /// a call's confidence rests on. Set by hand with the rules (no fit), then read against the share
    /// of calls right per confidence band on the validation sets (Docs/findings.md).
    public struct Confidence: Sendable, Codable, Equatable {
        /// R7 no defect: `noDefectBase` + `noDefectPerMuscleShare` x the share of frames with the
        /// muscle, at most `noDefectMax`, less `noDefectPerOtherObject` for each dark object that
        /// came and went elsewhere in the clip (at most `noDefectMaxOtherObjects` of them, since
        /// session 21): on a belly full of dark regions that come and go a tear is harder to exclude
        /// (development sets, tears and controls: R7 right in 5 of 49 clips with five or more such
        /// objects, 4 of 33 with two to four, 27 of 37 with at most one).
        public var noDefectBase: Double = 0.5
        public var noDefectPerMuscleShare: Double = 0.4
        public var noDefectMax: Double = 0.9
        public var noDefectPerOtherObject: Double = 0.05
        public var noDefectMaxOtherObjects: Int = 6
        /// R3 + R4 full-thickness: `fullBase` + `fullPerPresence` x the defect's presence (share of
        /// frames, at most 1) + `fullPerRetraction` x the retraction over twice `retractionMm` (at
        /// most 1), at most `fullMax`; less `weakOpeningPenalty` when the tissue does not open across
        /// the defect (R8 weak opening).
        public var fullBase: Double = 0.6
        public var fullPerPresence: Double = 0.2
        public var fullPerRetraction: Double = 0.15
        public var fullMax: Double = 0.95
        public var weakOpeningPenalty: Double = 0.2
        /// R3 without R4's retraction (the stumps separate by `noRetractionMm` to `retractionMm`):
        /// full-thickness, weakly confirmed.
        public var fullWeaklyConfirmed: Double = 0.55
        /// R6 no tear: a dark region too shallow, or seen in too few frames.
        public var shallow: Double = 0.6
        public var intermittent: Double = 0.55
        /// R6 partial: `partialBase` + `partialPerPresence` x presence, less `partialChangePenalty`
        /// when it changes by half `partialMaxChangeMm` or more on contraction.
        public var partialBase: Double = 0.55
        public var partialPerPresence: Double = 0.25
        public var partialChangePenalty: Double = 0.1
        /// R6 shallow with one measure of the stumps separating (`findings.shallowSeparating`):
        /// `shallow` less this (chosen, as `partialChangePenalty`: one evidence line against).
        public var shallowSeparatingPenalty: Double = 0.1
        public init() {}
    }

    public var region = Region()
    /// The aponeurosis detector (`AponeurosisDetector.Params`: band width, ridge smoothing and
    /// contrast, the pair rule, the inner-edge level, following the previous frame's pair).
    public var aponeurosis = AponeurosisDetector.Params()
    public var defect = DefectDetector.Params()
    /// The fascicle orientation estimator (`FascicleEstimator.Params`: cell size, high-pass, the
    /// belly band used, the angle search and the mirror subtraction).
    public var fascicle = FascicleEstimator.Params()
    public var field = TissueFieldTracker.Params()
    public var fusion = Fusion()
    public var contraction = Contraction()
    public var windows = Windows()
    public var defectTracking = DefectTracking()
    public var opening = Opening()
    public var findings = Findings()
    public var confidence = Confidence()

    public init() {}

    /// The defaults with the values of `json` (a JSON object with the same nesting, any subset)
    /// laid over them. Throws `ParametersError` for unknown keys, wrong types or values out of range.
    public static func overriding(with json: Data, source: String) throws(ParametersError) -> AnalysisParameters {
        let defaults: Any
        do {
            defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnalysisParameters()))
        } catch {
            throw .invalid(path: source, reason: "the default parameters could not be encoded: \(error)")
        }
        let given: Any
        do {
            given = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw .invalid(path: source, reason: "not JSON (\(error.localizedDescription))")
        }
        guard let givenObject = given as? [String: Any], let base = defaults as? [String: Any] else {
            throw .invalid(path: source, reason: "the top level must be a JSON object")
        }
        let merged = try merge(base, givenObject, at: "", source: source)
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            let p = try JSONDecoder().decode(AnalysisParameters.self, from: data)
            if let problem = p.problem { throw ParametersError.invalid(path: source, reason: problem) }
            return p
        } catch let e as ParametersError {
            throw e
        } catch {
            throw .invalid(path: source, reason: "a value has the wrong type (\(error))")
        }
    }

    private static func merge(_ base: [String: Any], _ over: [String: Any], at prefix: String, source: String) throws(ParametersError) -> [String: Any] {
        var out = base
        for (key, value) in over {
            let path = prefix.isEmpty ? key : prefix + "." + key
            guard let current = base[key] else { throw .invalid(path: source, reason: "unknown parameter '\(path)'") }
            if let nested = current as? [String: Any] {
                guard let given = value as? [String: Any] else { throw .invalid(path: source, reason: "'\(path)' must be an object") }
                out[key] = try merge(nested, given, at: path, source: source)
            } else {
                out[key] = value
            }
        }
        return out
    }

    /// A value that cannot work (nil when all are usable).
    public var problem: String? {
        let positives: [(String, Double)] = [
            ("region.assumedDepthMm", region.assumedDepthMm), ("field.columnSpacingMm", field.columnSpacingMm),
            ("field.blockHalfWidthMm", field.blockHalfWidthMm), ("field.blockHalfHeightMm", field.blockHalfHeightMm),
            ("field.searchXMm", field.searchXMm), ("field.searchYMm", field.searchYMm), ("field.maxRoundTripPx", field.maxRoundTripPx),
            ("fusion.thicknessMotionNoiseMm", fusion.thicknessMotionNoiseMm), ("fusion.thicknessDetectionNoiseMm", fusion.thicknessDetectionNoiseMm),
            ("fusion.faceMotionNoiseMm", fusion.faceMotionNoiseMm), ("fusion.faceDetectionNoiseMm", fusion.faceDetectionNoiseMm),
            ("fusion.gateSD", fusion.gateSD), ("defectTracking.linkDistanceMm", defectTracking.linkDistanceMm),
            ("defectTracking.motionRadiusMm", defectTracking.motionRadiusMm), ("opening.windowMm", opening.windowMm),
            ("defect.smoothingXMm", defect.smoothingXMm), ("defect.smoothingYMm", defect.smoothingYMm),
            ("defect.minAreaMm2", defect.minAreaMm2), ("defect.faceConfirmMm", defect.faceConfirmMm),
            ("aponeurosis.bandWidthMm", aponeurosis.bandWidthMm), ("aponeurosis.profileSigmaMm", aponeurosis.profileSigmaMm),
            ("aponeurosis.ridgeSigmaMm", aponeurosis.ridgeSigmaMm), ("aponeurosis.ridgeBackgroundMm", aponeurosis.ridgeBackgroundMm),
            ("aponeurosis.minContrast", Double(aponeurosis.minContrast)), ("aponeurosis.maxSlope", aponeurosis.maxSlope),
            ("aponeurosis.minThicknessMm", aponeurosis.minThicknessMm), ("aponeurosis.maxConvergenceDeg", aponeurosis.maxConvergenceDeg),
            ("aponeurosis.followMm", aponeurosis.followMm), ("aponeurosis.compression.dynamicRangeDb", aponeurosis.compression.dynamicRangeDb),
            ("defect.minStriationF", defect.minStriationF), ("defect.minInterruptedEnhancement", defect.minInterruptedEnhancement),
            ("defect.minHeterogeneousTexture", Double(defect.minHeterogeneousTexture)), ("defect.minHeterogeneousEnhancement", defect.minHeterogeneousEnhancement),
            ("defect.maxSuperficialAlongAspect", defect.maxSuperficialAlongAspect), ("defect.sideCoreMinWidthMm", defect.sideCoreMinWidthMm),
            ("defect.fibreContinuity.cellMm", defect.fibreContinuity.cellMm),
            ("defect.fibreContinuity.highPassMm", defect.fibreContinuity.highPassMm), ("defect.fibreContinuity.gapMm", defect.fibreContinuity.gapMm),
            ("fascicle.cellMm", fascicle.cellMm), ("fascicle.highPassMm", fascicle.highPassMm), ("fascicle.maxAngleDeg", fascicle.maxAngleDeg),
            ("fascicle.coarseStepDeg", fascicle.coarseStepDeg), ("fascicle.fineStepDeg", fascicle.fineStepDeg),
            ("defect.bandFlankGapMm", defect.bandFlankGapMm), ("defect.bandRowHalfMm", defect.bandRowHalfMm), ("defect.bandBridgeMm", defect.bandBridgeMm),
        ]
        for (name, v) in positives where !(v.isFinite && v > 0 && v < 1000) {
            return "'\(name)' must be a positive number under 1000, not \(v)"
        }
        let fractions: [(String, Double)] = [
            ("fusion.minSeriesFollowedShare", fusion.minSeriesFollowedShare),
            ("defect.internalEchoFluidFraction", defect.internalEchoFluidFraction),
            ("windows.restMaxContraction", windows.restMaxContraction), ("windows.peakMinContraction", windows.peakMinContraction),
            ("findings.fullDepthFraction", findings.fullDepthFraction), ("findings.minPartialDepthFraction", findings.minPartialDepthFraction),
            ("findings.minMuscleFrameFraction", findings.minMuscleFrameFraction), ("findings.minMotionDepthFraction", findings.minMotionDepthFraction), ("findings.minPartialPresence", findings.minPartialPresence),
            ("defectTracking.minFrameFraction", defectTracking.minFrameFraction), ("defectTracking.minSeenFractionWithJoined", defectTracking.minSeenFractionWithJoined), ("defectTracking.minPeakFraction", defectTracking.minPeakFraction),
            ("aponeurosis.strongFraction", aponeurosis.strongFraction), ("aponeurosis.maxThicknessFraction", aponeurosis.maxThicknessFraction),
            ("aponeurosis.maxInnerFraction", aponeurosis.maxInnerFraction), ("aponeurosis.pairScoreFraction", aponeurosis.pairScoreFraction),
            ("aponeurosis.minSeparationFraction", aponeurosis.minSeparationFraction), ("aponeurosis.skinFraction", aponeurosis.skinFraction),
            ("aponeurosis.edgeFraction", aponeurosis.edgeFraction), ("defect.maxFibreContinuity", defect.maxFibreContinuity),
            ("defect.gapBandFraction", defect.gapBandFraction), ("defect.faceRefineFraction", defect.faceRefineFraction),
            ("defect.bandRatio", defect.bandRatio), ("defect.sideCoreCoverage", defect.sideCoreCoverage), ("fascicle.bellyFraction", fascicle.bellyFraction),
            ("fascicle.bandCentre", fascicle.bandCentre),
        ]
        let c = confidence
        let weights: [(String, Double)] = [
            ("confidence.noDefectBase", c.noDefectBase), ("confidence.noDefectPerMuscleShare", c.noDefectPerMuscleShare),
            ("confidence.noDefectMax", c.noDefectMax), ("confidence.noDefectPerOtherObject", c.noDefectPerOtherObject),
            ("confidence.fullBase", c.fullBase), ("confidence.fullPerPresence", c.fullPerPresence),
            ("confidence.fullPerRetraction", c.fullPerRetraction), ("confidence.fullMax", c.fullMax),
            ("confidence.weakOpeningPenalty", c.weakOpeningPenalty), ("confidence.fullWeaklyConfirmed", c.fullWeaklyConfirmed),
            ("confidence.shallow", c.shallow), ("confidence.intermittent", c.intermittent), ("confidence.partialBase", c.partialBase),
            ("confidence.partialPerPresence", c.partialPerPresence), ("confidence.partialChangePenalty", c.partialChangePenalty),
            ("confidence.shallowSeparatingPenalty", c.shallowSeparatingPenalty),
        ]
        for (name, v) in fractions + weights where !(v.isFinite && v >= 0 && v <= 1) {
            return "'\(name)' must lie in 0...1, not \(v)"
        }
        for (name, v) in [("defect.fibreContinuity.faceMarginFraction", defect.fibreContinuity.faceMarginFraction),
                          ("defect.fibreContinuity.edgeMarginFraction", defect.fibreContinuity.edgeMarginFraction)] where !(v.isFinite && v >= 0 && v < 0.5) {
            return "'\(name)' must lie in 0...0.5 (a share left out at each side), not \(v)"
        }
        if !(findings.openDepthQuantile.isFinite && findings.openDepthQuantile >= 0.5 && findings.openDepthQuantile <= 1) {
            return "'findings.openDepthQuantile' must lie in 0.5...1 (0.5: the median of the open frames' depths), not \(findings.openDepthQuantile)"
        }
        if !(fascicle.mirrorWeight.isFinite && fascicle.mirrorWeight >= 0 && fascicle.mirrorWeight <= 10) {
            return "'fascicle.mirrorWeight' must lie in 0...10, not \(fascicle.mirrorWeight)"
        }
        if !(fascicle.bellyFraction > 0) { return "'fascicle.bellyFraction' must be above 0 (some of the belly is needed)" }
        if !(fascicle.minPennationDeg.isFinite && fascicle.minPennationDeg >= 0 && fascicle.minPennationDeg < fascicle.maxAngleDeg) {
            return "'fascicle.minPennationDeg' must be 0 or more and under 'fascicle.maxAngleDeg', not \(fascicle.minPennationDeg)"
        }
        if fascicle.maxAngleDeg >= 89 { return "'fascicle.maxAngleDeg' must be under 89 degrees, not \(fascicle.maxAngleDeg)" }
        if confidence.noDefectMaxOtherObjects < 0 {
            return "'confidence.noDefectMaxOtherObjects' must be 0 or more, not \(confidence.noDefectMaxOtherObjects)"
        }
        if windows.restMaxContraction >= windows.peakMinContraction { return "'windows.restMaxContraction' must be below 'windows.peakMinContraction'" }
        if !(field.outlierThreshold.isFinite && field.outlierThreshold >= 0 && field.outlierThreshold < 1000) {
            return "'field.outlierThreshold' must be 0 (no test) or a positive number under 1000, not \(field.outlierThreshold)"
        }
        if !(defect.bandMaxTiltDeg.isFinite && defect.bandMaxTiltDeg >= 0 && defect.bandMaxTiltDeg < 90) {
            return "'defect.bandMaxTiltDeg' must be an angle from 0 to under 90 degrees, not \(defect.bandMaxTiltDeg)"
        }
        if !(0...1000).contains(defect.sideMarginPx) {
            return "'defect.sideMarginPx' must be a whole number of pixels from 0 to 1000, not \(defect.sideMarginPx)"
        }
        if !(defect.maxInternalEchoMm.isFinite && defect.maxInternalEchoMm >= 0 && defect.maxInternalEchoMm < 1000) {
            return "'defect.maxInternalEchoMm' must be 0 (every crossing is a face) or a positive number under 1000, not \(defect.maxInternalEchoMm)"
        }
        if !(fusion.maxGapJumpMm.isFinite && fusion.maxGapJumpMm >= 0 && fusion.maxGapJumpMm < 1000) {
            return "'fusion.maxGapJumpMm' must be 0 (every observation measures the gap) or a positive number under 1000, not \(fusion.maxGapJumpMm)"
        }
        for (name, v) in [("fusion.maxGapOverMedianFactor", fusion.maxGapOverMedianFactor), ("fusion.minGapOverMedianMm", fusion.minGapOverMedianMm)]
            where !(v.isFinite && v >= 0 && v < 1000) {
            return "'\(name)' must be 0 or a positive number under 1000, not \(v)"
        }
        if !(fusion.maxGapJumpFraction.isFinite && fusion.maxGapJumpFraction >= 0 && fusion.maxGapJumpFraction < 1000) {
            return "'fusion.maxGapJumpFraction' must be 0 or a positive number under 1000, not \(fusion.maxGapJumpFraction)"
        }
        if !(field.outlierNoisePx.isFinite && field.outlierNoisePx > 0 && field.outlierNoisePx < 1000) {
            return "'field.outlierNoisePx' must be a positive number under 1000, not \(field.outlierNoisePx)"
        }
        if field.rowFractions.isEmpty || field.rowFractions.contains(where: { !($0 > 0 && $0 < 1) }) { return "'field.rowFractions' must be fractions strictly between 0 and 1" }
        let counts: [(String, Int)] = [("region.bufferedFrames", region.bufferedFrames), ("field.maxColumns", field.maxColumns),
                                       ("findings.minFrames", findings.minFrames), ("fascicle.minCells", fascicle.minCells), ("fusion.reacquireAfterFrames", fusion.reacquireAfterFrames), ("fusion.jumpNeighbours", fusion.jumpNeighbours),
                                       ("defect.maxCandidates", defect.maxCandidates), ("defect.fibreContinuity.minCells", defect.fibreContinuity.minCells),
                                       ("defect.fibreContinuity.minCellsAcross", defect.fibreContinuity.minCellsAcross)]
        for (name, v) in counts where !(1...100_000).contains(v) { return "'\(name)' must be a whole number from 1 to 100000, not \(v)" }
        if !(0...100_000).contains(findings.minWindowFramesSeen) {
            return "'findings.minWindowFramesSeen' must be a whole number from 0 to 100000, not \(findings.minWindowFramesSeen)"
        }
        return nil
    }

    /// The parameters as a result-document value (same nesting as the override file).
    public var documentValue: JSONValue {
        guard let data = try? JSONEncoder().encode(self), let object = try? JSONSerialization.jsonObject(with: data) else { return .null }
        return Self.value(object)
    }

    private static func value(_ any: Any) -> JSONValue {
        switch any {
        case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, value(d[$0]!)) })
        case let a as [Any]: return .array(a.map(value))
        // JSONSerialization gives a JSON true or false as an NSNumber of type char ("c"); numbers
        // it parses are integers or doubles, so a switch (`continueTracks`) stays a boolean, and
        // the recorded parameters can be fed back as an override file.
        case let n as NSNumber where String(cString: n.objCType) == "c": return .bool(n.boolValue)
        case let n as NSNumber: return .number(n.doubleValue)
        case let s as String: return .string(s)
        default: return .null
        }
    }
}

/// A parameters file that cannot be used.
public enum ParametersError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalid(path: String, reason: String)
    public var description: String {
        switch self {
        case .invalid(let path, let reason):
            return "\(path): \(reason); give a JSON object with a subset of the parameters the result document lists under \"parameters\""
        }
    }
}
