import Foundation
@testable import MSKAnalysis
import MSKImage
import MSKImaging
import MSKReader
import MSKSimulator
import Testing

/// Every real layout in ../shared/data with a depth ruler, and the scale measured by hand.
///
/// How the hand scale was measured: the mean of the first frames (12, or the still) was printed as
/// text around the ruler column (one character per pixel, by grey level) and the rows of the top
/// tick (depth 0) and of the deepest labelled tick were read off by eye; a 2-pixel tick counts at
/// its middle. Scale = the deepest label's depth over the rows between the two ticks.
enum RealRulers {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        /// mm per pixel row measured by hand (nil: no ruler in the layout).
        var truth: Double?
        /// How it was measured (rows of the 0 tick and of the labelled tick).
        var how: String
        /// Whether the reader must read it (false: "no calibration" is an accepted outcome, a wrong scale never is).
        var mustRead: Bool
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "real-video/p6_isometric_max_01_push_01.mp4", truth: 50.0 / 567.5, how: "Telemed, ruler left: 0 tick row 43, 50 tick rows 610-611", mustRead: true),
        Case(file: "real-video/p6_isokinetic500_01_push_01.mp4", truth: 50.0 / 567.5, how: "same layout as p6_isometric", mustRead: true),
        Case(file: "real-cine/Bag1_m0.wmv", truth: 5.0 / 46.25, how: "calf scanner, ruler right: ticks every 46.25 px from row 60 to 522 (10 intervals = 462.5 px), '2' and '4' cm (README)", mustRead: true),
        Case(file: "real-cine/bw2_m4.wmv", truth: 5.0 / 46.25, how: "same layout as Bag1_m0", mustRead: true),
        Case(file: "real-labelled/tt4_SampleA.mkv", truth: 50.0 / 630.5, how: "Telemed 1234x688, ruler left: 0 tick row 43, 50 tick rows 673-674", mustRead: true),
        Case(file: "real-stills/img_00003.png", truth: 50.0 / 630.5, how: "tt4_SampleA's layout mirrored: 0 tick row 43, 50 tick rows 673-674", mustRead: true),
        // Read as "no calibration" today (said in Docs/methods.md): JPEG-upscaled mirrored glyphs
        // whose strokes break apart; a "60" whose "0" touches the image edge.
        Case(file: "real-labelled/tt3_isometric_push01.mkv", truth: 50.0 / 709.5, how: "Telemed mirrored, upscaled: 0 tick row 94, 50 tick rows 803-804", mustRead: false),
        Case(file: "real-stills/img_00304.png", truth: 60.0 / 464.5, how: "Telemed mirrored 660x556: 0 tick row 43, 60 tick rows 507-508", mustRead: false),
        // Ticks without numbers: no calibration without --depth-mm.
        Case(file: "real-stills/img_00041.png", truth: nil, how: "ticks left, no numbers", mustRead: false),
        Case(file: "real-labelled/tt4_SampleB.mkv", truth: nil, how: "slanted image, ticks without numbers, '4cm' printed", mustRead: false),
        // No ruler.
        Case(file: "real-labelled/tt1_S1_L.mkv", truth: nil, how: "bare image", mustRead: false),
        Case(file: "real-stills/img_00051.png", truth: nil, how: "bare image", mustRead: false),
        Case(file: "real-stills/img_00002.png", truth: nil, how: "no ruler beside the image", mustRead: false),
    ]
}

@Suite("Screen calibration: an uncalibrated export is measured in mm from its own depth ruler, and only then")
struct ScreenCalibrationTests {
    @Test("Every real layout: the hand-measured scale within 1 %, or no calibration where the numbers cannot be read; never a wrong one",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine (a fresh clone): real layouts skipped"),
          arguments: RealRulers.cases)
    func realLayouts(layout: RealRulers.Case) throws {
        let (grey, rgb) = try RealLayouts.frames(layout.file)
        let region = ImagingRegionDetector().detect(frames: grey, rgb: rgb) ?? PixelRect(x: 0, y: 0, width: grey[0].width, height: grey[0].height)
        let reading = DepthScaleReader().examine(frames: grey, region: region)
        let truthText = layout.truth.map { String(format: "%.5f", $0) } ?? "none"
        if let s = reading.scale {
            let error = layout.truth.map { 100 * (s.mmPerPixelY - $0) / $0 }
            print(String(format: "screen %@: %.5f mm/px (truth %@, error %@), %d ticks %.3f px = %g mm, labels %@, confidence %.2f",
                         layout.file, s.mmPerPixelY, truthText, error.map { String(format: "%+.2f%%", $0) } ?? "-", s.ticks, s.tickSpacingPx,
                         s.tickSpacingMm, s.labels.map { "\($0.text)@\($0.tick)\($0.mirrored ? " mirrored" : "")" }.joined(separator: ", "), s.confidence))
            let truth = try #require(layout.truth, "\(layout.file): a scale was read where there is no ruler")
            #expect(abs(s.mmPerPixelY - truth) / truth < 0.01, "\(layout.file): read \(s.mmPerPixelY), hand-measured \(truth) (\(layout.how))")
        } else {
            print("screen \(layout.file): no calibration (\(reading.failure?.description ?? "-")); truth \(truthText)")
            #expect(!layout.mustRead, "\(layout.file): no scale read (\(reading.failure?.description ?? "-"))")
            #expect(reading.failure != nil)
        }
    }

