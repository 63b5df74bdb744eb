import Foundation
import Testing
import MSKImage
import MSKLabels
@testable import MSKSimulator

/// Small clips so the debug build stays quick: 192x144 at 0.2 mm (38 x 29 mm).
private func small(_ c: TearCase, seed: UInt64, frames: Int = 24, canvas: Bool = false) -> SimulationParameters {
    SimulationParameters.preset(case: c, seed: seed, width: 192, height: 144, mmPerPixel: 0.2,
                                frameCount: frames, fps: 20, exportCanvas: canvas)
}

private func restAndPeak(_ sim: CineSimulator) -> (rest: Int, peak: Int) {
    let idx = Array(0..<sim.frameCount)
    let rest = idx.min { sim.activation($0) < sim.activation($1) }!
    let peak = idx.max { sim.activation($0) < sim.activation($1) }!
    return (rest, peak)
}

private func meanGrey(_ f: SimulatedFrame, region: PixelRect, _ cls: TissueClass) -> Double? {
    var s = 0, n = 0
    for y in 0..<region.height {
        for x in 0..<region.width where f.tissue[y * region.width + x] == cls.rawValue && !f.shadow[y * region.width + x] {
            s += Int(f.grey[x + region.x, y + region.y]); n += 1
        }
    }
    return n > 20 ? Double(s) / Double(n) : nil
}

// MARK: Determinism

@Test func sameSeedSamePixels() {
    let p = small(.full, seed: 7, frames: 6, canvas: true)
    let a = CineSimulator(parameters: p).renderFrame(4)
    let b = CineSimulator(parameters: p).renderFrame(4)
    #expect(a.grey == b.grey)
    #expect(a.rgb == b.rgb)
    #expect(a.truth == b.truth)
}

@Test func differentSeedDifferentPixels() {
    let a = CineSimulator(parameters: small(.none, seed: 1, frames: 4)).renderFrame(0)
    var p = small(.none, seed: 1, frames: 4)
    p.seed = 2
    let b = CineSimulator(parameters: p).renderFrame(0)
    let differing = zip(a.grey.pixels, b.grey.pixels).filter { $0 != $1 }.count
    #expect(differing > a.grey.pixels.count / 2)
}

@Test func presetsAreDeterministicAndVaried() {
    #expect(SimulationParameters.preset(case: .partial, seed: 9) == SimulationParameters.preset(case: .partial, seed: 9))
    #expect(SimulationParameters.preset(case: .partial, seed: 9) != SimulationParameters.preset(case: .partial, seed: 10))
}

// MARK: Ground truth invariants

