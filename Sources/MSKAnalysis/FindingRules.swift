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

    /// R1-R9, in the order `Docs/findings.md` gives them.
    private func decide() -> Finding {
        let f = parameters.findings, c = parameters.confidence
        var words: [String] = []
        // R1: enough frames to follow a contraction.
        if n < f.minFrames {
            return indeterminate("R1-too-few-frames",
                                 ["indeterminate: the clip has \(n) frame(s); at least \(f.minFrames) are needed to follow a contraction"])
        }
        // R2: the muscle must be found (both aponeuroses) in enough frames.
        let muscleShare = Double(muscleFrames) / Double(n)
        if muscleShare < f.minMuscleFrameFraction {
            return indeterminate("R2-muscle-not-found",
                                 [String(format: "indeterminate: both aponeuroses were found in %d of %d frames (%.0f%%, under %.0f%%); the muscle cannot be followed",
                                         muscleFrames, n, 100 * muscleShare, 100 * f.minMuscleFrameFraction)])
        }
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

        guard let d = defect else {
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
            let confidence = min(c.noDefectMax, c.noDefectBase + c.noDefectPerMuscleShare * muscleShare) - c.noDefectPerOtherObject * Double(others)
            return Finding(classification: .noTear, confidence: max(0, confidence), evidence: words, peetronsGrade: 0, rules: ["R7-no-defect"])
        }

        words.append(String(format: "one hypoechoic defect followed through the clip: seen in %d of %d frames (%@) at %@ along the muscle",
                            d.frames, n, Self.ranges(d.observedFrames), length(d.centreMm)))
        if !d.joinedFrames.isEmpty {
            words.append("in \(d.joinedFrames.count) more frame(s) (\(Self.ranges(d.joinedFrames))) it lay inside a larger dark region turned down for its shape (joined to the belly's dark spaces or the image's side): counted as there, not measured there")
        }
        // R3 by motion: the tissue pulls apart across the defect at every depth sampled, and the
        // image shows the defect through at least `minMotionDepthFraction` of the thickness.
        let rows = d.rowOpeningsMm
        let openAtEveryDepth = calibrated && contractionSeen && !rows.isEmpty && rows.allSatisfy { ($0 ?? -.infinity) >= f.openingMm }
        let fieldSaysThrough = openAtEveryDepth && d.openDepthFraction >= f.minMotionDepthFraction && d.openDepthFraction < f.fullDepthFraction
        // The field's opening is noisy on real tissue (healthy development clips opened by up to
        // 2.1 mm at every depth row in a push), so it carries the depth only when the image itself
        // shows the stumps retracting, by both of its measures (the gap widening and the ends
        // separating by `retractionMm` each, since session 20: one alone let semi-synthetic partial
        // tears on moving real backgrounds through): then R3 and R4 do not both rest on the field.
        // Since session 31 only where the image shows the defect at peak: seen in
        // `minWindowFramesSeen` of the rest frames but fewer of the peak frames, its gap and ends at
        // peak are its faces carried by the tissue's motion (the field again), and R3 and R4 would
        // both rest on the field. A defect not seen at rest keeps them (it appears on contraction).
        let observed = Set(d.observedFrames)
        func seen(in window: [Int]) -> Int { window.filter(observed.contains).count }
        let seenAtRest = seen(in: restFrames) >= min(f.minWindowFramesSeen, restFrames.count)
        let seenAtPeak = seen(in: peakFrames) >= min(f.minWindowFramesSeen, peakFrames.count)
        let peakUnseen = seenAtRest && !seenAtPeak
        let imageBothRetract = !peakUnseen && min(wideningMm ?? -.infinity, separationChangeMm ?? -.infinity) >= f.retractionMm
        let byMotion = fieldSaysThrough && imageBothRetract
        let through = d.throughDepthFraction
        let fullDepth = through >= f.fullDepthFraction || byMotion
        // The opening at each depth row, for the evidence lines that cite it.
        func openingPerDepth() -> String {
            zip(d.rowDepths, rows).map { String(format: "%@ at %.0f%% of the depth", signedLength($1 ?? 0), 100 * $0) }.joined(separator: ", ")
        }
        if byMotion {
            words.append("the defect's dark region spans \(percent(d.openDepthFraction)) of the thickness in the image, but the tissue pulls apart across it at every depth sampled (\(openingPerDepth()); each >= \(length(f.openingMm))): the fibre discontinuity runs through the thickness (R3 by motion)")
        } else if fullDepth && d.openDepthFraction >= f.fullDepthFraction {
            words.append("fibre discontinuity spans \(percent(d.openDepthFraction)) of the muscle thickness while open (at \(d.openWindow); \(Self.ranges(d.deepFrames)) at or over \(percent(f.fullDepthFraction))): no bridging fibres")
        } else if fullDepth {
            words.append("fibre discontinuity spans \(percent(through)) of the muscle thickness in the deepest \(percent(1 - f.openDepthQuantile)) of the frames while open (at \(d.throughWindow); \(Self.ranges(d.deepFrames)) at or over \(percent(f.fullDepthFraction)); their median \(percent(d.openDepthFraction))): no bridging fibres")
        } else {
            words.append("fibre discontinuity spans \(percent(d.openDepthFraction)) of the muscle thickness while open (at \(d.openWindow)), under the \(percent(f.fullDepthFraction)) of a full-thickness tear: fibres bridge it")
        }
        if let r = restGapMm {
            words.append("gap width \(length(r)) at rest" + (peakGapMm.map { " and \(length($0)) at peak contraction" } ?? "")
                         + (wideningMm.map { " (\(signedLength($0)))" } ?? ""))
        }
        if let r = restSeparationMm, let p = peakSeparationMm, let c = separationChangeMm {
            words.append("stump ends separate from \(length(r)) at rest to \(length(p)) at peak contraction (\(signedLength(c)))")
        }
        if let o = peakOpeningMm {
            words.append("the tissue either side of the defect opens by \(signedLength(o)) at peak contraction, beyond the smooth deformation of the belly around it")
        }

        // Every call on a defect rests on lengths in mm (retraction, change on contraction).
        guard calibrated else {
            words.append("indeterminate: whether a defect through \(percent(d.openDepthFraction)) of the thickness is a tear, and which, rests on how far its stumps retract on contraction (R4, >= \(String(format: "%.1f", f.retractionMm)) mm), which cannot be judged in pixels; give --mm-per-pixel")
            return indeterminate("R4-needs-calibration", words)
        }
        guard contractionSeen else {
            words.append("indeterminate: without a contraction in the clip the defect's stumps cannot be seen to retract or stay, so a full-thickness tear cannot be confirmed or excluded")
            return indeterminate("R5-needs-contraction", words)
        }
        let retraction = retractionMm ?? 0
        // The image's own measure of the stumps retracting (the larger of the gap widening and the
        // end-separation change), and the field's opening beside the defect.
        let imageRetraction = max(wideningMm ?? -.infinity, separationChangeMm ?? -.infinity)
        let opening = peakOpeningMm ?? -.infinity
        let retracts = imageRetraction >= f.retractionMm || opening >= f.openingMm
        let stays = retraction < f.noRetractionMm

        // The image shows the stumps approaching (the gap narrows and the ends come together): an
        // opening of the tissue beside it does not make them retract.
        let approaching = (wideningMm ?? 0) <= -f.noRetractionMm && (separationChangeMm ?? 0) <= -f.noRetractionMm
        if (fullDepth || fieldSaysThrough) && approaching {
            // Says what made the defect look through the thickness: the image's depth, or the field
            // pulling the tissue apart at every depth (never "opens" when the opening is negative).
            let through = fullDepth
                ? "the defect reads through the thickness (above)"
                : "the tissue beside the defect pulls apart at every depth sampled (\(openingPerDepth()))"
            words.append("indeterminate: \(through), but the image shows the gap narrowing (\(signedLength(wideningMm ?? 0))) and the stump ends coming together (\(signedLength(separationChangeMm ?? 0))) on contraction: torn ends pull apart, so the evidence contradicts itself and no call is made (R8)")
            return indeterminate("R8-stumps-approach", words)
        }
        if fullDepth {
            if retracts {
                var confidence = c.fullBase + c.fullPerPresence * min(1, d.presence) + c.fullPerRetraction * min(1, retraction / (2 * f.retractionMm))
                var rules = [byMotion ? "R3-depth-by-motion" : "R3-full-depth", "R4-retraction"]
                if let o = peakOpeningMm, o < f.noRetractionMm {
                    words.append("the surrounding tissue does not open across the defect (\(signedLength(o))): this argues against retracting stumps and lowers the confidence")
                    confidence -= c.weakOpeningPenalty
                    rules.append("R8-weak-opening")
                }
                // R4 cites the measure that met it: the image's own (gap widening or ends separating)
                // against `retractionMm`, else the tissue's opening beside the defect against
                // `openingMm` (a retraction under `retractionMm` is never cited as meeting it).
                let r4 = imageRetraction >= f.retractionMm
                    ? "the same stumps pull apart on contraction by \(length(imageRetraction)) (R4, >= \(length(f.retractionMm)))"
                    : "the tissue either side of it opens by \(signedLength(opening)) on contraction (R4, >= \(length(f.openingMm))), although the image's gap widening (\(wideningMm.map(signedLength) ?? "unmeasured")) and stump ends (\(separationChangeMm.map(signedLength) ?? "unmeasured")) stay under \(length(f.retractionMm))"
                words.append("full-thickness tear (Peetrons grade 3): the discontinuity spans the thickness (R3) and \(r4)")
                return Finding(classification: .fullThicknessTear, confidence: max(0, min(c.fullMax, confidence)), evidence: words, peetronsGrade: 3, rules: rules)
            }
            if stays {
                words.append("indeterminate: a discontinuity spans the thickness (\(percent(through))) but its stumps do not retract on contraction (\(signedLength(retraction)), under \(length(f.noRetractionMm))): a torn muscle's ends pull apart, so this argues against a full-thickness tear, and a region through the whole thickness is not a partial tear (R8)")
                return indeterminate("R8-full-depth-without-retraction", words)
            }
            words.append("full-thickness tear (Peetrons grade 3), weakly confirmed: the discontinuity spans the thickness (R3) but the stumps separate by only \(length(retraction)) on contraction (under \(length(f.retractionMm)), R4)")
            return Finding(classification: .fullThicknessTear, confidence: c.fullWeaklyConfirmed, evidence: words, peetronsGrade: 3, rules: ["R3-full-depth"])
        }
        // Not through the thickness.
        if d.openDepthFraction < f.minPartialDepthFraction {
            // Shallow is "within what intact bellies show" only while nothing says its stumps pull
            // apart: the image's retraction (seen at peak or carried there by the tissue's motion)
            // and the tissue's opening beside it. Both: indeterminate; one: a line against the call.
            let imageApart = f.shallowSeparating && imageRetraction >= f.retractionMm
            let fieldApart = f.shallowSeparating && opening >= f.openingMm
            // Seen at rest and not at peak, the image's figure is its faces carried by the tissue's
            // motion (as R9 says): the line says so.
            let image = peakUnseen
                ? "its stump faces, carried by the tissue's motion into the peak frames (where the image does not show the region), separate by \(length(imageRetraction)) (>= \(length(f.retractionMm)))"
                : "the image shows its stumps separating by \(length(imageRetraction)) (>= \(length(f.retractionMm)))"
            let apart = [imageApart ? image : nil,
                         fieldApart ? "the tissue either side opens by \(signedLength(opening)) (>= \(length(f.openingMm)))" : nil].compactMap { $0 }
            if imageApart && fieldApart {
                words.append("indeterminate: the dark region reaches only \(percent(d.openDepthFraction)) of the thickness while open, but on contraction \(apart.joined(separator: " and ")): a dark space of an intact belly does not pull apart, and a tear that reads shallow (a thin cleft lost among the belly's dark spaces) cannot be excluded; nor is it a partial tear, which changes little (R9)")
                return indeterminate("R9-shallow-separating", words)
            }
            var confidence = c.shallow
            if let against = apart.first {
                words.append("on contraction \(against): this argues against a shallow dark space of an intact belly and lowers the confidence")
                confidence -= c.shallowSeparatingPenalty
            }
            words.append("no tear (Peetrons grade 0): the dark region reaches only \(percent(d.openDepthFraction)) of the thickness (under \(percent(f.minPartialDepthFraction)), R6): within what intact bellies show")
            return Finding(classification: .noTear, confidence: max(0, confidence), evidence: words, peetronsGrade: 0, rules: ["R6-shallow"])
        }
        // R9 on the image's own measures of the stumps (since session 26), unless the image shows
        // the defect at rest but not at peak (since session 30): the figure at peak is then its faces
        // carried by the tissue's motion from the frames where it was seen. A defect not seen at
        // rest keeps R9: appearing on contraction is itself a change, which a partial tear does not make.
        let imageRetracts = imageRetraction >= f.retractionMm
        // The image's retraction reaches R9's amount but is not weighed (seen at rest, not at peak).
        let changeUnseen = imageRetracts && peakUnseen
        if changeUnseen {
            words.append("the stumps seem to separate on contraction by \(length(imageRetraction)), but the image shows the defect in \(seen(in: restFrames)) of the \(restFrames.count) rest frames and only \(seen(in: peakFrames)) of the \(peakFrames.count) peak-contraction frames (R3 by motion and R9 ask \(f.minWindowFramesSeen)): the figure at peak is its faces carried by the tissue's motion, not a change seen, and is not weighed")
        } else if imageRetracts {
            words.append("indeterminate: the stumps seem to separate on contraction by \(length(imageRetraction)) while the discontinuity does not span the thickness: neither a full-thickness tear (R3 not met) nor a partial tear, which changes little (R9)")
            return indeterminate("R9-inconsistent", words)
        }
        // The displacement field's evidence that the tissue pulls apart at the defect: through every
        // depth sampled, or its overall opening. Alone it makes no call (it is noisy on real tissue,
        // and a partial tear's tissue is pulled on beside it): it argues against a partial tear, so
        // it lowers that call's confidence, and beside a dark region that comes and goes it leaves
        // the clip indeterminate rather than "no tear".
        let fieldPulls = fieldSaysThrough || opening >= f.openingMm
        // Worded only where an evidence line uses it.
        func pulling() -> String {
            let unseen = changeUnseen ? "the image's change of the gap and stump ends is not seen (above)" : nil
            return fieldSaysThrough
                ? "the tissue pulls apart across the defect at every depth sampled (\(openingPerDepth())), but the image shows its dark region through only \(percent(d.openDepthFraction)) of the thickness, and \(unseen ?? "the gap widening (\(wideningMm.map(signedLength) ?? "unmeasured")) and the ends separating (\(separationChangeMm.map(signedLength) ?? "unmeasured")) stay under \(length(f.retractionMm))"): the displacement field alone cannot make it full-thickness"
                : "the tissue opens beside the defect (\(signedLength(opening)), above) while \(unseen ?? "the image shows the gap and the stump ends changing by under \(length(f.retractionMm))")"
        }
        if d.presence < f.minPartialPresence {
            if fieldPulls {
                words.append("indeterminate: " + pulling() + ", and the dark region is seen in only \(percent(d.presence)) of the frames: neither a partial tear, which changes little and is there throughout, nor a dark space that comes and goes (R9)")
                return indeterminate("R9-inconsistent", words)
            }
            // Stumps that seem to separate, though not seen doing so, leave the clip indeterminate
            // rather than "no tear": the defect is there in some frames and its change is unknown.
            if changeUnseen {
                words.append("indeterminate: the dark region is seen in only \(percent(d.presence)) of the frames and its change on contraction is not seen (above): neither a partial tear, which is there throughout and changes little, nor a dark space that comes and goes can be told (R9)")
                return indeterminate("R9-change-unseen", words)
            }
            words.append("no tear (Peetrons grade 0): the dark region is seen in only \(percent(d.presence)) of the frames (a partial tear is seen in at least \(percent(f.minPartialPresence)), R6): a dark space that comes and goes")
            return Finding(classification: .noTear, confidence: c.intermittent, evidence: words, peetronsGrade: 0, rules: ["R6-intermittent"])
        }
        var confidence = c.partialBase + c.partialPerPresence * min(1, d.presence)
        if retraction >= f.partialMaxChangeMm / 2 || fieldPulls { confidence -= c.partialChangePenalty }
        if fieldPulls {
            words.append(pulling() + ": this argues against a partial tear, which changes little, and lowers the confidence")
        }
        let change = changeUnseen
            ? "and its change on contraction is not seen (above)" : "and it changes by under \(length(f.partialMaxChangeMm)) on contraction"
        words.append("partial tear (Peetrons grade 2): the defect spans \(percent(d.openDepthFraction)) of the thickness (under \(percent(f.fullDepthFraction)), R3), fibres bridge it, \(change) (R6)")
        return Finding(classification: .partialTear, confidence: max(0, min(1, confidence)), evidence: words, peetronsGrade: 2, rules: ["R6-partial"])
    }
}
