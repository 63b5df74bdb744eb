import MSKImage
import Foundation
import MSKImaging
import MSKReader

/// Turns the per-frame records (detections and frame-to-frame tracking) into the clip's
/// measurements: tracked quantities are fused with their detections (`TrackSmoother`, forward and
/// backward), contraction is estimated from the fused thickness, then the summary and the finding.
struct ClipFusion {
    let records: [ClipAnalyzer.FrameRecord]
    /// The working spacing (the calibration, or the assumed one for an uncalibrated clip).
    let spacing: Spacing
    let calibrated: Bool

    /// Method constants (working mm). See Docs/methods.md.
    enum Method {
        /// A defect must be detected in at least this fraction of frames (and 3 frames) to count: a tear
        /// is there throughout the clip; dark spaces between fascicles come and go (real p6 clips: up to 25% of frames).
        static let minDefectFrameFraction = 0.5
        /// Or in at least this fraction of the peak-contraction frames, at one place (median
        /// absolute deviation of its centre along the muscle at most `maxPeakDefectSpreadMm`).
        static let minPeakDefectFraction = 0.5
        static let maxPeakDefectSpreadMm = 1.5
        /// Thickness: tracked change error per frame and detection error (mm).
        static let thicknessMotionNoiseMm = 0.03
        static let thicknessDetectionNoiseMm = 0.15
        /// Stump faces and gap: tracked motion error per frame and detection error (mm).
        static let faceMotionNoiseMm = 0.08
        static let faceDetectionNoiseMm = 0.35
        /// A thickness range below this (mm) is not taken for a contraction.
        static let minContractionRangeMm = 0.4
        /// Fraction of frames where the muscle must be found for a call.
        static let minMuscleFrameFraction = 0.5
        static let minFrames = 10
        /// A defect through at least this fraction of the thickness spans it.
        static let fullDepthFraction = 0.9
        /// Stumps separating by at least this much on contraction make a full-thickness tear (mm).
        static let fullWideningMm = 1.5
    }

