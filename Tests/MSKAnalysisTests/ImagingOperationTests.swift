import Foundation
import MSKAnalysis
import MSKImage
import MSKImaging
import MSKReader
import MSKSimulator
import Testing

/// Image operations on known inputs with known outputs.
@Suite struct ImagingOperationTests {
    /// A deterministic speckle-like texture.
    static func texture(width: Int, height: Int, seed: UInt64) -> FloatImage {
        var state = seed
        var raw = [Float](repeating: 0, count: width * height)
        for i in raw.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            raw[i] = Float(state >> 40 & 0xff)
        }
        // Blur a little so the texture has a grain of a few pixels, as speckle does.
        return Filters.gaussian(FloatImage(width: width, height: height, pixels: raw), sigmaX: 1.2, sigmaY: 0.8)
    }

    /// A drawn muscle, 200 x 160 px: speckle at grey ~30-105, a superficial band at rows 30..<38
    /// (grey 200) and a deep band at rows 120..<128 (grey `deepGrey`); inner edges at 38 and 120.
    static func drawnMuscle(deepGrey: Float = 200) -> FloatImage {
        let w = 200, h = 160
        var image = texture(width: w, height: h, seed: 11)
        for i in image.pixels.indices { image.pixels[i] = 30 + 0.3 * image.pixels[i] }
        for y in 30..<38 { for x in 0..<w { image.pixels[y * w + x] = 200 } }
        for y in 120..<128 { for x in 0..<w { image.pixels[y * w + x] = deepGrey } }
        return image
    }

    static func shifted(_ image: FloatImage, dx: Int, dy: Int) -> FloatImage {
        var out = FloatImage(width: image.width, height: image.height)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let sx = min(max(x - dx, 0), image.width - 1), sy = min(max(y - dy, 0), image.height - 1)
                out.pixels[y * image.width + x] = image[sx, sy]
            }
        }
        return out
    }

    @Test(arguments: [(0, 0), (3, -2), (-4, 1), (2, 2)])
    func blockMatcherFindsAKnownShift(dx: Int, dy: Int) throws {
        let a = Self.texture(width: 120, height: 90, seed: 7)
        let b = Self.shifted(a, dx: dx, dy: dy)
        let matcher = BlockMatcher(halfWidth: 8, halfHeight: 6, searchX: 5, searchY: 4)
        let m = try #require(matcher.match(previous: a, next: b, cx: 60, cy: 45))
        #expect(abs(m.displacement.x - Double(dx)) < 0.25)
        #expect(abs(m.displacement.y - Double(dy)) < 0.25)
        #expect(m.correlation > 0.95)
    }

    @Test func blockMatcherRefusesFlatBlocksAndTheEdge() {
        let flat = FloatImage(width: 80, height: 60, value: 40)
        let matcher = BlockMatcher(halfWidth: 6, halfHeight: 4, searchX: 4, searchY: 3)
        #expect(matcher.match(previous: flat, next: flat, cx: 40, cy: 30) == nil)
        let t = Self.texture(width: 80, height: 60, seed: 3)
        #expect(matcher.match(previous: t, next: t, cx: 5, cy: 30) == nil)
    }

    @Test func boxMeanOfAConstantIsTheConstantAndOfAStepIsLinear() {
        let c = Filters.boxMean(FloatImage(width: 31, height: 17, value: 9), radiusX: 3, radiusY: 2)
        #expect(c.pixels.allSatisfy { abs($0 - 9) < 1e-4 })
        var step = FloatImage(width: 21, height: 5)
        for y in 0..<5 { for x in 10..<21 { step.pixels[y * 21 + x] = 70 } }
        let m = Filters.boxMean(step, radiusX: 2, radiusY: 0)
        // Window [x-2, x+2] over the step at 10: 0, 14, 28, 42, 56, 70 from x = 7 to 12.
        for (x, expected) in zip(7...12, [Float(0), 14, 28, 42, 56, 70]) {
            #expect(abs(m[x, 2] - expected) < 1e-3, "x = \(x)")
        }
    }

    @Test(arguments: [(0, 60), (5, 17), (40, 60), (0, 1), (59, 60)])
    func boxMeanOverSomeRowsEqualsThoseRowsOfTheWholeResult(first: Int, end: Int) {
        let image = Self.texture(width: 37, height: 60, seed: 21)
        let whole = Filters.boxMean(image, radiusX: 2, radiusY: 7)
        let part = Filters.boxMean(image, radiusX: 2, radiusY: 7, rows: first..<end)
        #expect(part.width == 37 && part.height == end - first)
        var worst: Float = 0
        for y in first..<end { for x in 0..<37 { worst = max(worst, abs(part[x, y - first] - whole[x, y])) } }
        #expect(worst < 1e-3)
        let rowsOnly = Filters.boxMean(image, radiusX: 0, radiusY: 0, rows: first..<end)
        #expect(rowsOnly.pixels == Array(image.pixels[(first * 37)..<(end * 37)]))
    }

    @Test func robustQuadraticFitIgnoresAnOutlier() throws {
        let xs = (0..<20).map(Double.init)
        var ys = xs.map { 5 + 0.3 * $0 - 0.01 * $0 * $0 }
        ys[7] += 40
        let q = try #require(Quadratic.fit(x: xs, y: ys))
        #expect(abs(q.y(10) - (5 + 3 - 1)) < 0.2)
    }

    @Test func amplitudeLevelsLieBetweenTheirEnds() {
        let c = LogCompression()
        let mid = c.amplitudeLevel(from: 60, to: 200, fraction: 0.5)
        #expect(mid > 130 && mid < 200)   // the amplitude mean sits near the brighter end on a log scale
        // Its echo amplitude is the mean of the two ends' amplitudes (60 dB over 255 grey levels).
        let k = 60.0 / (20 * 255)
        let amplitude = { (g: Float) in pow(10, Double(g) * k) }
        #expect(abs(amplitude(mid) - (amplitude(60) + amplitude(200)) / 2) < 1e-3 * amplitude(200))
        #expect(abs(c.amplitudeLevel(from: 60, to: 200, fraction: 0) - 60) < 1e-3)
        #expect(abs(c.amplitudeLevel(from: 60, to: 200, fraction: 1) - 200) < 1e-3)
    }

    /// Two bright horizontal bands on speckle: the detector must find their inner edges where the
    /// bands were drawn, and a thickness equal to the drawn distance.
    @Test func aponeurosesOfADrawnMuscle() throws {
        let image = Self.drawnMuscle()
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let pair = try #require(AponeurosisDetector().detect(image, spacing: spacing))
        #expect(abs(pair.superficialInner.y(100) - 37.5) < 1.5)
        #expect(abs(pair.deepInner.y(100) - 119.5) < 1.5)
        let obs = FrameAnalyzer(spacing: spacing).observe(image, index: 0, timeS: 0)
        let thickness = try #require(obs.thicknessMm)
        #expect(abs(thickness - 8.2) < 0.3)
        #expect(obs.defect == nil)
    }

    /// A deep aponeurosis far fainter than the superficial one is not a strong path, so the muscle
    /// is not found from scratch; following the previous frame's pair finds it (and says so), and
    /// a previous pair further away than `followMm` is not followed.
    @Test func aFaintDeepAponeurosisIsFollowedFromThePreviousFrame() throws {
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let detector = AponeurosisDetector()
        let clear = try #require(detector.detect(Self.drawnMuscle(), spacing: spacing))
        #expect(!clear.followed)
        let faint = Self.drawnMuscle(deepGrey: 95)
        #expect(detector.detect(faint, spacing: spacing) == nil)
        let followed = try #require(detector.detect(faint, spacing: spacing, following: clear))
        #expect(followed.followed)
        #expect(abs(followed.superficialInner.y(100) - 37.5) < 1.5)
        #expect(abs(followed.deepInner.y(100) - 119.5) < 1.5)
        // The same pair 3 mm (30 px) deeper than the bands: too far to be followed (2 mm).
        var far = clear
        for keyPath in [\AponeurosisPair.superficialCentre, \.superficialInner, \.deepCentre, \.deepInner] {
            far[keyPath: keyPath].c0 += 30
        }
        #expect(detector.detect(faint, spacing: spacing, following: far) == nil)
    }

    /// The same muscle with an anechoic gap across its whole thickness: a full-depth defect whose
    /// mid-depth width is the drawn width.
    @Test func aDrawnFullThicknessGap() throws {
        let w = 240, h = 160
        var image = Self.texture(width: w, height: h, seed: 5)
        for i in image.pixels.indices { image.pixels[i] = 40 + 0.4 * image.pixels[i] }
        for y in 0..<h where (30..<38).contains(y) || (120..<128).contains(y) {
            for x in 0..<w { image.pixels[y * w + x] = 200 }
        }
        for y in 38..<120 { for x in 100..<150 { image.pixels[y * w + x] = 2 } }
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let obs = FrameAnalyzer(spacing: spacing).observe(image, index: 0, timeS: 0)
        let d = try #require(obs.defect)
        #expect(d.depthFraction > 0.95)
        #expect(abs((d.midRightX - d.midLeftX) - 50) < 2.5)
    }
}

