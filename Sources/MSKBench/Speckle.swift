import Foundation
import MSKImage
import MSKReader
import MSKSimulator

/// `MSKBench speckle [REAL_CLIP]`: first- and second-order speckle statistics of the muscle belly,
/// simulated and real, printed as the Markdown table of `Docs/simulated-vs-real.md`.
///
/// Simulated: the detected envelope before log compression (`renderEnvelope`) and the 8-bit grey
/// frame, over the model's intact-belly mask, middle half of the belly depth, at the rest frame.
/// Real: decoded grey in fixed belly rectangles of the p6 clip (medial gastrocnemius) over
/// several frames; its envelope is not available, so an estimate is made by undoing a log
/// compression over the scanner's stated dynamic range (66 dB): e = 10^(DR * g / 255 / 20).
enum SpeckleReport {
    static let defaultRealClip = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/real-video/p6_isometric_max_01_push_01.mp4").path

    /// Belly rectangles of the p6 clips (1148x624 frame): between the aponeuroses, clear of them.
    static let realRectangles: [(name: String, x: Int, y: Int, w: Int, h: Int)] = [
        ("left", 260, 130, 260, 130),
        ("right", 600, 120, 300, 110),
    ]
    static let realMmPerPixel = 0.092
    static let realDynamicRangeDb = 66.0
    static let realFrames = [0, 50, 100, 150]

    /// The figures of one region (or the mean of the figures over several frames).
    struct Figures {
        var mean: Double
        var sdOverMean: Double
        var lateralMm: Double?
        var axialMm: Double?

        init(_ s: SpeckleStatistics) {
            mean = s.mean; sdOverMean = s.sdOverMean; lateralMm = s.lateralFWHMmm; axialMm = s.axialFWHMmm
        }

        init(averaging list: [Figures]) {
            func avg(_ v: [Double?]) -> Double? {
                let known = v.compactMap { $0 }
                return known.count == v.count && !known.isEmpty ? known.reduce(0, +) / Double(known.count) : nil
            }
            mean = avg(list.map(\.mean)) ?? .nan
            sdOverMean = avg(list.map(\.sdOverMean)) ?? .nan
            lateralMm = avg(list.map(\.lateralMm)); axialMm = avg(list.map(\.axialMm))
        }
    }

    struct Row {
        let source: String
        let envelope: Figures
        let grey: Figures
    }

    static func run(realClip: String) throws {
        var rows: [Row] = []
        for name in ["full_01", "subtle_01", "partial_01", "none_01"] {
            guard let preset = SamplePresets.all.first(where: { $0.name == name }) else { continue }
            rows.append(simulated(preset.parameters, label: "\(name) (\(preset.parameters.frequencyMHz) MHz)"))
        }
        if var homogeneous = SamplePresets.all.first(where: { $0.name == "full_01" })?.parameters {
            homogeneous.fascicleContrast = 0
            rows.append(simulated(homogeneous, label: "full_01, fascicle lines off"))
        }
        if FileManager.default.fileExists(atPath: realClip) {
            rows.append(contentsOf: try real(realClip))
        } else {
            print("note: \(realClip) is absent; only simulated rows are measured")
        }
        print("| belly region | envelope SD/mean | envelope grain lat / ax (mm) | grey mean | grey SD/mean | grey grain lat / ax (mm) |")
        print("|---|---|---|---|---|---|")
        for row in rows {
            let env = String(format: "%.3f", row.envelope.sdOverMean)
            let envGrain = grain(row.envelope)
            print("| \(row.source) | \(env) | \(envGrain) | " + String(format: "%.1f", row.grey.mean)
                  + " | " + String(format: "%.3f", row.grey.sdOverMean) + " | \(grain(row.grey)) |")
        }
        let vesselClip = URL(fileURLWithPath: realClip).deletingLastPathComponent().appendingPathComponent("DemoBMode.mov").path
        try brightness(realClip: realClip, vesselClip: vesselClip)
    }

    /// Per column, the highest 3-row mean grey within rows `band(x)`; averaged over the columns.
    static func columnPeak(_ grey: (Int, Int) -> Double, columns: [Int], band: (Int) -> ClosedRange<Int>?) -> Double {
        var sum = 0.0, n = 0
        for x in columns {
            guard let rows = band(x), rows.count >= 3 else { continue }
            var best = 0.0
            for y in rows.lowerBound...(rows.upperBound - 2) {
                best = max(best, (grey(x, y) + grey(x, y + 1) + grey(x, y + 2)) / 3)
            }
            sum += best; n += 1
        }
        return n > 0 ? sum / Double(n) : .nan
    }

