import Foundation
@testable import MSKAnalysis
@testable import MSKImaging
import Testing

/// The hot loops were rewritten for speed with the same arithmetic in the same order. Each fast
/// path is compared here, bit for bit, with a plain reference written the obvious way (one
/// element at a time, indices checked), on inputs whose sizes hit every border case.
@Suite struct FastPathTests {
    static func noise(_ count: Int, seed: UInt64, scale: Float = 255) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40 & 0xffff) / 65535 * scale
        }
    }

    /// The running-sum row mean as it was first written: one loop, clipped window, a branch per
    /// pixel (radius 0: the row itself).
    static func referenceBoxRows(_ image: FloatImage, radius r: Int) -> [Float] {
        let w = image.width
        guard r > 0 else { return image.pixels }
        var out = [Float](repeating: 0, count: w * image.height)
        for y in 0..<image.height {
            var sum: Float = 0, count = 0
            for x in 0..<min(r, w) { sum += image.pixels[y * w + x]; count += 1 }
            for x in 0..<w {
                if x + r < w { sum += image.pixels[y * w + x + r]; count += 1 }
                if x - r - 1 >= 0 { sum -= image.pixels[y * w + x - r - 1]; count -= 1 }
                out[y * w + x] = sum / Float(count)
            }
        }
        return out
    }

    /// Widths and radii on every border case; 11 rows are two groups of four rows (done four
    /// lanes at a time) and three rows done alone; row ranges that start and end inside.
    @Test(arguments: [(1, 1), (7, 3), (9, 4), (10, 4), (23, 0), (23, 5), (64, 11), (5, 9)])
    func rowMeanEqualsTheOneLoopReferenceBitForBit(width: Int, radius: Int) {
        let h = 11
        let image = FloatImage(width: width, height: h, pixels: Self.noise(width * h, seed: UInt64(width * 31 + radius)))
        let reference = Self.referenceBoxRows(image, radius: radius)
        #expect(Filters.boxRows(image, radius: radius, rows: 0..<h).pixels == reference)
        for rows in [1..<6, 2..<3, 3..<10] {
            #expect(Filters.boxRows(image, radius: radius, rows: rows).pixels == Array(reference[(rows.lowerBound * width)..<(rows.upperBound * width)]))
        }
    }

    @Test(arguments: [(13, 9, 2, 3), (40, 31, 0, 7), (8, 5, 3, 6), (17, 50, 2, 15)])
    func boxMeanEqualsRowsThenColumnsDoneOneElementAtATime(width: Int, height: Int, rx: Int, ry: Int) {
        let image = FloatImage(width: width, height: height, pixels: Self.noise(width * height, seed: 5))
        let rows = FloatImage(width: width, height: height, pixels: Self.referenceBoxRows(image, radius: rx))
        // Columns: the running sum down each column, clipped, scaled by 1 / count.
        var expected = [Float](repeating: 0, count: width * height)
        for x in 0..<width {
            var sum: Float = 0, count = 0
            for y in 0..<min(ry, height) { sum += rows.pixels[y * width + x]; count += 1 }
            for y in 0..<height {
                if y + ry < height { sum += rows.pixels[(y + ry) * width + x]; count += 1 }
                if y - ry - 1 >= 0 { sum -= rows.pixels[(y - ry - 1) * width + x]; count -= 1 }
                expected[y * width + x] = sum * (1 / Float(count))
            }
        }
        #expect(Filters.boxMean(image, radiusX: rx, radiusY: ry).pixels == expected)
    }

    /// Non-integer values: every box mean equals the one made from a table built the plain way
    /// (one pass a row: running row sum plus the entry above), bit for bit.
    @Test(arguments: [(29, 11), (8, 4), (3, 2), (1, 7), (17, 1)])
    func integralImageEqualsTheOnePassTable(width w: Int, height h: Int) {
        let values = Self.noise(w * h, seed: UInt64(w * h))
        let integral = IntegralImage(FloatImage(width: w, height: h, pixels: values))
        let stride = w + 1
        var table = [Double](repeating: 0, count: stride * (h + 1))
        for y in 0..<h {
            var row = 0.0
            for x in 0..<w {
                row += Double(values[y * w + x])
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                for (rx, ry) in [(0, 0), (1, 1), (2, 5)] {
                    let x0 = max(0, x - rx), x1 = min(w, x + rx + 1), y0 = max(0, y - ry), y1 = min(h, y + ry + 1)
                    let sum = table[y1 * stride + x1] - table[y0 * stride + x1] - table[y1 * stride + x0] + table[y0 * stride + x0]
                    #expect(integral.mean(x: x, y: y, rx: rx, ry: ry) == Float(sum / Double((x1 - x0) * (y1 - y0))))
                }
            }
        }
    }

    @Test func integralImageMeansEqualDirectSums() {
        let w = 29, h = 11
        let values = Self.noise(w * h, seed: 8).map { $0.rounded() }
        let integral = IntegralImage(FloatImage(width: w, height: h, pixels: values))
        for (x, y, rx, ry) in [(0, 0, 1, 1), (14, 5, 3, 2), (28, 10, 2, 4), (7, 3, 0, 0), (20, 9, 9, 9)] {
            var sum = 0.0, n = 0
            for yy in max(0, y - ry)...min(h - 1, y + ry) {
                for xx in max(0, x - rx)...min(w - 1, x + rx) { sum += Double(values[yy * w + xx]); n += 1 }
            }
            // Whole grey levels: the sums are exact, so the means agree exactly.
            #expect(integral.mean(x: x, y: y, rx: rx, ry: ry) == Float(sum / Double(n)), "(\(x), \(y))")
        }
    }

    /// The echo intensity's masked sum (four running sums, no branch per pixel) against the plain
    /// loop, on whole grey levels as decoded frames give them: the same sum and count, bit for bit,
    /// for lengths that leave 0-3 pixels past the last group of four, and an empty or all-false mask.
    @Test(arguments: [0, 1, 3, 4, 5, 27, 640 * 7 + 3])
    func maskedSumEqualsTheOneAtATimeSum(length: Int) {
        let pixels = Self.noise(length, seed: UInt64(length) + 11).map { $0.rounded() }
        let mask = Self.noise(length, seed: UInt64(length) + 12, scale: 1).map { $0 < 0.6 }
        var sum = 0.0, count = 0
        for i in 0..<length where mask[i] { sum += Double(pixels[i]); count += 1 }
        let fast = FrameAnalyzer.maskedSum(pixels, mask: mask)
        #expect(fast.sum == sum)
        #expect(fast.count == count)
        #expect(FrameAnalyzer.maskedSum(pixels, mask: [Bool](repeating: false, count: length)) == (0, 0))
        // A range: only its pixels, as the plain loop over the same range.
        let range = (length / 3)..<(length - length / 4)
        var rangeSum = 0.0, rangeCount = 0
        for i in range where mask[i] { rangeSum += Double(pixels[i]); rangeCount += 1 }
        #expect(FrameAnalyzer.maskedSum(pixels, mask: mask, in: range) == (rangeSum, rangeCount))
        // A mask shorter than the image covers only its own length.
        let half = FrameAnalyzer.maskedSum(pixels, mask: Array(mask.prefix(length / 2)))
        #expect(half.count == mask.prefix(length / 2).filter { $0 }.count)
    }

    /// The belly mask (pixels between the inner edges, tested without a branch) and the belly
    /// level (median of every second row and column in it) against a plain per-pixel test, on
    /// tilted and curved inner edges that leave the image at the top and bottom.
    @Test func bellyMaskAndLevelEqualAPlainPerPixelTest() {
        let w = 83, h = 61
        let image = FloatImage(width: w, height: h, pixels: Self.noise(w * h, seed: 21).map { $0.rounded() })
        let apo = AponeurosisPair(superficialCentre: Quadratic(c0: 2, c1: 0.1), superficialInner: Quadratic(c0: -3, c1: 0.3, c2: -0.002),
                                  deepCentre: Quadratic(c0: 60), deepInner: Quadratic(c0: 70, c1: -0.4, c2: 0.001),
                                  bellyLevel: 100, superficialContrast: 100, deepContrast: 100, coverage: 1)
        let spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
        let detector = DefectDetector()
        let belly = detector.bellyModel(image, aponeuroses: apo, spacing: spacing)
        let inset = 0.05 / spacing.mmPerPixelY
        var expected = [Bool](repeating: false, count: w * h)
        var sampled: [Float] = []
        for y in belly.rows {
            for x in 0..<w {
                let top = max(0, Int(ceil(apo.superficialInner.y(Double(x)) + inset)))
                let bottom = max(top, min(h, Int(floor(apo.deepInner.y(Double(x)) - inset)) + 1))
                guard y >= top && y < bottom else { continue }
                expected[y * w + x] = true
                if y % 2 == 0 && x % 2 == 0 { sampled.append(belly.smooth.pixels[y * w + x - belly.smoothOffset]) }
            }
        }
        #expect(expected.contains(true) && expected.contains(false))
        #expect(belly.inBelly.count == expected.count)
        let differing = zip(belly.inBelly, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) pixels differ from the per-pixel test")
        #expect(belly.level == Stats.greyQuantile(sampled, 0.5))
    }

    @Test(arguments: [1, 3, 7, 8, 13, 27, 40])
    func fourDotProductsAtOnceEqualFourSingleOnes(length: Int) {
        let a = Self.noise(length, seed: 2, scale: 2).map { $0 - 1 }
        let b = Self.noise(length + 3, seed: 3)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let four = BlockMatcher.dot4(a.baseAddress!, b.baseAddress!, length)
                for k in 0..<4 {
                    #expect(four[k] == BlockMatcher.dot(a.baseAddress!, b.baseAddress! + k, length), "k = \(k)")
                }
            }
        }
    }

    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    func greyHistogramQuantileFollowsItsDefinition(q: Double) throws {
        for count in [1, 2, 5, 200, 9_000] {
            let values = Self.noise(count, seed: UInt64(count))
            // Definition: the first 1/16 bin whose cumulative count reaches q x n, interpolated in it.
            let bins = values.map { min(4095, max(0, Int($0 * 16))) }.sorted()
            let target = q * Double(count)
            let k = max(0, min(count - 1, Int(target.rounded(.up)) - 1))
            let bin = bins[k]
            let below = bins.firstIndex(of: bin)!, inBin = bins.lastIndex(of: bin)! - below + 1
            let expected = (Float(bin) + Float((target - Double(below)) / Double(inBin))) / 16
            #expect(Stats.greyQuantile(values, q) == expected, "n = \(count)")
            let histogram = try #require(Stats.GreyHistogram(values))
            #expect(histogram.quantile(q) == expected)
            #expect(Stats.greyQuantiles(values, [q, 0.5]) == [expected, Stats.greyQuantile(values, 0.5)!])
        }
        #expect(Stats.GreyHistogram([]) == nil)
    }

    @Test func connectedRegionsMatchAPlainFloodFill() {
        let w = 37, h = 23, rows = 3..<20
        let noise = Self.noise(w * h, seed: 44)
        var dark = [Bool](repeating: false, count: w * h)
        for y in rows { for x in 0..<w where noise[y * w + x] < 90 { dark[y * w + x] = true } }
        var label = [Int32](repeating: -1, count: w * h)
        let supY = [Double](repeating: 4, count: w), deepY = [Double](repeating: 18, count: w)
        let (regions, pixels) = DefectDetector.connectedRegions(dark: dark, label: &label, width: w, height: h, rows: rows,
                                                                superficialY: supY, deepY: deepY, touchPx: 1.5)
        // Reference: a plain flood fill from each unlabelled dark pixel in index order.
        var reference = [Int32](repeating: -1, count: w * h)
        var areas: [Int] = []
        for start in 0..<(w * h) where dark[start] && reference[start] < 0 {
            let id = Int32(areas.count)
            var queue = [start], area = 0
            reference[start] = id
            while let i = queue.popLast() {
                area += 1
                let x = i % w, y = i / w
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < w && ny >= 0 && ny < h {
                    let j = ny * w + nx
                    if dark[j] && reference[j] < 0 { reference[j] = id; queue.append(j) }
                }
            }
            areas.append(area)
        }
        #expect(label == reference)
        #expect(regions.map(\.area) == areas)
        #expect(regions.count > 5)
        for r in regions {
            let own = pixels[r.pixels]
            #expect(own.count == r.area)
            #expect(own.allSatisfy { label[$0] == r.id })
            #expect(r.minY == own.map { $0 / w }.min() && r.maxX == own.map { $0 % w }.max())
            #expect(r.touchTop == own.contains { Double($0 / w) - 4 <= 1.5 })
        }
    }

    /// The fascicle projection's F ratio, added a column run at a time (eight lanes), against the
    /// one-cell-at-a-time ANOVA written out: each cell's bin floor(x t - lo + 1/2) + y, bins summed
    /// in the same column order, then F = (SSB / (k - 1)) / (SSW / (n - k)). Ragged runs (lengths 0
    /// to 19, so every lane remainder), gaps between columns, both signs of the tangent.
    @Test(arguments: [Float(0), 0.05, -0.3, 0.7, -1.9, 3.2])
    func projectionFRatioEqualsTheCellByCellANOVA(tangent t: Float) {
        let values = Self.noise(400, seed: 77, scale: 40).map { $0 - 20 }
        var projection = Projection()
        var cells: [(x: Int, y: Int, v: Float)] = []
        var used = 0
        for x in [0, 1, 2, 4, 5, 8, 9, 10, 13, 14, 15, 16, 20] {
            let y0 = (x * 7) % 5, count = (x * 11 + 3) % 20
            let run = Array(values[used..<(used + count)])
            used += count
            projection.append(column: x, fromRow: y0, run)
            for (j, v) in run.enumerated() { cells.append((x, y0 + j, v)) }
        }
        let xs = cells.map { Float($0.x) }, ys = cells.map { Float($0.y) }
        let lo = ys.min()! + min(xs.min()! * t, xs.max()! * t)
        var sums: [Int: Float] = [:], counts: [Int: Float] = [:]
        var total = 0.0, totalSq = 0.0
        for c in cells {
            let b = Int((Float(c.x) * t + (0.5 - lo)).rounded(.down)) + c.y
            sums[b, default: 0] += c.v; counts[b, default: 0] += 1
            total += Double(c.v); totalSq += Double(c.v) * Double(c.v)
        }
        var between = 0.0
        for b in sums.keys.sorted() { between += Double(sums[b]! * sums[b]! / counts[b]!) }
        let n = Double(cells.count), k = Double(sums.count)
        let expected = ((between - n * (total / n) * (total / n)) / (k - 1)) / ((totalSq - between) / (n - k))
        #expect(projection.cellCount == cells.count)
        #expect(projection.fRatio(tangent: t) == expected)
        // A second angle on the same bins, then this one again: the reused bins start clean.
        _ = projection.fRatio(tangent: t + 0.4)
        #expect(projection.fRatio(tangent: t) == expected)
    }
}
