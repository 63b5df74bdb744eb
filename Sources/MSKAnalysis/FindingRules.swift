import Foundation
import MSKImaging

/// The figures a finding rests on, and the rules that turn them into a call. Each rule, its
/// threshold and where it comes from are written down in Docs/findings.md; the rule ids below
/// (`R1` ...) are the ones used there and in the result document's `finding.rules`.
///
/// The rules cannot contradict their own evidence: full-thickness needs the discontinuity across
/// the thickness while the defect is open and is confirmed by the same stumps retracting; evidence
/// that argues against a call lowers its confidence or changes the call (to `indeterminate`, with
/// the reason, when the image cannot support one).
struct Evidence {
    /// The clip's defect: one object followed through the clip.
    struct Defect {
        /// Frames where it was observed, and their share of the clip.
        var frames: Int
        var presence: Double
        /// Depth of the fibre discontinuity over the muscle thickness while the defect is open.
        var openDepthFraction: Double
        /// "rest" or "peak contraction": where it is open.
        var openWindow: String
        /// The depth the discontinuity reaches in a share of those frames (`openDepthQuantile`, the
        /// upper quartile), and its window: R3's figure. The depth read in one frame errs short far
        /// more often than long (the dark band stops at a septum or at echoes in a haematoma), so a
        /// tear through the thickness reads through in some frames and short in others.
        var throughDepthFraction: Double
        var throughWindow: String
        /// Frame indices where the discontinuity spans the thickness.
        var deepFrames: [Int]
        var observedFrames: [Int]
        var openingOnlyAtPeak: Bool
        /// Frame indices where it was not seen but lay inside a region turned down for its shape,
        /// when those frames made it the clip's defect (`DefectTracker.primary`); else empty.
        var joinedFrames: [Int] = []
        /// The tissue's opening at peak relative to rest at each depth of the field's rows (mm),
        /// and those depths (fractions of the thickness).
        var rowOpeningsMm: [Double?] = []
        var rowDepths: [Double] = []
        /// Its position along the muscle (mm from the imaging region's left edge, working scale).
        var centreMm: Double
    }

    var n: Int
    var muscleFrames: Int
    /// Of those, frames where the aponeuroses were found by following the previous frame's.
    var followedFrames: Int = 0
    var parameters: AnalysisParameters
    var defect: Defect?
    /// Other dark objects followed but not taken for the defect.
    var otherDefectObjects: Int
    var contractionSeen: Bool
    /// Largest motion of the belly from rest (working mm).
    var motionRangeMm: Double?
    var wideningMm: Double?
    var separationChangeMm: Double?
    /// Localised opening of the tissue across the defect at peak contraction, relative to rest (mm).
    var peakOpeningMm: Double?
    var restGapMm: Double?
    var peakGapMm: Double?
    var restSeparationMm: Double?
    var peakSeparationMm: Double?
    var unit: LengthUnit
    var toUnit: (Double) -> Double
    var rejected: [String]
    /// Whether lengths are in mm (calibration from the file or the command line).
    var calibrated: Bool
    /// Frame indices of the rest and peak windows.
    var restFrames: [Int]
    var peakFrames: [Int]
    /// The image is a curved (convex) array's sector (`ImagingRegion.curvedArray`): R10.
    var curvedSector = false

    func length(_ mm: Double) -> String { String(format: "%.1f %@", toUnit(mm), unit.rawValue) }
    func signedLength(_ mm: Double) -> String { String(format: "%+.1f %@", toUnit(mm), unit.rawValue) }
    private func percent(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }

    /// "frames 3-9, 40-75": the frame indices as runs of consecutive indices (at most `limit` runs).
    static func ranges(_ indices: [Int], limit: Int = 4) -> String {
        let sorted = Array(Set(indices)).sorted()
        guard !sorted.isEmpty else { return "no frames" }
        var runs: [(Int, Int)] = []
        for i in sorted {
            if let last = runs.last, i == last.1 + 1 { runs[runs.count - 1].1 = i } else { runs.append((i, i)) }
        }
        let shown = runs.prefix(limit).map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }
        let more = runs.count > limit ? " and \(runs.count - limit) more run(s)" : ""
        return (sorted.count == 1 ? "frame " : "frames ") + shown.joined(separator: ", ") + more
    }

    private func indeterminate(_ rule: String, _ words: [String]) -> Finding {
        Finding(classification: .indeterminate, confidence: 0, evidence: words, peetronsGrade: nil, rules: [rule])
    }

    /// The largest retraction the measurements show (mm): gap widening, end-face separation, and
    /// the tissue's localised opening at the defect. Nil when none could be measured.
    var retractionMm: Double? {
        let values = [wideningMm, separationChangeMm, peakOpeningMm].compactMap { $0 }
        return values.max()
    }

    /// The call: R1-R9 (`decide`), then R10: in a curved array's sector, whose layers are arcs, a
    /// tear call is indeterminate unless `findings.tearCallsInCurvedSectors`, the call the rules
    /// would make kept in the evidence (its last line, the call itself, reworded).
    func finding() -> Finding {
        let call = decide()
        guard curvedSector, !parameters.findings.tearCallsInCurvedSectors,
              call.classification == .fullThicknessTear || call.classification == .partialTear else { return call }
        let name = call.classification == .fullThicknessTear ? "full-thickness tear" : "partial tear"
        var words = Array(call.evidence.dropLast())
        words.append("indeterminate: on straight tissue layers the rules would call a \(name) (\(call.rules.joined(separator: ", "))), but the image is a curved array's sector, whose layers are arcs, and the defect rules are not validated there (R10): look at the images")
        return Finding(classification: .indeterminate, confidence: 0, evidence: words, peetronsGrade: nil, rules: ["R10-curved-sector"] + call.rules)
    }

    /// R1-R9, in the order `Docs/findings.md` gives them: the gates on the clip (R1, R2), the clip's
    /// own lines, then the clip without a defect (R5, R7) or the defect's reading, its lines, the
    /// gates on a call (R4 calibration, R5 contraction), and the call by how deep the defect reads:
    /// through the thickness (R3, R4, R8), shallow (R6, R9) or through part of it (R6, R9).
    private func decide() -> Finding {
        if let gate = clipGate() { return gate }
        var words = clipLines()
        guard let d = defect else { return withoutDefect(words) }
        let r = DefectReading(self, d)
        words += defectLines(r)
        if let gate = callGate(r, &words) { return gate }
        if let call = throughTheThickness(r, &words) { return call }
        if d.openDepthFraction < parameters.findings.minPartialDepthFraction { return shallow(r, &words) }
        return partOfTheThickness(r, &words)
    }
}

// MARK: - The stages of `decide`

extension Evidence {
    /// What the defect's figures say, read once; every stage below decides on these.
    struct DefectReading {
        let d: Defect
        /// Frames of the rest and peak windows where the image shows the defect.
        let seenRestFrames: Int
        let seenPeakFrames: Int
        /// Seen in `minWindowFramesSeen` of the rest frames but fewer of the peak frames: its gap and
        /// ends at peak are its faces carried by the tissue's motion, not a change seen (R3 by
        /// motion, R9). A defect not seen at rest keeps them (it appears on contraction).
        let peakUnseen: Bool
        /// The field's opening at every depth row (R3 by motion's first half), and that beside a
        /// defect the image shows through part of the thickness (from `minMotionDepthFraction`).
        let fieldSaysThrough: Bool
        /// R3 by motion: the field says through, and the image itself shows both of its measures of
        /// the stumps retracting (gap widening, ends separating), seen at peak.
        let byMotion: Bool
        /// R3's figure (the open frames' upper quartile) and R3 met (in the image or by motion).
        let through: Double
        let fullDepth: Bool
        /// The image's own retraction (the larger of gap widening and end-separation change), the
        /// field's opening beside the defect, and the largest of the three (`retractionMm`).
        let imageRetraction: Double
        let opening: Double
        let retraction: Double
        /// R4 met (image or opening); retraction under `noRetractionMm`; gap narrowing and ends
        /// coming together, each by `noRetractionMm` (R8).
        let retracts: Bool
        let stays: Bool
        let approaching: Bool
        /// R9's figure met in the image, and met but not weighed (`peakUnseen`).
        let imageRetracts: Bool
        let changeUnseen: Bool
        /// The field says the tissue pulls apart at the defect: through every depth, or overall.
        let fieldPulls: Bool

