import Foundation
import MSKImage
import MSKLabels

/// One rendered frame: the 8-bit grey frame (luma of `rgb`), the RGB frame (coloured markers when
/// the export canvas is on), the tissue class of every imaging-region pixel and the ground truth.
public struct SimulatedFrame: Sendable {
    public let index: Int
    public let grey: GreyImage
    public let rgb: RGBImage
    /// `TissueClass` raw values, row-major over `imagingRegion` (not the whole frame).
    public let tissue: [UInt8]
    /// True where the pixel lies in an acoustic shadow (> 10 dB below what the TGC expects).
    public let shadow: [Bool]
    /// Ground truth; `echoIntensity` is measured on `grey` with the model's exact belly mask.
    public let truth: FrameLabel
}

/// The detected envelope (before log compression) over the imaging region, with the belly mask.
public struct EnvelopeFrame: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, linear amplitude after TGC.
    public let envelope: [Float]
    public let tissue: [UInt8]
    public let shadow: [Bool]
    /// True at intact belly outside shadows (the pixels `echoIntensity` averages).
    public var bellyMask: [Bool] {
        zip(tissue, shadow).map { $0.0 == TissueClass.belly.rawValue && !$0.1 }
    }
}

/// Per-frame motion state.
struct FrameState {
    var activation: Double
    var jx: Double
    var jy: Double
    var phi: Double
    var phiFluid: Double
    var shortening: Double  // shortening * activation
    var stretch: Double     // 1 + thickening * activation
    var h: Double           // stump half-split
}

/// A deterministic B-mode cine simulator. Build it once per clip; render frames one at a time in
/// any order (`renderFrame`), or stream them (`frames()`). Immutable after `init`, so `Sendable`:
/// frames may be rendered concurrently.
public final class CineSimulator: Sendable {
    public let parameters: SimulationParameters
    /// Where the ultrasound image sits in the frame (the whole frame without an export canvas).
    public let imagingRegion: PixelRect
    let model: TissueModel

    // Material grid (spacing = output pixel spacing). The complex fields are already convolved
    // with the point-spread function, so a frame only samples them through its deformation.
    let gx: Double, gy: Double
    let gX0: Double, gY0: Double
    let nx: Int, ny: Int
    /// Incoherent echo fields P and Q (re, im interleaved; Q is the independent field blended in for
    /// decorrelation) and the coherent (specular) field R.
    let incP: [Float]
    let incQ: [Float]
    let coh: [Float]
    /// Fluid echo fields (image-anchored), empty without a defect.
    let fluidP: [Float]
    let fluidQ: [Float]
    let cls: [UInt8]
    /// Round-trip attenuation per class (dB per mm), indexed by `TissueClass` raw value.
    let attenuationByClass: [Float]
    /// PSF-filtered complex electronic noise over the imaging region (re, im interleaved).
    let noise: [Float]
    let canvas: ExportCanvas?
    let activations: [Double]
    let lateralKernel: [Float]
    let axialKernel: [Float]
    /// Correlation of the PSF-filtered field at one grid step (for variance-preserving interpolation).
    let rhoX: Float
    let rhoY: Float
    let motionSeeds: [UInt64]

