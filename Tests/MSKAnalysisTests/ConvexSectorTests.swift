import Foundation
import MSKAnalysis
import MSKImage
import MSKImaging
import MSKLabels
import MSKReader
import MSKSimulator
import Testing

/// A curved (convex) array's image: simulated muscle drawn into an annular sector as a scanner's
/// scan conversion draws it (apex above the image, 40 mm from it to the top arc at 0.1 mm/px,
/// +-24 degrees at the image's mid-depth), on a black canvas. The aponeuroses become arcs, up to
/// 24 degrees steep at the fan's sides, and the canvas wedges beside the fan break their paths up.
@Suite struct ConvexSectorTests {
    static let canvasWidth = 900, canvasHeight = 520, apexToTopArc = 400.0, topArcRow = 40.0

    /// The simulator's frames (480 x 360 at 0.1 mm/px) and their labels.
    static func simulated(_ tearCase: TearCase, seed: UInt64, frames: Int) -> (frames: [GreyImage], truth: [FrameLabel]) {
        let sim = CineSimulator(parameters: .preset(case: tearCase, seed: seed, width: 480, height: 360, mmPerPixel: 0.1,
                                                    frameCount: frames, fps: 25))
        let rendered = (0..<frames).map { sim.renderFrame($0) }
        return (rendered.map(\.grey), rendered.map(\.truth))
    }

    /// Where the fan's pixel (x, y) comes from in the source image (column, row), nil on the canvas.
    static func source(x: Int, y: Int, width w: Int, height h: Int) -> (Double, Double)? {
        let ax = Double(canvasWidth) / 2, ay = topArcRow - apexToTopArc
        let rMid = apexToTopArc + Double(h) / 2, theta = Double(w) / 2 / rMid
        let dx = Double(x) - ax, dy = Double(y) - ay
        let phi = atan2(dx, dy), sy = (dx * dx + dy * dy).squareRoot() - apexToTopArc, sx = Double(w) / 2 + phi * rMid
        guard sy >= 0, sy < Double(h - 1), abs(phi) < theta, sx >= 0, sx < Double(w - 1) else { return nil }
        return (sx, sy)
    }

    /// `image` drawn into the fan (bilinear).
    static func fan(_ image: GreyImage) -> GreyImage {
        let w = image.width
        var out = [UInt8](repeating: 0, count: canvasWidth * canvasHeight)
        for y in 0..<canvasHeight {
            for x in 0..<canvasWidth {
                guard let (sx, sy) = source(x: x, y: y, width: w, height: image.height) else { continue }
                let x0 = Int(sx), y0 = Int(sy), fx = sx - Double(x0), fy = sy - Double(y0)
                func p(_ i: Int, _ j: Int) -> Double { Double(image.pixels[(y0 + j) * w + x0 + i]) }
                let v = p(0, 0) * (1 - fx) * (1 - fy) + p(1, 0) * fx * (1 - fy) + p(0, 1) * (1 - fx) * fy + p(1, 1) * fx * fy
                out[y * canvasWidth + x] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        return GreyImage(width: canvasWidth, height: canvasHeight, pixels: out)
    }

    static func analyse(_ frames: [GreyImage], _ parameters: AnalysisParameters = AnalysisParameters()) throws -> ClipAnalysis {
        var options = AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1), calibrationSource: .cli)
        options.parameters = parameters
        let analyzer = ClipAnalyzer(path: "fan.mkv", options: options)
        for (k, g) in frames.enumerated() { try analyzer.add(Frame(index: k, timeS: Double(k) / 25, grey: g)) }
        let info = ClipInfo(path: "fan.mkv", container: "drawn", containerLongName: "drawn", codec: "none", width: frames[0].width,
                            height: frames[0].height, pixelFormat: "gray", fps: 25, frameCount: frames.count, durationS: nil,
                            startTimeS: 0, rotationDegrees: 0)
        return try analyzer.finish(info: info, warnings: [])
    }

    static func median(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.sorted()[v.count / 2] }