        init(_ e: Evidence, _ d: Defect) {
            let f = e.parameters.findings
            self.d = d
            let observed = Set(d.observedFrames)
            seenRestFrames = e.restFrames.filter(observed.contains).count
            seenPeakFrames = e.peakFrames.filter(observed.contains).count
            let seenAtRest = seenRestFrames >= min(f.minWindowFramesSeen, e.restFrames.count)
            let seenAtPeak = seenPeakFrames >= min(f.minWindowFramesSeen, e.peakFrames.count)
            peakUnseen = seenAtRest && !seenAtPeak
            let rows = d.rowOpeningsMm
            let openAtEveryDepth = e.calibrated && e.contractionSeen && !rows.isEmpty && rows.allSatisfy { ($0 ?? -.infinity) >= f.openingMm }
            fieldSaysThrough = openAtEveryDepth && d.openDepthFraction >= f.minMotionDepthFraction && d.openDepthFraction < f.fullDepthFraction
            // The field's opening is noisy on real tissue (healthy development clips opened by up to
            // 2.1 mm at every depth row in a push), so it carries the depth only when the image itself
            // shows the stumps retracting, by both of its measures (the gap widening and the ends
            // separating by `retractionMm` each, since session 20: one alone let semi-synthetic partial
            // tears on moving real backgrounds through): then R3 and R4 do not both rest on the field.
            // Since session 31 only where the image shows the defect at peak (`peakUnseen`).
            let imageBothRetract = !peakUnseen && min(e.wideningMm ?? -.infinity, e.separationChangeMm ?? -.infinity) >= f.retractionMm
            byMotion = fieldSaysThrough && imageBothRetract
            through = d.throughDepthFraction
            fullDepth = through >= f.fullDepthFraction || byMotion
            imageRetraction = max(e.wideningMm ?? -.infinity, e.separationChangeMm ?? -.infinity)
            opening = e.peakOpeningMm ?? -.infinity
            retraction = e.retractionMm ?? 0
            retracts = imageRetraction >= f.retractionMm || opening >= f.openingMm
            stays = retraction < f.noRetractionMm
            // The image shows the stumps approaching: an opening of the tissue beside it does not
            // make them retract.
            approaching = (e.wideningMm ?? 0) <= -f.noRetractionMm && (e.separationChangeMm ?? 0) <= -f.noRetractionMm
            // R9 on the image's own measures of the stumps (since session 26), unless the image shows
            // the defect at rest but not at peak (since session 30).
            imageRetracts = imageRetraction >= f.retractionMm
            changeUnseen = imageRetracts && peakUnseen
            fieldPulls = fieldSaysThrough || opening >= f.openingMm
        }
    }

    /// R1 (enough frames to follow a contraction) and R2 (the muscle found in enough of them).
    fileprivate func clipGate() -> Finding? {
        let f = parameters.findings
        if n < f.minFrames {
            return indeterminate("R1-too-few-frames",
                                 ["indeterminate: the clip has \(n) frame(s); at least \(f.minFrames) are needed to follow a contraction"])
        }
        let muscleShare = Double(muscleFrames) / Double(n)
        if muscleShare < f.minMuscleFrameFraction {
            return indeterminate("R2-muscle-not-found",
                                 [String(format: "indeterminate: both aponeuroses were found in %d of %d frames (%.0f%%, under %.0f%%); the muscle cannot be followed",
                                         muscleFrames, n, 100 * muscleShare, 100 * f.minMuscleFrameFraction)])
        }
        return nil
    }