    @Test("A Telemed export (0-50 mm ruler) is calibrated from the screen at the ruler's 0.0881 mm per pixel; --mm-per-pixel wins",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func telemed() throws {
        let path = RealLayouts.dataRoot.appendingPathComponent("real-video/p6_isokinetic500_01_push_01.mp4").path
        let a = try ClipAnalyzer.analyze(source: try openClip(path: path), options: AnalysisOptions())
        #expect(a.calibrationSource == .screen && a.unit == .mm)
        let c = try #require(a.calibration)
        #expect(abs(c.mmPerPixelY - 50.0 / 567.5) < 50.0 / 567.5 * 0.01, "\(c)")
        #expect(a.warnings.contains { $0.contains("depth ruler beside the image") })
        // The result document carries the evidence: the ticks, the labels, the period.
        let doc = a.document(sha256: nil, engineVersion: "test").serialized()
        #expect(doc.contains("\"method\":\"ruler-labels\"") && doc.contains("\"periodPx\"") && doc.contains("\"text\":\"50\""), "\(doc.prefix(600))")
        let given = try ClipAnalyzer.analyze(source: try openClip(path: path), options: AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: 0.09, mmPerPixelY: 0.09)))
        #expect(given.calibrationSource == .cli && given.calibration?.mmPerPixelX == 0.09)
    }

    /// A real clip of ../shared/data analysed with `--depth-mm` (nil: without).
    static func analyzed(_ relativePath: String, depthMm: Double?) throws -> ClipAnalysis {
        var options = AnalysisOptions()
        options.depthMm = depthMm
        return try ClipAnalyzer.analyze(source: try openClip(path: RealLayouts.dataRoot.appendingPathComponent(relativePath).path), options: options)
    }

    @Test("--depth-mm: agreeing with the ruler keeps the ruler's scale; disagreeing (45 against the calf ruler's 50 mm) leaves the clip in pixels, saying why",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func depthAgainstRuler() throws {
        let agree = try Self.analyzed("real-cine/Bag1_m0.wmv", depthMm: 50)
        #expect(agree.calibrationSource == .screen)
        #expect(abs((agree.calibration?.mmPerPixelY ?? 0) - 5.0 / 46.25) < 0.01 * 5.0 / 46.25)
        let disagree = try Self.analyzed("real-cine/Bag1_m0.wmv", depthMm: 45)
        #expect(disagree.calibrationSource == .none && disagree.unit == .px && disagree.calibration == nil)
        let line = try #require(disagree.warnings.first { $0.contains("no calibration") })
        #expect(line.contains("--depth-mm 45") && line.contains("--mm-per-pixel"), "\(line)")
        #expect(!line.contains("\n"))
    }

    @Test("--depth-mm at the ruler's deepest tick: a Telemed screen whose image runs below its 60 mm tick, numbers unreadable, is calibrated from the ticks; a depth no tick interval fits is refused",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func depthAtTheDeepestTick() throws {
        let a = try Self.analyzed("real-stills/img_00304.png", depthMm: 60)
        // The ruler: "0" at row 43, "60" at rows 507-508 (Docs/methods.md); the region runs to row 553.
        let truth = 60.0 / 464.5
        #expect(a.calibrationSource == .screen && a.unit == .mm)
        #expect(abs((a.calibration?.mmPerPixelY ?? 0) - truth) < 0.005 * truth, "\(String(describing: a.calibration))")
        #expect(a.warnings.contains { $0.contains("at the ruler's deepest tick") && $0.contains("10 mm") }, "\(a.warnings)")
        let refused = try Self.analyzed("real-stills/img_00304.png", depthMm: 50)
        #expect(refused.calibrationSource == .none && refused.calibration == nil)
        #expect(refused.warnings.contains { $0.contains("--depth-mm 50") && $0.contains("not a usual interval") }, "\(refused.warnings)")
    }

    @Test("Without a ruler nothing is invented: lengths stay in pixels, the warning says what to type; --depth-mm calibrates from the region's height",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func noRuler() throws {
        let a = try Self.analyzed("real-labelled/tt1_S1_L.mkv", depthMm: nil)
        #expect(a.calibrationSource == .none && a.unit == .px && a.calibration == nil)
        #expect(a.warnings.contains { $0.contains("no depth ruler") && $0.contains("--depth-mm") })
        let b = try Self.analyzed("real-labelled/tt1_S1_L.mkv", depthMm: 40)
        #expect(b.calibrationSource == .cli && b.unit == .mm)
        #expect(abs((b.calibration?.mmPerPixelY ?? 0) - 40.0 / Double(b.imagingRegion.height)) < 1e-9)
    }
}

/// A simulated export frame: speckle inside the region, a flat canvas around it, a ruler drawn in
/// `style` (`MSKSimulator.ScreenRuler`), and optional hostile marks.
struct RulerCanvas {
    var width = 640, height = 480
    var region = PixelRect(x: 150, y: 40, width: 400, height: 420)
    var canvas: UInt8 = 0
    var seed: UInt64 = 1

    func frames(style: ScreenRulerStyle?, mmPerPixel: Double, count: Int = 4, extra: (inout [UInt8], Int, Int) -> Void = { _, _, _ in }) -> [GreyImage] {
        var base = [UInt8](repeating: canvas, count: width * height)
        if let style { ScreenRuler.draw(style, into: &base, width: width, height: height, region: region, mmPerPixel: mmPerPixel) }
        extra(&base, width, height)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            var px = base
            for y in region.y..<region.maxY {
                for x in region.x..<region.maxX {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    px[y * width + x] = UInt8(30 + (state >> 33) % 120)
                }
            }
            return GreyImage(width: width, height: height, pixels: px)
        }
    }
}

@Suite("Screen calibration on simulated rulers: every labelled style within 1 %, unlabelled and hostile ones never wrong")
struct SimulatedRulerTests {
    struct StyleCase: Sendable, CustomStringConvertible {
        var name: String
        var style: ScreenRulerStyle
        var mmPerPixel: Double
        var canvas: UInt8 = 0
        var description: String { name }
    }

    static func style(_ edit: (inout ScreenRulerStyle) -> Void) -> ScreenRulerStyle {
        var s = ScreenRulerStyle()
        edit(&s)
        return s
    }

    static let labelled: [StyleCase] = [
        StyleCase(name: "ticks left 5 mm, cm every 1 cm", style: style { _ in }, mmPerPixel: 0.1),
        StyleCase(name: "ticks right 5 mm, cm, font x2", style: style { $0.side = .right; $0.fontScale = 2; $0.gap = 8 }, mmPerPixel: 0.1),
        StyleCase(name: "Telemed-like: 10 mm ticks, mm from 0, toward the image, grey canvas",
                  style: style { $0.tickMm = 10; $0.labelEvery = 1; $0.unit = .mm; $0.labelZero = true; $0.labelsTowardImage = true; $0.gap = 30 },
                  mmPerPixel: 50.0 / 420, canvas: 52),
        StyleCase(name: "calf-like: right, numbers toward the image", style: style { $0.side = .right; $0.labelEvery = 4; $0.labelsTowardImage = true; $0.gap = 24; $0.line = false },
                  mmPerPixel: 0.108),
        StyleCase(name: "dots right 5 mm, cm", style: style { $0.marks = .dots; $0.side = .right; $0.line = false }, mmPerPixel: 0.08),
        StyleCase(name: "1 mm ticks, cm every 10", style: style { $0.tickMm = 1; $0.labelEvery = 10 }, mmPerPixel: 0.12),
        StyleCase(name: "bold 10 mm ticks right, mm", style: style { $0.side = .right; $0.bold = true; $0.tickMm = 10; $0.labelEvery = 1; $0.unit = .mm }, mmPerPixel: 0.14),
        StyleCase(name: "2 mm ticks, mm every 5", style: style { $0.tickMm = 2; $0.labelEvery = 5; $0.unit = .mm }, mmPerPixel: 0.07),
        StyleCase(name: "deep: 60 mm, 5 mm ticks, cm", style: style { _ in }, mmPerPixel: 60.0 / 420),
        StyleCase(name: "shallow: 25 mm, 5 mm ticks, cm", style: style { $0.side = .right }, mmPerPixel: 25.0 / 420),
        StyleCase(name: "ticks 2 and 4 hidden by markers", style: style { $0.hiddenTicks = [2, 4] }, mmPerPixel: 0.1),
    ]

    @Test(arguments: labelled)
    func labelledRulerWithinOnePercent(c: StyleCase) throws {
        let frames = RulerCanvas(canvas: c.canvas).frames(style: c.style, mmPerPixel: c.mmPerPixel)
        let reading = DepthScaleReader().examine(frames: frames, region: RulerCanvas().region)
        let s = try #require(reading.scale, "\(c.name): no scale (\(reading.failure?.description ?? "-"))")
        let error = 100 * (s.mmPerPixelY - c.mmPerPixel) / c.mmPerPixel
        print(String(format: "simulated %@: %.5f mm/px, drawn %.5f, error %+.3f%%, %d ticks, labels %@", c.name, s.mmPerPixelY, c.mmPerPixel, error, s.ticks,
                     s.labels.map { "\($0.text)@\($0.tick)" }.joined(separator: " ")))
        #expect(abs(error) < 1, "\(c.name): \(s.mmPerPixelY) against \(c.mmPerPixel)")
    }

    @Test("Ticks without numbers: no calibration, the reason names the ticks; --depth-mm sets their interval")
    func unlabelled() throws {
        for (side, mm) in [(ScreenRulerStyle.Side.left, 0.1), (.right, 0.125)] {
            let style = Self.style { $0.unit = .none; $0.side = side }
            let frames = RulerCanvas().frames(style: style, mmPerPixel: mm)
            let region = RulerCanvas().region
            let reading = DepthScaleReader().examine(frames: frames, region: region)
            #expect(reading.scale == nil)
            guard case .labelsUnreadable = reading.failure else { Issue.record("\(side): \(String(describing: reading.failure))"); continue }
            let c = ScreenCalibration.decide(frames: frames, region: region, depthMm: mm * Double(region.height))
            let got = try #require(c.mmPerPixel)
            #expect(c.method == .rulerTicksAtDepth && abs(got - mm) / mm < 0.01, "\(side): \(got) against \(mm)")
            // A depth 20 % off is no usual tick interval: refused.
            let wrong = ScreenCalibration.decide(frames: frames, region: region, depthMm: 1.2 * mm * Double(region.height))
            #expect(wrong.mmPerPixel == nil && wrong.refusal != nil)
        }
    }

    @Test("Hostile: digits beside an unlabelled ruler (a parameter column), a colour bar, noise glyphs, a ruler cut by the frame edge: no calibration or the right one")
    func hostile() throws {
        let region = RulerCanvas().region
        func put(_ px: inout [UInt8], _ w: Int, _ text: String, _ x: Int, _ y: Int) {
            ScreenRuler.drawText(text, into: &px, width: w, x: x, y: y, grey: 230)
        }
        var results: [(String, Double?, Double)] = []
        // 1. A parameter column ("DR 66", "FR 25", "G 50") beside an unlabelled ruler.
        let plain = Self.style { $0.unit = .none }
        let f1 = RulerCanvas().frames(style: plain, mmPerPixel: 0.1) { px, w, _ in
            for (i, t) in ["DR 66", "FR 25", "G 50", "D 42"].enumerated() { put(&px, w, t, 100, 80 + 62 * i) }
        }
        results.append(("parameter text beside unlabelled ticks", DepthScaleReader().read(frames: f1, region: region)?.mmPerPixelY, 0.1))
        // 2. A grey ramp bar beside a labelled ruler.
        let f2 = RulerCanvas().frames(style: Self.style { _ in }, mmPerPixel: 0.1) { px, w, _ in
            for y in 60..<300 { for x in 40..<56 { px[y * w + x] = UInt8(255 - (y - 60)) } }
        }
        results.append(("grey bar beside labelled ticks", DepthScaleReader().read(frames: f2, region: region)?.mmPerPixelY, 0.1))
        // 3. Noise glyphs (5x7 random bits) where the numbers would be.
        let f3 = RulerCanvas().frames(style: plain, mmPerPixel: 0.1) { px, w, _ in
            var state: UInt64 = 77
            for k in 1...4 {
                let y = region.y + 100 * k - 3 // at every second tick (5 mm = 50 px)
                for r in 0..<7 { for c in 0..<5 { state = state &* 6364136223846793005 &+ 1; if (state >> 40) & 1 == 1 { px[(y + r) * w + 127 + c] = 230 } } }
            }
        }
        results.append(("noise glyphs at the ticks", DepthScaleReader().read(frames: f3, region: region)?.mmPerPixelY, 0.1))
        // 4. The ruler cut by the frame's left edge (image 4 px from the edge).
        var cut = RulerCanvas()
        cut.region = PixelRect(x: 4, y: 40, width: 400, height: 420)
        let f4 = cut.frames(style: Self.style { $0.gap = 3 }, mmPerPixel: 0.1)
        results.append(("ruler cut by the frame edge", DepthScaleReader().read(frames: f4, region: cut.region)?.mmPerPixelY, 0.1))
        for (name, read, truth) in results {
            print("hostile \(name): \(read.map { String(format: "%.5f mm/px", $0) } ?? "no calibration") (drawn \(truth))")
            if let read { #expect(abs(read - truth) / truth < 0.01, "\(name): wrong scale \(read)") }
        }
        // The parameter column and the noise glyphs carry no ruler numbers: no calibration.
        #expect(results[0].1 == nil && results[2].1 == nil)
    }
}