    /// The region: a fan with a curved bottom, its bounds within 4 px of the drawn fan's sides and
    /// bottom (its top between the arc's tips and its lowest row), and the
    /// inscribed rectangle starting within 3 px of the top arc's lowest row (the muscle lies at the
    /// top; the largest rectangle anywhere lies deeper) and holding image only.
    @Test func aCurvedArraysSectorIsFoundWithItsTopRectangle() throws {
        let (source, _) = Self.simulated(.none, seed: 5, frames: 12)
        let frames = source.map(Self.fan)
        let found = try #require(ImagingRegionDetector().detectRegion(frames: frames))
        var xs: [Int] = [], ys: [Int] = []
        for y in 0..<Self.canvasHeight {
            for x in 0..<Self.canvasWidth where Self.source(x: x, y: y, width: 480, height: 360) != nil { xs.append(x); ys.append(y) }
        }
        let truth = PixelRect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()! + 1, height: ys.max()! - ys.min()! + 1)
        #expect(found.shape == .fan && found.curvedArray, "\(found)")
        // The bounds' top may lie below the arc's tips at the sides (rows holding only those).
        #expect(abs(found.bounds.x - truth.x) <= 4 && abs(found.bounds.maxX - truth.maxX) <= 4 && abs(found.bounds.maxY - truth.maxY) <= 4
                && found.bounds.y >= truth.y && Double(found.bounds.y) <= Self.topArcRow, "found \(found.bounds), drawn \(truth)")
        #expect(abs(Double(found.inscribed.y) - Self.topArcRow) <= 3, "inscribed \(found.inscribed)")
        let inside = (found.inscribed.y..<found.inscribed.maxY).allSatisfy { y in
            [found.inscribed.x + 2, found.inscribed.maxX - 3].allSatisfy { x in Self.source(x: x, y: y, width: 480, height: 360) != nil }
        }
        #expect(inside, "inscribed \(found.inscribed) leaves the fan")
        #expect(3 * found.inscribed.width >= found.bounds.width && 2 * found.inscribed.height >= found.bounds.height)
    }

    /// Intact muscle: measured in the inscribed rectangle, found in every frame, its thickness
    /// within 1 mm of the simulator's, no tear called. In the fan's bounding rectangle
    /// (`region.sectorInscribed` off, as before session 35) it is not found in every frame.
    @Test func aCurvedArraysIntactMuscleIsMeasuredInTheFansTopRectangle() throws {
        let (source, truth) = Self.simulated(.none, seed: 5, frames: 24)
        let frames = source.map(Self.fan)
        let analysis = try Self.analyse(frames)
        #expect(analysis.imagingRegionSource.hasPrefix("detected: a curved array's sector"), "\(analysis.imagingRegionSource)")
        let found = analysis.frames.filter(\.muscleDetected)
        #expect(found.count == frames.count)
        let measured = Self.median(found.compactMap { $0.muscleThickness.map(\.value) })
        let expected = Self.median(truth.compactMap(\.muscleThicknessMm))
        #expect(abs(measured - expected) <= 1.0, "median thickness \(measured) mm against the simulator's \(expected) mm")
        #expect(analysis.finding.classification != .fullThicknessTear && analysis.finding.classification != .partialTear)

        var bounds = AnalysisParameters()
        bounds.region.sectorInscribed = false
        let before = try Self.analyse(frames, bounds)
        #expect(before.imagingRegionSource == "detected")
        #expect(before.frames.filter(\.muscleDetected).count < frames.count)
    }

    /// A full-thickness tear in the middle of the fan: the walk along each row crosses its fluid,
    /// so the fan is still seen as one. By default the clip is indeterminate (R10: the defect rules
    /// are not validated on curved layers), the call the rules would make in its evidence; with
    /// `findings.tearCallsInCurvedSectors` on, the tear is called, its gap at rest within 1.5 mm
    /// of the simulator's. (The drawing maps the source's columns to angles at the image's
    /// mid-depth radius, so at the belly's middle, higher up, the lateral scale is about 0.93 and
    /// the gap shows about 0.5 mm narrower than labelled.)
    @Test func aFullTearInACurvedArraysSectorIsIndeterminateUnlessCurvedCallsAreOn() throws {
        let (source, truth) = Self.simulated(.full, seed: 11, frames: 40)
        let frames = source.map(Self.fan)
        let analysis = try Self.analyse(frames)
        #expect(analysis.imagingRegionSource.hasPrefix("detected: a curved array's sector"), "\(analysis.imagingRegionSource)")
        #expect(analysis.finding.classification == .indeterminate && analysis.finding.rules.first == "R10-curved-sector", "\(analysis.finding.rules)")
        #expect(analysis.finding.evidence.last?.contains("the rules would call a full-thickness tear") == true, "\(analysis.finding.evidence)")

        var curvedCalls = AnalysisParameters()
        curvedCalls.findings.tearCallsInCurvedSectors = true
        let called = try Self.analyse(frames, curvedCalls)
        #expect(called.finding.classification == .fullThicknessTear, "\(called.finding.evidence)")
        let restTruth = Self.median(truth.filter { ($0.contraction ?? 1) <= 0.2 }.compactMap(\.gapWidthMm))
        let rest = called.summary.restGapWidth?.value ?? .nan
        #expect(abs(rest - restTruth) <= 1.5, "rest gap \(rest) mm against the simulator's \(restTruth) mm")
    }
}