    /// The lines every call past R2 starts with: the muscle, the contraction, the calibration, the
    /// other dark objects.
    fileprivate func clipLines() -> [String] {
        var words: [String] = []
        words.append(String(format: "muscle (both aponeuroses) found in %d of %d frames", muscleFrames, n)
                     + (followedFrames > 0 ? " (in \(followedFrames) of them by following the previous frame's aponeuroses)" : ""))
        if let range = motionRangeMm {
            words.append(contractionSeen
                ? "contraction seen in the tissue's motion: the belly moves up to \(length(range)) from its rest position; rest \(Self.ranges(restFrames)), peak \(Self.ranges(peakFrames))"
                : "no contraction seen: the belly moves only \(length(range)) from its rest position (under \(length(parameters.contraction.minMotionMm)))")
        } else {
            words.append("no contraction seen: the belly's motion could not be followed")
        }
        if !calibrated { words.append("no calibration: lengths are in pixels") }
        if otherDefectObjects > 0 {
            words.append("\(otherDefectObjects) other dark object(s) came and went at other places; they are not the defect and are not compared with it")
        }
        return words
    }

    /// No defect: R5 without a contraction (a tear that opens only then cannot be excluded), else R7.
    fileprivate func withoutDefect(_ lines: [String]) -> Finding {
        let c = parameters.confidence
        var words = lines
        if !rejected.isEmpty {
            let unique = Array(Set(rejected)).sorted().prefix(3)
            words.append("not taken for a defect: " + unique.joined(separator: "; "))
        }
        if !contractionSeen {
            words.append("indeterminate: no defect seen, but without a contraction a tear that opens only on contraction cannot be excluded")
            return indeterminate("R5-needs-contraction", words)
        }
        let others = min(otherDefectObjects, c.noDefectMaxOtherObjects)
        if others > 0 {
            words.append("those dark objects lower the confidence of the call: among dark regions that come and go a tear is harder to exclude")
        }
        words.append("no tear (Peetrons grade 0): no defect interrupting the fibres, at rest or through the contraction")
        let muscleShare = Double(muscleFrames) / Double(n)
        let confidence = min(c.noDefectMax, c.noDefectBase + c.noDefectPerMuscleShare * muscleShare) - c.noDefectPerOtherObject * Double(others)
        return Finding(classification: .noTear, confidence: max(0, confidence), evidence: words, peetronsGrade: 0, rules: ["R7-no-defect"])
    }

    /// The opening at each depth row, for the evidence lines that cite it.
    fileprivate func openingPerDepth(_ d: Defect) -> String {
        zip(d.rowDepths, d.rowOpeningsMm).map { String(format: "%@ at %.0f%% of the depth", signedLength($1 ?? 0), 100 * $0) }.joined(separator: ", ")
    }

    /// The defect's lines: where it was seen, how deep it reads (and by what), its gap, its ends and
    /// the tissue's opening beside it.
    fileprivate func defectLines(_ r: DefectReading) -> [String] {
        let f = parameters.findings, d = r.d
        var words: [String] = []
        words.append(String(format: "one hypoechoic defect followed through the clip: seen in %d of %d frames (%@) at %@ along the muscle",
                            d.frames, n, Self.ranges(d.observedFrames), length(d.centreMm)))
        if !d.joinedFrames.isEmpty {
            words.append("in \(d.joinedFrames.count) more frame(s) (\(Self.ranges(d.joinedFrames))) it lay inside a larger dark region turned down for its shape (joined to the belly's dark spaces or the image's side): counted as there, not measured there")
        }
        if r.byMotion {
            words.append("the defect's dark region spans \(percent(d.openDepthFraction)) of the thickness in the image, but the tissue pulls apart across it at every depth sampled (\(openingPerDepth(d)); each >= \(length(f.openingMm))): the fibre discontinuity runs through the thickness (R3 by motion)")
        } else if r.fullDepth && d.openDepthFraction >= f.fullDepthFraction {
            words.append("fibre discontinuity spans \(percent(d.openDepthFraction)) of the muscle thickness while open (at \(d.openWindow); \(Self.ranges(d.deepFrames)) at or over \(percent(f.fullDepthFraction))): no bridging fibres")
        } else if r.fullDepth {
            words.append("fibre discontinuity spans \(percent(r.through)) of the muscle thickness in the deepest \(percent(1 - f.openDepthQuantile)) of the frames while open (at \(d.throughWindow); \(Self.ranges(d.deepFrames)) at or over \(percent(f.fullDepthFraction)); their median \(percent(d.openDepthFraction))): no bridging fibres")
        } else {
            words.append("fibre discontinuity spans \(percent(d.openDepthFraction)) of the muscle thickness while open (at \(d.openWindow)), under the \(percent(f.fullDepthFraction)) of a full-thickness tear: fibres bridge it")
        }
        if let rest = restGapMm {
            words.append("gap width \(length(rest)) at rest" + (peakGapMm.map { " and \(length($0)) at peak contraction" } ?? "")
                         + (wideningMm.map { " (\(signedLength($0)))" } ?? ""))
        }
        if let rest = restSeparationMm, let peak = peakSeparationMm, let change = separationChangeMm {
            words.append("stump ends separate from \(length(rest)) at rest to \(length(peak)) at peak contraction (\(signedLength(change)))")
        }
        if let o = peakOpeningMm {
            words.append("the tissue either side of the defect opens by \(signedLength(o)) at peak contraction, beyond the smooth deformation of the belly around it")
        }
        return words
    }

