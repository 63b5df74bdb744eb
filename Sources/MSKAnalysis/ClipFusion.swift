import MSKImage
import Foundation
import MSKImaging
import MSKReader

/// Turns the per-frame records (detections, the aponeuroses' tracked motion, the belly's
/// displacement field) into the clip's measurements, in named stages:
///
/// 1. `fuseThickness`: detections fused with the tracked motion of both inner edges
///    (`TrackSmoother`, re-acquiring when detection and tracking disagree for several frames).
/// 2. `contraction`: from the tissue's motion (how far the belly has moved from its rest position),
///    never from thickening.
/// 3. `defect`: the candidates linked into tracks (`DefectTracker`); the clip's defect is one track.
/// 4. `defectSeries`: gap width, stump faces and depth fraction of that one track, fused with the
///    tissue motion at its faces; the localised opening across it from the displacement field.
/// 5. frames, summary and the finding (`Evidence`).
struct ClipFusion {
    let records: [ClipAnalyzer.FrameRecord]
    /// The working spacing (the calibration, or the assumed one for an uncalibrated clip).
    let spacing: Spacing
    let calibrated: Bool
    let parameters: AnalysisParameters

    struct Thickness {
        var values: [Double]?
        var reacquiredAt: [Int]
        /// Per frame: whether the detection agreed with the fused value (within the gate).
        var agrees: [Bool]
    }

    struct ContractionEstimate {
        var values: [Double]
        var seen: Bool
        /// Largest motion of the belly from its rest position (mm, working scale).
        var motionRangeMm: Double?
        var motionMm: [Double]?
    }

    struct DefectSeries {
        var track: DefectTrack
        /// Why this track is the clip's defect.
        var basis: DefectBasis
        var openingOnlyAtPeak: Bool { basis == .openingAtPeak }
        var gap: [Double]
        var separation: [Double]
        var fraction: [Double]
        var faces: [(SIMD2<Double>, SIMD2<Double>)?]
        /// Localised opening across the defect, relative to rest (working mm), per frame.
        var opening: [Double?]
        /// Opening at peak relative to rest at each depth row of the field (nil where not measurable).
        var rowOpenings: [Double?]
        var trackCount: Int
    }

    // MARK: Stage 1: thickness

    /// The median share of the belly's tissue field followed from one frame to the next
    /// (`TissueField.trustedFraction`), when it is under `fusion.minSeriesFollowedShare`: the frames
    /// are too far apart in time, or unrelated, for the tracking to follow the tissue between them
    /// (nil: a series the tracking follows, or no field measured).
    func unlinkedShare() -> Double? {
        let followed = records.dropFirst().compactMap { $0.field?.trustedFraction }
        guard let share = Stats.median(followed), share < parameters.fusion.minSeriesFollowedShare else { return nil }
        return share
    }

    /// `unlinked`: `unlinkedShare()`, found once for this stage and the contraction's.
    func fuseThickness(unlinked: Double?) -> Thickness {
        let f = parameters.fusion
        let sy = spacing.mmPerPixelY
        let detections: [Double?] = records.map { r in
            guard let t = r.observation.thicknessMm, t.isFinite, t >= f.minThicknessMm else { return nil }
            return t
        }
        let motion: [Double?] = records.map { r in
            guard let s = r.superficialDy, let d = r.deepDy else { return nil }
            return (d - s) * sy
        }
        let smoother = TrackSmoother(motionNoise: f.thicknessMotionNoiseMm, detectionNoise: f.thicknessDetectionNoiseMm,
                                     gate: f.gateSD, reacquireAfter: f.reacquireAfterFrames)
        guard let out = smoother.smooth(motion: motion, detections: detections) else {
            return Thickness(values: nil, reacquiredAt: [], agrees: records.map { _ in false })
        }
        // Physically bounded: never below the thinnest muscle reported.
        var values = out.values.map { max(f.minThicknessMm, $0) }
        // Frames the tracking cannot link (far apart in time, or independent images): its motion
        // says nothing about the change of thickness between them, so the fusion would overrule right
        // detections (`tt4_SampleA`, 15 separate scans: 6 of 15 overruled, reported thickness 14 %
        // off the observers'). Each frame's own detection is reported; frames without one keep the
        // fused (carried) value.
        if unlinked != nil {
            values = zip(detections, values).map { d, v in d ?? v }
            return Thickness(values: values, reacquiredAt: [], agrees: detections.map { $0 != nil })
        }
        let gate = f.gateSD * hypot(f.thicknessDetectionNoiseMm, f.thicknessMotionNoiseMm * 3)
        let agrees = zip(detections, values).map { d, v in d.map { abs($0 - v) <= gate } ?? false }
        return Thickness(values: values, reacquiredAt: out.reacquiredAt, agrees: agrees)
    }

