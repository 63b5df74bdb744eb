@testable import MSKImaging
import Testing

/// The defect detector's named stages, each on its own, exactly on and just beyond each rule's
/// threshold (the rules turn a region down only strictly beyond their thresholds, and count a
/// content value equal to its threshold as inside it).
@Suite struct DefectStageTests {
    let detector = DefectDetector()
    var p: DefectDetector.Params { detector.params }

    // MARK: shape

    @Test func aRegionExactlyAsLongAsMaxAlongAspectIsACandidateAndLongerIsNot() {
        let h = 5.0
        #expect(p.maxAlongAspect == 1.6)
        for (top, bottom) in [(false, true), (false, false)] {
            let on = detector.shapeVerdict(lengthMm: 8, heightMm: h, touchTop: top, touchBottom: bottom, atSide: false, small: false)
            #expect(on == .candidate)
            let beyond = detector.shapeVerdict(lengthMm: 8.001, heightMm: h, touchTop: top, touchBottom: bottom, atSide: false, small: false)
            #expect(beyond == .alongFascicles)
        }
        // Under the superficial aponeurosis alone, up to maxSuperficialAlongAspect.
        #expect(p.maxSuperficialAlongAspect == 3)
        #expect(detector.shapeVerdict(lengthMm: 15, heightMm: h, touchTop: true, touchBottom: false, atSide: false, small: false) == .candidate)
        #expect(detector.shapeVerdict(lengthMm: 15.001, heightMm: h, touchTop: true, touchBottom: false, atSide: false, small: false) == .alongFascicles)
        // Set under maxAlongAspect, it changes nothing: the general limit holds.
        var tight = p
        tight.maxSuperficialAlongAspect = 1
        #expect(DefectDetector(params: tight).shapeVerdict(lengthMm: 8.001, heightMm: h, touchTop: true, touchBottom: false, atSide: false, small: false) == .alongFascicles)
        // Spanning the muscle, any length is a candidate.
        let spanning = detector.shapeVerdict(lengthMm: 40, heightMm: h, touchTop: true, touchBottom: true, atSide: false, small: false)
        #expect(spanning == .candidate)
    }

    @Test func aVesselIsLongerThanVesselAspectAndThinnerThanVesselMaxHeight() {
        #expect(p.vesselAspect == 2.5 && p.vesselMaxHeightMm == 3.5)
        // Exactly 2.5 times as long as tall: not a vessel (then elongated, as it exceeds 1.6).
        #expect(detector.shapeVerdict(lengthMm: 5, heightMm: 2, touchTop: false, touchBottom: false, atSide: false, small: false) == .alongFascicles)
        #expect(detector.shapeVerdict(lengthMm: 5.001, heightMm: 2, touchTop: false, touchBottom: false, atSide: false, small: false) == .vessel)
        // Exactly vesselMaxHeightMm tall is too tall for a vessel.
        #expect(detector.shapeVerdict(lengthMm: 20, heightMm: 3.5, touchTop: false, touchBottom: false, atSide: false, small: false) == .alongFascicles)
        // A vessel-shaped region touching an aponeurosis is not a vessel.
        #expect(detector.shapeVerdict(lengthMm: 20, heightMm: 2, touchTop: true, touchBottom: false, atSide: false, small: false) == .alongFascicles)
    }