    /// Every call on a defect rests on lengths in mm (R4: retraction, change on contraction) and on
    /// a contraction (R5).
    fileprivate func callGate(_ r: DefectReading, _ words: inout [String]) -> Finding? {
        guard calibrated else {
            words.append("indeterminate: whether a defect through \(percent(r.d.openDepthFraction)) of the thickness is a tear, and which, rests on how far its stumps retract on contraction (R4, >= \(String(format: "%.1f", parameters.findings.retractionMm)) mm), which cannot be judged in pixels; give --mm-per-pixel")
            return indeterminate("R4-needs-calibration", words)
        }
        guard contractionSeen else {
            words.append("indeterminate: without a contraction in the clip the defect's stumps cannot be seen to retract or stay, so a full-thickness tear cannot be confirmed or excluded")
            return indeterminate("R5-needs-contraction", words)
        }
        return nil
    }

    /// A defect through the thickness (R3, in the image or by motion) or one the field says is:
    /// R8 when the image shows the stumps approaching; else, through the thickness, a full-thickness
    /// tear confirmed by R4 (its confidence lowered by a tissue that does not open), R8 when the
    /// stumps stay, or weakly confirmed between. Nil when it does not read through.
    fileprivate func throughTheThickness(_ r: DefectReading, _ words: inout [String]) -> Finding? {
        let f = parameters.findings, c = parameters.confidence
        if (r.fullDepth || r.fieldSaysThrough) && r.approaching {
            // Says what made the defect look through the thickness: the image's depth, or the field
            // pulling the tissue apart at every depth (never "opens" when the opening is negative).
            let reads = r.fullDepth
                ? "the defect reads through the thickness (above)"
                : "the tissue beside the defect pulls apart at every depth sampled (\(openingPerDepth(r.d)))"
            words.append("indeterminate: \(reads), but the image shows the gap narrowing (\(signedLength(wideningMm ?? 0))) and the stump ends coming together (\(signedLength(separationChangeMm ?? 0))) on contraction: torn ends pull apart, so the evidence contradicts itself and no call is made (R8)")
            return indeterminate("R8-stumps-approach", words)
        }
        guard r.fullDepth else { return nil }
        if r.retracts {
            var confidence = c.fullBase + c.fullPerPresence * min(1, r.d.presence) + c.fullPerRetraction * min(1, r.retraction / (2 * f.retractionMm))
            var rules = [r.byMotion ? "R3-depth-by-motion" : "R3-full-depth", "R4-retraction"]
            if let o = peakOpeningMm, o < f.noRetractionMm {
                words.append("the surrounding tissue does not open across the defect (\(signedLength(o))): this argues against retracting stumps and lowers the confidence")
                confidence -= c.weakOpeningPenalty
                rules.append("R8-weak-opening")
            }
            // R4 cites the measure that met it: the image's own (gap widening or ends separating)
            // against `retractionMm`, else the tissue's opening beside the defect against
            // `openingMm` (a retraction under `retractionMm` is never cited as meeting it).
            let r4 = r.imageRetracts
                ? "the same stumps pull apart on contraction by \(length(r.imageRetraction)) (R4, >= \(length(f.retractionMm)))"
                : "the tissue either side of it opens by \(signedLength(r.opening)) on contraction (R4, >= \(length(f.openingMm))), although the image's gap widening (\(wideningMm.map(signedLength) ?? "unmeasured")) and stump ends (\(separationChangeMm.map(signedLength) ?? "unmeasured")) stay under \(length(f.retractionMm))"
            words.append("full-thickness tear (Peetrons grade 3): the discontinuity spans the thickness (R3) and \(r4)")
            return Finding(classification: .fullThicknessTear, confidence: max(0, min(c.fullMax, confidence)), evidence: words, peetronsGrade: 3, rules: rules)
        }
        if r.stays {
            words.append("indeterminate: a discontinuity spans the thickness (\(percent(r.through))) but its stumps do not retract on contraction (\(signedLength(r.retraction)), under \(length(f.noRetractionMm))): a torn muscle's ends pull apart, so this argues against a full-thickness tear, and a region through the whole thickness is not a partial tear (R8)")
            return indeterminate("R8-full-depth-without-retraction", words)
        }
        words.append("full-thickness tear (Peetrons grade 3), weakly confirmed: the discontinuity spans the thickness (R3) but the stumps separate by only \(length(r.retraction)) on contraction (under \(length(f.retractionMm)), R4)")
        return Finding(classification: .fullThicknessTear, confidence: c.fullWeaklyConfirmed, evidence: words, peetronsGrade: 3, rules: ["R3-full-depth"])
    }