    /// Inner edges for the frames whose own edges are not the fused muscle's, where the fused
    /// thickness is reported (`fuseThickness` carries it through them): the frames where the
    /// aponeuroses were not found, and those whose detection disagreed with the fused thickness
    /// (`Thickness.agrees` false: another pair, a septum or the next muscle's band, taken in that
    /// frame). There the edges are the nearest frame's whose detection agreed (the earlier on a tie),
    /// each moved by the tissue's tracked vertical motion at it since that frame
    /// (`FrameRecord.superficialDy`, `deepDy`), and the deep edge then placed at the fused
    /// thickness. What the report and the overlay draw there is then what is reported, and the
    /// reported thickness is the distance between the reported edges (nil: the frame's own edges
    /// are used, or no thickness reported). `agrees` nil: every found frame's detection counts as
    /// agreeing (only the frames without one are carried).
    func carriedEdges(thickness: [Double]?, agrees: [Bool]? = nil, width: Int) -> [(superficial: Quadratic, deep: Quadratic)?] {
        let n = records.count
        var out = [(superficial: Quadratic, deep: Quadratic)?](repeating: nil, count: n)
        guard let thickness, thickness.count == n else { return out }
        // Each edge's tracked row change from frame 0 (a frame's motion is from the frame before it to it).
        var superficialMoved = [Double](repeating: 0, count: n), deepMoved = [Double](repeating: 0, count: n)
        for t in 1..<max(1, n) {
            superficialMoved[t] = superficialMoved[t - 1] + (records[t].superficialDy ?? 0)
            deepMoved[t] = deepMoved[t - 1] + (records[t].deepDy ?? 0)
        }
        // The frames whose own edges are used: found, and agreeing with the fused thickness.
        let agreeing = agrees?.count == n ? agrees : nil
        let own = (0..<n).map { t in records[t].observation.aponeuroses != nil && (agreeing?[t] ?? true) }
        // The nearest such frame at or before, and at or after, each frame.
        var before = [Int?](repeating: nil, count: n), after = [Int?](repeating: nil, count: n)
        for t in 0..<n { before[t] = own[t] ? t : (t > 0 ? before[t - 1] : nil) }
        for t in stride(from: n - 1, through: 0, by: -1) { after[t] = own[t] ? t : (t < n - 1 ? after[t + 1] : nil) }
        for t in 0..<n where !own[t] {
            var s = before[t] ?? after[t]
            if let b = before[t], let a = after[t], a - t < t - b { s = a }
            // No found frame on either side: nothing to carry.
            guard let s, let apo = records[s].observation.aponeuroses else { continue }
            var superficial = apo.superficialInner, deep = apo.deepInner
            superficial.c0 += superficialMoved[t] - superficialMoved[s]
            deep.c0 += deepMoved[t] - deepMoved[s]
            // The thickness is measured across the axis, so a vertical shift changes it by its cosine:
            // a few steps converge.
            for _ in 0..<3 {
                guard let now = FrameAnalyzer.thicknessMm(superficial: superficial, deep: deep, width: width, spacing: spacing) else { break }
                deep.c0 += (thickness[t] - now) / spacing.mmPerPixelY
            }
            out[t] = (superficial, deep)
        }
        return out
    }