@Suite struct TrackSmootherTests {
    /// A ramp observed with noise, tracked exactly: the fused series follows the ramp more closely
    /// than the detections, and an outlier is gated out.
    @Test func fusionBeatsDetectionAndRejectsOutliers() throws {
        let n = 100
        let truth = (0..<n).map { 10 + 0.05 * Double($0) }
        var state: UInt64 = 1
        func noise() -> Double { state = state &* 6364136223846793005 &+ 1; return (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.6 }
        var detections: [Double?] = truth.map { $0 + noise() }
        detections[50] = 30
        detections[10] = nil
        let motion: [Double?] = (0..<n).map { $0 == 0 ? nil : 0.05 }
        let r = try #require(TrackSmoother(motionNoise: 0.01, detectionNoise: 0.2).smooth(motion: motion, detections: detections))
        #expect(r.rejected == 1)
        let fusedError = zip(r.values, truth).map { abs($0 - $1) }.max()!
        #expect(fusedError < 0.1)
        #expect(abs(r.values[0] - truth[0]) < 0.1)   // the backward pass fixes the start
    }

    @Test func nothingDetectedMeansNothingToSay() {
        #expect(TrackSmoother(motionNoise: 1, detectionNoise: 1).smooth(motion: [nil, 1], detections: [nil, nil]) == nil)
    }
}

@Suite struct DocumentTests {
    @Test func sha256MatchesKnownDigests() throws {
        var h = SHA256()
        h.update(Array("abc".utf8))
        #expect(h.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var e = SHA256()
        e.update([UInt8]())
        #expect(e.finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var long = SHA256()
        long.update(Array(String(repeating: "a", count: 1_000_000).utf8))
        #expect(long.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func jsonNumbersAndStrings() {
        let v: JSONValue = .object([("a", .number(1)), ("b", .number(0.125)), ("c", .string("q\"\n")), ("d", .null), ("e", .number(.nan))])
        #expect(v.serialized() == #"{"a":1,"b":0.125,"c":"q\"\n","d":null,"e":null}"#)
    }

