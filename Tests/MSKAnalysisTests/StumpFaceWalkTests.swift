import MSKImage
@testable import MSKImaging
import Testing

/// The walk from a defect's darkest point to each stump face (`StumpFaces`), on one drawn line
/// pattern: a fluid gap, a stump end, then a darker space of the belly that the dark mask joined
/// to the fluid (the region's own label).
@Suite("Stump faces: the belly's dark space joined to the fluid is not the fluid resuming")
struct StumpFaceWalkTests {
    static let width = 300, height = 200
    static let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)

    /// Every row: belly (grey 110) with fluid (grey 25) at x 130-169, a 12 px stump end of belly at
    /// x 170-181, and a darker space of the belly (grey `darkSpace`) at x 182-199; the region's label
    /// covers the fluid and that space, as when the dark mask joins them.
    static func faces(darkSpace: Float, _ change: (inout DefectDetector.Params) -> Void = { _ in }) -> (Double, Double)? {
        var pixels = [Float](repeating: 110, count: width * height)
        var label = [Int32](repeating: -1, count: width * height)
        for y in 0..<height {
            for x in 130...169 { pixels[y * width + x] = 25; label[y * width + x] = 1 }
            for x in 182...199 { pixels[y * width + x] = darkSpace; label[y * width + x] = 1 }
        }
        let image = FloatImage(width: width, height: height, pixels: pixels)
        var params = DefectDetector.Params()
        change(&params)
        let faces = StumpFaces(integral: IntegralImage(image), smooth: image, smoothOffset: 0, label: label, ownLabel: 1,
                               columns: 130...199, centreX: 150, slope: 0, fluid: 25, belly: 110, bellyRows: 0..<height,
                               params: params, spacing: spacing)
        return faces.crossings(atY: 100)
    }

    @Test("A joined space brighter than fluid (grey 82, above the default fluid level) ends the walk at the stump's end")
    func joinedDarkSpaceIsNotFluid() throws {
        // The level under which the line reads as fluid, at the default fraction of the amplitude
        // step from 25 to 110 (0.35: grey 77.5): the drawn space lies above it, the clot below.
        let defaults = DefectDetector.Params()
        let level = defaults.compression.amplitudeLevel(from: 25, to: 110, fraction: defaults.internalEchoFluidFraction)
        #expect(level > 74 && level < 82, "fluid level \(level)")
        let (left, right) = try #require(Self.faces(darkSpace: 82))
        #expect(abs(left - 129.5) <= 1.5 && abs(right - 169.5) <= 1.5, "faces at \(left) and \(right)")
        // Any of the region's own pixels taken for the fluid resuming: the walk runs on past the space.
        let (_, anyPixel) = try #require(Self.faces(darkSpace: 82) { $0.internalEchoFluidFraction = 0 })
        #expect(anyPixel > 195, "right face at \(anyPixel)")
    }

    @Test("Fluid resuming beyond a clot (grey 74, under the fluid level) keeps the walk going: the face is where the fluid ends")
    func fluidBeyondAClotResumes() throws {
        let (_, right) = try #require(Self.faces(darkSpace: 74))
        #expect(right > 195, "right face at \(right)")
    }
}