    // MARK: Stage 2: contraction

    func contraction(_ motion: TissueMotion, unlinked: Double?) -> ContractionEstimate {
        let p = parameters.contraction
        let n = records.count
        // Frames the tracking cannot link: what it reports between them is not the tissue's motion,
        // so no contraction is read from it (the finding needs one for any call: R5).
        if unlinked != nil {
            return ContractionEstimate(values: Array(repeating: 0, count: n), seen: false, motionRangeMm: nil, motionMm: nil)
        }
        guard let raw = motion.motionMagnitude(spacing: spacing, referenceFrames: p.referenceFrames) else {
            return ContractionEstimate(values: Array(repeating: 0, count: n), seen: false, motionRangeMm: nil, motionMm: nil)
        }
        let smooth = Self.gaussian(raw, sigma: p.smoothingSigmaFrames)
        guard let lo = smooth.min(), let hi = smooth.max() else {
            return ContractionEstimate(values: Array(repeating: 0, count: n), seen: false, motionRangeMm: nil, motionMm: nil)
        }
        let range = hi - lo
        guard range >= p.minMotionMm else {
            return ContractionEstimate(values: Array(repeating: 0, count: n), seen: false, motionRangeMm: range, motionMm: smooth)
        }
        return ContractionEstimate(values: smooth.map { ($0 - lo) / range }, seen: true, motionRangeMm: range, motionMm: smooth)
    }

    // MARK: Stage 3 and 4: the defect

