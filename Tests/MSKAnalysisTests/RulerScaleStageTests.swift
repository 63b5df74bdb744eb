import Foundation
import MSKImage
@testable import MSKImaging
import MSKSimulator
import Testing

/// The depth ruler's last stage (`DepthScaleReader.scaleFromLabels`): the numbers read beside a
/// ruler's ticks, and the scale they give or the reason there is none, on each of its rules.
@Suite("Ruler scale stage: the numbers on one line through 0, one orientation, one unit")
struct RulerScaleStageTests {
    /// A Telemed-like ruler: 6 ticks 113.5 px apart from row 43, right of a 579-row image.
    static let rows = (0...5).map { 43 + 113.5 * Double($0) }
    static let ticks = RulerTicks(rows: rows, indices: Array(0...5), spacingPx: 113.5, residualPx: 0.2, column: 950, side: .right, zeroRow: 43)
    static let region = PixelRect(x: 210, y: 43, width: 727, height: 579)

    static func label(_ text: String, at tick: Int, mirrored: Bool = false) -> TickLabel {
        TickLabel(tick: tick, row: rows[tick], text: text, value: Double(text)!, box: PixelRect(x: 960, y: Int(rows[tick]) - 8, width: 20, height: 16),
                  mirrored: mirrored, score: 0.9)
    }

    static func read(_ labels: [TickLabel]) -> DepthScaleReading {
        DepthScaleReader().scaleFromLabels(labels, ticks: ticks, region: region, frames: 12)
    }

    static func inconsistent(_ r: DepthScaleReading) -> String? {
        if case let .labelsInconsistent(detail) = r.failure { return detail }
        return nil
    }

    @Test("0 and 50 at the top and last ticks: 10 mm ticks in mm, 10 / 113.5 mm per pixel, full confidence from two numbers")
    func twoNumbers() throws {
        let r = Self.read([Self.label("0", at: 0), Self.label("50", at: 5)])
        let scale = try #require(r.scale)
        #expect(r.failure == nil)
        #expect(scale.tickSpacingMm == 10 && scale.labelUnit == "mm" && scale.basis == .labels)
        #expect(abs(scale.mmPerPixelY - 10 / 113.5) < 1e-12)
        let one = try #require(Self.read([Self.label("50", at: 5)]).scale)
        #expect(abs(one.confidence - 0.85 * scale.confidence) < 1e-12, "one number leans on depth 0 at the top tick")
    }

    @Test("Numbers within 1 % of one line through 0 are one scale; just over it, inconsistent")
    func onTheLine() {
        // Units per tick 10, 10, 10.1: the median 10; 40.4 lies 1 % of itself from 40 (allowed), 40.5 over.
        let within = Self.read([Self.label("20", at: 2), Self.label("30", at: 3), Self.label("40.4", at: 4)])
        #expect(within.scale?.tickSpacingMm == 10)
        let over = Self.read([Self.label("20", at: 2), Self.label("30", at: 3), Self.label("40.5", at: 4)])
        #expect(over.scale == nil)
        #expect(Self.inconsistent(over)?.contains("40.5 at tick 4") == true, "\(String(describing: over.failure))")
    }

    @Test("A ruler's numbers are all mirrored or none; the top tick reads 0; one number beyond the top is needed")
    func orientationAndTop() {
        let mixed = Self.read([Self.label("0", at: 0), Self.label("50", at: 5, mirrored: true)])
        #expect(mixed.scale == nil && Self.inconsistent(mixed) == "some numbers read mirrored, some not")
        #expect(Self.read([Self.label("0", at: 0, mirrored: true), Self.label("50", at: 5, mirrored: true)]).scale != nil)
        let top = Self.read([Self.label("5", at: 0), Self.label("50", at: 5)])
        #expect(top.scale == nil && Self.inconsistent(top) == "the top tick reads 5, not 0")
        let zeroOnly = Self.read([Self.label("0", at: 0)])
        #expect(zeroOnly.scale == nil && Self.inconsistent(zeroOnly) == "only the top tick's number was read")
    }