    /// Brightness of fascia and fluid against the belly: simulated (model classes at the rest frame)
    /// and real (fixed bands and rectangles).
    static func brightness(realClip: String, vesselClip: String) throws {
        print("")
        print("| region | superficial aponeurosis peak grey | deep aponeurosis peak grey | belly mean grey | fluid mean grey | fluid / belly | fluid pixels <= 5 |")
        print("|---|---|---|---|---|---|---|")
        func f(_ v: Double) -> String { v.isFinite ? String(format: "%.1f", v) : "-" }
        for name in ["full_01", "subtle_01", "partial_01", "none_01"] {
            guard let preset = SamplePresets.all.first(where: { $0.name == name }) else { continue }
            let simulator = CineSimulator(parameters: preset.parameters)
            var rest = 0
            for i in 0..<simulator.frameCount where simulator.activation(i) < simulator.activation(rest) { rest = i }
            let frame = simulator.renderFrame(rest)
            let r = simulator.imagingRegion, w = r.width, h = r.height
            func grey(_ x: Int, _ y: Int) -> Double { Double(frame.grey[r.x + x, r.y + y]) }
            func band(_ c: TissueClass) -> (Int) -> ClosedRange<Int>? {
                { x in
                    let rows = (0..<h).filter { frame.tissue[$0 * w + x] == c.rawValue }
                    guard let lo = rows.first, let hi = rows.last else { return nil }
                    return max(0, lo - 2)...min(h - 1, hi + 2)
                }
            }
            func classMean(_ classes: [TissueClass]) -> Double {
                var sum = 0.0, n = 0
                let raw = Set(classes.map(\.rawValue))
                for y in 0..<h { for x in 0..<w where raw.contains(frame.tissue[y * w + x]) && !frame.shadow[y * w + x] {
                    sum += grey(x, y); n += 1 } }
                return n > 0 ? sum / Double(n) : .nan
            }
            let columns = Array(stride(from: 0, to: w, by: 2))
            let belly = classMean([.belly])
            /// Mean grey of the class's interior: pixels whose 7x7 neighbourhood is all that class
            /// (leaves out the vessel's 0.25 mm bright wall and the blur at the fluid's margins).
            /// Also the share of those pixels at grey <= 5 (black).
            func interiorMean(_ c: TissueClass, margin k: Int = 3) -> (mean: Double, black: Double) {
                var sum = 0.0, n = 0, black = 0
                for y in k..<(h - k) {
                    for x in k..<(w - k) where frame.tissue[y * w + x] == c.rawValue {
                        var inside = true
                        for dy in -k...k where inside { for dx in -k...k where frame.tissue[(y + dy) * w + x + dx] != c.rawValue { inside = false; break } }
                        if inside { sum += grey(x, y); n += 1; if grey(x, y) <= 5 { black += 1 } }
                    }
                }
                return n > 0 ? (sum / Double(n), Double(black) / Double(n)) : (.nan, .nan)
            }
            let (fluid, black) = interiorMean(preset.parameters.distractor == .vessel ? .vessel : .defect)
            let fluidName = preset.parameters.distractor == .vessel ? "vessel lumen" : "defect"
            print("| simulated \(name) (fluid: \(fluidName)) | \(f(columnPeak(grey, columns: columns, band: band(.superficialAponeurosis)))) | "
                  + "\(f(columnPeak(grey, columns: columns, band: band(.deepAponeurosis)))) | \(f(belly)) | \(f(fluid)) | "
                  + (fluid.isFinite ? String(format: "%.2f | %.0f %%", fluid / belly, black * 100) : "- | -") + " |")
        }
        if FileManager.default.fileExists(atPath: realClip) {
            var sup = 0.0, deep = 0.0, belly = 0.0, n = 0.0
            let reader = try VideoReader(path: realClip)
            while let frame = try reader.nextFrame() {
                guard realFrames.contains(frame.index) else { if frame.index > realFrames.max()! { break }; continue }
                func grey(_ x: Int, _ y: Int) -> Double { Double(frame.grey[x, y]) }
                let columns = Array(stride(from: 260, to: 900, by: 2))
                sup += columnPeak(grey, columns: columns, band: { _ in 60...125 })
                deep += columnPeak(grey, columns: columns, band: { _ in 255...345 })
                var s = 0.0, m = 0
                for rect in realRectangles { for y in rect.y..<(rect.y + rect.h) { for x in rect.x..<(rect.x + rect.w) { s += grey(x, y); m += 1 } } }
                belly += s / Double(m); n += 1
            }
            print("| real \(URL(fileURLWithPath: realClip).lastPathComponent) (x 260-900; bands y 60-125, 255-345; frames "
                  + realFrames.map(String.init).joined(separator: ",") + ") | \(f(sup / n)) | \(f(deep / n)) | \(f(belly / n)) | no fluid | - | - |")
        }
        if FileManager.default.fileExists(atPath: vesselClip) {
            let reader = try VideoReader(path: vesselClip)
            var lumen = 0.0, tissue = 0.0, n = 0.0, black = 0.0
            while let frame = try reader.nextFrame(), frame.index <= 40 {
                guard frame.index % 10 == 0 else { continue }
                func mean(_ x0: Int, _ y0: Int, _ w: Int, _ h: Int) -> Double {
                    var s = 0.0
                    for y in y0..<(y0 + h) { for x in x0..<(x0 + w) { s += Double(frame.grey[x, y]) } }
                    return s / Double(w * h)
                }
                lumen += mean(320, 250, 80, 22); tissue += mean(310, 80, 150, 60); n += 1
                var b = 0
                for y in 250..<272 { for x in 320..<400 where frame.grey[x, y] <= 5 { b += 1 } }
                black += Double(b) / Double(80 * 22)
            }
            print("| real \(URL(fileURLWithPath: vesselClip).lastPathComponent) (brachial artery; lumen 80x22 at (320,250), tissue 150x60 at (310,80), frames 0-40 every 10) | - | - | "
                  + "\(f(tissue / n)) (soft tissue) | \(f(lumen / n)) (blood) | " + String(format: "%.2f | %.0f %%", lumen / tissue, black / n * 100) + " |")
        }
    }