    func defectSeries(_ motion: TissueMotion, peakFrames: [Int], restFrames: [Int]) -> (DefectSeries?, trackCount: Int) {
        let tracker = DefectTracker(params: parameters.defectTracking, spacing: spacing)
        let tracks = tracker.tracks(candidates: records.map(\.observation.candidates), continuations: records.map(\.observation.continuations),
                                    joined: parameters.defectTracking.countJoinedFrames ? records.map { $0.observation.rejected.filter(\.joined).map(\.box) } : [],
                                    motion: motion)
        guard let (track, basis) = tracker.primary(tracks, peakFrames: peakFrames) else { return (nil, tracks.count) }
        // The faces and the gap are measured on the observations that are the defect alone.
        let f = parameters.fusion
        var measured = track
        let gapMm: (DefectObservation) -> Double = { ($0.midRightX - $0.midLeftX) * spacing.mmPerPixelX }
        measured.observations = Self.withoutOversize(
            Self.withoutJumps(track.observations, width: gapMm, maxJumpMm: f.maxGapJumpMm, maxJumpFraction: f.maxGapJumpFraction,
                              neighbours: f.jumpNeighbours),
            width: gapMm, factor: f.maxGapOverMedianFactor, minExcessMm: f.minGapOverMedianMm)
        let n = records.count
        let sx = spacing.mmPerPixelX, sy = spacing.mmPerPixelY
        let smoother = TrackSmoother(motionNoise: f.faceMotionNoiseMm, detectionNoise: f.faceDetectionNoiseMm,
                                     gate: f.gateSD, reacquireAfter: f.reacquireAfterFrames)
        let radius = parameters.defectTracking.motionRadiusMm / sx

        // The tissue motion at each stump face in every frame: the left stump moves with the tissue
        // left of its face (`DefectTrack.faceSteps`).
        let (leftMotion, rightMotion) = measured.faceSteps(motion: motion, radius: radius)
        func fused(_ detection: (DefectObservation) -> Double?, _ m: [Double?]) -> [Double]? {
            smoother.smooth(motion: m, detections: measured.observations.map { $0.flatMap(detection) })?.values
        }
        var gap = [Double](repeating: 0, count: n), separation = [Double](repeating: 0, count: n)
        var faces: [(SIMD2<Double>, SIMD2<Double>)?] = Array(repeating: nil, count: n)
        let gapMotion: [Double?] = (0..<n).map { t in
            guard let l = leftMotion[t], let r = rightMotion[t] else { return nil }
            return (r.x - l.x) * sx
        }
        if let g = fused({ ($0.midRightX - $0.midLeftX) * sx }, gapMotion) { gap = g.map { max(0, $0) } }
        if let lx = fused({ $0.leftFaceCentroid.map { $0.x * sx } }, leftMotion.map { $0.map { $0.x * sx } }),
           let ly = fused({ $0.leftFaceCentroid.map { $0.y * sy } }, leftMotion.map { $0.map { $0.y * sy } }),
           let rx = fused({ $0.rightFaceCentroid.map { $0.x * sx } }, rightMotion.map { $0.map { $0.x * sx } }),
           let ry = fused({ $0.rightFaceCentroid.map { $0.y * sy } }, rightMotion.map { $0.map { $0.y * sy } }) {
            for t in 0..<n {
                separation[t] = max(0, hypot(rx[t] - lx[t], ry[t] - ly[t]))
                faces[t] = (SIMD2(lx[t] / sx, ly[t] / sy), SIMD2(rx[t] / sx, ry[t] / sy))
            }
        }
        // Depth fraction of this defect: its detections, carried to frames without one, median over 5 frames.
        let fraction = Self.median(Self.fillFromNearest(track.observations.map { $0?.depthFraction }), radius: 2)

        // The localised opening across it, relative to its value at rest.
        let o = parameters.opening
        let halfWidths = track.observations.compactMap { $0.map { ($0.midRightX - $0.midLeftX) / 2 } }
        let halfWidth = Stats.median(halfWidths) ?? 0
        let exclusion = halfWidth + o.exclusionMarginMm / sx
        let raw: [Double?] = (0..<n).map { t in
            guard let c = track.centreX[t] ?? track.centreX.first(where: { $0 != nil }) ?? nil else { return nil }
            return motion.opening(at: t, centre: c, exclusion: exclusion, window: o.windowMm / sx, minPerSide: o.minNodesPerSide).map { $0 * sx }
        }
        let restValues = restFrames.compactMap { raw[$0] }
        let reference = Stats.median(restValues) ?? raw.compactMap { $0 }.first ?? 0
        let opening = raw.map { $0.map { $0 - reference } }
        // The opening at each depth of the grid (peak minus rest): where the tissue pulls apart at
        // every depth sampled, the discontinuity runs through the thickness.
        let rowOpenings: [Double?] = (0..<motion.rows).map { row in
            func at(_ t: Int) -> Double? {
                guard let c = track.centreX[t] ?? track.centreX.first(where: { $0 != nil }) ?? nil else { return nil }
                return motion.opening(at: t, centre: c, exclusion: exclusion, window: o.windowMm / sx, minPerSide: o.minNodesPerSide, row: row).map { $0 * sx }
            }
            guard let r = Stats.median(restFrames.compactMap(at)), let p = Stats.median(peakFrames.compactMap(at)) else { return nil }
            return p - r
        }
        return (DefectSeries(track: track, basis: basis, gap: gap, separation: separation, fraction: fraction,
                             faces: faces, opening: opening, rowOpenings: rowOpenings, trackCount: tracks.count), tracks.count)
    }

    // MARK: Stage 5: frames, summary, finding