    @Test("The unit: cm numbers give the same scale; an unusual interval (10.2 mm) or an implausible depth gives none")
    func unit() throws {
        let cm = try #require(Self.read([Self.label("0", at: 0), Self.label("5", at: 5)]).scale)
        #expect(cm.labelUnit == "cm" && cm.tickSpacingMm == 10)
        let odd = Self.read([Self.label("0", at: 0), Self.label("51", at: 5)])
        if case .unitUndecided = odd.failure {} else { Issue.record("\(String(describing: odd.failure))") }
        #expect(odd.scale == nil)
        // 100 per tick: 100 mm or 1000 mm ticks, neither a usual interval.
        let deep = Self.read([Self.label("0", at: 0), Self.label("500", at: 5)])
        #expect(deep.scale == nil)
    }

    @Test("The tick stage alone: the drawn ruler's period, column side and top row; nothing without a ruler or under 40 rows")
    func tickStage() throws {
        let canvas = RulerCanvas(canvas: 52)
        let mmPerPixel = 50.0 / 420
        var style = ScreenRulerStyle()
        style.tickMm = 10; style.labelEvery = 1; style.unit = .mm; style.labelZero = true
        let frames = canvas.frames(style: style, mmPerPixel: mmPerPixel)
        let (mean, w, h, _) = try #require(DepthScaleReader.meanImage(frames))
        let reader = DepthScaleReader()
        let found = try #require(reader.tickRun(mean: mean, width: w, height: h, region: canvas.region))
        #expect(abs(found.run.spacing - 10 / mmPerPixel) < 0.005 * (10 / mmPerPixel), "\(found.run.spacing)")
        #expect(found.column < canvas.region.x, "ticks left of the image")
        #expect(abs(found.run.intercept - Double(canvas.region.y)) < 2, "\(found.run.intercept)")
        let bare = canvas.frames(style: nil, mmPerPixel: mmPerPixel)
        let (bareMean, _, _, _) = try #require(DepthScaleReader.meanImage(bare))
        #expect(reader.tickRun(mean: bareMean, width: w, height: h, region: canvas.region) == nil)
        var short = canvas.region
        short.height = 39
        #expect(reader.tickRun(mean: mean, width: w, height: h, region: short) == nil)
    }

    @Test("Numbers from blobs: side by side within 0.8 of a height is one number; cut by the band's edge, of mixed heights, or behind the ruler's line, none")
    func numberGroups() {
        let reader = DepthScaleReader()
        let band = DepthScaleReader.LabelBand(xa: 100, ya: 0, bw: 60, bh: 200, reach: 32, canvas: 0, diff: [])
        let ticks = RulerTicks(rows: [20, 70, 120, 170], indices: [0, 1, 2, 3], spacingPx: 50, residualPx: 0.1, column: 110, side: .right, zeroRow: 20)
        func glyph(_ x0: Int, _ y0: Int, width: Int = 7, height: Int = 10) -> DepthScaleReader.Blob {
            DepthScaleReader.Blob(x0: x0, y0: y0, x1: x0 + width - 1, y1: y0 + height - 1, count: width * height / 2)
        }
        // "50": two glyphs 8 px apart (0.8 of their height): one number.
        #expect(reader.numberGroups([glyph(20, 65), glyph(35, 65)], band: band, ticks: ticks, pointing: 0).map(\.count) == [2])
        // 9 px apart: two numbers.
        #expect(reader.numberGroups([glyph(20, 65), glyph(36, 65)], band: band, ticks: ticks, pointing: 0).map(\.count) == [1, 1])
        // Touching the band's left edge: cut, dropped.
        #expect(reader.numberGroups([glyph(0, 65)], band: band, ticks: ticks, pointing: 0).isEmpty)
        // Heights 10 and 14 (over 1.3x): not one font's number.
        #expect(reader.numberGroups([glyph(20, 65), glyph(29, 63, height: 14)], band: band, ticks: ticks, pointing: 0).isEmpty)
        // Ticks pointing right (+1): a number left of the tick column (x 105-111 here) is behind the line.
        #expect(reader.numberGroups([glyph(5, 65)], band: band, ticks: ticks, pointing: 1).isEmpty)
        #expect(reader.numberGroups([glyph(5, 65)], band: band, ticks: ticks, pointing: 0).map(\.count) == [1])
    }
}

