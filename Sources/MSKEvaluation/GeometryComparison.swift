import Foundation
import MSKAnalysis
import MSKImage
import MSKImaging
import MSKLabels
import MSKReader

/// The engine's geometry against hand labels: thickness by the labels' rule, edge rows, angles,
/// and each observer's own deviation from the observers' mean beside the engine's error.
///
/// Measure keys (also the keys of `ClipRegression.errors`): `muscleThickness` (in the labels'
/// unit: `...Px` labels in pixels, `...Mm` labels in mm), `superficialEdgeRowPx`, `deepEdgeRowPx`,
/// `fascicleAngleDeg`, `deepAponeurosisAngleDeg`, `pennationAngleDeg`, `fascicleLengthMm`, and for a
/// fascicle tracker's labels `fascicleAngleAbsDeg` (the engine's |fascicleAngleDeg|) and
/// `fascicleLengthPx` (the engine's length in frame pixels).
public struct GeometryComparison: Sendable {
    /// Labelled frames that label any geometry, and in how many of them the engine reports the muscle.
    public var labelledFrames = 0
    public var muscleFound = 0
    /// Engine minus label, per measure.
    public var errors: [String: [Double]] = [:]
    /// |engine - label| / label for the thickness, per frame (for the "within 3 %" figure).
    public var thicknessRelativeErrors: [Double] = []
    /// Per measure, per observer (in `observerNames` order): that observer minus the label.
    public var observerDeviations: [String: [[Double]]] = [:]
    public var observerNames: [String] = []
    /// Unit of `muscleThickness` errors ("px" or "mm"), nil when the labels give no thickness.
    public var thicknessUnit: String?

    public init() {}

    /// The geometry measures, in print order, with their display names.
    public static let measures: [(key: String, name: String)] = [
        ("muscleThickness", "thickness"), ("superficialEdgeRowPx", "superficial row px"), ("deepEdgeRowPx", "deep row px"),
        ("fascicleAngleDeg", "fascicle angle deg"), ("deepAponeurosisAngleDeg", "deep apo angle deg"),
        ("pennationAngleDeg", "pennation deg"), ("fascicleLengthMm", "fascicle length mm"),
        ("fascicleAngleAbsDeg", "fascicle |angle| deg"), ("fascicleLengthPx", "fascicle length px"),
    ]

    /// Compares `analysis` with `labels`; `mask` is the still's aponeurosis mask (for the columns of
    /// a `vertical-median` rule), when the labels name one.
    public static func compare(_ a: ClipAnalysis, with labels: LabelsDocument, mask: GreyImage? = nil) -> GeometryComparison {
        var g = GeometryComparison()
        let position = Dictionary(a.frames.enumerated().map { ($1.index, $0) }, uniquingKeysWith: { x, _ in x })
        let rule = labels.thicknessRule
        let maskColumns = mask.map(Self.columnsWithTwoBands)
        let sy = a.calibration?.mmPerPixelY
        for l in labels.frames ?? [] {
            let labelsGeometry = l.muscleThicknessPx != nil || l.muscleThicknessMm != nil || l.fascicleAngleDeg != nil
                || l.pennationAngleDeg != nil || l.superficialEdgeRowPx != nil || l.deepEdgeRowPx != nil
                || l.fascicleAngleAbsDeg != nil || l.fascicleLengthPx != nil
            guard labelsGeometry else { continue }
            g.labelledFrames += 1
            guard let t = position[l.index] else { continue }
            let f = a.frames[t]
            let o: FrameOverlay? = t < a.overlays.count ? a.overlays[t] : nil
            let sup = o?.superficialEdge(region: a.imagingRegion), deep = o?.deepEdge(region: a.imagingRegion)
            if sup != nil && deep != nil { g.muscleFound += 1 }
            func add(_ key: String, _ engine: Double?, _ label: Double?) {
                if let engine, let label, engine.isFinite { g.errors[key, default: []].append(engine - label) }
            }
            // Thickness by the labels' rule, in the labels' unit.
            let labelPx = l.muscleThicknessPx, labelMm = l.muscleThicknessMm
            var enginePx: Double?
            switch rule?.kind {
            case ThicknessRule.verticalAtX?:
                if let x = rule?.x, let s = sup, let d = deep { enginePx = Self.row(d, at: x) - Self.row(s, at: x) }
            case ThicknessRule.verticalMedian?:
                if let s = sup, let d = deep {
                    let columns = Int(s.first!.x.rounded(.up))...Int(s.last!.x)
                    var values: [Double] = []
                    for x in columns where maskColumns?.contains(x) ?? true {
                        values.append(Self.row(d, at: Double(x)) - Self.row(s, at: Double(x)))
                    }
                    enginePx = Stats.median(values)
                }
            default:
                break
            }
            if let label = labelPx {
                g.thicknessUnit = "px"
                let engine = enginePx ?? (a.unit == .px ? f.muscleThickness?.value : nil)
                add("muscleThickness", engine, label)
                if let engine, label > 0 { g.thicknessRelativeErrors.append(abs(engine - label) / label) }
            } else if let label = labelMm {
                g.thicknessUnit = "mm"
                let engine = enginePx.flatMap { px in sy.map { px * $0 } } ?? (a.unit == .mm ? f.muscleThickness?.value : nil)
                add("muscleThickness", engine, label)
                if let engine, label > 0 { g.thicknessRelativeErrors.append(abs(engine - label) / label) }
            }
            if rule?.kind == ThicknessRule.verticalAtX, let x = rule?.x {
                add("superficialEdgeRowPx", sup.map { Self.row($0, at: x) }, l.superficialEdgeRowPx)
                add("deepEdgeRowPx", deep.map { Self.row($0, at: x) }, l.deepEdgeRowPx)
            }
            add("fascicleAngleDeg", f.fascicleAngleDeg, l.fascicleAngleDeg)
            add("deepAponeurosisAngleDeg", f.deepAponeurosisAngleDeg, l.deepAponeurosisAngleDeg)
            add("pennationAngleDeg", f.pennationAngleDeg, l.pennationAngleDeg)
            if a.unit == .mm { add("fascicleLengthMm", f.fascicleLength?.value, l.fascicleLengthMm) }
            add("fascicleAngleAbsDeg", f.fascicleAngleDeg.map(abs), l.fascicleAngleAbsDeg)
            add("fascicleLengthPx", Self.lengthPx(f, unit: a.unit, calibration: a.calibration), l.fascicleLengthPx)
        }
        // Observers: each one's deviation from the label (the observers' mean) on the same frames.
        if let obs = labels.observers, let frames = labels.frames {
            g.observerNames = obs.names
            let fields: [(String, String, (FrameLabel) -> Double?)] = [
                ("muscleThickness", "muscleThickness", { obs.unit == "mm" ? $0.muscleThicknessMm : ($0.muscleThicknessPx ?? $0.muscleThicknessMm) }),
                ("superficialEdgeRowPx", "superficialEdgeRowPx", \.superficialEdgeRowPx),
                ("deepEdgeRowPx", "deepEdgeRowPx", \.deepEdgeRowPx),
                ("fascicleAngleDeg", "fascicleAngleDeg", \.fascicleAngleDeg),
                ("deepAponeurosisAngleDeg", "deepAponeurosisAngleDeg", \.deepAponeurosisAngleDeg),
                ("pennationAngleDeg", "pennationAngleDeg", \.pennationAngleDeg),
                ("fascicleLengthMm", "fascicleLengthMm", \.fascicleLengthMm),
            ]
            for (key, field, label) in fields {
                guard let lists = obs.values[field] else { continue }
                var deviations = [[Double]](repeating: [], count: obs.names.count)
                for (k, frame) in frames.enumerated() where k < lists.count {
                    guard let mean = label(frame) else { continue }
                    for (j, v) in lists[k].enumerated() where j < obs.names.count {
                        if let v { deviations[j].append(v - mean) }
                    }
                }
                g.observerDeviations[key] = deviations
            }
        }
        return g
    }