@Test(arguments: [TearCase.full, .fullSubtle], [UInt64(3), 11, 12])
func fullTearGapWidensBySetAmount(_ c: TearCase, seed: UInt64) {
    let sim = CineSimulator(parameters: small(c, seed: seed))
    let (rest, peak) = restAndPeak(sim)
    let r = sim.groundTruth(rest), k = sim.groundTruth(peak)
    let p = sim.parameters
    let widening = k.gapWidthMm! - r.gapWidthMm!
    #expect(abs(widening - p.gapWideningMm) < 0.1, "widening \(widening) vs set \(p.gapWideningMm)")
    let separation = k.endSeparationMm! - r.endSeparationMm!
    #expect(abs(separation - p.gapWideningMm) < 0.5, "separation change \(separation) vs \(p.gapWideningMm)")
    #expect(abs(r.gapWidthMm! - p.restGapMm) < 0.35 * p.restGapMm)
    #expect(r.defectDepthFraction == 1 && k.defectDepthFraction == 1)
    // Widening grows with contraction through the clip.
    for i in 0..<sim.frameCount {
        let t = sim.groundTruth(i)
        let expected = r.gapWidthMm! + p.gapWideningMm * sim.activation(i)
        #expect(abs(t.gapWidthMm! - expected) < 0.15)
    }
    if c == .fullSubtle { #expect(r.gapWidthMm! < 2.5) }
}

@Test(arguments: [UInt64(4), 21, 22, 23])
func partialTearChangesLittle(seed: UInt64) {
    let sim = CineSimulator(parameters: small(.partial, seed: seed))
    let first = sim.groundTruth(0)
    #expect(first.defectDepthFraction! > 0.2 && first.defectDepthFraction! < 0.7)
    for i in 0..<sim.frameCount {
        let t = sim.groundTruth(i)
        #expect(abs(t.gapWidthMm! - first.gapWidthMm!) < 0.5)
        #expect(abs(t.endSeparationMm! - first.endSeparationMm!) < 0.5)
        #expect(abs(t.defectDepthFraction! - first.defectDepthFraction!) < 1e-3)
    }
}

@Test(arguments: TearCase.allCases)
func thicknessFollowsSetThickening(_ c: TearCase) {
    let sim = CineSimulator(parameters: small(c, seed: 5))
    let (rest, peak) = restAndPeak(sim)
    let t0 = sim.groundTruth(rest).muscleThicknessMm!, t1 = sim.groundTruth(peak).muscleThicknessMm!
    let p = sim.parameters
    #expect(abs(t0 - p.restThicknessMm) < 0.06 * p.restThicknessMm, "rest \(t0) vs set \(p.restThicknessMm)")
    #expect(abs(t1 / t0 - (1 + p.thickening)) < 0.015, "ratio \(t1 / t0) vs \(1 + p.thickening)")
}

@Test(arguments: TearCase.allCases)
func contractionIsNormalised(_ c: TearCase) {
    let sim = CineSimulator(parameters: small(c, seed: 6, frames: 30))
    let values = (0..<sim.frameCount).map { sim.groundTruth($0).contraction! }
    #expect(values.allSatisfy { (0...1).contains($0) })
    #expect(values.min() == 0 && values.max() == 1)
    let pen = (0..<sim.frameCount).map { sim.groundTruth($0).pennationDeg! }
    let (rest, peak) = restAndPeak(sim)
    #expect(pen[peak] > pen[rest], "pennation rises on contraction")
}

@Test func intactMuscleHasNoDefect() {
    let sim = CineSimulator(parameters: small(.none, seed: 8))
    for i in [0, 10, 20] {
        let t = sim.groundTruth(i)
        #expect(t.gapWidthMm == 0 && t.endSeparationMm == 0 && t.defectDepthFraction == 0)
    }
}

// MARK: Image

@Test func tissueContrastsFollowTheModel() {
    var p = small(.full, seed: 12, frames: 4)
    p.distractor = .none
    let sim = CineSimulator(parameters: p)
    let f = sim.renderFrame(0)
    let r = sim.imagingRegion
    let belly = meanGrey(f, region: r, .belly)!
    let apo = meanGrey(f, region: r, .superficialAponeurosis)!
    let deepApo = meanGrey(f, region: r, .deepAponeurosis)!
    let fluid = meanGrey(f, region: r, .defect)!
    #expect(apo > belly + 25, "aponeurosis \(apo) vs belly \(belly)")
    #expect(deepApo > belly + 25, "deep aponeurosis \(deepApo) vs belly \(belly)")
    #expect(fluid < belly - 25, "fluid \(fluid) vs belly \(belly)")
    #expect(f.truth.echoIntensity! == (belly * 100).rounded() / 100)
}

@Test func exportCanvasFramesTheImage() {
    let sim = CineSimulator(parameters: small(.none, seed: 3, frames: 2, canvas: true))
    let f = sim.renderFrame(1)
    let r = sim.imagingRegion
    #expect(f.rgb.width == 192 && f.rgb.height == 144)
    #expect(r.x > 0 && r.y > 0 && r.x + r.width < 192 && r.y + r.height < 144)
    // Somewhere outside the region a pixel is coloured (R, G, B not equal).
    var coloured = 0
    for y in 0..<f.rgb.height {
        for x in 0..<f.rgb.width where !r.contains(x: x, y: y) {
            let k = 3 * (y * f.rgb.width + x)
            if f.rgb.pixels[k] != f.rgb.pixels[k + 1] || f.rgb.pixels[k + 1] != f.rgb.pixels[k + 2] { coloured += 1 }
        }
    }
    #expect(coloured > 20)
    // Grey is the luma of RGB; inside the region it equals the rendered grey.
    let k = 3 * ((r.y + 5) * 192 + r.x + 5)
    #expect(f.grey[r.x + 5, r.y + 5] == f.rgb.pixels[k])
    #expect(sim.labels(clipName: "c.mp4", measureEcho: false).imagingRegion == r)
}

@Test func bellySpeckleIsRayleigh() {
    var p = small(.none, seed: 14, frames: 2)
    p.fascicleContrast = 0
    p.distractor = .none
    p.noiseLevel = 0
    let sim = CineSimulator(parameters: p)
    let e = sim.renderEnvelope(0)
    // A depth band in the middle of the belly (TGC makes the mean nearly depth-independent).
    var mask = e.bellyMask
    let rows = (0..<e.height).filter { y in (0..<e.width).filter { mask[y * e.width + $0] }.count > e.width / 2 }
    let lo = rows.first! + rows.count / 4, hi = rows.last! - rows.count / 4
    for y in 0..<e.height where y < lo || y > hi { for x in 0..<e.width { mask[y * e.width + x] = false } }
    let stats = SpeckleStatistics.measure(e.envelope, width: e.width, height: e.height, mask: mask,
                                          mmPerPixelX: p.mmPerPixelX, mmPerPixelY: p.mmPerPixelY)
    #expect(stats.count > 1000)
    #expect(stats.sdOverMean > 0.45 && stats.sdOverMean < 0.6, "SD/mean \(stats.sdOverMean)")
    #expect(stats.lateralFWHMmm! > stats.axialFWHMmm!, "lateral grain wider than axial")
}

@Test func speckleStatisticsSeeAConstantImage() {
    let v = [Float](repeating: 3, count: 100)
    let s = SpeckleStatistics.measure(v, width: 10, height: 10, mask: [Bool](repeating: true, count: 100),
                                      mmPerPixelX: 0.1, mmPerPixelY: 0.1)
    #expect(s.mean == 3 && s.sd == 0)
}

// MARK: Labels, presets, serial studies

@Test func labelsValidateAndRoundTrip() throws {
    let sim = CineSimulator(parameters: small(.partial, seed: 31, frames: 5))
    let doc = sim.labels(clipName: "partial_x.mp4")
    #expect(doc.validationErrors().isEmpty)
    #expect(doc.classification == .partialTear && doc.case == "partial" && doc.frames?.count == 5)
    #expect(doc.frames!.allSatisfy { $0.echoIntensity != nil })
    #expect(try LabelsDocument.decode(from: doc.encodedJSON()) == doc)
}

@Test func streamingMatchesRandomAccess() {
    let sim = CineSimulator(parameters: small(.fullSubtle, seed: 2, frames: 3))
    let streamed = Array(sim.frames())
    #expect(streamed.count == 3)
    #expect(streamed[2].grey == sim.renderFrame(2).grey)
}

@Test func samplePresetsCoverTheSet() {
    let all = SamplePresets.all
    #expect(Set(all.map(\.name)).count == all.count)
    #expect((12...16).contains(all.count))
    #expect(Set(all.map(\.parameters.tearCase)) == Set(TearCase.allCases))
    #expect(all.contains { $0.parameters.exportCanvas } && all.contains { !$0.parameters.exportCanvas })
    #expect(Set(all.map { "\($0.parameters.width)x\($0.parameters.height)" }).count >= 3)
    for s in all {
        #expect(s.parameters.problems().isEmpty, "\(s.name): \(s.parameters.problems())")
        #expect((60...90).contains(s.parameters.frameCount) && (20...30).contains(s.parameters.fps))
        #expect((0.08...0.15).contains(s.parameters.mmPerPixelX))
    }
}

@Test func serialStudiesFollowSetRates() {
    let series = SerialStudy.decliningPatient()
    #expect(series.count == 4)
    #expect(series.map(\.studyDate) == ["2026-01-12", "2026-02-09", "2026-03-09", "2026-04-06"])
    #expect(Set(series.map(\.patientId)) == ["P101"] && Set(series.map(\.side)).count == 1)
    let loss = series[0].restThicknessMm - series[3].restThicknessMm
    #expect(abs(loss - 0.6 * 84 / 30) < 1e-9)
    #expect(series[3].bellyEchoOffsetDb > series[0].bellyEchoOffsetDb)
    let stable = SerialStudy.stablePatient()
    #expect(Set(stable.map(\.restThicknessMm)).count == 1)
    #expect(SerialStudy.civilFromDays(SerialStudy.daysFromCivil("2024-02-28")! + 1) == "2024-02-29")
    #expect(SerialStudy.daysFromCivil("1970-01-01") == 0)
}

@Test func echoIntensityRisesWithBellyEchogenicity() {
    var p = small(.none, seed: 40, frames: 2)
    p.distractor = .none
    let base = CineSimulator(parameters: p).renderFrame(0).truth.echoIntensity!
    p.bellyEchoOffsetDb = 12 * p.dynamicRangeDb / 255  // +12 grey levels expected
    let raised = CineSimulator(parameters: p).renderFrame(0).truth.echoIntensity!
    #expect(abs(raised - base - 12) < 3, "rise \(raised - base)")
}

@Test func echoIntensityIsStableThroughContraction() {
    var p = small(.none, seed: 44, frames: 12)
    p.distractor = .none
    let sim = CineSimulator(parameters: p)
    let (rest, peak) = restAndPeak(sim)
    let values = [rest, peak, (rest + peak) / 2].map { sim.renderFrame($0).truth.echoIntensity! }
    #expect(values.max()! - values.min()! < 2.5, "echo intensity \(values)")
}

@Test func badParametersAreNamed() {
    var p = SimulationParameters()
    p.tearCase = .full
    p.restGapMm = 0
    p.width = 10
    let problems = p.problems()
    #expect(problems.count == 2)
    #expect(problems.contains { $0.contains("restGapMm") } && problems.contains { $0.contains("smaller than 64x48") })
    #expect(SimulationParameters().problems().isEmpty)
}
