import Foundation
import MSKLabels

extension CineSimulator {
    /// Ground truth of frame `index` from the model geometry alone (no rendering); `echoIntensity`
    /// is nil here because it is defined on the rendered grey frame (see `renderFrame`).
    /// Lengths are rounded to 0.001 mm, fractions to 0.0001.
    public func groundTruth(_ index: Int) -> FrameLabel {
        precondition(index >= 0 && index < frameCount, "frame \(index) outside 0..<\(frameCount)")
        let p = parameters
        let st = state(index)
        let m = model
        var label = FrameLabel(index: index)
        label.timeS = round6(Double(index) / p.fps)
        label.contraction = round4(normalisedContraction(index))

        // Thickness: per imaging-region column, vertical inner-edge distance times the cosine of the
        // local axis angle (perpendicular to the axis); median over columns clear of the defect.
        var thick: [Double] = []
        thick.reserveCapacity(imagingRegion.width)
        for px in 0..<imagingRegion.width {
            let xq = (Double(px) + 0.5) * p.mmPerPixelX - st.jx
            let X = phiInverse(xq, st)
            if X >= m.exclusionL && X <= m.exclusionR { continue }
            let vertical = (m.d(X) - m.s(X)) * st.stretch
            let top0 = forward(X - 0.5, m.s(X - 0.5) + 1e-9, st), top1 = forward(X + 0.5, m.s(X + 0.5) + 1e-9, st)
            let bot0 = forward(X - 0.5, m.d(X - 0.5) - 1e-9, st), bot1 = forward(X + 0.5, m.d(X + 0.5) - 1e-9, st)
            let slope = ((top1.y - top0.y) / (top1.x - top0.x) + (bot1.y - bot0.y) / (bot1.x - bot0.x)) / 2
            thick.append(vertical * cos(atan(slope)))
        }
        if !thick.isEmpty {
            thick.sort()
            let n = thick.count
            label.muscleThicknessMm = round3(n % 2 == 1 ? thick[n / 2] : (thick[n / 2 - 1] + thick[n / 2]) / 2)
        }

        // Defect.
        if m.hasDefect {
            let mid = (m.defectTop + m.defectBottom) / 2
            let f = m.faces(mid)
            let l = forward(f.left, mid, st), r = forward(f.right, mid, st)
            label.gapWidthMm = round3(hypot(r.x - l.x, r.y - l.y))
            var cl = (x: 0.0, y: 0.0), cr = (x: 0.0, y: 0.0), n = 0.0
            let steps = 64
            for k in 0...steps {
                let Y = m.defectTop + (m.defectBottom - m.defectTop) * Double(k) / Double(steps)
                let ff = m.faces(Y)
                guard !ff.left.isNaN else { continue }
                let a = forward(ff.left, Y, st), b = forward(ff.right, Y, st)
                cl.x += a.x; cl.y += a.y; cr.x += b.x; cr.y += b.y; n += 1
            }
            label.endSeparationMm = n > 0 ? round3(hypot((cr.x - cl.x) / n, (cr.y - cl.y) / n)) : 0
            label.defectDepthFraction = m.isFull ? 1
                : round4(min(1, (m.defectBottom - m.defectTop) / (m.d(m.xd) - m.s(m.xd))))
        } else {
            label.gapWidthMm = 0
            label.endSeparationMm = 0
            label.defectDepthFraction = 0
        }

        // Pennation: a fascicle through mid-belly against the deep aponeurosis, both mapped.
        // The reference column is the one of 0.2, 0.5, 0.8 of the width farthest from any defect.
        let X0 = [0.2, 0.5, 0.8].map { $0 * m.fovW }.max { abs($0 - m.xd) < abs($1 - m.xd) || !m.hasDefect && $0 > $1 } ?? m.xc0
        let Ymid = (m.s(X0) + m.d(X0)) / 2
        let f0 = forward(X0, Ymid, st)
        let f1 = forward(X0 + 2 * cos(m.beta), Ymid + 2 * sin(m.beta), st)
        let d0 = forward(X0 - 2, m.d(X0 - 2) - 1e-9, st), d1 = forward(X0 + 2, m.d(X0 + 2) - 1e-9, st)
        let fa = atan2(f1.y - f0.y, f1.x - f0.x), da = atan2(d1.y - d0.y, d1.x - d0.x)
        var diff = abs(fa - da)
        if diff > .pi / 2 { diff = .pi - diff }
        label.pennationDeg = round3(diff * 180 / .pi)
        return label
    }