    /// A defect under `minPartialDepthFraction` of the thickness: within what intact bellies show
    /// (R6 shallow) only while nothing says its stumps pull apart: the image's retraction (seen at
    /// peak or carried there by the tissue's motion) and the tissue's opening beside it. Both: R9
    /// indeterminate; one: a line against the call that lowers its confidence.
    fileprivate func shallow(_ r: DefectReading, _ words: inout [String]) -> Finding {
        let f = parameters.findings, c = parameters.confidence
        let imageApart = f.shallowSeparating && r.imageRetraction >= f.retractionMm
        let fieldApart = f.shallowSeparating && r.opening >= f.openingMm
        // Seen at rest and not at peak, the image's figure is its faces carried by the tissue's
        // motion (as R9 says): the line says so.
        let image = r.peakUnseen
            ? "its stump faces, carried by the tissue's motion into the peak frames (where the image does not show the region), separate by \(length(r.imageRetraction)) (>= \(length(f.retractionMm)))"
            : "the image shows its stumps separating by \(length(r.imageRetraction)) (>= \(length(f.retractionMm)))"
        let apart = [imageApart ? image : nil,
                     fieldApart ? "the tissue either side opens by \(signedLength(r.opening)) (>= \(length(f.openingMm)))" : nil].compactMap { $0 }
        if imageApart && fieldApart {
            words.append("indeterminate: the dark region reaches only \(percent(r.d.openDepthFraction)) of the thickness while open, but on contraction \(apart.joined(separator: " and ")): a dark space of an intact belly does not pull apart, and a tear that reads shallow (a thin cleft lost among the belly's dark spaces) cannot be excluded; nor is it a partial tear, which changes little (R9)")
            return indeterminate("R9-shallow-separating", words)
        }
        var confidence = c.shallow
        if let against = apart.first {
            words.append("on contraction \(against): this argues against a shallow dark space of an intact belly and lowers the confidence")
            confidence -= c.shallowSeparatingPenalty
        }
        words.append("no tear (Peetrons grade 0): the dark region reaches only \(percent(r.d.openDepthFraction)) of the thickness (under \(percent(f.minPartialDepthFraction)), R6): within what intact bellies show")
        return Finding(classification: .noTear, confidence: max(0, confidence), evidence: words, peetronsGrade: 0, rules: ["R6-shallow"])
    }