    func result(info: ClipInfo, warnings: [String], options: AnalysisOptions, region: PixelRect, regionSource: String,
                curvedSector: Bool = false) -> ClipAnalysis {
        let n = records.count
        let unit: LengthUnit = calibrated ? .mm : .px
        // Working mm -> reported unit (pixels for an uncalibrated clip: the working spacing is isotropic).
        let toUnit: (Double) -> Double = { calibrated ? $0 : $0 / spacing.mmPerPixelX }
        var notes = warnings

        let unlinked = unlinkedShare()
        let thickness = fuseThickness(unlinked: unlinked)
        let muscleFrames = records.filter { $0.observation.aponeuroses != nil }.count
        if let share = unlinked {
            notes.append(String(format: "the belly could be followed from one frame to the next over only %.0f %% of it (median over the frames; under %.0f %%): the frames are too far apart in time, or unrelated, for tracking: no contraction is read from the tissue's motion, and each frame's thickness is its own detection, not fused with the tracking",
                                share * 100, parameters.fusion.minSeriesFollowedShare * 100))
        }
        if !thickness.reacquiredAt.isEmpty {
            notes.append("the aponeurosis track re-acquired from detection at " + Evidence.ranges(thickness.reacquiredAt.map { records[$0].observation.index })
                         + ": detection and tracking disagreed for \(parameters.fusion.reacquireAfterFrames) frames or more")
        }

        let motion = TissueMotion(fields: records.map(\.field))
        let c = contraction(motion, unlinked: unlinked)
        let w = parameters.windows
        let rest = (0..<n).filter { c.values[$0] <= w.restMaxContraction }
        let peak = c.seen ? (0..<n).filter { c.values[$0] >= w.peakMinContraction } : []

        let (series, trackCount) = defectSeries(motion, peakFrames: peak, restFrames: rest)
        if let s = series, s.openingOnlyAtPeak {
            notes.append("the defect was seen in \(peak.filter { s.track.observations[$0] != nil }.count) of \(peak.count) peak-contraction frames but in \(s.track.frameCount) of \(n) frames in all: it opens on contraction")
        }
        let candidateFrames = records.filter { !$0.observation.candidates.isEmpty }.count
        if series == nil && candidateFrames > 0 {
            notes.append("dark regions were taken for defect candidates in \(candidateFrames) of \(n) frames, as \(trackCount) separate object(s), none seen in enough frames at one place; treated as noise")
        }
        let gap = series?.gap ?? Array(repeating: 0, count: n)
        let separation = series?.separation ?? Array(repeating: 0, count: n)
        let fraction = series?.fraction ?? Array(repeating: 0, count: n)

        let thicknessValues = thickness.values
        let carried = carriedEdges(thickness: thicknessValues, agrees: thickness.agrees, width: region.width)
        let carriedFrames = carried.indices.filter { carried[$0] != nil }
        let notFound = carriedFrames.filter { records[$0].observation.aponeuroses == nil }
        let disagreeing = carriedFrames.filter { records[$0].observation.aponeuroses != nil }
        if !disagreeing.isEmpty {
            notes.append("\(disagreeing.count) frame(s) had an aponeurosis detection inconsistent with the tracked tissue (" + Evidence.ranges(disagreeing.map { records[$0].observation.index })
                         + "); tracking was used there: the tracked thickness, and the edges of the nearest consistent frame moved with the tissue and placed at it")
        }
        if !notFound.isEmpty {
            notes.append("the aponeuroses were not found in \(notFound.count) frame(s) (" + Evidence.ranges(notFound.map { records[$0].observation.index })
                         + "); the edges there are the nearest found frame's, moved with the tissue and placed at the tracked thickness")
        }
        var (frames, overlays) = frameRows(thickness: thickness, contraction: c, series: series, gap: gap, separation: separation,
                                           fraction: fraction, carried: carried, unit: unit, toUnit: toUnit)
        // Fascicle geometry (issue 12): fused in FascicleFusion.swift.
        FascicleFusion.apply(observations: records.map(\.observation), regionWidth: region.width, spacing: spacing, calibrated: calibrated,
                             frames: &frames, overlays: &overlays)

        let figures = WindowFigures(rest: rest, peak: peak, gap: gap, separation: separation, opening: series?.opening)
        let echoes = records.compactMap(\.observation.echoIntensity)
        let summary = ClipSummary(
            restGapWidth: figures.restGap.map { Length(toUnit($0), unit) }, peakGapWidth: figures.peakGap.map { Length(toUnit($0), unit) },
            gapWidening: figures.widening.map { Length(toUnit($0), unit) },
            restEndSeparation: figures.restSeparation.map { Length(toUnit($0), unit) }, peakEndSeparation: figures.peakSeparation.map { Length(toUnit($0), unit) },
            endSeparationChange: figures.separationChange.map { Length(toUnit($0), unit) },
            meanMuscleThickness: thicknessValues.flatMap { Stats.mean($0) }.map { Length(toUnit($0), unit) },
            meanEchoIntensity: Stats.mean(echoes),
            maxDefectDepthFraction: fraction.max() ?? 0,
            restFrameCount: rest.count, peakFrameCount: peak.count,
            peakOpening: figures.peakOpening.map { Length(toUnit($0), unit) },
            tissueMotionRange: c.motionRangeMm.map { Length(toUnit($0), unit) })

        let open = series.map { Self.openDepth(observed: $0.track.observations.map { $0 != nil }, fraction: fraction, rest: rest, peak: peak) }
        let through = series.map { Self.openDepth(observed: $0.track.observations.map { $0 != nil }, fraction: fraction, rest: rest, peak: peak,
                                                  quantile: parameters.findings.openDepthQuantile) }

        let evidence = Evidence(
            n: n, muscleFrames: muscleFrames, followedFrames: records.filter { $0.observation.aponeuroses?.followed == true }.count, parameters: parameters,
            defect: series.map { s in
                Evidence.Defect(frames: s.track.frameCount, presence: Double(s.track.frameCount) / Double(max(1, n)),
                                openDepthFraction: open?.fraction ?? 0, openWindow: open?.window ?? "rest",
                                throughDepthFraction: through?.fraction ?? 0, throughWindow: through?.window ?? "rest",
                                deepFrames: s.track.observedFrames.filter { fraction[$0] >= parameters.findings.fullDepthFraction }.map { records[$0].observation.index },
                                observedFrames: s.track.observedFrames.map { records[$0].observation.index },
                                openingOnlyAtPeak: s.openingOnlyAtPeak,
                                joinedFrames: s.basis == .joinedFrames ? s.track.joinedFrames.indices.filter { s.track.joinedFrames[$0] }.map { records[$0].observation.index } : [],
                                rowOpeningsMm: s.rowOpenings, rowDepths: parameters.field.rowFractions, centreMm: (Stats.median(s.track.centreX.compactMap { $0 }) ?? 0) * spacing.mmPerPixelX)
            },
            otherDefectObjects: max(0, trackCount - (series == nil ? 0 : 1)),
            contractionSeen: c.seen, motionRangeMm: c.motionRangeMm,
            wideningMm: figures.widening, separationChangeMm: figures.separationChange, peakOpeningMm: figures.peakOpening,
            restGapMm: figures.restGap, peakGapMm: figures.peakGap, restSeparationMm: figures.restSeparation, peakSeparationMm: figures.peakSeparation,
            unit: unit, toUnit: toUnit,
            rejected: records.flatMap(\.observation.rejected).map(\.reason),
            calibrated: calibrated,
            restFrames: rest.map { records[$0].observation.index }, peakFrames: peak.map { records[$0].observation.index },
            curvedSector: curvedSector)
        let finding = evidence.finding()

        var defectBox: PixelRect?
        if let s = series {
            let boxes = s.track.observations.compactMap { $0?.box }
            defectBox = boxes[boxes.count / 2]
        }
        return ClipAnalysis(
            info: info, calibration: calibrated ? spacing : nil, calibrationSource: calibrated ? options.calibrationSource : .none,
            unit: unit, imagingRegion: region, imagingRegionSource: regionSource,
            frames: frames, summary: summary, finding: finding, warnings: notes,
            contractionSeen: c.seen, thicknessRange: thicknessValues.flatMap { v in v.max().map { $0 - v.min()! } }.map { Length(toUnit($0), unit) },
            defectBox: defectBox, overlays: overlays, parameters: parameters,
            opening: series.map { s in s.opening.map { $0.map { Length(toUnit($0), unit) } } } ?? Array(repeating: nil, count: n),
            tissueMotion: (c.motionMm ?? Array(repeating: 0, count: n)).map { Length(toUnit($0), unit) },
            peakField: Self.peakField(motion, contraction: c, rest: rest, peak: peak))
    }