    /// The frame's fascicle length in frame pixels: as reported for an uncalibrated clip; for a
    /// calibrated one, the reported length's two components along the fascicle's physical angle,
    /// each divided by its own pixel size (pixels need not be square). nil without a length, or
    /// without an angle where the pixels are not square.
    public static func lengthPx(_ f: FrameMeasurement, unit: LengthUnit, calibration: Spacing?) -> Double? {
        guard let length = f.fascicleLength?.value else { return nil }
        if unit == .px { return length }
        guard let c = calibration else { return nil }
        if c.mmPerPixelX == c.mmPerPixelY { return length / c.mmPerPixelX }
        guard let deg = f.fascicleAngleDeg else { return nil }
        let t = deg * .pi / 180
        let dx = length * cos(t) / c.mmPerPixelX, dy = length * sin(t) / c.mmPerPixelY
        return (dx * dx + dy * dy).squareRoot()
    }

    /// Row of a polyline (points sorted by x) at column x: linear between points, extended along
    /// the end segment beyond the ends (observers measure at the image border).
    public static func row(_ points: [SIMD2<Double>], at x: Double) -> Double {
        guard points.count >= 2 else { return points.first?.y ?? .nan }
        var i = 0
        if x >= points[points.count - 1].x {
            i = points.count - 2
        } else if x > points[0].x {
            var lo = 0, hi = points.count - 1
            while hi - lo > 1 { let m = (lo + hi) / 2; if points[m].x <= x { lo = m } else { hi = m } }
            i = lo
        }
        let a = points[i], b = points[i + 1]
        return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
    }

    /// Columns where a mask (non-zero = aponeurosis) holds at least two separate vertical runs: the
    /// columns where both aponeuroses are outlined.
    static func columnsWithTwoBands(_ mask: GreyImage) -> Set<Int> {
        var out = Set<Int>()
        mask.pixels.withUnsafeBufferPointer { p in
            for x in 0..<mask.width {
                var runs = 0, inside = false
                for y in 0..<mask.height {
                    let on = p[y * mask.width + x] > 0
                    if on && !inside { runs += 1 }
                    inside = on
                }
                if runs >= 2 { out.insert(x) }
            }
        }
        return out
    }

    /// Mean absolute value, nil when empty.
    public static func mae(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.map(abs).reduce(0, +) / Double(v.count) }
}
