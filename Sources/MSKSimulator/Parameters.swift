import Foundation
import MSKLabels

/// What kind of lesion a simulated clip holds.
public enum TearCase: String, Codable, Sendable, CaseIterable {
    /// Fibre discontinuity through the whole thickness, fluid with debris, ragged stumps that retract.
    case full
    /// A full-thickness tear with a 1-2 mm rest gap that opens on contraction.
    case fullSubtle = "full-subtle"
    /// A defect through part of the thickness with bridging fibres; changes < 0.5 mm on contraction.
    case partial
    /// Intact muscle, possibly with a distractor.
    case none

    /// The clip-level classification the spec expects for this case.
    public var classification: Classification {
        switch self {
        case .full, .fullSubtle: return .fullThicknessTear
        case .partial: return .partialTear
        case .none: return .noTear
        }
    }
}

/// Something hypoechoic in an intact belly that is not a tear.
public enum Distractor: String, Codable, Sendable, CaseIterable {
    case none
    /// A vessel running along the muscle: anechoic lumen with bright walls.
    case vessel
    /// A hypoechoic band across the belly that the fascicle lines run through unbroken.
    case darkBand = "dark-band"
}

/// The scanner-export layout around the ultrasound image (`exportCanvas` on).
public enum CanvasLayout: String, Codable, Sendable, CaseIterable {
    /// Black margins, text rows above, depth ruler left, logo, orientation and focus markers.
    case classic
    /// As classic with the depth ruler and the focus marker right of the image.
    case rulerRight = "ruler-right"
    /// A grey interface (as Telemed screen captures): grey canvas, grey-scale bar and a
    /// parameter column, a darker title bar, depth ruler left.
    case greyCanvas = "grey-canvas"
    /// Text bars below the image (patient, settings), a thin title bar above, ruler left.
    case textBarBottom = "text-bar-bottom"
    /// Classic plus a grey-scale bar and a red/blue colour bar (as a Doppler-capable scanner exports).
    case colourBars = "colour-bars"
}

/// A dark structure in intact muscle that is not a tear (randomised validation set).
public struct DarkDistractor: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A hypoechoic patch the fascicle lines run through (darker, not broken).
        case patch
        /// A dark interfascicular space: a thin dark strip along the fascicles.
        case interfascicular
        /// A vessel running along the muscle: anechoic lumen, bright walls.
        case vessel
    }
    public var kind: Kind
    /// Centre across the imaging region (0...1) and across the belly's depth (0...1).
    public var centreX: Double
    public var centreDepth: Double
    /// Half length along its long direction and half width, mm.
    public var halfLengthMm: Double
    public var halfWidthMm: Double
    /// Amplitude factor inside (0 anechoic ... 1 unchanged).
    public var darkness: Double

    public init(kind: Kind, centreX: Double, centreDepth: Double, halfLengthMm: Double, halfWidthMm: Double, darkness: Double) {
        self.kind = kind; self.centreX = centreX; self.centreDepth = centreDepth
        self.halfLengthMm = halfLengthMm; self.halfWidthMm = halfWidthMm; self.darkness = darkness
    }
}

/// Where a partial defect sits in the thickness.
public enum DefectSite: String, Codable, Sendable, CaseIterable {
    case deep, superficial, central
}

/// Activation over time: each cycle is rest, ramp up, hold, release (same length as the ramp), rest.
/// Ramps are raised cosines. Activation is 0 at rest and 1 at hold.
public struct ContractionProfile: Codable, Sendable, Equatable {
    public var cycles: Int
    /// Fractions of one cycle. `rest` is split: `leadRest` before the ramp, the remainder after the release.
    public var leadRest: Double
    public var ramp: Double
    public var hold: Double

    public init(cycles: Int = 1, leadRest: Double = 0.15, ramp: Double = 0.2, hold: Double = 0.25) {
        precondition(cycles >= 1 && leadRest >= 0 && ramp > 0 && hold >= 0 && leadRest + 2 * ramp + hold <= 1,
                     "ContractionProfile: phases must fit in one cycle")
        self.cycles = cycles; self.leadRest = leadRest; self.ramp = ramp; self.hold = hold
    }

    /// Activation 0...1 at `frame` of a clip of `frameCount` frames.
    public func activation(frame: Int, frameCount: Int) -> Double {
        let total = Double(max(frameCount - 1, 1))
        let phase = Double(frame) / total * Double(cycles)
        var p = phase - phase.rounded(.down)
        if frame == frameCount - 1 && frameCount > 1 { p = 1 } // end of the last cycle
        let up = leadRest, top = up + ramp, down = top + hold, end = down + ramp
        func rc(_ t: Double) -> Double { 0.5 - 0.5 * cos(Double.pi * min(max(t, 0), 1)) }
        if p < up { return 0 }
        if p < top { return rc((p - up) / ramp) }
        if p < down { return 1 }
        if p < end { return 1 - rc((p - down) / ramp) }
        return 0
    }
}

