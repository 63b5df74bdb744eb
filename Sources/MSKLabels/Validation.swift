/// One thing wrong with a labels document. `frame` is the frame's `index` field.
public enum LabelsValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongSchema(found: String)
    case emptyClip
    case unknownClassification(String)
    /// `mmPerPixel` must be two finite values > 0.
    case badCalibration([Double])
    case badStudyDate(String)
    case negativeFrameIndex(Int)
    /// Indices must strictly increase through `frames`.
    case frameIndexNotIncreasing(previous: Int, index: Int)
    case fractionOutOfRange(field: String, frame: Int, value: Double)
    case negativeLength(field: String, frame: Int, value: Double)
    case echoIntensityOutOfRange(frame: Int, value: Double)
    case notFinite(field: String, frame: Int)

    public var description: String {
        switch self {
        case .wrongSchema(let s): return "schema is \"\(s)\", expected \"\(LabelsDocument.currentSchema)\""
        case .emptyClip: return "clip is empty"
        case .unknownClassification(let c):
            return "classification \"\(c)\" is not one of \(Classification.known.map(\.rawValue).joined(separator: ", "))"
        case .badCalibration(let v): return "mmPerPixel \(v) must be two finite values > 0"
        case .badStudyDate(let d): return "studyDate \"\(d)\" is not YYYY-MM-DD"
        case .negativeFrameIndex(let i): return "frame index \(i) is negative"
        case .frameIndexNotIncreasing(let p, let i): return "frame index \(i) follows \(p): indices must increase"
        case .fractionOutOfRange(let f, let i, let v): return "frame \(i): \(f) = \(v) is outside 0...1"
        case .negativeLength(let f, let i, let v): return "frame \(i): \(f) = \(v) is negative"
        case .echoIntensityOutOfRange(let i, let v): return "frame \(i): echoIntensity = \(v) is outside 0...255"
        case .notFinite(let f, let i): return "frame \(i): \(f) is not a finite number"
        }
    }
}

extension LabelsDocument {
    /// Every problem found, in document order; empty when the document is valid.
    public func validationErrors() -> [LabelsValidationError] {
        var errors: [LabelsValidationError] = []
        if schema != Self.currentSchema { errors.append(.wrongSchema(found: schema)) }
        if clip.isEmpty { errors.append(.emptyClip) }
        if !classification.isKnown { errors.append(.unknownClassification(classification.rawValue)) }
        if let m = mmPerPixel, m.count != 2 || !m.allSatisfy({ $0.isFinite && $0 > 0 }) {
            errors.append(.badCalibration(m))
        }
        if let d = studyDate, !Self.isISODate(d) { errors.append(.badStudyDate(d)) }
        var previous: Int?
        for frame in frames ?? [] {
            let i = frame.index
            if i < 0 { errors.append(.negativeFrameIndex(i)) }
            if let p = previous, i <= p { errors.append(.frameIndexNotIncreasing(previous: p, index: i)) }
            previous = i
            let lengths: [(String, Double?)] = [("gapWidthMm", frame.gapWidthMm),
                                               ("endSeparationMm", frame.endSeparationMm),
                                               ("muscleThicknessMm", frame.muscleThicknessMm)]
            for (name, value) in lengths {
                guard let v = value else { continue }
                if !v.isFinite { errors.append(.notFinite(field: name, frame: i)) }
                else if v < 0 { errors.append(.negativeLength(field: name, frame: i, value: v)) }
            }
            let fractions: [(String, Double?)] = [("defectDepthFraction", frame.defectDepthFraction),
                                                 ("contraction", frame.contraction)]
            for (name, value) in fractions {
                guard let v = value else { continue }
                if !v.isFinite { errors.append(.notFinite(field: name, frame: i)) }
                else if v < 0 || v > 1 { errors.append(.fractionOutOfRange(field: name, frame: i, value: v)) }
            }
            if let e = frame.echoIntensity {
                if !e.isFinite { errors.append(.notFinite(field: "echoIntensity", frame: i)) }
                else if e < 0 || e > 255 { errors.append(.echoIntensityOutOfRange(frame: i, value: e)) }
            }
        }
        return errors
    }

    /// Throws the first problem `validationErrors()` finds.
    public func validate() throws(LabelsValidationError) {
        if let first = validationErrors().first { throw first }
    }

    /// `YYYY-MM-DD` with a month 1...12 and a day valid for that month.
    static func isISODate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m) else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (1...days).contains(d)
    }
}