    /// Activation of frame `index` before normalisation (0 rest, 1 full hold).
    public func activation(_ index: Int) -> Double { activations[index] }

    /// Activation rescaled over the clip: 0 at the most relaxed frame, 1 at the most contracted.
    public func normalisedContraction(_ index: Int) -> Double {
        let lo = activations.min() ?? 0, hi = activations.max() ?? 0
        guard hi - lo > 1e-12 else { return 0 }
        return (activations[index] - lo) / (hi - lo)
    }

    /// Probe jitter of frame `index` (mm, imaging-region axes).
    public func probeOffsetMm(_ index: Int) -> (x: Double, y: Double) {
        let st = state(index)
        return (st.jx, st.jy)
    }

    /// A labels document with the clip-level fields and the given frames (e.g. each
    /// `SimulatedFrame.truth` collected while streaming).
    public func labelsDocument(clipName: String, frames: [FrameLabel]) -> LabelsDocument {
        let p = parameters
        var doc = LabelsDocument(clip: clipName, classification: p.tearCase.classification,
                                 mmPerPixel: [p.mmPerPixelX, p.mmPerPixelY], patientId: p.patientId,
                                 muscle: p.muscle, side: p.side, studyDate: p.studyDate, frames: frames)
        doc.case = p.tearCase.rawValue
        doc.seed = p.seed
        doc.imagingRegion = imagingRegion
        doc.studyIndex = p.studyIndex
        doc.fps = p.fps
        doc.frameCount = p.frameCount
        doc.frameSize = [p.width, p.height]
        var info = SimulationInfo(generator: p.distributionVersion.map { "MSKSimulator/randomised-\($0)" } ?? "MSKSimulator/1")
        info.pennationDeg = p.pennationDeg
        info.restThicknessMm = p.restThicknessMm
        info.thickening = p.thickening
        info.restGapMm = p.tearCase == .none ? 0 : p.restGapMm
        info.gapWideningMm = (p.tearCase == .full || p.tearCase == .fullSubtle) ? p.gapWideningMm : 0
        info.frequencyMHz = p.frequencyMHz
        info.dynamicRangeDb = p.dynamicRangeDb
        info.contractionCycles = p.contraction.cycles
        info.distractor = p.distractor.rawValue
        info.bone = p.bone
        info.exportCanvas = p.exportCanvas
        if p.exportCanvas && p.layout != .classic { info.layout = p.layout.rawValue }
        if !p.darkDistractors.isEmpty { info.distractorCount = p.darkDistractors.count }
        if p.faceObliquityDeg != nil && p.tearCase != .none && p.tearCase != .partial {
            info.obliquityDeg = p.faceObliquityDeg.map { ($0 * 10).rounded() / 10 }
        }
        if let share = p.fluidGreyShare, p.tearCase != .none { info.fluidEchogenicity = (share * 1000).rounded() / 1000 }
        info.thicknessLossMmPer30Days = p.thicknessLossMmPer30Days
        info.echoRisePer30Days = p.echoRisePer30Days
        doc.simulation = info
        return doc
    }

    /// The complete labels document. Renders every frame once (streaming, one frame in memory) to
    /// measure `echoIntensity`; with `measureEcho: false` only the geometry is used and it is fast.
    public func labels(clipName: String, measureEcho: Bool = true) -> LabelsDocument {
        let frames = (0..<frameCount).map { measureEcho ? renderFrame($0).truth : groundTruth($0) }
        return labelsDocument(clipName: clipName, frames: frames)
    }
}

@inline(__always) func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
@inline(__always) func round4(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
@inline(__always) func round6(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }
