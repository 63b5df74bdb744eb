import Foundation
import MSKImaging

/// A JSON value with ordered keys, so documents read in the order the spec lists their fields.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    /// Numbers are written with at most `decimals` decimals (whole numbers without a point).
    public func serialized(pretty: Bool = false, decimals: Int = 4) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0, decimals: decimals)
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int, decimals: Int) {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? String(repeating: "  ", count: indent) : ""
        let nl = pretty ? "\n" : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x): out += Self.format(x, decimals: decimals)
        case .string(let s): out += Self.quote(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            // Arrays of scalars stay on one line.
            let scalar = items.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            if scalar || !pretty {
                out += "["
                for (i, v) in items.enumerated() { if i > 0 { out += pretty ? ", " : "," }; v.write(into: &out, pretty: false, indent: 0, decimals: decimals) }
                out += "]"
            } else {
                out += "[" + nl
                for (i, v) in items.enumerated() {
                    out += pad
                    // Frame records are written one per line.
                    v.write(into: &out, pretty: false, indent: indent + 1, decimals: decimals)
                    out += i < items.count - 1 ? "," + nl : nl
                }
                out += close + "]"
            }
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{" + nl
            for (i, (k, v)) in fields.enumerated() {
                out += pad + Self.quote(k) + (pretty ? ": " : ":")
                v.write(into: &out, pretty: pretty, indent: indent + 1, decimals: decimals)
                out += i < fields.count - 1 ? "," + nl : nl
            }
            out += close + "}"
        }
    }

    static func format(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        if let fast = fastFormat(x, decimals: decimals) { return fast }
        var s = String(format: "%.\(decimals)f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// The same text as `String(format: "%.Nf")` with trailing zeros dropped, without Foundation's
    /// formatter (a per-frame cost: every frame record holds a dozen numbers). x·10^N is rounded in
    /// binary; where its fraction lies near a half (within 1e-6, or the product's own rounding
    /// error if larger) that rounding could tip it, and nil hands the value to the exact
    /// formatter. Nil also beyond 1e9, or outside 1-9 decimals.
    static func fastFormat(_ x: Double, decimals: Int) -> String? {
        guard decimals >= 1, decimals <= 9, abs(x) < 1e9 else { return nil }
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let scaled = abs(x) * p
        let fraction = scaled - scaled.rounded(.down)
        guard abs(fraction - 0.5) > 1e-6 + scaled * 1e-15 else { return nil }
        var n = Int64(scaled.rounded())
        if n == 0 { return "0" }
        // Written backwards into a stack buffer (sign, 10 integer digits, point, 9 decimals fit):
        // no allocation but the string itself, which holds up to 15 bytes inline.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var at = buffer.count
            func put(_ c: UInt8) { at -= 1; buffer[at] = c }
            var fraction = false
            for _ in 0..<decimals {
                let d = UInt8(n % 10)
                n /= 10
                // Trailing zeros of the decimals are dropped.
                if d == 0 && !fraction { continue }
                fraction = true
                put(48 + d)
            }
            if fraction { put(46) }
            repeat {
                put(48 + UInt8(n % 10))
                n /= 10
            } while n > 0
            if x < 0 { put(45) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[at...]), as: UTF8.self)
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

extension ClipAnalysis {
    public static let schema = "mskcine.analysis/1"

    /// The result document (spec: `mskcine.analysis/1`). Without calibration the `...Mm` fields
    /// are replaced by `...Px` fields.
    public func document(sha256: String?, engineVersion: String) -> JSONValue {
        func len(_ l: Length?) -> JSONValue { l.map { .number($0.value) } ?? .null }
        func key(_ base: String) -> String { base + unit.fieldSuffix }
        func opt(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
        var source: [(String, JSONValue)] = [
            ("path", .string(info.path)),
            ("sha256", sha256.map { .string($0) } ?? .null),
            ("container", .string(info.container)),
            ("codec", .string(info.codec)),
            ("width", .number(Double(info.width))),
            ("height", .number(Double(info.height))),
            ("frameCount", .number(Double(frames.count))),
            ("fps", opt(info.fps)),
        ]
        if info.rotationDegrees != 0 { source.append(("rotationDegrees", .number(Double(info.rotationDegrees)))) }
        let calibration: JSONValue = .object([
            ("mmPerPixel", calibration.map { .array([.number($0.mmPerPixelX), .number($0.mmPerPixelY)]) } ?? .null),
            ("source", .string(calibrationSource.rawValue)),
        ] + (screen?.documentFields ?? []))
        let region: JSONValue = .object([
            ("x", .number(Double(imagingRegion.x))), ("y", .number(Double(imagingRegion.y))),
            ("width", .number(Double(imagingRegion.width))), ("height", .number(Double(imagingRegion.height))),
            ("source", .string(imagingRegionSource)),
        ])
        func point(_ p: SIMD2<Double>) -> JSONValue { .array([.number((p.x * 100).rounded() / 100), .number((p.y * 100).rounded() / 100)]) }
        func points(_ p: [SIMD2<Double>]) -> JSONValue { .array(p.map(point)) }
        let frameValues: [JSONValue] = frames.enumerated().map { t, f in
            var fields: [(String, JSONValue)] = [
                ("index", .number(Double(f.index))),
                ("timeS", .number(f.timeS)),
                (key("gapWidth"), len(f.gapWidth)),
                (key("endSeparation"), len(f.endSeparation)),
                ("defectDepthFraction", .number(f.defectDepthFraction)),
                (key("muscleThickness"), len(f.muscleThickness)),
                ("echoIntensity", opt(f.echoIntensity)),
                ("contraction", .number(f.contraction)),
                ("muscleDetected", .bool(f.muscleDetected)),
                ("defectDetected", .bool(f.defectDetected)),
                ("fascicleAngleDeg", opt(f.fascicleAngleDeg)),
                ("deepAponeurosisAngleDeg", opt(f.deepAponeurosisAngleDeg)),
                ("pennationAngleDeg", opt(f.pennationAngleDeg)),
                (key("fascicleLength"), len(f.fascicleLength)),
                ("quality", .number(f.quality)),
                (key("tissueMotion"), t < tissueMotion.count ? len(tissueMotion[t]) : .null),
                (key("opening"), t < opening.count ? len(opening[t]) : .null),
            ]
            // The inner edges exactly as the overlay and the report draw them; absent where not found.
            if t < overlays.count {
                if let e = overlays[t].superficialEdge(region: imagingRegion) { fields.append(("superficialEdgePx", points(e))) }
                if let e = overlays[t].deepEdge(region: imagingRegion) { fields.append(("deepEdgePx", points(e))) }
                // The followed defect where the overlay draws it: its path (observed, or carried by
                // the tissue) and its two stump end faces; absent where the clip has no defect.
                if let c = overlays[t].defectCentre(region: imagingRegion) { fields.append(("defectCentrePx", point(c))) }
                if let f = overlays[t].stumpFaces(region: imagingRegion) { fields.append(("stumpFacesPx", points([f.left, f.right]))) }
            }
            return .object(fields)
        }
        let s = summary
        let summaryValue: JSONValue = .object([
            (key("restGapWidth"), len(s.restGapWidth)), (key("peakGapWidth"), len(s.peakGapWidth)), (key("gapWidening"), len(s.gapWidening)),
            (key("restEndSeparation"), len(s.restEndSeparation)), (key("peakEndSeparation"), len(s.peakEndSeparation)),
            (key("endSeparationChange"), len(s.endSeparationChange)),
            (key("meanMuscleThickness"), len(s.meanMuscleThickness)),
            ("meanEchoIntensity", opt(s.meanEchoIntensity)),
            ("maxDefectDepthFraction", .number(s.maxDefectDepthFraction)),
            ("restFrameCount", .number(Double(s.restFrameCount))), ("peakFrameCount", .number(Double(s.peakFrameCount))),
            ("contractionSeen", .bool(contractionSeen)),
            (key("tissueMotionRange"), len(s.tissueMotionRange)),
            (key("peakOpening"), len(s.peakOpening)),
        ])
        let findingValue: JSONValue = .object([
            ("classification", .string(finding.classification.rawValue)),
            ("suspectedFullThicknessTear", .bool(finding.suspectedFullThicknessTear)),
            ("confidence", .number(finding.confidence)),
            ("evidence", .array(finding.evidence.map { .string($0) })),
            ("peetronsGrade", finding.peetronsGrade.map { .number(Double($0)) } ?? .null),
            ("rules", .array(finding.rules.map { .string($0) })),
        ])
        return .object([
            ("schema", .string(Self.schema)),
            ("engine", .string(engineVersion)),
            ("source", .object(source)),
            ("calibration", calibration),
            ("unit", .string(unit.rawValue)),
            ("imagingRegion", region),
            ("frames", .array(frameValues)),
            ("summary", summaryValue),
            ("finding", findingValue),
            ("warnings", .array(warnings.map { .string($0) })),
            ("parameters", parameters.documentValue),
        ])
    }
}