    /// A defect through part of the thickness: R9 when the image shows its stumps separating (unless
    /// that change is not seen at peak, `changeUnseen`: then a line says so and the call goes on);
    /// intermittent (under `minPartialPresence`) it is R9 beside a field that pulls the tissue apart
    /// or a change not seen, else no tear (R6 intermittent); present it is a partial tear (R6), its
    /// confidence lowered by a change or the field's pull.
    fileprivate func partOfTheThickness(_ r: DefectReading, _ words: inout [String]) -> Finding {
        let f = parameters.findings, c = parameters.confidence, d = r.d
        if r.changeUnseen {
            words.append("the stumps seem to separate on contraction by \(length(r.imageRetraction)), but the image shows the defect in \(r.seenRestFrames) of the \(restFrames.count) rest frames and only \(r.seenPeakFrames) of the \(peakFrames.count) peak-contraction frames (R3 by motion and R9 ask \(f.minWindowFramesSeen)): the figure at peak is its faces carried by the tissue's motion, not a change seen, and is not weighed")
        } else if r.imageRetracts {
            words.append("indeterminate: the stumps seem to separate on contraction by \(length(r.imageRetraction)) while the discontinuity does not span the thickness: neither a full-thickness tear (R3 not met) nor a partial tear, which changes little (R9)")
            return indeterminate("R9-inconsistent", words)
        }
        // The displacement field's evidence that the tissue pulls apart at the defect. Alone it makes
        // no call (it is noisy on real tissue, and a partial tear's tissue is pulled on beside it): it
        // argues against a partial tear, so it lowers that call's confidence, and beside a dark region
        // that comes and goes it leaves the clip indeterminate rather than "no tear". Worded only
        // where an evidence line uses it.
        func pulling() -> String {
            let unseen = r.changeUnseen ? "the image's change of the gap and stump ends is not seen (above)" : nil
            return r.fieldSaysThrough
                ? "the tissue pulls apart across the defect at every depth sampled (\(openingPerDepth(d))), but the image shows its dark region through only \(percent(d.openDepthFraction)) of the thickness, and \(unseen ?? "the gap widening (\(wideningMm.map(signedLength) ?? "unmeasured")) and the ends separating (\(separationChangeMm.map(signedLength) ?? "unmeasured")) stay under \(length(f.retractionMm))"): the displacement field alone cannot make it full-thickness"
                : "the tissue opens beside the defect (\(signedLength(r.opening)), above) while \(unseen ?? "the image shows the gap and the stump ends changing by under \(length(f.retractionMm))")"
        }
        if d.presence < f.minPartialPresence {
            if r.fieldPulls {
                words.append("indeterminate: " + pulling() + ", and the dark region is seen in only \(percent(d.presence)) of the frames: neither a partial tear, which changes little and is there throughout, nor a dark space that comes and goes (R9)")
                return indeterminate("R9-inconsistent", words)
            }
            // Stumps that seem to separate, though not seen doing so, leave the clip indeterminate
            // rather than "no tear": the defect is there in some frames and its change is unknown.
            if r.changeUnseen {
                words.append("indeterminate: the dark region is seen in only \(percent(d.presence)) of the frames and its change on contraction is not seen (above): neither a partial tear, which is there throughout and changes little, nor a dark space that comes and goes can be told (R9)")
                return indeterminate("R9-change-unseen", words)
            }
            words.append("no tear (Peetrons grade 0): the dark region is seen in only \(percent(d.presence)) of the frames (a partial tear is seen in at least \(percent(f.minPartialPresence)), R6): a dark space that comes and goes")
            return Finding(classification: .noTear, confidence: c.intermittent, evidence: words, peetronsGrade: 0, rules: ["R6-intermittent"])
        }
        var confidence = c.partialBase + c.partialPerPresence * min(1, d.presence)
        if r.retraction >= f.partialMaxChangeMm / 2 || r.fieldPulls { confidence -= c.partialChangePenalty }
        if r.fieldPulls {
            words.append(pulling() + ": this argues against a partial tear, which changes little, and lowers the confidence")
        }
        let change = r.changeUnseen
            ? "and its change on contraction is not seen (above)" : "and it changes by under \(length(f.partialMaxChangeMm)) on contraction"
        words.append("partial tear (Peetrons grade 2): the defect spans \(percent(d.openDepthFraction)) of the thickness (under \(percent(f.fullDepthFraction)), R3), fibres bridge it, \(change) (R6)")
        return Finding(classification: .partialTear, confidence: max(0, min(1, confidence)), evidence: words, peetronsGrade: 2, rules: ["R6-partial"])
    }
}
