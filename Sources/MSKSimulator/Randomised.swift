import Foundation

extension SimulationParameters {
    /// The randomised validation distribution (`Docs/simulator.md`, "Randomised set"): one draw per
    /// seed, fixed in code, much wider than the sample set's presets. Returns the parameters and the
    /// codec the clip is written in (`h264`, `mpeg4`, `mjpeg` or `dicom`).
    ///
    /// Changing anything here changes every validation figure: bump `randomisedVersion` and say so.
    public static func randomised(seed: UInt64) -> (parameters: SimulationParameters, codec: String) {
        var r = SplitMix64(seed: mix64(seed ^ 0x5A11_DA7A))
        let u = r.unit()
        let tearCase: TearCase = u < 0.30 ? .full : (u < 0.45 ? .fullSubtle : (u < 0.70 ? .partial : .none))
        let sizes = [(480, 360), (576, 432), (640, 480), (720, 540), (800, 600), (640, 512)]
        let (w, h) = sizes[Int(r.next() % UInt64(sizes.count))]
        let canvas = r.unit() < 0.75
        let layout = canvas ? CanvasLayout.allCases[Int(r.next() % UInt64(CanvasLayout.allCases.count))] : .classic
        let region = canvas ? ExportCanvas.imagingRegion(width: w, height: h, layout: layout)
            : .init(x: 0, y: 0, width: w, height: h)
        // Depth shown 28-60 mm sets the spacing (0.05-0.17 mm/px); pixels a little anisotropic at times.
        let depthMm = r.uniform(28...60)
        let mmY = depthMm / Double(region.height)
        let mmX = r.unit() < 0.3 ? mmY * r.uniform(0.85...1.15) : mmY
        let frames = 60 + Int(r.next() % 31)
        let fps = [15.0, 20, 25, 30, 40][Int(r.next() % 5)]

        var p = SimulationParameters.preset(case: tearCase, seed: seed, width: w, height: h, mmPerPixel: mmY,
                                            frameCount: frames, fps: fps, exportCanvas: false)
        p.exportCanvas = canvas
        p.layout = layout
        p.mmPerPixelX = mmX
        // Acoustics and display: speckle size, dynamic range, compression curve, depth gain, noise.
        p.frequencyMHz = (r.uniform(5...15) * 2).rounded() / 2
        p.lateralFNumber = r.uniform(2.5...8)
        p.pulseCycles = r.uniform(1.5...5)
        p.dynamicRangeDb = r.uniform(45...80).rounded()
        p.gainDb = r.uniform(-8...4)
        p.greyGamma = r.uniform(0.75...1.35)
        p.tgcCompensation = r.uniform(0.6...1.1)
        p.attenuationDbPerCmMHz = r.uniform(0.3...0.7)
        p.noiseLevel = r.uniform(0.003...0.05)
        p.pennationDeg = r.uniform(8...30)
        p.fascicleContrast = r.uniform(1.2...4.5)
        p.fascicleSpacingMm = r.uniform(0.8...2.6)
        p.axisTiltDeg = r.uniform(-6...6)
        // Anatomy fitted to the depth shown (as `preset` does for its own region).
        let top = 0.2 + p.skinThicknessMm + p.fatThicknessMm + 2 * p.aponeurosisThicknessMm + 1.5
        let room = Double(region.height) * mmY - top - 4
        p.restThicknessMm = max(6, min(room / 1.3, r.uniform(10...28)))
        // A sonographer picks frequency and gain so that the muscle's deep boundary shows: the
        // noise (raised by the depth gain as much as the echoes are) is capped so that the belly's
        // echo stays 10 dB above it at the deep aponeurosis of the thickest frame (the round-trip
        // loss as the belly's over the whole depth). No draw is taken here.
        let deepLossDb = p.roundTripDbPerMm(p.attenuationDbPerCmMHz) * (top + 1.3 * p.restThicknessMm)
        p.noiseLevel = min(p.noiseLevel, pow(10, -(deepLossDb + 10) / 20))
        // Haematoma: mean grey 0-50 % of the belly's (converted to amplitude under this log map).
        let greyRatio = r.uniform(0...0.5)
        p.fluidGreyShare = greyRatio
        p.distributionVersion = randomisedVersion
        // An opened gap is fluid through the thickness (`openGapFromRestGap`, version 4).
        p.openGapFromRestGap = true
        let bellyGrey = 62 + p.gainDb * 255 / p.dynamicRangeDb
        // The share is of the displayed grey, after the gamma curve: before it, the share is ratio^(1/gamma).
        let preGamma = pow(greyRatio, 1 / p.greyGamma)
        let dropDb = (1 - preGamma) * bellyGrey * p.dynamicRangeDb / 255
        p.debris = r.uniform(0...0.6)
        // The fluid's clot, layering and debris spots raise its mean by about (1 + 0.6 d)(1 + 0.5 d)
        // + 0.4 d for debris d (`TissueModel.fluidScattering`): divided out, so the mean stays at
        // the drawn share.
        let target = greyRatio < 0.02 ? 0.01 : pow(10, -dropDb / 20)
        p.fluidEchogenicity = target / ((1 + 0.6 * p.debris) * (1 + 0.5 * p.debris) + 0.4 * p.debris)
        // Tears oblique to the axis.
        if tearCase == .full || tearCase == .fullSubtle { p.faceObliquityDeg = r.uniform(-30...30) }
        // Several dark distractors in every clip, away from the defect.
        let count = 1 + Int(r.next() % 4)
        var list: [DarkDistractor] = []
        var tries = 0
        while list.count < count && tries < 40 {
            tries += 1
            let kind = DarkDistractor.Kind.allCases[Int(r.next() % 3)]
            let cx = r.uniform(0.1...0.9)
            let halfLength: Double, halfWidth: Double, dark: Double
            switch kind {
            case .patch: (halfLength, halfWidth, dark) = (r.uniform(1.5...5), r.uniform(1...3), r.uniform(0.2...0.6))
            case .interfascicular: (halfLength, halfWidth, dark) = (r.uniform(3...9), r.uniform(0.2...0.5), r.uniform(0.1...0.35))
            case .vessel: (halfLength, halfWidth, dark) = (r.uniform(3...9), r.uniform(0.6...1.5), r.uniform(0...0.3))
            }
            let fovW = Double(region.width) * mmX
            if tearCase != .none {
                let xd = p.defectCentreFraction * fovW
                if abs(cx * fovW - xd) < p.restGapMm / 2 + p.gapWideningMm + halfLength + 3 { continue }
            }
            list.append(DarkDistractor(kind: kind, centreX: cx, centreDepth: r.uniform(0.25...0.75),
                                       halfLengthMm: halfLength, halfWidthMm: halfWidth, darkness: dark))
        }
        if list.isEmpty {
            // No room away from the defect was drawn: one patch on the far side of the image.
            list.append(DarkDistractor(kind: .patch, centreX: p.defectCentreFraction < 0.5 ? 0.9 : 0.1, centreDepth: 0.5,
                                       halfLengthMm: 2, halfWidthMm: 1.2, darkness: 0.45))
        }
        p.darkDistractors = list
        let v = r.unit()
        let codec = v < 0.4 ? "h264" : (v < 0.6 ? "mpeg4" : (v < 0.8 ? "mjpeg" : "dicom"))
        return (p, codec)
    }

    /// Version of the randomised distribution; recorded in the labels (`distributionVersion`, the
    /// generator's name).
    public static let randomisedVersion = 4
}
