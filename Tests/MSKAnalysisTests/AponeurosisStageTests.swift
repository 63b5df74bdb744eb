@testable import MSKImaging
import Foundation
import Testing

/// The aponeurosis detector's stages (`AponeurosisDetector.detect`): the band profiles and their
/// ridges, then the chosen paths' inner edges, on a drawn muscle: two bright bands (rows 20-27 and
/// 90-97, grey 200) over a belly at 50, 30 above the upper band, 0.1 mm pixels.
@Suite("Aponeurosis stages: band profiles and ridges, inner edges at the edge fraction")
struct AponeurosisStageTests {
    static let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)

    static func muscle(width: Int = 200, height: Int = 120) -> FloatImage {
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let v: Float = (20...27).contains(y) || (90...97).contains(y) ? 200 : (y < 20 ? 30 : 50)
            for x in 0..<width { pixels[y * width + x] = v }
        }
        return FloatImage(width: width, height: height, pixels: pixels)
    }

    @Test("Bands 2 mm wide; every band holds tissue and a ridge on each bright band; flat canvas, under 20 rows or 3 bands: none")
    func bandStage() throws {
        let detector = AponeurosisDetector()
        let bands = try #require(detector.bandProfiles(Self.muscle(), spacing: Self.spacing))
        #expect(bands.centres.count == 10 && bands.active.allSatisfy { $0 })
        for candidates in bands.candidates {
            #expect(candidates.contains { abs($0.y - 23.5) < 1 }, "\(candidates.map(\.y))")
            #expect(candidates.contains { abs($0.y - 93.5) < 1 }, "\(candidates.map(\.y))")
        }
        let flat = FloatImage(width: 200, height: 120, pixels: [Float](repeating: 30, count: 200 * 120))
        #expect(detector.bandProfiles(flat, spacing: Self.spacing) == nil, "no band holds tissue")
        #expect(detector.bandProfiles(Self.muscle(height: 19), spacing: Self.spacing) == nil)
        // 11 px wide: bands of 4 px at least, w / 6 at most: 2 bands.
        #expect(detector.bandProfiles(Self.muscle(width: 11), spacing: Self.spacing) == nil)
    }

    @Test("The inner edges lie at the edge fraction's amplitude crossing, on the band's side of each step, nearer the band the higher the fraction; the pair's figures")
    func innerEdgeStage() throws {
        let pair = try #require(AponeurosisDetector().detect(Self.muscle(), spacing: Self.spacing))
        let sup = pair.superficialInner.y(100), deep = pair.deepInner.y(100)
        // The steps lie at 27.5 and 89.5. The edge is where the amplitude (grey levels decompressed)
        // has risen 0.3 of the way from the belly to the band, which on log-compressed grey levels
        // lies past the steps' midpoint, on the band's side (measured: 26.7 and 90.3).
        #expect(sup > 25.5 && sup < 27.5, "\(sup)")
        #expect(deep > 89.5 && deep < 91.5, "\(deep)")
        #expect(abs(pair.bellyLevel - 50) < 1e-3 && pair.coverage == 1)
        #expect(abs(pair.superficialContrast - 150) < 5 && abs(pair.deepContrast - 150) < 5)
        var params = AponeurosisDetector.Params()
        params.edgeFraction = 0.6
        let nearer = try #require(AponeurosisDetector(params: params).detect(Self.muscle(), spacing: Self.spacing))
        #expect(nearer.superficialInner.y(100) < sup && nearer.deepInner.y(100) > deep)
    }
}
