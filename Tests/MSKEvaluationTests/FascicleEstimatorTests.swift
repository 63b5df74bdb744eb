import Foundation
@testable import MSKImaging
import Testing

/// The fascicle estimator on synthetic oriented textures with a known angle, both signs.
@Suite struct FascicleEstimatorTests {
    /// A belly of striations at `angleDeg` (spec convention: rising towards +x on screen is
    /// positive) between two bright horizontal bands, with seeded speckle.
    static func texture(angleDeg: Double, width: Int = 320, height: Int = 240, seed: UInt64 = 1) -> (FloatImage, AponeurosisPair) {
        var rng = SplitMix(seed: seed)
        let a = angleDeg * .pi / 180
        // Lines y = -tan(a) x + c: phase along the normal (sin a, cos a) in (x, y-down).
        let nx = sin(a), ny = cos(a)
        let period = 9.0
        let top = 40.0, bottom = 200.0
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let yd = Double(y)
                var v: Double
                if abs(yd - top) < 4 || abs(yd - bottom) < 4 {
                    v = 200
                } else if yd > top, yd < bottom {
                    let phase = (Double(x) * nx + yd * ny) / period * 2 * .pi
                    v = 60 + 30 * cos(phase)
                } else {
                    v = 40
                }
                v += Double(rng.next() % 41) - 20
                pixels[y * width + x] = Float(max(0, min(255, v)))
            }
        }
        let sup = Quadratic(c0: top + 4), deep = Quadratic(c0: bottom - 4)
        let pair = AponeurosisPair(superficialCentre: Quadratic(c0: top), superficialInner: sup, deepCentre: Quadratic(c0: bottom),
                                   deepInner: deep, bellyLevel: 60, superficialContrast: 140, deepContrast: 140, coverage: 1)
        return (FloatImage(width: width, height: height, pixels: pixels), pair)
    }

    @Test(arguments: [-35.0, -20.0, -12.0, 12.0, 20.0, 35.0])
    func findsTheStriationAngle(angle: Double) throws {
        let (image, apo) = Self.texture(angleDeg: angle, seed: UInt64(abs(angle) * 10 + (angle < 0 ? 1 : 0)))
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let e = try #require(FascicleEstimator().estimate(image, aponeuroses: apo, spacing: spacing))
        #expect(abs(e.fascicleAngleDeg - angle) < 1.0, "estimated \(e.fascicleAngleDeg) for \(angle)")
        #expect(abs(e.deepAponeurosisAngleDeg) < 1e-9)
        #expect(abs(e.pennationAngleDeg - angle) < 1.0)
        // Parallel aponeuroses: length = thickness / sin(pennation).
        let thicknessMm = (apo.deepInner.c0 - apo.superficialInner.c0) * 0.1
        let expected = thicknessMm / abs(sin(e.pennationAngleDeg * .pi / 180))
        let length = try #require(e.fascicleLengthMm)
        #expect(abs(length - expected) < 1e-6 * expected)
    }

    /// A plane wave of lines at `deg` (spec convention) with `period` pixels, at pixel (x, y), in -1...1.
    static func wave(_ deg: Double, _ period: Double, _ x: Int, _ y: Int) -> Double {
        let a = deg * .pi / 180
        return cos((Double(x) * sin(a) + Double(y) * cos(a)) / period * 2 * .pi)
    }

    /// A 320x240 image of `texture(x, y)` plus seeded speckle (uniform +-20 grey levels), clamped to 0...255.
    static func speckled(seed: UInt64, _ texture: (Int, Int) -> Double) -> FloatImage {
        let w = 320, h = 240
        var rng = SplitMix(seed: seed)
        var pixels = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w { pixels[y * w + x] = Float(max(0, min(255, texture(x, y) + Double(rng.next() % 41) - 20))) }
        }
        return FloatImage(width: w, height: h, pixels: pixels)
    }

    /// An aponeurosis pair whose band centres are its inner edges.
    static func pair(superficial: Quadratic, deep: Quadratic) -> AponeurosisPair {
        AponeurosisPair(superficialCentre: superficial, superficialInner: superficial, deepCentre: deep, deepInner: deep,
                        bellyLevel: 80, superficialContrast: 100, deepContrast: 100, coverage: 1)
    }

    /// Faint striations at `angleDeg` under stronger texture that lies symmetrically about the
    /// aponeuroses' direction (their side lobes, speckle stretched laterally or blurred by motion):
    /// here lines at +8 and -8 degrees, each of twice the striations' amplitude, and speckle.
    static func symmetricBackground(angleDeg: Double, seed: UInt64) -> (FloatImage, AponeurosisPair) {
        var (image, apo) = texture(angleDeg: angleDeg, seed: seed)
        let w = image.width
        var rng = SplitMix(seed: seed &+ 7)
        for y in 44..<196 {
            for x in 0..<w {
                let v = 80 + 15 * Self.wave(angleDeg, 9, x, y) + 30 * (Self.wave(8, 11, x, y) + Self.wave(-8, 11, x, y)) + Double(rng.next() % 41) - 20
                image.pixels[y * w + x] = Float(max(0, min(255, v)))
            }
        }
        return (image, apo)
    }

    /// Aponeuroses diverging (superficial -10 degrees, deep +10: their mean is horizontal) over a
    /// belly whose strongest texture runs along the deep one (+10 degrees, twice the fascicles'
    /// amplitude: its side lobes, or tissue stretched along it) and fascicles at 35 degrees. The deep
    /// aponeurosis' direction lies 10 degrees from the mean, outside the mean's 5-degree zone, and
    /// its mirror (-10) holds nothing to cancel it; since session 19 angles within 5 degrees of either
    /// aponeurosis are not searched either, so the fascicles are found (before: about 10 degrees).
    @Test func textureAlongOneOfTwoDivergingAponeurosesDoesNotWin() throws {
        let image = Self.speckled(seed: 35) { x, y in 80 + 15 * Self.wave(35, 9, x, y) + 30 * Self.wave(10, 11, x, y) }
        let t = tan(10 * Double.pi / 180)
        // Pixel rows, y down: the superficial edge falls towards +x (-10 deg), the deep one rises (+10 deg).
        let apo = Self.pair(superficial: Quadratic(c0: 60 - t * 160, c1: t), deep: Quadratic(c0: 180 + t * 160, c1: -t))
        let e = try #require(FascicleEstimator().estimate(image, aponeuroses: apo, spacing: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)))
        #expect(abs(e.deepAponeurosisAngleDeg - 10) < 1e-6)
        #expect(abs(e.fascicleAngleDeg - 35) < 2.0, "estimated \(e.fascicleAngleDeg)")
    }

    @Test("Texture lying symmetrically about the aponeuroses, stronger than the fascicles, does not pull the angle towards them", arguments: [-40.0, 25.0, 45.0])
    func symmetricBackgroundDoesNotWin(angle: Double) throws {
        let (image, apo) = Self.symmetricBackground(angleDeg: angle, seed: UInt64(abs(angle)))
        let e = try #require(FascicleEstimator().estimate(image, aponeuroses: apo, spacing: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)))
        #expect(abs(e.fascicleAngleDeg - angle) < 2.0, "estimated \(e.fascicleAngleDeg) for \(angle)")
    }

    /// Faint fascicles at `angleDeg` under a broad lobe of texture centred on the image's horizontal
    /// (speckle stretched by the beam's lateral resolution: lines every 3 degrees from -15 to +15,
    /// weighted exp(-(angle / 8 deg)^2)), with both
    /// aponeuroses at `apoDeg`: the lobe is not symmetric about the aponeuroses' direction, so its side
    /// away from them outweighs its mirror.
    static func horizontalLobe(angleDeg: Double, apoDeg: Double, seed: UInt64) -> (FloatImage, AponeurosisPair) {
        let image = speckled(seed: seed) { x, y in
            var lobe = 0.0
            for k in -5...5 { lobe += exp(-pow(Double(k) * 3 / 8, 2)) * wave(Double(k) * 3, 10 + Double(k + 5) * 0.37, x, y) }
            return 80 + 16 * wave(angleDeg, 9, x, y) + 6 * lobe
        }
        // Pixel rows, y down: an edge at apoDeg (rising towards +x when positive) has slope -tan(apoDeg).
        let t = -tan(apoDeg * .pi / 180)
        return (image, pair(superficial: Quadratic(c0: 50 - t * 160, c1: t), deep: Quadratic(c0: 190 - t * 160, c1: t)))
    }

    /// Since session 20 the mirror's F ratio weighs 3 times (`mirrorWeight`): with an equal weight the
    /// lobe's horizontal line (6 degrees from the aponeuroses, its mirror at 12 degrees weak) wins and
    /// the estimate reads about 0 (the same pull, in degrees rather than a jump, gave the real sets'
    /// steady low reading against observers and UltraTrack). Both are checked, so the case shows why.
    @Test("A lobe of texture along the image's horizontal, with the aponeuroses tilted, does not pull the angle down", arguments: [(25.0, -6.0), (20.0, -6.0)])
    func horizontalLobeDoesNotWin(angle: Double, apo: Double) throws {
        let (image, pair) = Self.horizontalLobe(angleDeg: angle, apoDeg: apo, seed: 3)
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let e = try #require(FascicleEstimator().estimate(image, aponeuroses: pair, spacing: spacing))
        #expect(abs(e.fascicleAngleDeg - angle) < 2.0, "estimated \(e.fascicleAngleDeg) for \(angle)")
        var equal = FascicleEstimator.Params()
        equal.mirrorWeight = 1
        let old = FascicleEstimator(params: equal).estimate(image, aponeuroses: pair, spacing: spacing)
        #expect(old.map { abs($0.fascicleAngleDeg - angle) >= 2.0 } ?? true, "equal weight estimated \(String(describing: old?.fascicleAngleDeg)) for \(angle)")
    }

    @Test func noTextureGivesAWeakOrNoEstimate() {
        var (image, apo) = Self.texture(angleDeg: 20)
        var rng = SplitMix(seed: 99)
        for i in image.pixels.indices { image.pixels[i] = Float(60 + Int(rng.next() % 41) - 20) }
        let e = FascicleEstimator().estimate(image, aponeuroses: apo, spacing: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1))
        #expect(e == nil || e!.strength < 1.5)
    }

    @Test func lengthRuleOnConvergingAponeuroses() throws {
        // Superficial flat at 50, deep rising towards +x (y falls by 0.1 per px): the line through the
        // belly centre at 30 degrees, cut by each tangent.
        let sup = Quadratic(c0: 50), deep = Quadratic(c0: 210, c1: -0.1)
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let cut = try #require(FascicleEstimator.length(superficial: sup, deep: deep, fasciclePixelDeg: 30, centreX: 100, spacing: spacing))
        #expect(abs(cut.superficial.y - 50) < 1e-9)
        #expect(abs(cut.deep.y - deep.y(cut.deep.x)) < 1e-9)
        // The cut points lie on the line at 30 degrees through (100, (50 + 200) / 2).
        let slope = (cut.superficial.y - cut.deep.y) / (cut.superficial.x - cut.deep.x)
        #expect(abs(slope + tan(30 * Double.pi / 180)) < 1e-9)
        #expect(abs(cut.lengthMm - 0.1 * hypot(cut.superficial.x - cut.deep.x, cut.superficial.y - cut.deep.y)) < 1e-9)
    }

    @Test("The belly's projection (steps 1-3) sits on minCells: as many cells as it holds is enough, one more is not")
    func bellyProjectionOnItsThreshold() throws {
        let (image, apo) = Self.texture(angleDeg: 20)
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let cells = try #require(FascicleEstimator().bellyProjection(image, aponeuroses: apo, spacing: spacing)).cellCount
        // 0.3 mm cells (3 px) over 320 px, the middle 80 % of a 152-px belly: about 106 x 40 cells.
        #expect(cells > 3000 && cells < 5000, "\(cells) cells")
        var params = FascicleEstimator.Params()
        params.minCells = cells
        #expect(FascicleEstimator(params: params).bellyProjection(image, aponeuroses: apo, spacing: spacing) != nil)
        params.minCells = cells + 1
        #expect(FascicleEstimator(params: params).bellyProjection(image, aponeuroses: apo, spacing: spacing) == nil)
        #expect(FascicleEstimator(params: params).estimate(image, aponeuroses: apo, spacing: spacing) == nil)
    }

    @Test("The direction search (steps 4-5) finds the striations and never a direction within minPennationDeg of the aponeuroses")
    func dominantDirectionStage() throws {
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let estimator = FascicleEstimator()
        let (image, apo) = Self.texture(angleDeg: -25, seed: 7)
        var bins = try #require(estimator.bellyProjection(image, aponeuroses: apo, spacing: spacing))
        let found = try #require(estimator.dominantDirection(&bins, deepDeg: 0, superficialDeg: 0, spacing: spacing))
        #expect(abs(found.pixelDeg + 25) < 1, "\(found.pixelDeg)")
        #expect(found.f > 3)
        // Striations at 3 degrees lie within 5 degrees of the (flat) aponeuroses: not searched there.
        let (flat, flatApo) = Self.texture(angleDeg: 3, seed: 8)
        var flatBins = try #require(estimator.bellyProjection(flat, aponeuroses: flatApo, spacing: spacing))
        if let near = estimator.dominantDirection(&flatBins, deepDeg: 0, superficialDeg: 0, spacing: spacing) {
            #expect(abs(near.pixelDeg) >= estimator.params.minPennationDeg - estimator.params.fineStepDeg, "\(near.pixelDeg)")
        }
        // Told the aponeuroses run at -25 degrees, the search leaves that direction out.
        var again = try #require(estimator.bellyProjection(image, aponeuroses: apo, spacing: spacing))
        if let other = estimator.dominantDirection(&again, deepDeg: -25, superficialDeg: -25, spacing: spacing) {
            #expect(abs(other.pixelDeg + 25) >= estimator.params.minPennationDeg - estimator.params.fineStepDeg, "\(other.pixelDeg)")
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
