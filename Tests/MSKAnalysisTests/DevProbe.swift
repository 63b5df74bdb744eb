import Foundation
import MSKAnalysis
import MSKImaging
import MSKSimulator
import MSKReader
import MSKLabels
import MSKImage
import Testing

@Test(.enabled(if: ProcessInfo.processInfo.environment["MSK_DEV"] != nil))
func devProbe() throws {
    for preset in SamplePresets.all {
        let sim = CineSimulator(parameters: preset.parameters)
        let p = preset.parameters
        let spacing = Spacing(mmPerPixelX: p.mmPerPixelX, mmPerPixelY: p.mmPerPixelY)
        let analyzer = FrameAnalyzer(spacing: spacing)
        let r = sim.imagingRegion
        let rect = PixelRect(x: r.x, y: r.y, width: r.width, height: r.height)
        var errs: [String: [Double]] = [:]
        for i in stride(from: 0, to: sim.frameCount, by: 6) {
            let f = sim.renderFrame(i)
            let obs = analyzer.observe(FloatImage(f.grey, cropping: rect), index: i, timeS: 0)
            let t = f.truth
            func add(_ k: String, _ a: Double?, _ b: Double?) { if let a, let b { errs[k, default: []].append(a - b) } else { errs[k + "_missing", default: []].append(1) } }
            add("thick", obs.thicknessMm, t.muscleThicknessMm)
            add("echo", obs.echoIntensity, t.echoIntensity)
            let gap = obs.defect.map { ($0.midRightX - $0.midLeftX) * p.mmPerPixelX } ?? 0
            add("gap", gap, t.gapWidthMm)
            var sep = 0.0
            if let d = obs.defect, let l = d.leftFaceCentroid, let rr = d.rightFaceCentroid {
                sep = hypot((rr.x - l.x) * p.mmPerPixelX, (rr.y - l.y) * p.mmPerPixelY)
            }
            add("sep", sep, t.endSeparationMm)
            add("frac", obs.defect?.depthFraction ?? 0, t.defectDepthFraction)
        }
        var line = preset.name.padding(toLength: 20, withPad: " ", startingAt: 0)
        for k in errs.keys.sorted() {
            let v = errs[k]!
            if k.hasSuffix("missing") { line += " \(k)=\(v.count)"; continue }
            let mae = v.map(abs).reduce(0, +) / Double(v.count), bias = v.reduce(0, +) / Double(v.count)
            line += String(format: " %@ %.2f/%+.2f", k, mae, bias)
        }
        print(line)
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["MSK_DEV_DUMP"] != nil))
func devDump() throws {
    let names = ProcessInfo.processInfo.environment["MSK_DEV_DUMP"]!.split(separator: ",").map(String.init)
    for preset in SamplePresets.all where names.contains(preset.name) {
        let sim = CineSimulator(parameters: preset.parameters)
        let p = preset.parameters
        let spacing = Spacing(mmPerPixelX: p.mmPerPixelX, mmPerPixelY: p.mmPerPixelY)
        let r = sim.imagingRegion
        let rect = PixelRect(x: r.x, y: r.y, width: r.width, height: r.height)
        let idx = Int(ProcessInfo.processInfo.environment["MSK_DEV_FRAME"] ?? "0") ?? 0
        let f = sim.renderFrame(idx)
        let region = FloatImage(f.grey, cropping: rect)
        let obs = FrameAnalyzer(spacing: spacing).observe(region, index: 0, timeS: 0)
        var rgb = [UInt8](repeating: 0, count: region.width * region.height * 3)
        for i in 0..<(region.width * region.height) { let v = UInt8(region.pixels[i]); rgb[3*i] = v; rgb[3*i+1] = v; rgb[3*i+2] = v }
        func put(_ x: Double, _ y: Double, _ c: (UInt8, UInt8, UInt8)) {
            let xi = Int(x.rounded()), yi = Int(y.rounded())
            guard xi >= 0, yi >= 0, xi < region.width, yi < region.height else { return }
            let k = 3 * (yi * region.width + xi); rgb[k] = c.0; rgb[k+1] = c.1; rgb[k+2] = c.2
        }
        if let a = obs.aponeuroses {
            for x in stride(from: 0, to: region.width, by: 2) {
                put(Double(x), a.superficialInner.y(Double(x)), (255, 0, 0)); put(Double(x), a.deepInner.y(Double(x)), (0, 255, 0))
            }
        }
        if let d = obs.defect {
            for pnt in d.leftFace { put(pnt.x, pnt.y, (255, 255, 0)) }
            for pnt in d.rightFace { put(pnt.x, pnt.y, (0, 255, 255)) }
            for x in stride(from: d.midLeftX, through: d.midRightX, by: 1) { put(x, d.midY, (255, 0, 255)) }
        }
        var data = Data("P6\n\(region.width) \(region.height)\n255\n".utf8); data.append(contentsOf: rgb)
        try data.write(to: URL(fileURLWithPath: "/tmp/dev_\(preset.name).ppm"))
        print(preset.name, "truth", f.truth.muscleThicknessMm ?? -1, f.truth.gapWidthMm ?? -1, "obs", obs.thicknessMm ?? -1, obs.defect.map { ($0.midRightX - $0.midLeftX) * p.mmPerPixelX } ?? 0, obs.rejected.map(\.reason))
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["MSK_DEV_CLIP"] != nil))
func devClip() throws {
    let names = ProcessInfo.processInfo.environment["MSK_DEV_CLIP"]!.split(separator: ",").map(String.init)
    for preset in SamplePresets.all where names.contains(preset.name) || names == ["all"] {
        let sim = CineSimulator(parameters: preset.parameters)
        let p = preset.parameters
        let analyzer = ClipAnalyzer(path: preset.name, options: AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: p.mmPerPixelX, mmPerPixelY: p.mmPerPixelY)))
        var truths: [FrameLabel] = []
        for f in sim.frames() {
            try analyzer.add(Frame(index: f.truth.index, timeS: Double(f.truth.index) / 30, grey: f.grey, rgb: f.rgb))
            truths.append(f.truth)
        }
        let info = ClipInfo(path: preset.name, container: "sim", containerLongName: "sim", codec: "sim", width: 1, height: 1, pixelFormat: "gray", fps: 30, frameCount: truths.count, durationS: nil, startTimeS: nil, rotationDegrees: 0)
        let a = try analyzer.finish(info: info, warnings: [])
        func mae(_ k: (FrameMeasurement) -> Double?, _ t: (FrameLabel) -> Double?) -> String {
            var e: [Double] = []
            for (m, l) in zip(a.frames, truths) { if let x = k(m), let y = t(l) { e.append(x - y) } }
            guard !e.isEmpty else { return "-" }
            return String(format: "%.2f/%+.2f", e.map(abs).reduce(0, +) / Double(e.count), e.reduce(0, +) / Double(e.count))
        }
        let r = Stats.correlation(a.frames.map(\.contraction), truths.map { $0.contraction ?? 0 }) ?? .nan
        print(preset.name.padding(toLength: 20, withPad: " ", startingAt: 0),
              "thick", mae({ $0.muscleThickness?.value }, { $0.muscleThicknessMm }),
              "echo", mae({ $0.echoIntensity }, { $0.echoIntensity }),
              "gap", mae({ $0.gapWidth.value }, { $0.gapWidthMm }),
              "sep", mae({ $0.endSeparation.value }, { $0.endSeparationMm }),
              "frac", mae({ $0.defectDepthFraction }, { $0.defectDepthFraction }),
              String(format: "r %.3f", r), a.finding.classification.rawValue, "truth", preset.parameters.tearCase.rawValue,
              String(format: "widen %.2f", a.summary.gapWidening?.value ?? .nan), "region", a.imagingRegion, "sim", sim.imagingRegion, "defectFrames", a.frames.filter(\.defectDetected).count)
        if ProcessInfo.processInfo.environment["MSK_DEV_EVIDENCE"] != nil { print(a.finding.evidence, a.warnings) }
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["MSK_DEV_PX"] != nil))
func devPixels() throws {
    let name = ProcessInfo.processInfo.environment["MSK_DEV_PX"]!
    let preset = SamplePresets.all.first { $0.name == name }!
    let f = CineSimulator(parameters: preset.parameters).renderFrame(0)
    for y in [70, 150, 250, 350] {
        print(y, (70..<92).map { String(f.grey[$0, y]) }.joined(separator: " "))
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["MSK_DEV_REAL"] != nil))
func devReal() throws {
    let path = ProcessInfo.processInfo.environment["MSK_DEV_REAL"]!
    let want = Int(ProcessInfo.processInfo.environment["MSK_DEV_FRAME"] ?? "0") ?? 0
    let reader = try VideoReader(path: path)
    var frames: [GreyImage] = []
    var target: GreyImage?
    while let f = try reader.nextFrame() {
        if frames.count < 12 { frames.append(f.grey) }
        if f.index == want { target = f.grey }
        if frames.count >= 12, target != nil { break }
    }
    let rect = ImagingRegionDetector().detect(frames: frames)!
    let region = FloatImage(target!, cropping: rect)
    let mm = 40.0 / Double(rect.height)
    let obs = FrameAnalyzer(spacing: Spacing(mmPerPixelX: mm, mmPerPixelY: mm)).observe(region, index: 0, timeS: 0)
    var rgb = [UInt8](repeating: 0, count: region.width * region.height * 3)
    for i in 0..<(region.width * region.height) { let v = UInt8(region.pixels[i]); rgb[3*i] = v; rgb[3*i+1] = v; rgb[3*i+2] = v }
    func put(_ x: Double, _ y: Double, _ c: (UInt8, UInt8, UInt8)) {
        let xi = Int(x.rounded()), yi = Int(y.rounded())
        guard xi >= 0, yi >= 0, xi < region.width, yi < region.height else { return }
        let k = 3 * (yi * region.width + xi); rgb[k] = c.0; rgb[k+1] = c.1; rgb[k+2] = c.2
    }
    if let a = obs.aponeuroses {
        for x in stride(from: 0, to: region.width, by: 2) { put(Double(x), a.superficialInner.y(Double(x)), (255, 0, 0)); put(Double(x), a.deepInner.y(Double(x)), (0, 255, 0)) }
    }
    if let d = obs.defect {
        for x in d.box.x..<d.box.maxX { put(Double(x), Double(d.box.y), (255, 0, 255)); put(Double(x), Double(d.box.maxY), (255, 0, 255)) }
        for y in d.box.y..<d.box.maxY { put(Double(d.box.x), Double(y), (255, 0, 255)); put(Double(d.box.maxX), Double(y), (255, 0, 255)) }
        print("defect", d.box, d.depthFraction, d.fluidLevel, d.bellyLevel)
    }
    var data = Data("P6\n\(region.width) \(region.height)\n255\n".utf8); data.append(contentsOf: rgb)
    try data.write(to: URL(fileURLWithPath: "/tmp/dev_real.ppm"))
    print("region", rect, obs.rejected.map(\.reason))
}