    /// Each frame's measurements and what its overlay draws, from the fused series.
    func frameRows(thickness: Thickness, contraction c: ContractionEstimate, series: DefectSeries?, gap: [Double], separation: [Double],
                   fraction: [Double], carried: [(superficial: Quadratic, deep: Quadratic)?], unit: LengthUnit,
                   toUnit: (Double) -> Double) -> ([FrameMeasurement], [FrameOverlay]) {
        let n = records.count
        var frames: [FrameMeasurement] = []
        frames.reserveCapacity(n)
        var overlays: [FrameOverlay] = []
        overlays.reserveCapacity(n)
        // The depth the defect's path is drawn at where it was not observed: its first observation's.
        let pathY = series?.track.observations.lazy.compactMap { $0?.midY }.first ?? 0
        for (t, r) in records.enumerated() {
            let o = r.observation
            let own = series?.track.observations[t]
            // Quality: the muscle detected here and agreeing with the fused track, and the share of
            // the belly's tissue field that could be followed into this frame.
            var quality = o.aponeuroses == nil ? 0.0 : (thickness.agrees[t] ? 0.7 : 0.35)
            quality += 0.3 * (r.field?.trustedFraction ?? (t == 0 ? 1 : 0))
            frames.append(FrameMeasurement(
                index: o.index, timeS: o.timeS,
                gapWidth: Length(toUnit(gap[t]), unit),
                endSeparation: Length(toUnit(separation[t]), unit),
                defectDepthFraction: fraction[t],
                muscleThickness: thickness.values.map { Length(toUnit($0[t]), unit) },
                echoIntensity: o.echoIntensity,
                contraction: c.values[t],
                muscleDetected: o.aponeuroses != nil,
                defectDetected: own != nil,
                quality: quality))
            // Carried edges (not found here, or a detection inconsistent with the fused muscle) take
            // the place of the frame's own: the reported thickness is the distance between them.
            overlays.append(FrameOverlay(
                superficialInner: carried[t]?.superficial ?? o.aponeuroses?.superficialInner,
                deepInner: carried[t]?.deep ?? o.aponeuroses?.deepInner,
                edgesCarried: carried[t] != nil,
                leftFace: series?.faces[t]?.0, rightFace: series?.faces[t]?.1,
                midY: own?.midY, midLeftX: own?.midLeftX, midRightX: own?.midRightX,
                defectBox: own?.box,
                defectCentre: series?.track.centreX[t].map { SIMD2($0, own?.midY ?? pathY) }))
        }
        return (frames, overlays)
    }