    static func grain(_ s: Figures) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
        return "\(f(s.lateralMm)) / \(f(s.axialMm))"
    }

    static func simulated(_ parameters: SimulationParameters, label: String) -> Row {
        let simulator = CineSimulator(parameters: parameters)
        var rest = 0
        for i in 0..<simulator.frameCount where simulator.activation(i) < simulator.activation(rest) { rest = i }
        let envelope = simulator.renderEnvelope(rest)
        let frame = simulator.renderFrame(rest)
        let (w, h) = (envelope.width, envelope.height)
        var mask = envelope.bellyMask
        // Middle half of the belly depth (rows where the belly spans more than half the width).
        let rows = (0..<h).filter { y in (0..<w).filter { mask[y * w + $0] }.count > w / 2 }
        if let first = rows.first, let last = rows.last {
            let lo = first + rows.count / 4, hi = last - rows.count / 4
            for y in 0..<h where y < lo || y > hi { for x in 0..<w { mask[y * w + x] = false } }
        }
        let r = simulator.imagingRegion
        var grey = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { grey[y * w + x] = Float(frame.grey[r.x + x, r.y + y]) } }
        let sx = parameters.mmPerPixelX, sy = parameters.mmPerPixelY
        return Row(source: "simulated \(label)",
                   envelope: Figures(SpeckleStatistics.measure(envelope.envelope, width: w, height: h, mask: mask,
                                                               mmPerPixelX: sx, mmPerPixelY: sy)),
                   grey: Figures(SpeckleStatistics.measure(grey, width: w, height: h, mask: mask,
                                                           mmPerPixelX: sx, mmPerPixelY: sy)))
    }

    /// Per rectangle: the statistics of each listed frame, averaged (means of the figures).
    static func real(_ path: String) throws -> [Row] {
        var greyByRect = [[Figures]](repeating: [], count: realRectangles.count)
        var envByRect = greyByRect
        let reader = try VideoReader(path: path)
        while let frame = try reader.nextFrame() {
            guard realFrames.contains(frame.index) else {
                if frame.index > realFrames.max()! { break }
                continue
            }
            for (k, rect) in realRectangles.enumerated() {
                var grey = [Float](repeating: 0, count: rect.w * rect.h)
                for y in 0..<rect.h { for x in 0..<rect.w { grey[y * rect.w + x] = Float(frame.grey[rect.x + x, rect.y + y]) } }
                let envelope = grey.map { Float(pow(10, realDynamicRangeDb * Double($0) / 255 / 20)) }
                let mask = [Bool](repeating: true, count: grey.count)
                greyByRect[k].append(Figures(SpeckleStatistics.measure(grey, width: rect.w, height: rect.h, mask: mask,
                                                                       mmPerPixelX: realMmPerPixel, mmPerPixelY: realMmPerPixel, maxLag: 48)))
                envByRect[k].append(Figures(SpeckleStatistics.measure(envelope, width: rect.w, height: rect.h, mask: mask,
                                                                      mmPerPixelX: realMmPerPixel, mmPerPixelY: realMmPerPixel, maxLag: 48)))
            }
        }
        let clip = URL(fileURLWithPath: path).lastPathComponent
        return realRectangles.enumerated().map { k, rect in
            Row(source: "real \(clip), \(rect.name) belly \(rect.w)x\(rect.h) px at (\(rect.x),\(rect.y)), frames \(realFrames.map(String.init).joined(separator: ","))",
                envelope: Figures(averaging: envByRect[k]), grey: Figures(averaging: greyByRect[k]))
        }
    }

}