    public init(parameters p: SimulationParameters) {
        let problems = p.problems()
        precondition(problems.isEmpty, "SimulationParameters: " + problems.joined(separator: "; "))
        parameters = p
        let region = p.exportCanvas ? ExportCanvas.imagingRegion(width: p.width, height: p.height, layout: p.layout)
            : PixelRect(x: 0, y: 0, width: p.width, height: p.height)
        imagingRegion = region
        let fovW = Double(region.width) * p.mmPerPixelX, fovH = Double(region.height) * p.mmPerPixelY
        let model = TissueModel(parameters: p, imagingWidthMm: fovW, imagingHeightMm: fovH)
        self.model = model

        gx = p.mmPerPixelX; gy = p.mmPerPixelY
        let mx = 4 + 2 * p.jitterMm + p.shortening * fovW + model.splitH * 2
        gX0 = -mx; gY0 = -1
        let yMax = fovH + p.restThicknessMm * p.thickening * 1.3 + 2 + p.jitterMm
        nx = Int(((fovW + 2 * mx) / gx).rounded(.up)) + 2
        ny = Int(((yMax - gY0) / gy).rounded(.up)) + 2
        let count = nx * ny

        let lambda = p.wavelengthMm
        let sigmaLat = max(0.5, p.lateralFNumber * lambda / 2.355 / p.mmPerPixelX)
        let sigmaAx = max(0.5, p.pulseCycles * lambda / 2 / 2.355 / p.mmPerPixelY)
        let kl = Self.gaussianKernel(sigma: sigmaLat), ka = Self.gaussianKernel(sigma: sigmaAx)
        lateralKernel = kl; axialKernel = ka
        rhoX = Float(exp(-1 / (4 * sigmaLat * sigmaLat)))
        rhoY = Float(exp(-1 / (4 * sigmaAx * sigmaAx)))

        var rng = SplitMix64(seed: mix64(p.seed ^ 0xF1E1D))
        var fp = [Float](repeating: 0, count: 2 * count), fq = fp, fr = fp
        var lp = [Float](repeating: 0, count: model.hasDefect ? 2 * count : 0), lq = lp
        var cls = [UInt8](repeating: 0, count: count)
        let coherentSeed = mix64(model.anatomySeed ^ 0xC0DE)
        for j in 0..<ny {
            let Y = gY0 + Double(j) * gy
            for i in 0..<nx {
                let X = gX0 + Double(i) * gx
                let c = model.classify(X, Y)
                let k = j * nx + i
                cls[k] = c.rawValue
                let sc = model.scattering(X, Y, c, row: j)
                let inc = sc.e * (1 - sc.rho * sc.rho).squareRoot() * 0.5.squareRoot()
                let (n1, n2) = rng.normalPair(), (n3, n4) = rng.normalPair()
                let psi = 2 * Double.pi * Double(mix64(coherentSeed ^ sc.key) >> 11) * 0x1.0p-53
                let amp = sc.e * sc.rho
                fp[2 * k] = Float(inc * n1); fp[2 * k + 1] = Float(inc * n2)
                fq[2 * k] = Float(inc * n3); fq[2 * k + 1] = Float(inc * n4)
                fr[2 * k] = Float(amp * cos(psi)); fr[2 * k + 1] = Float(amp * sin(psi))
                if model.hasDefect {
                    let f = model.fluidScattering(X, Y) * 0.5.squareRoot()
                    let (f1, f2) = rng.normalPair(), (f3, f4) = rng.normalPair()
                    lp[2 * k] = Float(f * f1); lp[2 * k + 1] = Float(f * f2)
                    lq[2 * k] = Float(f * f3); lq[2 * k + 1] = Float(f * f4)
                }
            }
        }
        Self.convolveSeparable(&fp, width: nx, height: ny, lateral: kl, axial: ka)
        Self.convolveSeparable(&fq, width: nx, height: ny, lateral: kl, axial: ka)
        Self.convolveSeparable(&fr, width: nx, height: ny, lateral: kl, axial: ka)
        if model.hasDefect {
            Self.convolveSeparable(&lp, width: nx, height: ny, lateral: kl, axial: ka)
            Self.convolveSeparable(&lq, width: nx, height: ny, lateral: kl, axial: ka)
        }
        incP = fp; incQ = fq; coh = fr; fluidP = lp; fluidQ = lq
        self.cls = cls
        attenuationByClass = TissueClass.allCases.map { Float(model.attenuationPerMm($0)) }

        var nrng = SplitMix64(seed: mix64(p.seed ^ 0x0015E))
        let nw = region.width, nh = region.height
        var noise = [Float](repeating: 0, count: 2 * nw * nh)
        let sigma = p.noiseLevel * 0.5.squareRoot()
        for i in 0..<(nw * nh) {
            let (a, b) = nrng.normalPair()
            noise[2 * i] = Float(sigma * a); noise[2 * i + 1] = Float(sigma * b)
        }
        Self.convolveSeparable(&noise, width: nw, height: nh, lateral: kl, axial: ka)
        self.noise = noise
        var mrng = SplitMix64(seed: mix64(p.seed ^ 0x0A0710))
        motionSeeds = (0..<4).map { _ in mrng.next() }

        canvas = p.exportCanvas ? ExportCanvas(parameters: p, region: region) : nil
        activations = (0..<p.frameCount).map { p.contraction.activation(frame: $0, frameCount: p.frameCount) }

    }

