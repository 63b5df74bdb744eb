import Foundation
import MSKImage
import MSKImaging

/// The calibration of a video export without calibration of its own: from the depth ruler the
/// scanner draws beside the image (`DepthScaleReader`), from the depth the user read off the screen
/// (`--depth-mm`), or both, one checking the other. Never a silent guess: when neither gives a
/// scale the clip stays in pixels and `refusal` says why and what to type.
public struct ScreenCalibration: Sendable, Equatable {
    /// How the scale was obtained.
    public enum Method: String, Sendable, Codable {
        /// The ruler's ticks and the numbers beside them.
        case rulerLabels = "ruler-labels"
        /// The ruler's ticks, their interval set by `--depth-mm` (numbers unreadable).
        case rulerTicksAtDepth = "ruler-ticks-depth-mm"
        /// `--depth-mm` over the imaging region's height (no ruler found).
        case depthOverRegion = "depth-mm-region-height"
    }

    /// The scale (mm per pixel, x taken equal to y) and where it came from; nil: no calibration.
    public var mmPerPixel: Double?
    public var method: Method?
    /// The calibration source it is recorded under: `screen` for the ruler, `cli` for
    /// `--depth-mm` alone (a number the user typed).
    public var source: CalibrationSource
    public var confidence: Double?
    /// The ruler as read (its ticks, labels and period), when one was found.
    public var scale: DepthScale?
    public var ticks: RulerTicks?
    /// `--depth-mm`, and the ruler's depth at the image's bottom row that it was checked against.
    public var depthMm: Double?
    public var rulerDepthMm: Double?
    /// Why there is no calibration, and what to type (one line).
    public var refusal: String?
    /// One line for the warnings when a scale was taken.
    public var note: String?

    /// Largest relative difference between `--depth-mm` and the ruler's depth at the image's
    /// bottom row. Measured: 1.9 % on the Telemed exports (the image runs about 1 mm below the
    /// 50 mm tick), 0.2 % on the calf clips; adjacent depth settings differ by 8 % or more.
    public static let depthTolerance = 0.03

    /// What to type when there is no calibration.
    static let advice = "give --depth-mm D (the depth printed on the screen, in mm) or --mm-per-pixel X"

    /// Decides the calibration of `frames` (the clip's first frames) with imaging region `region`.
    /// The lines do not name the clip: the warnings printer does.
    public static func decide(frames: [GreyImage], region: PixelRect, depthMm: Double?) -> ScreenCalibration {
        let reading = DepthScaleReader().examine(frames: frames, region: region)
        var c = ScreenCalibration(source: .none, scale: reading.scale, ticks: reading.ticks, depthMm: depthMm)
        let bottom = Double(region.maxY)
        if let s = reading.scale, let t = reading.ticks {
            c.rulerDepthMm = (bottom - t.zeroRow) * s.mmPerPixelY
        }
        let labelText: (DepthScale) -> String = { s in
            s.labels.map { "\"\($0.text)\" at tick \($0.tick)" }.joined(separator: ", ") + (s.labelUnit.map { " (\($0))" } ?? "")
        }
        switch (reading.scale, depthMm) {
        case let (s?, d?):
            let rulerDepth = c.rulerDepthMm ?? 0
            guard abs(rulerDepth - d) <= depthTolerance * d else {
                c.scale = s
                c.refusal = String(format: "no calibration: the depth ruler beside the image reads %.4f mm per pixel (%.1f mm at the image's bottom) but --depth-mm %g was given, %.0f%% apart; check the depth printed on the screen and give it again, or give --mm-per-pixel X", s.mmPerPixelY, rulerDepth, d, 100 * abs(rulerDepth - d) / d)
                return c
            }
            c.take(s.mmPerPixelY, .rulerLabels, .screen, s.confidence)
            c.note = String(format: "calibration read from the depth ruler beside the image: %.4f mm per pixel (%d ticks %.3f px = %g mm apart, labels %@; %.1f mm at the image's bottom, --depth-mm %g agrees; x taken equal to y)",
                            s.mmPerPixelY, s.ticks, s.tickSpacingPx, s.tickSpacingMm, labelText(s), rulerDepth, d)
        case let (s?, nil):
            c.take(s.mmPerPixelY, .rulerLabels, .screen, s.confidence)
            c.note = String(format: "calibration read from the depth ruler beside the image: %.4f mm per pixel (%d ticks %.3f px = %g mm apart, labels %@; x taken equal to y); give --mm-per-pixel to override",
                            s.mmPerPixelY, s.ticks, s.tickSpacingPx, s.tickSpacingMm, labelText(s))
        case let (nil, d?):
            if let t = reading.ticks {
                let depthRows = max(1, Int((bottom - t.zeroRow).rounded()))
                let reader = DepthScaleReader()
                // The printed depth is the image's bottom; or (some scanners) the ruler's deepest tick,
                // the image running on less than one tick interval below it.
                let deepestRow = t.rows.last ?? t.zeroRow, deepestTick = deepestRow - t.zeroRow
                let atBottom = reader.scale(ticks: t, depthMm: d, imageHeight: depthRows, tolerance: depthTolerance)
                let atDeepestTick = atBottom == nil && deepestTick >= t.spacingPx && bottom - deepestRow < t.spacingPx
                    ? reader.scale(ticks: t, depthMm: d, imageHeight: max(1, Int(deepestTick.rounded())), tolerance: depthTolerance) : nil
                guard var s = atBottom ?? atDeepestTick else {
                    c.refusal = String(format: "no calibration: at --depth-mm %g the ruler's ticks (%.2f px apart) would be %.2f mm apart, not a usual interval (1, 2, 5 or 10 mm); check the depth printed on the screen, or give --mm-per-pixel X", d, t.spacingPx, d / Double(depthRows) * t.spacingPx)
                    return c
                }
                let readAt = atBottom == nil ? String(format: " at the ruler's deepest tick, the image running %.1f mm below it", (bottom - deepestRow) * s.mmPerPixelY) : ""
                s.frames = frames.count
                c.scale = s
                c.rulerDepthMm = Double(depthRows) * s.mmPerPixelY
                c.take(s.mmPerPixelY, .rulerTicksAtDepth, .screen, s.confidence)
                c.note = String(format: "calibration from the depth ruler's ticks (%d ticks %.3f px apart, taken as %g mm at --depth-mm %g%@; their numbers could not be read): %.4f mm per pixel, x taken equal to y",
                                s.ticks, s.tickSpacingPx, s.tickSpacingMm, d, readAt, s.mmPerPixelY)
            } else {
                let mm = d / Double(max(1, region.height))
                guard Calibration.plausibleMmPerPixel.contains(mm) else {
                    c.refusal = String(format: "no calibration: --depth-mm %g over the %d-pixel image gives %.4g mm per pixel, outside %@; check the depth", d, region.height, mm, Calibration.rangeText)
                    return c
                }
                c.take(mm, .depthOverRegion, .cli, 0.7)
                c.note = String(format: "calibration from --depth-mm %g over the imaging region's height (%d px): %.4f mm per pixel, x taken equal to y (no depth ruler found to check it)", d, region.height, mm)
            }
        case (nil, nil):
            c.refusal = "no calibration: " + (reading.failure ?? .noRuler).description + "; lengths are in pixels; " + advice
        }
        return c
    }

