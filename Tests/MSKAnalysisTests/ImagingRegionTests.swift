import Foundation
import MSKImage
import MSKImaging
import MSKReader
import Testing

/// The real layouts of `../shared/data` (one clip or still per layout).
enum RealLayouts {
    static var dataRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data")
    }
    static var available: Bool { FileManager.default.fileExists(atPath: dataRoot.appendingPathComponent("real-video").path) }

    /// One layout: a file, the imaging region read by eye, and whether the detector was tuned on it.
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        /// The B-mode image's bounding rectangle, verified by eye on an extracted frame (PNG viewed
        /// beside column and row profiles of grey level and texture printed at the borders); not
        /// an output of the detector.
        var truth: PixelRect
        /// Allowed error of each edge, in pixels (larger where the border fades or is blurred).
        var tolerance: Int
        /// Held out: the detector's parameters were not adjusted while looking at its result.
        var heldOut: Bool
        /// The documented depth scale (mm per pixel row), or nil when the layout shows no ruler
        /// or none is documented.
        var mmPerPixel: Double?
        var description: String { file }
        /// The held-out layouts where the detector misses the tolerance (reported in Docs/methods.md).
        var knownIssue: Bool { file == "real-labelled/tt3_isometric_push01.mkv" }
    }

    // Rectangles hand-checked on 2026-12-02 (x, y, width, height; right and bottom exclusive).
    static let cases: [Case] = [
        // Telemed screen capture: grey canvas, text bar above, ruler 0-50 mm left, logo, grey bar.
        Case(file: "real-video/p6_isometric_max_01_push_01.mp4", truth: PixelRect(x: 210, y: 43, width: 727, height: 579),
             tolerance: 4, heldOut: false, mmPerPixel: 50.0 / 567.5),
        // GE, analogue capture: blurred borders, colour Doppler box inside, colour bar, text right.
        Case(file: "real-video/DemoBMode.mov", truth: PixelRect(x: 28, y: 47, width: 470, height: 339),
             tolerance: 6, heldOut: true, mmPerPixel: nil),
        // 800x600 WMV: black canvas, probe label, grey bar left, ruler right (5 mm ticks).
        Case(file: "real-cine/Bag1_m0.wmv", truth: PixelRect(x: 167, y: 61, width: 466, height: 461),
             tolerance: 4, heldOut: false, mmPerPixel: 5.0 / 46.25),
        // Bare image, whole frame.
        Case(file: "real-labelled/tt1_S1_L.mkv", truth: PixelRect(x: 0, y: 0, width: 514, height: 458),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        // Black side columns and a corner label.
        Case(file: "real-labelled/tt1_S8_L.mkv", truth: PixelRect(x: 26, y: 0, width: 462, height: 458),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        Case(file: "real-labelled/tt1_S10_R.mkv", truth: PixelRect(x: 26, y: 0, width: 462, height: 458),
             tolerance: 4, heldOut: true, mmPerPixel: nil),
        // Telemed, mirrored, inside a white figure margin: ruler right.
        Case(file: "real-labelled/tt3_isometric_push01.mkv", truth: PixelRect(x: 378, y: 94, width: 909, height: 724),
             tolerance: 4, heldOut: true, mmPerPixel: nil),
        // Telemed 1234x688: text bar above, ruler left.
        Case(file: "real-labelled/tt4_SampleA.mkv", truth: PixelRect(x: 237, y: 43, width: 760, height: 643),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        // 800x600 steered (slanted) image: text block at the left, markers right (a fan).
        Case(file: "real-labelled/tt4_SampleB.mkv", truth: PixelRect(x: 119, y: 70, width: 627, height: 436),
             tolerance: 8, heldOut: true, mmPerPixel: nil),
        // Stills, one per size.
        Case(file: "real-stills/img_00003.png", truth: PixelRect(x: 237, y: 43, width: 760, height: 643),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        Case(file: "real-stills/img_00304.png", truth: PixelRect(x: 99, y: 43, width: 464, height: 511),
             tolerance: 4, heldOut: true, mmPerPixel: nil),
        Case(file: "real-stills/img_00002.png", truth: PixelRect(x: 53, y: 70, width: 629, height: 439),
             tolerance: 8, heldOut: true, mmPerPixel: nil),
        Case(file: "real-stills/img_00041.png", truth: PixelRect(x: 104, y: 129, width: 439, height: 470),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        Case(file: "real-stills/img_00051.png", truth: PixelRect(x: 0, y: 0, width: 512, height: 512),
             tolerance: 4, heldOut: false, mmPerPixel: nil),
        // DICOM, GE LOGIQ, one RGB frame: text above, power-Doppler colour inside, colour bars over
        // both sides of the image, a scale bar below.
        Case(file: "real-dicom/US1_UNCR.dcm", truth: PixelRect(x: 14, y: 108, width: 609, height: 229),
             tolerance: 6, heldOut: true, mmPerPixel: nil),
    ]

    /// The first `count` decoded frames (grey and RGB), as the analysis buffers them.
    static func frames(_ file: String, count: Int = 12) throws -> (grey: [GreyImage], rgb: [RGBImage]) {
        let path = dataRoot.appendingPathComponent(file).path
        let source = try openClip(path: path, options: ClipOptions(reader: ReaderOptions(wantRGB: true)))
        var grey: [GreyImage] = [], rgb: [RGBImage] = []
        while grey.count < count, let frame = try source.nextFrame() {
            grey.append(frame.grey)
            if let c = frame.rgb { rgb.append(c) }
        }
        return (grey, rgb)
    }
}

func intersectionOverUnion(_ a: PixelRect, _ b: PixelRect) -> Double {
    let x0 = max(a.x, b.x), y0 = max(a.y, b.y), x1 = min(a.maxX, b.maxX), y1 = min(a.maxY, b.maxY)
    let inter = max(0, x1 - x0) * max(0, y1 - y0)
    return Double(inter) / Double(a.area + b.area - inter)
}

func maxEdgeError(_ a: PixelRect, _ b: PixelRect) -> Int {
    max(abs(a.x - b.x), abs(a.y - b.y), abs(a.maxX - b.maxX), abs(a.maxY - b.maxY))
}

@Suite struct ImagingRegionLayoutTests {
    @Test(.enabled(if: RealLayouts.available, "../shared/data is not on this machine"), arguments: RealLayouts.cases)
    func realLayoutRegionMatchesTheHandCheckedOne(layout: RealLayouts.Case) throws {
        let (grey, rgb) = try RealLayouts.frames(layout.file)
        let detected = ImagingRegionDetector().detectRegion(frames: grey, rgb: rgb)
        guard let found = detected else {
            Issue.record("no region in \(layout.file)")
            return
        }
        let iou = intersectionOverUnion(found.bounds, layout.truth)
        print("region \(layout.file) \(layout.heldOut ? "held-out" : "tuned") found \(found.bounds) (\(found.shape.rawValue), inscribed \(found.inscribed)) truth \(layout.truth) IoU \(String(format: "%.3f", iou)) max edge error \(maxEdgeError(found.bounds, layout.truth)) px")
        if layout.knownIssue {
            // Held out, so not tuned on: the found side edges sit a few pixels inside dark
            // borders (Docs/methods.md, "Imaging region").
            withKnownIssue("side edges inside a dark border (held out)") {
                #expect(maxEdgeError(found.bounds, layout.truth) <= layout.tolerance, "\(layout.file): found \(found.bounds), truth \(layout.truth)")
            }
        } else {
            #expect(maxEdgeError(found.bounds, layout.truth) <= layout.tolerance, "\(layout.file): found \(found.bounds), truth \(layout.truth)")
        }
        #expect(iou >= 0.95)
    }

    @Test(arguments: Array(UInt64(1)...UInt64(32)))
    func syntheticExportRegionIsExact(seed: UInt64) throws {
        let export = SyntheticExport(seed: seed)
        let detected = ImagingRegionDetector().detectRegion(frames: export.grey, rgb: seed % 2 == 0 ? export.rgb : [])
        let label = "seed \(seed) \(export.width)x\(export.height) \(export.fan) canvas \(export.canvas) ruler \(export.rulerLeft ? "left" : "right") text \(export.textAbove ? "above" : "below") \(export.moving ? "moving" : "still")"
        guard let found = detected else {
            Issue.record("\(label): no region")
            return
        }
        print("synthetic \(label): found \(found.bounds) \(found.shape.rawValue) inscribed \(found.inscribed), truth \(export.bounds) error \(maxEdgeError(found.bounds, export.bounds)) px")
        let truth = export.bounds, expectedShape: ImagingRegion.Shape = export.fan == .none ? .rectangle : .fan
        let insideImage = export.holdsImageOnly(found.inscribed.insetBy(2)), largestArea = export.largestInscribedArea
        #expect(maxEdgeError(found.bounds, truth) <= 4, "\(label): found \(found.bounds), truth \(truth)")
        #expect(found.shape == expectedShape, "\(label)")
        #expect(!found.curvedArray, "\(label): a straight-sided image taken for a curved array's")
        #expect(insideImage, "\(label): inscribed \(found.inscribed) leaves the image")
        #expect(Double(found.inscribed.area) >= 0.85 * Double(largestArea), "\(label): inscribed \(found.inscribed)")
    }

    /// A moving image with a band across its middle that is live but flat in the mean image (nearly
    /// black speckle): the rows are extended across it and the whole image is found. With the
    /// crossing switched off (`bridgeMaxFraction` 0) the band stops the extension and only one side
    /// is found, so the case does exercise the rule.
    @Test(arguments: [UInt64(3), UInt64(5), UInt64(12), UInt64(21)])
    func aFlatBandInsideAMovingImageIsCrossed(seed: UInt64) throws {
        let export = SyntheticExport(seed: seed, flatBand: true)
        let found = try #require(ImagingRegionDetector().detectRegion(frames: export.grey, rgb: export.rgb))
        #expect(maxEdgeError(found.bounds, export.bounds) <= 4, "seed \(seed): found \(found.bounds), truth \(export.bounds)")
        var off = ImagingRegionDetector.Params()
        off.bridgeMaxFraction = 0
        let without = ImagingRegionDetector(params: off).detectRegion(frames: export.grey, rgb: export.rgb)
        #expect(without.map { maxEdgeError($0.bounds, export.bounds) > 4 } ?? true,
                "seed \(seed): without the crossing found \(String(describing: without?.bounds))")
    }

    /// A codec's block padding under and beside the image (black canvas with faint ringing that
    /// changes from frame to frame) is not image: the region ends where the image does, and without
    /// the padding rule it does not (so the test exercises the rule).
    @Test(arguments: [UInt64(3), 12, 31])
    func codecPaddingIsNotImage(seed: UInt64) throws {
        let export = SyntheticExport(seed: seed, ruler: false, codecPadding: 6)
        let found = try #require(ImagingRegionDetector().detectRegion(frames: export.grey, rgb: export.rgb))
        #expect(found.bounds.maxY <= export.bounds.maxY + 1 && found.bounds.maxY >= export.bounds.maxY - 4,
                "seed \(seed): found \(found.bounds), truth \(export.bounds)")
        #expect(found.bounds.maxX <= export.bounds.maxX + 1, "seed \(seed): found \(found.bounds), truth \(export.bounds)")
        var off = ImagingRegionDetector.Params()
        off.maxPaddingPx = 0
        let without = try #require(ImagingRegionDetector(params: off).detectRegion(frames: export.grey, rgb: export.rgb))
        #expect(without.bounds.maxY > export.bounds.maxY + 1 || without.bounds.maxX > export.bounds.maxX + 1,
                "seed \(seed): without the rule found \(without.bounds)")
    }

    @Test func noRegionInAFlatOrTextOnlyFrame() {
        var rng = SeededRandom(seed: 99)
        var pixels = [UInt8](repeating: 40, count: 640 * 480)
        // Text-like glyph strokes over a quarter of the frame, nothing else.
        for y in stride(from: 10, to: 60, by: 9) {
            for x in stride(from: 10, to: 600, by: 6) where rng.int(4) > 0 {
                for r in 0..<7 { for c in 0..<5 where rng.int(3) == 0 { pixels[(y + r) * 640 + x + c] = 220 } }
            }
        }
        let frames = Array(repeating: GreyImage(width: 640, height: 480, pixels: pixels), count: 4)
        let found = ImagingRegionDetector().detect(frames: frames)
        #expect(found == nil)
        #expect(ImagingRegionDetector().detect(frames: [GreyImage(width: 640, height: 480, value: 0)]) == nil)
    }
}

extension PixelRect {
    func insetBy(_ d: Int) -> PixelRect { PixelRect(x: x + d, y: y + d, width: max(0, width - 2 * d), height: max(0, height - 2 * d)) }
}

@Suite struct DepthScaleTests {
    /// The documented rulers: p6 (Telemed, 0-50 mm over the image, 1 cm ticks) and real-cine
    /// (5 mm ticks, longer every 2 cm); the layouts without a ruler give no scale.
    @Test(.enabled(if: RealLayouts.available, "../shared/data is not on this machine"), arguments: RealLayouts.cases)
    func realRulerReadsTheDocumentedScaleOrNothing(layout: RealLayouts.Case) throws {
        let (grey, rgb) = try RealLayouts.frames(layout.file)
        let region = ImagingRegionDetector().detect(frames: grey, rgb: rgb) ?? layout.truth
        let scale = DepthScaleReader().read(frames: grey, region: region)
        if let s = scale {
            print("ruler \(layout.file): \(String(format: "%.5f", s.mmPerPixelY)) mm/px, \(s.ticks) ticks every \(String(format: "%.2f", s.tickSpacingPx)) px = \(s.tickSpacingMm) mm (\(s.basis.rawValue)), \(s.side.rawValue) x=\(s.column), rows \(Int(s.firstTickY))-\(Int(s.lastTickY)), residual \(String(format: "%.2f", s.residualPx)) px, confidence \(String(format: "%.2f", s.confidence)); documented \(layout.mmPerPixel.map { String(format: "%.5f", $0) } ?? "none")")
        } else {
            print("ruler \(layout.file): none; documented \(layout.mmPerPixel.map { String(format: "%.5f", $0) } ?? "none")")
        }
        if let documented = layout.mmPerPixel {
            let read = try #require(scale?.mmPerPixelY, "\(layout.file): no scale read")
            #expect(abs(read - documented) / documented < 0.01, "\(layout.file): read \(read), documented \(documented)")
        }
        if layout.file.hasPrefix("real-labelled/tt1_") || layout.file == "real-stills/img_00051.png" {
            #expect(scale == nil, "\(layout.file) shows no ruler")
        }
    }

    /// SyntheticExport draws random 5x7 bit blocks where the numbers would be: text that looks like
    /// digits but is none. The ticks are regular, the "numbers" unreadable: no scale, or (should a
    /// block happen to read as a digit that fits) the drawn one; never a wrong one.
    @Test(arguments: Array(UInt64(101)...UInt64(116)))
    func syntheticRulerWithNoiseLabelsIsNeverWrong(seed: UInt64) throws {
        let export = SyntheticExport(seed: seed)
        let truth = export.mmPerPixel, bounds = export.bounds
        let reading = DepthScaleReader().examine(frames: export.grey, region: bounds)
        if let value = reading.scale?.mmPerPixelY {
            #expect(abs(value - truth) / truth < 0.01, "seed \(seed): read \(value), drawn \(truth)")
        } else {
            #expect(reading.ticks != nil, "seed \(seed): the regular ticks were not found (\(String(describing: reading.failure)))")
        }
    }

    @Test(arguments: Array(UInt64(201)...UInt64(208)))
    func noRulerNoScale(seed: UInt64) {
        let export = SyntheticExport(seed: seed, ruler: false)
        let bounds = export.bounds
        let read = DepthScaleReader().read(frames: export.grey, region: bounds)
        #expect(read == nil, "seed \(seed): invented \(String(describing: read?.mmPerPixelY))")
    }
}

@Suite struct SectorRegionTests {
    /// Cardiac and obstetric sector DICOMs (no hand-checked rectangle: the fans' sides fade into
    /// the canvas). A region must be found whenever there is a B-mode image; for the cardiac fan
    /// of `color3d_jpeg_baseline.dcm` (apex near x 340, y 45; widest near y 300) it must hold the
    /// fan's middle and be found to be a fan.
    @Test(.enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func sectorImagesHaveARegion() throws {
        for file in ["real-dicom/color3d_jpeg_baseline.dcm", "real-dicom/examples_ybr_color.dcm", "real-dicom/US-PAL-8-10x-echo.dcm",
                     "real-dicom/OBXXXX1A_rle_2frame.dcm"] {
            let (grey, rgb) = try RealLayouts.frames(file)
            let found = ImagingRegionDetector().detectRegion(frames: grey, rgb: rgb)
            print("sector \(file) \(grey.first.map { "\($0.width)x\($0.height)" } ?? "-"): \(found.map { "\($0.bounds) \($0.shape.rawValue) inscribed \($0.inscribed)" } ?? "none")")
            if file.hasPrefix("real-dicom/color3d") {
                let region = try #require(found)
                #expect(region.bounds.contains(x: 340, y: 250))
                // Not met yet: the dim sides of a cardiac fan fall below the column threshold, so
                // only the bright middle is found, as a rectangle (Docs/methods.md).
                withKnownIssue("a dim cardiac fan is found as its bright middle rectangle") {
                    #expect(region.shape == .fan)
                }
            }
        }
    }
}