    /// Numbers are written without Foundation's formatter in the common case; the text must be
    /// exactly what `%.Nf` gives with trailing zeros dropped (and "-0" as "0"), for values of every
    /// magnitude and sign, and for values on or next to a rounding half (there the exact formatter
    /// is used).
    @Test(arguments: [1, 2, 4, 6])
    func numbersAreWrittenAsPrintfWrites(decimals: Int) {
        func reference(_ x: Double) -> String {
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            var s = String(format: "%.\(decimals)f", x)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
            return s == "-0" ? "0" : s
        }
        var state: UInt64 = 77
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        var values: [Double] = [0.00004, -0.00004, 0.00005, -0.00005, 0.125, 2.5, -2.5, 1e-9, 123456789.98765, 999999999.5, 1e12 + 0.3]
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        for k in 0..<2000 {
            // Around halves of the last decimal: exactly on, and a few ulps either side.
            let half = (Double(k) + 0.5) / scale
            values += [half, half.nextUp, half.nextDown, -half]
        }
        for _ in 0..<20_000 {
            let magnitude = pow(10, 8 * unit() - 4)
            values.append((unit() - 0.5) * 2 * magnitude)
        }
        var mismatches: [String] = []
        for x in values {
            let written = JSONValue.number(x).serialized(decimals: decimals), expected = reference(x)
            if written != expected && mismatches.count < 5 { mismatches.append("\(x): \(written) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}

@Suite struct FileDigestTests {
    @Test func fileDigestEqualsSha256sum() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
        try Data(bytes).write(to: url)
        var h = SHA256()
        h.update(bytes)
        let expected = h.finalize()
        #expect(SHA256.hexDigest(ofFile: url.path) == expected)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(out.hasPrefix(expected))
        #expect(SHA256.hexDigest(ofFile: "/no/such/file") == nil)
    }
}

@Suite struct QuantileTests {
    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    func histogramQuantileEqualsSorting(q: Double) throws {
        var state: UInt64 = 9
        let values: [Float] = (0..<50_001).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40 & 0xffff) / 256
        }
        let s = values.sorted()
        let pos = q * Double(s.count - 1)
        let i = Int(pos), f = Float(pos - Double(i))
        let expected = i + 1 < s.count ? s[i] * (1 - f) + s[i + 1] * f : s[i]
        #expect(Stats.quantile(values, q) == expected)
        #expect(abs((Stats.quantile([Float](repeating: 3, count: 5000), q) ?? 0) - 3) < 1e-5)
    }

    /// The Double quantile: linear between order statistics, and at 0.5 the median exactly (R3's
    /// quartile and R6's median come from one function; the median must not move by a bit).
    @Test func doubleQuantileInterpolatesAndItsMidpointIsTheMedian() {
        #expect(Stats.quantile([0.2, 0.4, 0.6, 1.0], 0.75) == 0.6 * 0.75 + 1.0 * 0.25)
        let three: [Double] = [3, 1, 2]
        #expect(Stats.quantile(three, 0) == 1 && Stats.quantile(three, 1) == 3)
        #expect(Stats.quantile([Double](), 0.5) == nil)
        var state: UInt64 = 5
        for n in 1...40 {
            let v: [Double] = (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(state >> 11) / Double(1 << 53)
            }
            #expect(Stats.quantile(v, 0.5) == Stats.median(v), "n = \(n)")
        }
    }
}


@Suite struct GreyQuantileTests {
    @Test(arguments: [0.1, 0.5, 0.9])
    func greyQuantileIsWithinASixteenthOfTheExactQuantile(q: Double) throws {
        var state: UInt64 = 12
        let values: [Float] = (0..<30_000).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40 & 0xffff) / 257
        }
        let exact = try #require(Stats.quantile(values, q))
        let approx = try #require(Stats.greyQuantile(values, q))
        #expect(abs(exact - approx) <= 1.0 / 16)
        #expect(Stats.greyQuantile([], q) == nil)
    }
}

@Suite struct ImagingRegionTests {
    /// A scanner-export canvas (black margins, text rows, depth ruler, logo, coloured markers)
    /// around the simulated image: the detector must find the image's own rectangle.
    @Test(arguments: [(640, 480, UInt64(3)), (512, 400, UInt64(8))])
    func findsTheImageInsideAnExportCanvas(width: Int, height: Int, seed: UInt64) throws {
        let sim = CineSimulator(parameters: .preset(case: .full, seed: seed, width: width, height: height, mmPerPixel: 0.08,
                                                    frameCount: 12, fps: 25, exportCanvas: true))
        let frames = (0..<12).map { sim.renderFrame($0) }
        let found = try #require(ImagingRegionDetector().detect(frames: frames.map(\.grey), rgb: frames.map(\.rgb)))
        let truth = sim.imagingRegion
        #expect(abs(found.x - truth.x) <= 2 && abs(found.y - truth.y) <= 2, "found \(found), truth \(truth)")
        #expect(abs(found.maxX - (truth.x + truth.width)) <= 2, "found \(found), truth \(truth)")
        // The bottom may stop above an acoustic shadow, never below the image.
        #expect(found.maxY <= truth.y + truth.height + 2 && found.height >= truth.height * 3 / 4, "found \(found), truth \(truth)")
    }