    func result(info: ClipInfo, warnings: [String], options: AnalysisOptions, region: PixelRect, regionSource: String) -> ClipAnalysis {
        let n = records.count
        let unit: LengthUnit = calibrated ? .mm : .px
        // Working mm -> reported unit (pixels for an uncalibrated clip: the working spacing is isotropic).
        let toUnit: (Double) -> Double = { calibrated ? $0 : $0 / spacing.mmPerPixelX }
        let sx = spacing.mmPerPixelX, sy = spacing.mmPerPixelY
        var notes = warnings

        // Muscle thickness: detection fused with the tracked motion of both inner edges.
        let thicknessDetections = records.map(\.observation.thicknessMm)
        let thicknessMotion: [Double?] = records.map { r in
            guard let s = r.superficialDy, let d = r.deepDy else { return nil }
            return (d - s) * sy
        }
        let muscleFrames = thicknessDetections.compactMap { $0 }.count
        let thickness = TrackSmoother(motionNoise: Method.thicknessMotionNoiseMm, detectionNoise: Method.thicknessDetectionNoiseMm)
            .smooth(motion: thicknessMotion, detections: thicknessDetections)
        if let t = thickness, t.rejected > 0 {
            notes.append("\(t.rejected) frame(s) had an aponeurosis detection inconsistent with the tracked tissue; tracking was used there")
        }

        // Contraction from the fused thickness, lightly smoothed in time, scaled 0...1 over the clip.
        var contraction = [Double](repeating: 0, count: n)
        var contractionSeen = false
        var thicknessRange: Double?
        if let t = thickness?.values {
            let smooth = Self.gaussian(t, sigma: 1.5)
            if let lo = smooth.min(), let hi = smooth.max() {
                thicknessRange = hi - lo
                if hi - lo >= Method.minContractionRangeMm {
                    contractionSeen = true
                    contraction = smooth.map { ($0 - lo) / (hi - lo) }
                }
            }
        }

        // The defect: present when detected in enough frames.
        let defectFrames = records.filter { $0.observation.defect != nil }.count
        let seenThroughout = n > 0 && defectFrames >= max(3, Int((Method.minDefectFrameFraction * Double(n)).rounded(.up)))
        // A tear that opens only on contraction (a 1 mm rest gap is below what a frame shows) is
        // seen at the peak frames: in at least half of them, at one place along the muscle.
        let peakFrames = contractionSeen ? (0..<n).filter { contraction[$0] >= 0.8 } : []
        let peakCentres = peakFrames.compactMap { records[$0].observation.defect?.centreX }.map { $0 * sx }
        var seenAtPeak = false
        if peakFrames.count >= 3, peakCentres.count >= 3, Double(peakCentres.count) >= Method.minPeakDefectFraction * Double(peakFrames.count),
           let centre = Stats.median(peakCentres), let spread = Stats.median(peakCentres.map { abs($0 - centre) }) {
            seenAtPeak = spread <= Method.maxPeakDefectSpreadMm
        }
        let defectPresent = seenThroughout || seenAtPeak
        if seenAtPeak && !seenThroughout {
            notes.append("the defect was seen in \(peakCentres.count) of \(peakFrames.count) peak-contraction frames but in \(defectFrames) of \(n) frames in all: it opens on contraction")
        }
        if !defectPresent && defectFrames > 0 {
            notes.append("a dark region was taken for a defect in \(defectFrames) of \(n) frames only; treated as noise")
        }
        var gap = [Double](repeating: 0, count: n), separation = [Double](repeating: 0, count: n)
        var fraction = [Double](repeating: 0, count: n)
        var faces: [(SIMD2<Double>, SIMD2<Double>)?] = Array(repeating: nil, count: n)
        if defectPresent {
            let faceSmoother = TrackSmoother(motionNoise: Method.faceMotionNoiseMm, detectionNoise: Method.faceDetectionNoiseMm)
            func fused(_ detection: (ClipAnalyzer.FrameRecord) -> Double?, _ motion: (ClipAnalyzer.FrameRecord) -> Double?) -> [Double]? {
                faceSmoother.smooth(motion: records.map(motion), detections: records.map(detection))?.values
            }
            let gapDetections: [Double?] = records.map { r in r.observation.defect.map { ($0.midRightX - $0.midLeftX) * sx } }
            let gapMotion: [Double?] = records.map { r in
                guard let l = r.leftMotion, let rr = r.rightMotion else { return nil }
                return (rr.x - l.x) * sx
            }
            if let g = faceSmoother.smooth(motion: gapMotion, detections: gapDetections)?.values { gap = g.map { max(0, $0) } }
            if let lx = fused({ $0.observation.defect?.leftFaceCentroid.map { $0.x * sx } }, { $0.leftMotion.map { $0.x * sx } }),
               let ly = fused({ $0.observation.defect?.leftFaceCentroid.map { $0.y * sy } }, { $0.leftMotion.map { $0.y * sy } }),
               let rx = fused({ $0.observation.defect?.rightFaceCentroid.map { $0.x * sx } }, { $0.rightMotion.map { $0.x * sx } }),
               let ry = fused({ $0.observation.defect?.rightFaceCentroid.map { $0.y * sy } }, { $0.rightMotion.map { $0.y * sy } }) {
                for t in 0..<n {
                    separation[t] = max(0, hypot(rx[t] - lx[t], ry[t] - ly[t]))
                    faces[t] = (SIMD2(lx[t] / sx, ly[t] / sy), SIMD2(rx[t] / sx, ry[t] / sy))
                }
            }
            // Depth fraction: detections, carried to frames without one, median over 5 frames.
            let detected = records.map { $0.observation.defect?.depthFraction }
            let filled = Self.fillFromNearest(detected)
            fraction = Self.median(filled, radius: 2)
        }

        // Frames.
        let thicknessValues = thickness?.values
        var frames: [FrameMeasurement] = []
        frames.reserveCapacity(n)
        var overlays: [FrameOverlay] = []
        overlays.reserveCapacity(n)
        for (t, r) in records.enumerated() {
            let o = r.observation
            frames.append(FrameMeasurement(
                index: o.index, timeS: o.timeS,
                gapWidth: Length(toUnit(gap[t]), unit),
                endSeparation: Length(toUnit(separation[t]), unit),
                defectDepthFraction: fraction[t],
                muscleThickness: thicknessValues.map { Length(toUnit($0[t]), unit) },
                echoIntensity: o.echoIntensity,
                contraction: contraction[t],
                muscleDetected: o.aponeuroses != nil,
                defectDetected: o.defect != nil))
            overlays.append(FrameOverlay(
                superficialInner: o.aponeuroses?.superficialInner, deepInner: o.aponeuroses?.deepInner,
                leftFace: faces[t]?.0, rightFace: faces[t]?.1,
                midY: o.defect?.midY, midLeftX: o.defect?.midLeftX, midRightX: o.defect?.midRightX,
                defectBox: defectPresent ? o.defect?.box : nil))
        }

        // Fascicle geometry (issue 12): fused in FascicleFusion.swift.
        FascicleFusion.apply(observations: records.map(\.observation), regionWidth: region.width, spacing: spacing, calibrated: calibrated,
                             frames: &frames, overlays: &overlays)

        // Summary.
        let rest = frames.indices.filter { contraction[$0] <= 0.2 }
        let peak = contractionSeen ? frames.indices.filter { contraction[$0] >= 0.8 } : []
        func medianOver(_ idx: [Int], _ values: [Double]) -> Double? { Stats.median(idx.map { values[$0] }) }
        let restGap = medianOver(rest, gap), peakGap = medianOver(peak, gap)
        let restSep = medianOver(rest, separation), peakSep = medianOver(peak, separation)
        let widening = restGap.flatMap { r in peakGap.map { $0 - r } }
        let sepChange = restSep.flatMap { r in peakSep.map { $0 - r } }
        let echoes = records.compactMap(\.observation.echoIntensity)
        let summary = ClipSummary(
            restGapWidth: restGap.map { Length(toUnit($0), unit) }, peakGapWidth: peakGap.map { Length(toUnit($0), unit) },
            gapWidening: widening.map { Length(toUnit($0), unit) },
            restEndSeparation: restSep.map { Length(toUnit($0), unit) }, peakEndSeparation: peakSep.map { Length(toUnit($0), unit) },
            endSeparationChange: sepChange.map { Length(toUnit($0), unit) },
            meanMuscleThickness: thicknessValues.flatMap { Stats.mean($0) }.map { Length(toUnit($0), unit) },
            meanEchoIntensity: Stats.mean(echoes),
            maxDefectDepthFraction: fraction.max() ?? 0,
            restFrameCount: rest.count, peakFrameCount: peak.count)

        // Finding.
        let evidence = Evidence(n: n, muscleFrames: muscleFrames, defectFrames: defectFrames, defectPresent: defectPresent,
                                contractionSeen: contractionSeen, thicknessRangeMm: thicknessRange,
                                fractionP90: Stats.quantile(fraction.map { Float($0) }, 0.9).map(Double.init) ?? 0,
                                wideningMm: widening, separationChangeMm: sepChange,
                                restGapMm: restGap, peakGapMm: peakGap, unit: unit, toUnit: toUnit,
                                rejected: records.flatMap(\.observation.rejected).map(\.reason),
                                calibrated: calibrated, frameIndices: records.map(\.observation.index), depthFractions: fraction,
                                restFrames: rest.map { records[$0].observation.index }, peakFrames: peak.map { records[$0].observation.index },
                                restSeparationMm: restSep, peakSeparationMm: peakSep)
        let finding = evidence.finding()

        var defectBox: PixelRect?
        if defectPresent {
            let boxes = records.compactMap { $0.observation.defect?.box }
            defectBox = boxes[boxes.count / 2]
        }
        return ClipAnalysis(
            info: info, calibration: calibrated ? spacing : nil, calibrationSource: calibrated ? options.calibrationSource : .none,
            unit: unit, imagingRegion: region, imagingRegionSource: regionSource,
            frames: frames, summary: summary, finding: finding, warnings: notes,
            contractionSeen: contractionSeen, thicknessRange: thicknessRange.map { Length(toUnit($0), unit) },
            defectBox: defectBox, overlays: overlays)
    }

    // MARK: Series helpers

    static func gaussian(_ v: [Double], sigma: Double) -> [Double] {
        let r = Int((3 * sigma).rounded(.up))
        guard v.count > 1, r > 0 else { return v }
        let kernel = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        return v.indices.map { i in
            var s = 0.0, wsum = 0.0
            for k in -r...r where i + k >= 0 && i + k < v.count { s += kernel[k + r] * v[i + k]; wsum += kernel[k + r] }
            return s / wsum
        }
    }

    static func median(_ v: [Double], radius: Int) -> [Double] {
        v.indices.map { i in Stats.median(Array(v[max(0, i - radius)...min(v.count - 1, i + radius)])) ?? v[i] }
    }

    static func fillFromNearest(_ v: [Double?]) -> [Double] {
        let known = v.indices.filter { v[$0] != nil }
        guard !known.isEmpty else { return v.map { _ in 0 } }
        return v.indices.map { i in
            if let x = v[i] { return x }
            let nearest = known.min { abs($0 - i) < abs($1 - i) }!
            return v[nearest]!
        }
    }
}