/// Frame size and calibration of a simulated clip, plus its acoustics, anatomy, lesion and motion.
/// Lengths are in mm unless named otherwise. Defaults give an intact rectus-femoris-like view.
public struct SimulationParameters: Codable, Sendable, Equatable {
    // MARK: Clip
    public var tearCase: TearCase = .none
    /// Seed of the speckle, noise and probe motion (and of the anatomy unless `anatomySeed` is set).
    public var seed: UInt64 = 1
    /// Seed of the anatomy (surfaces, fascicle pattern, lesion shape); serial studies of one patient
    /// share it while each study has its own `seed`. Nil: `seed`.
    public var anatomySeed: UInt64? = nil
    public var frameCount: Int = 60
    public var fps: Double = 25
    /// Output frame size in pixels (the whole canvas when `exportCanvas` is on).
    public var width: Int = 480
    public var height: Int = 360
    /// Calibration of the output pixels, mm per pixel along x and y.
    public var mmPerPixelX: Double = 0.1
    public var mmPerPixelY: Double = 0.1
    /// Place the image inside a scanner-export canvas (margins, text, ruler, logo, coloured markers).
    public var exportCanvas: Bool = false
    /// The canvas layout when `exportCanvas` is on.
    public var layout: CanvasLayout = .classic

    // MARK: Acoustics
    /// Transmit centre frequency; sets the pulse length, beam width and attenuation.
    public var frequencyMHz: Double = 10
    /// Pulse length in cycles (round-trip axial resolution ~ cycles * wavelength / 2).
    public var pulseCycles: Double = 2.5
    /// Lateral beam width as an f-number: FWHM = fNumber * wavelength.
    public var lateralFNumber: Double = 3.5
    /// Soft-tissue attenuation, dB/cm/MHz one way.
    public var attenuationDbPerCmMHz: Double = 0.4
    /// Share of the mean soft-tissue attenuation the TGC gives back (1 = all).
    public var tgcCompensation: Double = 0.92
    /// Displayed dynamic range of the log compression.
    public var dynamicRangeDb: Double = 60
    /// Overall gain in dB (shifts every grey level by gain * 255 / dynamicRange).
    public var gainDb: Double = 0
    /// RMS electronic noise relative to the mean belly echo amplitude, before TGC.
    public var noiseLevel: Double = 0.04
    /// Display curve after log compression: grey = 255 (g / 255)^gamma (1: the plain log map).
    public var greyGamma: Double = 1

    // MARK: Anatomy (rest geometry)
    public var skinThicknessMm: Double = 1.6
    public var fatThicknessMm: Double = 4
    public var aponeurosisThicknessMm: Double = 1.1
    /// Belly thickness between the aponeuroses' inner edges at rest.
    public var restThicknessMm: Double = 18
    /// Fascicle angle to the deep aponeurosis at rest.
    public var pennationDeg: Double = 15
    /// +1: fascicles rise to the right; -1: to the left.
    public var fascicleDirection: Int = 1
    /// Mean spacing of the bright perimysial lines, measured across them.
    public var fascicleSpacingMm: Double = 1.3
    /// Tilt of the muscle axis in the image, degrees (positive: deeper to the right).
    public var axisTiltDeg: Double = 2
    /// Sag of the superficial aponeurosis over the field of view.
    public var aponeurosisCurvatureMm: Double = 0.8
    /// Bone below the deep muscle (bright curve and acoustic shadow).
    public var bone: Bool = true
    /// Added to the belly echogenicity (dB); serial studies raise it for fatty or fibrous change.
    public var bellyEchoOffsetDb: Double = 0