    @Test func aFlatFrameHasNoImagingRegion() {
        let flat = GreyImage(width: 200, height: 150, value: 30)
        #expect(ImagingRegionDetector().detect(frames: [flat, flat, flat]) == nil)
    }
}

@Suite("Defect detector: a stump's face is where the tissue begins, not a speckle grain inside the fluid")
struct DefectFaceTests {
    static let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
    /// The drawn muscle's aponeuroses: inner edges at rows 46 and 149.
    static let apo = AponeurosisPair(superficialCentre: Quadratic(c0: 42.5), superficialInner: Quadratic(c0: 46),
                                     deepCentre: Quadratic(c0: 152.5), deepInner: Quadratic(c0: 149),
                                     bellyLevel: 110, superficialContrast: 120, deepContrast: 120, coverage: 1)

    /// Speckle-like noise in -0.5...0.5, the same sequence for the same seed.
    final class Noise {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 33) & 0xFF) / 255 - 0.5
        }
    }

    /// A 300 x 200 muscle: belly speckle around grey 110 between two bright aponeuroses (rows 40-45
    /// and 150-155), posterior enhancement beneath x 130-169, and in the belly's rows (46-149)
    /// whatever `belly(x, y, noise)` draws there (nil: the belly's speckle).
    static func drawn(seed: UInt64, beneath: Float = 170, belly: (Int, Int, Noise) -> Float?) -> FloatImage {
        let noise = Noise(seed: seed)
        var p = [Float](repeating: 0, count: 300 * 200)
        for y in 0..<200 {
            for x in 0..<300 {
                var v: Float = 110 + 40 * noise.next()
                if (40...45).contains(y) || (150...155).contains(y) { v = 230 }
                if y > 45, y < 150, let drawn = belly(x, y, noise) { v = drawn }
                if y > 155, (130...169).contains(x) { v = beneath + 30 * noise.next() }
                p[y * 300 + x] = v
            }
        }
        return FloatImage(width: 300, height: 200, pixels: p)
    }

    /// The faces the default detector finds, and those with `change` made to its parameters.
    static func faces(_ image: FloatImage, _ change: (inout DefectDetector.Params) -> Void = { _ in }) throws -> DefectObservation {
        var params = DefectDetector.Params()
        change(&params)
        return try #require(DefectDetector(params: params).detect(image, aponeuroses: apo, spacing: spacing).defect)
    }

    /// A fluid gap through the muscle at the image's left side (x 3-42, over enhanced tissue), with
    /// 3 columns of flat grey canvas (grey 95, brighter than the dark threshold) left of it inside
    /// the frame: an imaging region found a few pixels too wide.
    static func gapAtTheSideBehindCanvas() -> FloatImage {
        let noise = Noise(seed: 13)
        var p = [Float](repeating: 0, count: 300 * 200)
        for y in 0..<200 {
            for x in 0..<300 {
                var v: Float = 110 + 40 * noise.next()
                if (40...45).contains(y) || (150...155).contains(y) { v = 230 }
                if y > 45, y < 150, (3...42).contains(x) { v = 20 + 4 * noise.next() }
                if y > 155, (3...42).contains(x) { v = 170 + 30 * noise.next() }
                if x < 3 { v = 95 }
                p[y * 300 + x] = v
            }
        }
        return FloatImage(width: 300, height: 200, pixels: p)
    }

    @Test("A dark region within a few pixels of the frame's side, behind a strip of canvas, is at the side")
    func regionBehindCanvasIsAtTheSide() throws {
        let image = Self.gapAtTheSideBehindCanvas()
        let result = DefectDetector().detect(image, aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(result.defect == nil, "taken for a defect at \(String(describing: result.defect?.box))")
        let reasons = result.rejected.map(\.reason)
        #expect(reasons.contains { $0.contains("side edge") }, "rejected: \(reasons)")
        // Only a region reaching column 0 itself at the side: the canvas keeps this one off it.
        var edgeOnly = DefectDetector.Params()
        edgeOnly.sideMarginPx = 0
        let off = DefectDetector(params: edgeOnly).detect(image, aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(!off.rejected.contains { $0.reason.contains("side edge") }, "rejected: \(off.rejected.map(\.reason))")
    }

    /// A 40 px fluid gap at x 130-169 (darkest at its centre); `grain`: a bright grain (grey 150,
    /// 3 x 12 px) in the fluid at x 137-139.
    static func belly(grain: Bool) -> FloatImage {
        drawn(seed: 3) { x, y, noise in
            if grain, (137...139).contains(x), (91...102).contains(y) { return 150 }
            return (130...169).contains(x) ? 20 + 0.5 * Float(abs(x - 150)) + 4 * noise.next() : nil
        }
    }

    @Test("A fluid gap joined to the image's side by a dark band is found on its side core, and lost without it")
    func gapJoinedToTheSide() throws {
        // The fluid gap at x 130-169 (over enhanced tissue), and a dark band (grey 40, rows 90-105,
        // 0.16 of the belly's depth) from the image's left edge to the gap: one dark region, at
        // the side edge.
        let image = Self.drawn(seed: 5) { x, y, noise in
            if (130...169).contains(x) { return 20 + 0.5 * Float(abs(x - 150)) + 4 * noise.next() }
            if x < 130, (90...105).contains(y) { return 40 + 4 * noise.next() }
            return nil
        }
        let found = try Self.faces(image)
        #expect(found.box.x >= 125 && found.box.x + found.box.width <= 175, "box \(found.box)")
        #expect(found.touchesSuperficial && found.touchesDeep)
        #expect(abs(found.midRightX - found.midLeftX - 40) <= 4, "faces at \(found.midLeftX) and \(found.midRightX)")
        var off = DefectDetector.Params()
        off.sideCore = false
        #expect(DefectDetector(params: off).detect(image, aponeuroses: Self.apo, spacing: Self.spacing).defect == nil)
    }

    @Test("The gap's width is the same with a bright grain inside the fluid as without it")
    func grainInsideFluid() throws {
        for grain in [false, true] {
            let d = try Self.faces(Self.belly(grain: grain))
            let width = d.midRightX - d.midLeftX
            #expect(abs(width - 40) <= 3, "grain \(grain): width \(width) px, faces at \(d.midLeftX) and \(d.midRightX)")
        }
        // Confirming a face over one pixel only, on the mid-depth line alone and taking every
        // crossing for a face, the grain is taken for the left face; on the band of rows about
        // it, the grain moves too few rows' crossings.
        let band = try Self.faces(Self.belly(grain: true)) { $0.faceConfirmMm = 0.1 }
        #expect(abs(band.midRightX - band.midLeftX - 40) <= 3, "faces at \(band.midLeftX) and \(band.midRightX)")
        let short = try Self.faces(Self.belly(grain: true)) { $0.faceConfirmMm = 0.1; $0.gapBandFraction = 0; $0.maxInternalEchoMm = 0 }
        #expect(short.midLeftX > 136, "left face at \(short.midLeftX)")
    }

    /// The gap's faces tilted (x shifts 0.3 px a row: 40 px wide on every row) and a thin bright
    /// line (a scanner's caliper mark, grey 200, 3 rows) crossing the fluid at mid depth from x 141
    /// to 160.
    static func tiltedGapWithLine() -> FloatImage {
        drawn(seed: 5) { x, y, noise in
            if (96...98).contains(y), (141...160).contains(x) { return 200 }
            let shift = 0.3 * (Double(y) - 97.5)
            return Double(x) >= 130 + shift && Double(x) < 170 + shift ? 20 + 4 * noise.next() : nil
        }
    }

    @Test("The gap width is read on a band about mid depth: a tilted face and a bright line across the fluid do not move it")
    func gapWidthOnTheMidDepthBand() throws {
        let d = try Self.faces(Self.tiltedGapWithLine())
        let width = d.midRightX - d.midLeftX
        #expect(abs(width - 40) <= 3, "width \(width) px, faces at \(d.midLeftX) and \(d.midRightX)")
        // On the mid-depth rows alone, taking every crossing for a face, the line is taken for one.
        let single = try Self.faces(Self.tiltedGapWithLine()) { $0.gapBandFraction = 0; $0.maxInternalEchoMm = 0 }
        #expect(single.midRightX - single.midLeftX < 30, "width on the mid rows \(single.midRightX - single.midLeftX) px")
    }

    /// A 40 px gap of fluid (grey 20) at x 130-169 whose stump ends are brighter than the belly
    /// (grey 150 for 2 mm beyond each face, as frayed ends are), each face blurred as an imaging
    /// system blurs it: the amplitude ramps linearly over 8 px centred on the true face (x 130 and
    /// x 170), so the face is where the amplitude is half-way.
    static func brightStumpEnds() -> FloatImage {
        let compression = LogCompression()
        return drawn(seed: 9) { x, _, noise in
            // Distance into the tissue from the nearer face (negative inside the gap).
            let d = x < 150 ? 130 - (Double(x) + 0.5) : (Double(x) + 0.5) - 170
            guard d < 20 else { return nil }
            return compression.amplitudeLevel(from: 20, to: 150, fraction: min(1, max(0, (d + 4) / 8))) + 4 * noise.next()
        }
    }

    @Test("A face is where the amplitude is half-way between the fluid and the stump's own end, even when the end is brighter than the belly")
    func faceAtTheStumpsHalfAmplitude() throws {
        let d = try Self.faces(Self.brightStumpEnds())
        #expect(abs(d.midLeftX - 130) <= 1.5 && abs(d.midRightX - 170) <= 1.5, "faces at \(d.midLeftX) and \(d.midRightX)")
        // At 65 % of the way to the belly's level, without the refinement, both faces move into the gap.
        let unrefined = try Self.faces(Self.brightStumpEnds()) { $0.faceRefineFraction = 0 }
        #expect(unrefined.midRightX - unrefined.midLeftX < 37, "faces at \(unrefined.midLeftX) and \(unrefined.midRightX)")
    }

    /// The gap of `belly(grain:)` with a haematoma's layered debris: in the deeper part of the
    /// fluid (rows 60-149), a clot as bright as the belly (grey 110) fills x 140-154, with dark
    /// fluid on both sides of it.
    static func layeredHaematoma() -> FloatImage {
        var image = belly(grain: false)
        for y in 60..<150 { for x in 140...154 { image.pixels[y * 300 + x] = 110 } }
        return image
    }

    @Test("A clot inside the fluid, with the fluid's dark pixels resuming beyond it on the same line, is not a stump's face")
    func internalEchoIsNotAFace() throws {
        let d = try Self.faces(Self.layeredHaematoma())
        #expect(abs(d.midRightX - d.midLeftX - 40) <= 3, "faces at \(d.midLeftX) and \(d.midRightX)")
        // Every crossing taken for a face: the clot cuts the lines through it short.
        let naive = try Self.faces(Self.layeredHaematoma()) { $0.maxInternalEchoMm = 0 }
        #expect(naive.midRightX - naive.midLeftX < 30, "faces at \(naive.midLeftX) and \(naive.midRightX)")
    }

    /// A 40 px gap at x 130-169 whose fluid is dark (grey 20) from the superficial aponeurosis down to
    /// row `darkTo`; below it, to the deep aponeurosis, `below` fills the gap (nil: the belly's speckle,
    /// intact tissue).
    static func gap(darkTo: Int, below: Float?) -> FloatImage {
        drawn(seed: 11) { x, y, noise in
            guard (130...169).contains(x) else { return nil }
            if y <= darkTo { return 20 + 4 * noise.next() }
            return below.map { $0 + 40 * noise.next() }
        }
    }

    @Test("A haematoma dark only in its upper half, with internal echoes (grey 70, 64 % of the belly's) below, spans the muscle")
    func echogenicHaematomaSpansTheMuscle() throws {
        let d = try Self.faces(Self.gap(darkTo: 95, below: 70))
        #expect(d.touchesSuperficial && d.touchesDeep && d.depthFraction >= 0.9, "depth fraction \(d.depthFraction), rows \(d.top)-\(d.bottom)")
        // From its dark pixels alone, the defect stops half-way down.
        let own = try Self.faces(Self.gap(darkTo: 95, below: 70)) { $0.bandRatio = 0 }
        #expect(!own.touchesDeep && own.depthFraction < 0.75, "depth fraction \(own.depthFraction)")
    }

    @Test("A tilted haematoma (faces 17 degrees from the vertical), dark only in its upper half, spans the muscle")
    func tiltedEchogenicHaematomaSpansTheMuscle() throws {
        let image = Self.drawn(seed: 17) { x, y, noise in
            let shift = 0.3 * (Double(y) - 97.5)
            guard Double(x) >= 130 + shift && Double(x) < 170 + shift else { return nil }
            return y <= 95 ? 20 + 4 * noise.next() : 70 + 40 * noise.next()
        }
        let d = try Self.faces(image)
        #expect(d.touchesDeep && d.depthFraction >= 0.9, "depth fraction \(d.depthFraction)")
    }

    /// A 40 px gap at x 130-169 through the belly, filled with speckled echoes (grey 55 +- 20: fluid
    /// score about 0.8, as speckled as the belly), over tissue `beneath` bright (the belly beside
    /// it: 110; 145 is 1.32 times as bright, 135 1.23 times).
    static func echoicFluidOverEnhancement(beneath: Float = 145) -> FloatImage {
        drawn(seed: 31, beneath: beneath) { x, _, noise in (130...169).contains(x) ? 55 + 40 * noise.next() : nil }
    }

    @Test("Echoes inside fluid (score about 0.8) are allowed over 1.32 times the enhancement, not over 1.23, nor at the former 1.5 rule; spread more than the belly, over 1.23 times too")
    func echoicFluidOverEnhancement() throws {
        // The strong-enhancement rule alone (the heterogeneous-haematoma rule, which also takes
        // echoes spread more than the belly's over 1.1 times the enhancement, set out of reach).
        var alone = DefectDetector.Params()
        alone.minHeterogeneousTexture = .infinity
        let weak = DefectDetector(params: alone).detect(Self.echoicFluidOverEnhancement(beneath: 135), aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(weak.defect == nil, "taken for a defect over 1.23x enhancement: \(String(describing: weak.defect?.box))")
        #expect(weak.rejected.contains { $0.reason.hasPrefix("hypoechoic region") && $0.reason.contains("not fluid") }, "\(weak.rejected.map(\.reason))")
        // With it (the default), the same speckled fluid over 1.23 times is a defect.
        let heterogeneous = DefectDetector().detect(Self.echoicFluidOverEnhancement(beneath: 135), aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(heterogeneous.defect != nil, "\(heterogeneous.rejected.map(\.reason))")
        let d = try Self.faces(Self.echoicFluidOverEnhancement())
        #expect(abs(d.midRightX - d.midLeftX - 40) <= 4, "faces at \(d.midLeftX) and \(d.midRightX)")
        // At the 1.5 of sessions before 13, the same region is turned down as not fluid.
        var params = alone
        params.strongEnhancement = 1.5
        let strict = DefectDetector(params: params).detect(Self.echoicFluidOverEnhancement(), aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(strict.defect == nil, "taken for a defect: \(String(describing: strict.defect?.box))")
        #expect(strict.rejected.contains { $0.reason.hasPrefix("hypoechoic region") && $0.reason.contains("not fluid") }, "\(strict.rejected.map(\.reason))")
    }

    @Test("A small dark patch reaching neither aponeurosis is not carried to one, even over a darker column")
    func smallPatchIsNotCarried() {
        // 1.4 x 2.9 mm of dark speckle ending 3.5 mm above the deep aponeurosis (its smoothed dark
        // pixels about 2.5 mm above it), grey 70 (64 % of the belly's) below it.
        let image = Self.drawn(seed: 19) { x, y, noise in
            guard (140...153).contains(x), y >= 85 else { return nil }
            return y <= 113 ? 20 + 4 * noise.next() : 70 + 4 * noise.next()
        }
        let result = DefectDetector().detect(image, aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(result.defect == nil, "taken for a defect: \(String(describing: result.defect?.box))")
        #expect(result.rejected.contains { $0.reason.hasPrefix("small dark patch") }, "\(result.rejected.map(\.reason))")
    }

    @Test("A small patch of fluid is no defect by itself, but is kept as a continuation of one seen in other frames")
    func smallFluidPatchIsAContinuation() throws {
        // 3 x 3 mm (9 mm^2, under the 12 mm^2 of an isolated region) of fluid in mid-belly, 3.5 mm
        // from each aponeurosis, with the posterior enhancement the drawn muscle puts under x 130-169.
        let image = Self.drawn(seed: 23) { x, y, noise in
            (135...164).contains(x) && (85...114).contains(y) ? 20 + 4 * noise.next() : nil
        }
        let result = DefectDetector().detect(image, aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(result.candidates.isEmpty, "taken for a defect: \(result.candidates.map(\.box))")
        #expect(result.rejected.contains { $0.reason.hasPrefix("small dark patch") })
        let patch = try #require(result.continuations.first)
        #expect(abs(patch.centreX - 149.5) < 3 && result.continuations.count == 1, "\(result.continuations.map(\.box))")
        var off = DefectDetector.Params()
        off.continueTracks = false
        #expect(DefectDetector(params: off).detect(image, aponeuroses: Self.apo, spacing: Self.spacing).continuations.isEmpty)
        // A hypoechoic patch of tissue (as speckled as the belly, nothing brighter beneath it) is no
        // fluid: no continuation.
        let tissue = Self.drawn(seed: 23) { x, y, noise in
            (35...64).contains(x) && (85...114).contains(y) ? 55 + 40 * noise.next() : nil
        }
        let dim = DefectDetector().detect(tissue, aponeuroses: Self.apo, spacing: Self.spacing)
        #expect(dim.rejected.contains { $0.reason.hasPrefix("small dark patch") && abs(Double($0.box.x) - 35) < 6 }, "\(dim.rejected.map(\.box))")
        #expect(dim.continuations.isEmpty, "\(dim.continuations.map(\.box))")
    }

    @Test("Beneath a partial tear the band is as bright as the tissue beside it: the defect keeps its own depth")
    func partialTearKeepsItsDepth() throws {
        for below: Float? in [nil, 140] {
            let d = try Self.faces(Self.gap(darkTo: 95, below: below))
            #expect(!d.touchesDeep && d.depthFraction < 0.6, "below \(below.map { "\($0)" } ?? "belly"): depth fraction \(d.depthFraction)")
        }
    }

    @Test("The band is carried through rows exactly on `bandRatio`, not through rows above it", arguments: [(Float(0.7), true), (Float(0.9), false)])
    func bandRatioDecides(ratio: Float, spans: Bool) throws {
        // Without speckle below row 95: grey `ratio` x 110 over x 127-172 (the band, 40-42 px wide
        // about x 149-150, lies inside it and its flanks, 0.5 mm beyond, outside), 110 beside it.
        let image = Self.drawn(seed: 13) { x, y, noise in
            if y > 95 { return (127...172).contains(x) ? ratio * 110 : 110 }
            return (130...169).contains(x) ? 20 + 4 * noise.next() : nil
        }
        let d = try Self.faces(image) { $0.bandRatio = 0.8 }
        #expect(d.touchesDeep == spans, "ratio \(ratio): depth fraction \(d.depthFraction)")
        let onThreshold = try Self.faces(image) { $0.bandRatio = Double(ratio) }
        #expect(onThreshold.touchesDeep, "ratio \(ratio) at a threshold of the same: depth fraction \(onThreshold.depthFraction)")
    }
}

/// The clip analyser hands each frame the previous frame's aponeuroses to follow.
@Suite struct AponeurosisFollowingClipTests {
    /// 20 frames of one muscle: the deep aponeurosis is bright in the first frame and then faint
    /// (under the 35 % strong-path rule). Every frame has its muscle, 19 of them by following, and
    /// the finding says so; without following 19 frames would have none and the call would be R2.
    /// With `aponeurosis.followMm` overridden to 0.01 mm through the analysis parameters (the
    /// clip analyser must hand them to the detector), nothing can be followed: R2.
    @Test func aFaintDeepAponeurosisIsFollowedThroughTheClip() throws {
        let bright = ImagingOperationTests.drawnMuscle(), faint = ImagingOperationTests.drawnMuscle(deepGrey: 95)
        func grey(_ image: FloatImage) -> GreyImage {
            GreyImage(width: image.width, height: image.height, pixels: image.pixels.map { UInt8(max(0, min(255, $0))) })
        }
        func analyse(_ parameters: AnalysisParameters) throws -> ClipAnalysis {
            var options = AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1), calibrationSource: .cli,
                                          roi: PixelRect(x: 0, y: 0, width: bright.width, height: bright.height))
            options.parameters = parameters
            let analyzer = ClipAnalyzer(path: "drawn.mkv", options: options)
            for k in 0..<20 { try analyzer.add(Frame(index: k, timeS: Double(k) / 25, grey: grey(k == 0 ? bright : faint))) }
            let info = ClipInfo(path: "drawn.mkv", container: "drawn", containerLongName: "drawn", codec: "none", width: bright.width,
                                height: bright.height, pixelFormat: "gray", fps: 25, frameCount: 20, durationS: nil, startTimeS: 0, rotationDegrees: 0)
            return try analyzer.finish(info: info, warnings: [])
        }
        let analysis = try analyse(AnalysisParameters())
        #expect(analysis.frames.count == 20)
        let found = analysis.frames.filter { $0.muscleDetected }.count
        #expect(found == 20)
        #expect(analysis.finding.rules != ["R2-muscle-not-found"])
        #expect(analysis.finding.evidence.first == "muscle (both aponeuroses) found in 20 of 20 frames (in 19 of them by following the previous frame's aponeuroses)")
        var strict = AnalysisParameters()
        strict.aponeurosis.followMm = 0.01
        let unfollowed = try analyse(strict)
        #expect(unfollowed.frames.filter { $0.muscleDetected }.count == 1)
        #expect(unfollowed.finding.rules == ["R2-muscle-not-found"])
    }
}