    /// The rest and peak figures of the defect's series (working mm): medians over the rest and
    /// the peak frames, and their changes (nil where a window is empty).
    struct WindowFigures: Equatable {
        var restGap: Double?, peakGap: Double?, restSeparation: Double?, peakSeparation: Double?
        var widening: Double?, separationChange: Double?
        /// Median opening across the defect over the peak frames where it was measured.
        var peakOpening: Double?

        init(rest: [Int], peak: [Int], gap: [Double], separation: [Double], opening: [Double?]?) {
            func medianOver(_ idx: [Int], _ values: [Double]) -> Double? { Stats.median(idx.map { values[$0] }) }
            restGap = medianOver(rest, gap); peakGap = medianOver(peak, gap)
            restSeparation = medianOver(rest, separation); peakSeparation = medianOver(peak, separation)
            widening = restGap.flatMap { r in peakGap.map { $0 - r } }
            separationChange = restSeparation.flatMap { r in peakSeparation.map { $0 - r } }
            peakOpening = opening.flatMap { o in Stats.median(peak.compactMap { o[$0] }) }
        }
    }

    /// The observations without those whose width jumps away from their neighbours' (nil there): the
    /// median width of the `neighbours` observations nearest in time (itself left out) against its
    /// own, beyond both `maxJumpMm` and `maxJumpFraction` of that median. `maxJumpMm` 0: unchanged.
    static func withoutJumps<T>(_ observations: [T?], width: (T) -> Double, maxJumpMm: Double, maxJumpFraction: Double, neighbours: Int) -> [T?] {
        guard maxJumpMm > 0, neighbours > 0 else { return observations }
        let seen = observations.indices.filter { observations[$0] != nil }
        guard seen.count > neighbours else { return observations }
        let widths = seen.map { width(observations[$0]!) }
        var out = observations
        for (p, t) in seen.enumerated() {
            // The nearest in time lie among the `neighbours` observations either side of it (earlier first on a tie).
            let around = (max(0, p - neighbours)...min(seen.count - 1, p + neighbours)).filter { $0 != p }
            let nearest = around.sorted { (abs(seen[$0] - t), seen[$0]) < (abs(seen[$1] - t), seen[$1]) }.prefix(neighbours)
            guard let m = Stats.median(nearest.map { widths[$0] }) else { continue }
            let jump = abs(widths[p] - m)
            if jump > maxJumpMm && jump > maxJumpFraction * m { out[t] = nil }
        }
        return out
    }