    /// A Gaussian with unit energy (sum of squares 1), so unit-variance complex scatterers stay unit variance.
    static func gaussianKernel(sigma: Double) -> [Float] {
        let r = Int((3 * sigma).rounded(.up))
        let w = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let e = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return w.map { Float($0 / e) }
    }

    public var frameCount: Int { parameters.frameCount }

    // MARK: Motion

    func state(_ index: Int) -> FrameState {
        let p = parameters
        let c = activations[index]
        let t = Double(index) / p.fps
        let s = motionSeeds
        let f1 = 0.3 + 0.5 * Double(s[0] >> 54) / 1024, f2 = 0.9 + 0.6 * Double(s[1] >> 54) / 1024
        let p1 = Double(s[2] >> 11) * 0x1.0p-53 * 2 * .pi, p2 = Double(s[3] >> 11) * 0x1.0p-53 * 2 * .pi
        let jx = p.jitterMm * (0.6 * sin(2 * .pi * f1 * t + p1) + 0.4 * sin(2 * .pi * f2 * t + p2))
        let jy = p.jitterMm / 3 * (0.6 * sin(2 * .pi * f2 * 0.7 * t + p2) + 0.4 * sin(2 * .pi * f1 * 1.3 * t + p1))
        return FrameState(activation: c, jx: jx, jy: jy,
                          phi: p.decorrelationPerFrame * Double(index) + p.decorrelationWithContraction * c,
                          phiFluid: 0.08 * Double(index),
                          shortening: p.shortening * c, stretch: 1 + p.thickening * c, h: model.splitH * c)
    }

    /// Longitudinal map of the muscle complex (material X -> image x before jitter).
    func phi(_ X: Double, _ st: FrameState) -> Double {
        let xc = model.hasDefect ? model.xd : model.xc0
        var x = xc + (X - xc) * (1 - st.shortening)
        if st.h > 0 {
            if X <= model.zoneD0 { x -= st.h } else if X >= model.zoneD1 { x += st.h }
            else { x += -st.h + 2 * st.h * (X - model.zoneD0) / (model.zoneD1 - model.zoneD0) }
        }
        return x
    }

    func phiInverse(_ q: Double, _ st: FrameState) -> Double {
        let xc = model.hasDefect ? model.xd : model.xc0
        let k = 1 - st.shortening
        guard st.h > 0 else { return xc + (q - xc) / k }
        let q0 = phi(model.zoneD0, st), q1 = phi(model.zoneD1, st)
        if q <= q0 { return xc + (q + st.h - xc) / k }
        if q >= q1 { return xc + (q - st.h - xc) / k }
        return model.zoneD0 + (q - q0) / (q1 - q0) * (model.zoneD1 - model.zoneD0)
    }

    /// Forward map of a muscle-complex material point to image mm (imaging-region coordinates).
    func forward(_ X: Double, _ Y: Double, _ st: FrameState) -> (x: Double, y: Double) {
        let s = model.s(X)
        let y: Double
        if Y < s { y = Y } else if Y < model.d(X) { y = s + (Y - s) * st.stretch }
        else { y = Y + (model.d(X) - s) * (st.stretch - 1) }
        return (phi(X, st) + st.jx, y + st.jy)
    }
}
