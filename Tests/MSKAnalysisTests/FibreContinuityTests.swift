import Foundation
import MSKImage
import MSKImaging
import Testing

/// Fibre continuity (issue #11, item 4): a haematoma whose internal echoes are as speckled as the
/// belly is told from intact hypoechoic muscle by the striations the fibres give, which run on
/// through intact muscle and stop at a tear.
@Suite("Fibre continuity: striations run on through intact muscle and stop at a haematoma")
struct FibreContinuityTests {
    static let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
    static let angleDeg = 25.0
    static let apo = AponeurosisPair(superficialCentre: Quadratic(c0: 42.5), superficialInner: Quadratic(c0: 46), deepCentre: Quadratic(c0: 152.5),
                                     deepInner: Quadratic(c0: 149), bellyLevel: 110, superficialContrast: 120, deepContrast: 120, coverage: 1)

    enum Inside { case haematoma, hypoechoicMuscle, smoothHaematoma, faintlyStriatedMuscle, layeredHaematoma, fluidOverIntactMuscle }

    /// A 300 x 156 belly (rows 46-149, grey 110) of striations at 25 degrees (period 9 px,
    /// amplitude 30) with fine noise, between two bright aponeuroses, and no room below the deep
    /// one (so no posterior enhancement is measured). Columns 120-179 hold either a haematoma
    /// (grey 45, coarse speckle in 4 px grains, no striations) or the same striations darker
    /// (grey 45, intact hypoechoic muscle); or, both smooth (texture well under the belly's), a
    /// haematoma of grey 45 with faint noise and no striations, or muscle of grey 45 whose
    /// striations are faint (amplitude 8) but run on through it. `beneath`: 60 more rows below
    /// the deep aponeurosis (grey 100), `beneath` times as bright under columns 120-179 (the
    /// posterior enhancement the detector measures); nil: no room below.
    static func belly(_ inside: Inside, beneath: Float? = nil) -> FloatImage {
        let w = 300, h = beneath == nil ? 156 : 216
        var state: UInt64 = 11
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 33) & 0xFFFF) / 65535 - 0.5
        }
        // One speckle value per 4 x 4 grain.
        var grains = [Float](repeating: 0, count: (w / 4 + 1) * (h / 4 + 1))
        for i in grains.indices { grains[i] = noise() }
        let a = angleDeg * .pi / 180
        var p = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let striation = Float(30 * cos((Double(x) * sin(a) + Double(y) * cos(a)) / 9 * 2 * .pi))
                var v: Float = 110 + striation + 20 * noise()
                if (40...45).contains(y) || (150...155).contains(y) { v = 230 }
                if y > 155 { v = 100 * ((120...179).contains(x) ? beneath ?? 1 : 1) + 10 * noise() }
                if y > 45, y < 150, (120...179).contains(x) {
                    switch inside {
                    case .haematoma: v = max(0, 45 + 90 * grains[(y / 4) * (w / 4 + 1) + x / 4])
                    case .hypoechoicMuscle: v = max(0, 45 + striation + 20 * noise())
                    case .smoothHaematoma: v = 45 + 6 * noise()
                    case .faintlyStriatedMuscle: v = 45 + striation * 8 / 30 + 4 * noise()
                    // Fluid in the upper half (rows 46-95); below it clot as bright and as speckled as
                    // the belly but without its striations (a full-thickness tear), or the intact
                    // belly itself (a partial tear).
                    case .layeredHaematoma: v = y < 96 ? 12 + 6 * noise() : max(0, 110 + 90 * grains[(y / 4) * (w / 4 + 1) + x / 4])
                    case .fluidOverIntactMuscle: if y < 96 { v = 12 + 6 * noise() }
                    }
                }
                p[y * w + x] = v
            }
        }
        return FloatImage(width: w, height: h, pixels: p)
    }

    static func continuity(_ inside: Inside) throws -> FibreContinuity {
        try #require(FibreContinuity.measure(IntegralImage(belly(inside)), columns: 120...179, rows: 46...149, aponeuroses: apo,
                                             pixelDeg: FascicleEstimator.pixelDegrees(angleDeg, spacing: spacing), spacing: spacing))
    }

    @Test("The haematoma keeps almost none of the belly's striation, intact hypoechoic muscle most of it")
    func measured() throws {
        let haematoma = try Self.continuity(.haematoma), muscle = try Self.continuity(.hypoechoicMuscle)
        #expect(haematoma.besideF >= 3 && muscle.besideF >= 3, "F beside \(haematoma.besideF), \(muscle.besideF)")
        #expect(haematoma.ratio <= 0.3, "haematoma keeps \(haematoma.ratio) (F inside \(haematoma.insideF))")
        #expect(muscle.ratio >= 0.5, "hypoechoic muscle keeps \(muscle.ratio) (F inside \(muscle.insideF))")
    }

    @Test("Measured at the wrong angle, the striations beside are not seen")
    func wrongAngle() throws {
        let c = try #require(FibreContinuity.measure(IntegralImage(Self.belly(.hypoechoicMuscle)), columns: 120...179, rows: 46...149,
                                                     aponeuroses: Self.apo, pixelDeg: -Self.angleDeg, spacing: Self.spacing))
        #expect(c.besideF < 3, "F beside at the mirror angle \(c.besideF)")
    }

    @Test("A region at the image's side is compared with the belly on the side that fits; one under three cells wide, or at a vertical or unusable angle, is not measured")
    func atTheSide() {
        #expect(FibreContinuity.measure(IntegralImage(Self.belly(.haematoma)), columns: 0...59, rows: 46...149, aponeuroses: Self.apo,
                                        pixelDeg: Self.angleDeg, spacing: Self.spacing) != nil)
        #expect(FibreContinuity.measure(IntegralImage(Self.belly(.haematoma)), columns: 270...299, rows: 46...149, aponeuroses: Self.apo,
                                        pixelDeg: Self.angleDeg, spacing: Self.spacing) != nil)
        let narrow = FibreContinuity.measure(IntegralImage(Self.belly(.haematoma)), columns: 150...155, rows: 46...149, aponeuroses: Self.apo,
                                             pixelDeg: Self.angleDeg, spacing: Self.spacing)
        #expect(narrow == nil, "a region 6 px wide leaves under three cells across")
        for deg in [90.0, -89.5, .nan, .infinity] {
            #expect(FibreContinuity.measure(IntegralImage(Self.belly(.haematoma)), columns: 120...179, rows: 46...149, aponeuroses: Self.apo,
                                            pixelDeg: deg, spacing: Self.spacing) == nil, "angle \(deg)")
        }
    }

    @Test("A speckled haematoma is a defect when the fascicle angle shows the fibres stop there; intact hypoechoic muscle is not")
    func detector() throws {
        let detector = DefectDetector()
        let angle = Self.angleDeg
        let haematoma = detector.detect(Self.belly(.haematoma), aponeuroses: Self.apo, spacing: Self.spacing, fascicleAngleDeg: angle)
        let d = try #require(haematoma.defect, "rejected: \(haematoma.rejected.map(\.reason))")
        #expect(d.midLeftX > 110 && d.midRightX < 190, "faces at \(d.midLeftX), \(d.midRightX)")
        // Without the angle the texture rule alone decides: its speckle is as spread as the belly's.
        let withoutAngle = detector.detect(Self.belly(.haematoma), aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(withoutAngle.defect == nil)
        #expect(withoutAngle.rejected.contains { $0.reason.contains("not fluid") })
        let muscle = detector.detect(Self.belly(.hypoechoicMuscle), aponeuroses: Self.apo, spacing: Self.spacing, fascicleAngleDeg: angle)
        #expect(muscle.defect == nil, "taken: \(muscle.candidates.map(\.box))")
        // With the rule off (no region may keep under 0 of the striation), the haematoma is not taken either.
        var off = DefectDetector.Params()
        off.maxFibreContinuity = -1
        #expect(DefectDetector(params: off).detect(Self.belly(.haematoma), aponeuroses: Self.apo, spacing: Self.spacing, fascicleAngleDeg: angle).defect == nil)
    }

    @Test("A smooth haematoma that darkens what lies beneath a little (intact muscle under it) is a defect when the fibres stop there; faintly striated muscle is not; a shadow is not")
    func unenhanced() throws {
        let detector = DefectDetector()
        let angle = Self.angleDeg
        func detect(_ inside: Inside, beneath: Float, angle: Double?) -> DefectDetector.Result {
            detector.detect(Self.belly(inside, beneath: beneath), aponeuroses: Self.apo, spacing: Self.spacing, fascicleAngleDeg: angle)
        }
        let haematoma = detect(.smoothHaematoma, beneath: 0.95, angle: angle)
        #expect(haematoma.defect != nil, "rejected: \(haematoma.rejected.map(\.reason))")
        // Without the fibre test the enhancement rule alone decides (at least 1.0 beneath): not fluid.
        let without = detect(.smoothHaematoma, beneath: 0.95, angle: nil)
        #expect(without.defect == nil)
        #expect(without.rejected.contains { $0.reason.contains("0.9") }, "\(without.rejected.map(\.reason))")
        // The same smooth darkness with the fascicles running on through it stays out...
        #expect(detect(.faintlyStriatedMuscle, beneath: 0.95, angle: angle).defect == nil)
        // ...and is taken, as before, when the tissue beneath is as bright as beside.
        #expect(detect(.faintlyStriatedMuscle, beneath: 1.1, angle: angle).defect != nil)
        // Tissue beneath clearly darker (a shadow, under 0.9) is not fluid, fibres or not.
        #expect(detect(.smoothHaematoma, beneath: 0.8, angle: angle).defect == nil)
    }

    @Test("A tear whose lower part is clot as bright as the belly spans the thickness where the fibres stop; fluid over intact fibres does not")
    func fibreDepth() throws {
        let angle = Self.angleDeg
        func depth(_ inside: Inside, fibreDepth: Bool = true) throws -> Double {
            var params = DefectDetector.Params()
            params.fibreDepth = fibreDepth
            let result = DefectDetector(params: params).detect(Self.belly(inside, beneath: 1.5), aponeuroses: Self.apo, spacing: Self.spacing,
                                                               fascicleAngleDeg: angle)
            return try #require(result.defect, "\(inside): rejected \(result.rejected.map(\.reason))").depthFraction
        }
        let layered = try depth(.layeredHaematoma)
        #expect(layered > 0.99, "layered haematoma: depth fraction \(layered)")
        // The dark fluid alone reaches half the thickness.
        let darkOnly = try depth(.layeredHaematoma, fibreDepth: false)
        #expect(darkOnly < 0.7, "dark part alone: depth fraction \(darkOnly)")
        let partial = try depth(.fluidOverIntactMuscle)
        #expect(partial < 0.7, "fluid over intact fibres: depth fraction \(partial)")
    }
}