    @Test func theSideEdgeComesBeforeTheSmallPatchAndTheSmallPatchBeforeTheAspect() {
        #expect(detector.shapeVerdict(lengthMm: 3, heightMm: 3, touchTop: true, touchBottom: true, atSide: true, small: false) == .atSide)
        #expect(detector.shapeVerdict(lengthMm: 3, heightMm: 3, touchTop: false, touchBottom: false, atSide: true, small: true) == .atSide)
        #expect(detector.shapeVerdict(lengthMm: 4, heightMm: 2, touchTop: false, touchBottom: false, atSide: false, small: true) == .smallPatch)
        #expect(detector.shapeVerdict(lengthMm: 6, heightMm: 2, touchTop: false, touchBottom: false, atSide: false, small: true) == .vessel)
        #expect(DefectDetector.ShapeVerdict.candidate.reason(size: "1 x 2 mm") == nil)
        #expect(DefectDetector.ShapeVerdict.alongFascicles.reason(size: "10.0 x 4.1 mm")
                == "dark region (10.0 x 4.1 mm) elongated along the muscle and not spanning it: a space between fascicles, not a discontinuity across the fibres")
    }

    // MARK: content

    @Test func anechoicAtItsThresholdWithEnhancementAtItsThresholdIsFluid() {
        let c = DefectDetector.RegionContent(score: p.anechoicScore, texture: 5, enhancement: p.minAnechoicEnhancement)
        #expect(detector.isFluid(c, fibresInterrupted: { false }))
        // Just under the enhancement, and not dark enough for any other rule: not fluid.
        let under = DefectDetector.RegionContent(score: p.anechoicScore, texture: 5, enhancement: p.minAnechoicEnhancement - 0.001)
        #expect(p.minAnechoicEnhancement - 0.001 >= p.minInterruptedEnhancement)
        #expect(!detector.isFluid(under, fibresInterrupted: { false }))
    }

    @Test func hypoechoicWithEnhancementAtItsThresholdIsFluidAndJustDarkerThanTheRuleIsNot() {
        let on = DefectDetector.RegionContent(score: p.maxFluidScore, texture: 5, enhancement: p.minEnhancement)
        #expect(detector.isFluid(on, fibresInterrupted: { false }))
        // Textured as muscle, not as a heterogeneous haematoma (whose own rule would take it).
        let textured = (p.maxHaematomaTexture + p.minHeterogeneousTexture) / 2
        let lighter = DefectDetector.RegionContent(score: p.maxFluidScore.nextUp, texture: textured, enhancement: p.minEnhancement)
        #expect(!detector.isFluid(lighter, fibresInterrupted: { false }))
        let strong = DefectDetector.RegionContent(score: p.maxFluidScoreStrongEnhancement, texture: 5, enhancement: p.strongEnhancement)
        #expect(detector.isFluid(strong, fibresInterrupted: { false }))
        let strongLighter = DefectDetector.RegionContent(score: p.maxFluidScoreStrongEnhancement.nextUp, texture: textured, enhancement: p.strongEnhancement)
        #expect(!detector.isFluid(strongLighter, fibresInterrupted: { false }))
    }

    @Test func aHaematomaWithoutRoomBelowIsDecidedByDarknessAndTexture() {
        // Hypoechoic and smooth at both thresholds: a haematoma; the fibre test is not asked.
        var asked = 0
        let on = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.maxHaematomaTexture, enhancement: nil)
        #expect(detector.isFluid(on, fibresInterrupted: { asked += 1; return false }))
        #expect(asked == 0)
        // Textured: only the fibre test makes it a haematoma, and it is asked.
        let textured = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.maxHaematomaTexture.nextUp, enhancement: nil)
        #expect(!detector.isFluid(textured, fibresInterrupted: { asked += 1; return false }))
        #expect(asked == 1)
        #expect(detector.isFluid(textured, fibresInterrupted: { true }))
        // Lighter than a haematoma: the fibres are not asked, and only the darkness rule is left.
        let light = DefectDetector.RegionContent(score: p.maxHaematomaScore.nextUp, texture: 0, enhancement: nil)
        #expect(!detector.isFluid(light, fibresInterrupted: { asked += 1; return true }))
        #expect(asked == 1)
        let dark = DefectDetector.RegionContent(score: p.maxFluidScoreWithoutEnhancement, texture: 5, enhancement: nil)
        #expect(detector.isFluid(dark, fibresInterrupted: { false }))
    }

    @Test func aHeterogeneousHaematomaIsFluidOverEnhancementAtItsThresholds() {
        // Hypoechoic, grey levels spread as fluid above and clot below, over enhanced tissue.
        let on = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.minHeterogeneousTexture, enhancement: p.minHeterogeneousEnhancement)
        #expect(detector.isFluid(on, fibresInterrupted: { false }))
        // Less enhancement (still over minAnechoicEnhancement), or a spread just under the rule's
        // (still textured as muscle), or lighter than a haematoma: not fluid.
        #expect(p.minHeterogeneousEnhancement - 0.001 >= p.minAnechoicEnhancement && p.minHeterogeneousTexture.nextDown > p.maxHaematomaTexture)
        let weak = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.minHeterogeneousTexture, enhancement: p.minHeterogeneousEnhancement - 0.001)
        #expect(!detector.isFluid(weak, fibresInterrupted: { false }))
        let lessSpread = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.minHeterogeneousTexture.nextDown, enhancement: p.minHeterogeneousEnhancement)
        #expect(!detector.isFluid(lessSpread, fibresInterrupted: { false }))
        let lighter = DefectDetector.RegionContent(score: p.maxHaematomaScore.nextUp, texture: 5, enhancement: p.minHeterogeneousEnhancement)
        #expect(!detector.isFluid(lighter, fibresInterrupted: { false }))
        // Without room below to look, the rule does not apply.
        let noRoom = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: 5, enhancement: nil)
        #expect(!detector.isFluid(noRoom, fibresInterrupted: { false }))
        // Set out of reach (a parameter), the same region is not fluid.
        var off = p
        off.minHeterogeneousTexture = .infinity
        #expect(!DefectDetector(params: off).isFluid(on, fibresInterrupted: { false }))
    }

    @Test func aHaematomaOverShadowedTissueNeedsItsFibresInterrupted() {
        // Smooth and hypoechoic, tissue beneath darker than beside but not under minInterruptedEnhancement.
        let e = p.minInterruptedEnhancement
        let c = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.maxHaematomaTexture, enhancement: e)
        #expect(!detector.isFluid(c, fibresInterrupted: { false }))
        #expect(detector.isFluid(c, fibresInterrupted: { true }))
        // Beneath it darker still (shadow): not fluid whatever the fibres.
        let shadowed = DefectDetector.RegionContent(score: p.maxHaematomaScore, texture: p.maxHaematomaTexture, enhancement: e - 0.001)
        #expect(!detector.isFluid(shadowed, fibresInterrupted: { true }))
    }

    // MARK: side core

    /// A 40 x 40 mask, belly rows 10-29 (20 deep): a full-depth strip at columns 20-25 (rows
    /// 12-28, 17 of 20 rows: exactly 0.85 of the depth), joined by a shallow dark band (rows
    /// 15-20) to the image's left side; `extra` marks more dark pixels.
    func sideMask(extra: [(Int, Int)] = []) -> (DefectDetector.Region, [Int], [Int32]) {
        let w = 40, h = 40
        var dark = [Bool](repeating: false, count: w * h)
        for y in 15...20 { for x in 0..<20 { dark[y * w + x] = true } }
        for y in 12...28 { for x in 20...25 { dark[y * w + x] = true } }
        for (x, y) in extra { dark[y * w + x] = true }
        var label = [Int32](repeating: -1, count: w * h)
        let (regions, pixels) = DefectDetector.connectedRegions(dark: dark, label: &label, width: w, height: h, rows: 10..<30,
                                                                superficialY: Array(repeating: 10, count: w), deepY: Array(repeating: 30, count: w), touchPx: 2)
        return (regions[0], pixels, label)
    }

    /// `sideCore` on the mask's region (belly rows 10-30 at every column) with a copy of its
    /// labels: the core found, and the labels after.
    func core(_ mask: (DefectDetector.Region, [Int], [Int32]), coverage: Double, minWidthPx: Int = 3,
              sideMarginPx: Int = 0) -> (core: (region: DefectDetector.Region, pixels: [Int])?, label: [Int32]) {
        let (r, pixels, label) = mask
        var l = label
        let c = DefectDetector.sideCore(r, pixels: pixels, label: &l, width: 40, supY: Array(repeating: 10, count: 40),
                                        deepY: Array(repeating: 30, count: 40), coverage: coverage, minWidthPx: minWidthPx,
                                        sideMarginPx: sideMarginPx, touchPx: 2, id: 7)
        return (c, l)
    }

    @Test func aSideCoreIsTheRunOfColumnsSpanningAtLeastItsCoverageOfTheDepth() {
        let mask = sideMask()
        #expect(mask.0.minX == 0 && mask.0.maxX == 25)
        let (found, l) = core(mask, coverage: 0.85)
        #expect(found?.region.minX == 20 && found?.region.maxX == 25)
        #expect(found?.region.area == 6 * 17 && found?.pixels.count == 6 * 17)
        #expect(found?.region.touchTop == true && found?.region.touchBottom == true)
        #expect(found?.pixels.allSatisfy { l[$0] == 7 } == true)
        // The strip's 17 rows are 0.85 of the depth: a higher coverage finds no core, labels untouched.
        let higher = core(mask, coverage: 0.86)
        #expect(higher.core == nil)
        #expect(higher.label == mask.2)
        // Narrower than minWidthPx: none.
        #expect(core(mask, coverage: 0.85, minWidthPx: 7).core == nil)
    }

    @Test func aRunOfSpanningColumnsAtTheImageSideIsNoCore() {
        // Columns 0-2 also span the depth: that run is at the side and is not taken; the strip is.
        let mask = sideMask(extra: (0...2).flatMap { x in (11...29).map { (x, $0) } })
        let found = core(mask, coverage: 0.85).core
        #expect(found?.region.minX == 20 && found?.region.maxX == 25)
        // At 0.95 only the side run (19 of 20 rows) qualifies, and it is not taken.
        #expect(core(mask, coverage: 0.95).core == nil)
    }

    @Test func aRunOfSpanningColumnsWithinTheSideMarginIsNoCore() {
        // Columns 3-7 span 19 of the 20 rows: at coverage 0.95 the only run that qualifies.
        let mask = sideMask(extra: (3...7).flatMap { x in (11...29).map { (x, $0) } })
        // Off column 0: a core with no margin.
        let found = core(mask, coverage: 0.95).core
        #expect(found?.region.minX == 3 && found?.region.maxX == 7)
        // Starting at column 3, within a margin of 3 or 4: at the side, no core; a margin of 2 keeps it.
        for (margin, kept) in [(2, true), (3, false), (4, false)] {
            #expect((core(mask, coverage: 0.95, sideMarginPx: margin).core != nil) == kept, "margin \(margin)")
        }
        #expect(DefectDetector.isAtSide(3...7, width: 40, margin: 3) && !DefectDetector.isAtSide(3...7, width: 40, margin: 2))
        #expect(DefectDetector.isAtSide(30...36, width: 40, margin: 3) && !DefectDetector.isAtSide(30...35, width: 40, margin: 3))
    }
}