    // MARK: Lesion
    /// Defect length along the axis at rest (half-way through its depth).
    public var restGapMm: Double = 0
    /// Set widening of the gap from rest to full activation (full tears).
    public var gapWideningMm: Double = 0
    /// Depth extent of a partial defect over the local thickness.
    public var partialDepthFraction: Double = 0.45
    public var partialSite: DefectSite = .deep
    /// Defect centre across the imaging region, 0...1.
    public var defectCentreFraction: Double = 0.5
    /// Amplitude of the stump-face raggedness, as a share of the rest gap.
    public var faceRaggedness: Double = 0.15
    /// Echogenicity of the fluid relative to the belly (linear amplitude).
    public var fluidEchogenicity: Double = 0.04
    /// 0...1: how much low-level debris and clot the fluid holds.
    public var debris: Double = 0.5
    /// The randomised set's drawn mean grey of the fluid over the belly's at the same depths
    /// (0...0.5; nil elsewhere). With it the fluid's level holds at every depth of the defect: the
    /// gain its lower attenuation gives within the fluid is divided out (the enhancement beneath stays).
    public var fluidGreyShare: Double? = nil
    /// Inside a full tear's opened gap, a fluid pixel takes the tissue field of its own row's
    /// nearer stump face carried rigidly, faded out past that row's rest mid-gap over the lateral
    /// beam's width (the randomised set from its version 4). Without it (the presets, so that
    /// `Samples/` stays as committed) it takes the stumps' rigid maps clamped to the middle of the
    /// gap's zone, which repeats one column's field across the open gap: where an oblique stump
    /// crosses the zone's middle, horizontal stripes of belly echo fill the fluid.
    public var openGapFromRestGap = false
    /// The version of the randomised distribution that drew these parameters
    /// (`SimulationParameters.randomised(seed:)`); nil for the presets and hand-set parameters.
    public var distributionVersion: Int? = nil
    public var distractor: Distractor = .none
    /// More dark structures in the belly that are not tears (vessels, patches, interfascicular spaces).
    public var darkDistractors: [DarkDistractor] = []
    /// Tilt of a full tear's end faces against the vertical, degrees (nil: a small random tilt).
    public var faceObliquityDeg: Double? = nil
    /// Peak amplitude of the bright perimysial (fascicle) lines over the belly background; 0 gives a
    /// homogeneous belly (fully developed speckle, for statistics).
    public var fascicleContrast: Double = 3.5

    // MARK: Motion
    public var contraction = ContractionProfile()
    /// Belly thickening at full activation (0.15 = 15 %).
    public var thickening: Double = 0.12
    /// Longitudinal shortening of the belly at full activation (also raises pennation).
    public var shortening: Double = 0.03
    /// Probe jitter amplitude (lateral; axial is a third of it).
    public var jitterMm: Double = 0.25
    /// Out-of-plane decorrelation: radians per frame, and radians over a full activation.
    public var decorrelationPerFrame: Double = 0.015
    public var decorrelationWithContraction: Double = 0.4

    // MARK: Identity
    public var patientId: String? = nil
    public var muscle: String? = "rectus-femoris"
    public var side: String? = "right"
    public var studyDate: String? = nil
    public var studyIndex: Int? = nil
    /// Set rates, recorded in the labels of serial studies.
    public var thicknessLossMmPer30Days: Double? = nil
    public var echoRisePer30Days: Double? = nil

    public init() {}

    /// Ultrasound wavelength in mm (c = 1540 m/s).
    public var wavelengthMm: Double { 1.540 / frequencyMHz }

    /// Problems that make the parameters unusable, in words; empty when fine.
    public func problems() -> [String] {
        var p: [String] = []
        if width < 64 || height < 48 { p.append("frame \(width)x\(height) is smaller than 64x48") }
        if frameCount < 1 { p.append("frameCount \(frameCount) < 1") }
        if !(fps > 0) { p.append("fps must be > 0") }
        if !(mmPerPixelX > 0 && mmPerPixelY > 0) { p.append("mmPerPixel must be > 0") }
        if !(1...20).contains(frequencyMHz) { p.append("frequencyMHz \(frequencyMHz) outside 1...20") }
        if !(5...80).contains(pennationDeg) { p.append("pennationDeg \(pennationDeg) outside 5...80") }
        if restThicknessMm < 3 { p.append("restThicknessMm < 3") }
        if tearCase == .full || tearCase == .fullSubtle || tearCase == .partial {
            if restGapMm <= 0 { p.append("restGapMm must be > 0 for case \(tearCase.rawValue)") }
        }
        if gapWideningMm < 0 { p.append("gapWideningMm < 0") }
        if !(0.1...0.9).contains(partialDepthFraction) { p.append("partialDepthFraction outside 0.1...0.9") }
        if !(0...0.3).contains(faceRaggedness) { p.append("faceRaggedness outside 0...0.3") }
        if !(0...0.1).contains(shortening) { p.append("shortening outside 0...0.1") }
        if !(0...0.5).contains(thickening) { p.append("thickening outside 0...0.5") }
        return p
    }
}

extension SimulationParameters {
    /// Round-trip attenuation (dB per mm of depth) at the transmit frequency of a material that
    /// attenuates `alphaDbPerCmMHz` one way (dB per cm per MHz).
    public func roundTripDbPerMm(_ alphaDbPerCmMHz: Double) -> Double {
        alphaDbPerCmMHz * frequencyMHz * 2 / 10
    }
}