    /// The observations without those wider than `factor` times the median width of all of them
    /// and by more than `minExcessMm` (nil there): a run of frames where the defect was measured
    /// across a dark region joined to it, too long for `withoutJumps` (its frames agree with each
    /// other). `factor` 0: unchanged.
    static func withoutOversize<T>(_ observations: [T?], width: (T) -> Double, factor: Double, minExcessMm: Double) -> [T?] {
        guard factor > 0, let m = Stats.median(observations.compactMap { $0.map(width) }) else { return observations }
        return observations.map { o in
            guard let o else { return nil }
            let w = width(o)
            return w > factor * m && w - m > minExcessMm ? nil : o
        }
    }

    /// Depth of the discontinuity while the defect is open: the `quantile` (0.5: the median) of the
    /// depth fractions over the rest frames where it was observed, or over the peak frames when that
    /// is larger (a tear that opens on contraction); over every observed frame when it was seen in
    /// neither window.
    static func openDepth(observed: [Bool], fraction: [Double], rest: [Int], peak: [Int], quantile q: Double = 0.5) -> (fraction: Double?, window: String) {
        func value(_ v: [Double]) -> Double? { Stats.quantile(v, q) }
        let atRest = value(rest.filter { observed[$0] }.map { fraction[$0] })
        let atPeak = value(peak.filter { observed[$0] }.map { fraction[$0] })
        if let p = atPeak, p > (atRest ?? -1) { return (p, "peak contraction") }
        if let r = atRest ?? atPeak { return (r, "rest") }
        return (value(observed.indices.filter { observed[$0] }.map { fraction[$0] }), "rest")
    }

    /// The field at peak contraction (relative to rest), for the report's opening map: empty
    /// without a contraction.
    static func peakField(_ motion: TissueMotion, contraction c: ContractionEstimate, rest: [Int], peak: [Int]) -> [FieldArrow] {
        guard c.seen, let tp = peak.max(by: { c.values[$0] < c.values[$1] }), !motion.positions.isEmpty else { return [] }
        let tr = rest.min(by: { c.values[$0] < c.values[$1] }) ?? 0
        return motion.positions.indices.map { k in
            FieldArrow(position: motion.positions[k], displacement: motion.cumulative[tp][k] - motion.cumulative[tr][k])
        }
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