    mutating func take(_ mm: Double, _ method: Method, _ source: CalibrationSource, _ confidence: Double) {
        mmPerPixel = mm
        self.method = method
        self.source = source
        self.confidence = confidence
    }

    /// The calibration section's extra fields in the result document (the spec fixes `mmPerPixel`
    /// and `source`; these are the project's): method, confidence, the ruler's evidence, the
    /// `--depth-mm` check, or why there is no calibration.
    public var documentFields: [(String, JSONValue)] {
        var f: [(String, JSONValue)] = []
        func r(_ x: Double, _ k: Double = 1000) -> JSONValue { .number((x * k).rounded() / k) }
        if let method { f.append(("method", .string(method.rawValue))) }
        if let confidence { f.append(("confidence", r(confidence, 100))) }
        if let depthMm { f.append(("depthMm", .number(depthMm))) }
        if let rulerDepthMm { f.append(("rulerDepthMm", r(rulerDepthMm, 100))) }
        if let t = ticks ?? scale.map({ RulerTicks(rows: $0.tickRows, indices: $0.tickIndices, spacingPx: $0.tickSpacingPx, residualPx: $0.residualPx, column: $0.column, side: $0.side, zeroRow: $0.firstTickY) }) {
            var ruler: [(String, JSONValue)] = [
                ("side", .string(t.side.rawValue)),
                ("column", .number(Double(t.column))),
                ("tickRowsPx", .array(t.rows.map { r($0, 100) })),
                ("tickIndices", .array(t.indices.map { JSONValue.number(Double($0)) })),
                ("periodPx", r(t.spacingPx, 10000)),
                ("residualPx", r(t.residualPx)),
            ]
            if let s = scale {
                ruler.append(("tickMm", .number(s.tickSpacingMm)))
                ruler.append(("basis", .string(s.basis.rawValue)))
                if let u = s.labelUnit { ruler.append(("labelUnit", .string(u))) }
                ruler.append(("labels", .array(s.labels.map { l in
                    .object([("text", .string(l.text)), ("tick", .number(Double(l.tick))), ("rowPx", r(l.row, 100)),
                             ("box", .array([l.box.x, l.box.y, l.box.width, l.box.height].map { JSONValue.number(Double($0)) })),
                             ("mirrored", .bool(l.mirrored)), ("score", r(l.score))])
                })))
                if s.frames > 0 { ruler.append(("frames", .number(Double(s.frames)))) }
            }
            f.append(("ruler", .object(ruler)))
        }
        if let refusal { f.append(("reason", .string(refusal))) }
        return f
    }
}
