import Foundation

/// The superficial and deep aponeuroses of the muscle in one frame, as curves y(x) in the
/// imaging region's pixel coordinates.
public struct AponeurosisPair: Sendable, Equatable {
    /// Centre line of the superficial bright band.
    public var superficialCentre: Quadratic
    /// Its lower (inner) edge: where the band's brightness falls half-way to the belly's.
    public var superficialInner: Quadratic
    /// Centre line of the deep bright band.
    public var deepCentre: Quadratic
    /// Its upper (inner) edge.
    public var deepInner: Quadratic
    /// Median grey level of the belly between the inner edges.
    public var bellyLevel: Float
    /// Band contrast above the belly (grey levels), superficial and deep.
    public var superficialContrast: Float
    public var deepContrast: Float
    /// Fraction of column bands in which both inner edges were located directly.
    public var coverage: Double
    /// Whether the pair was found by following the previous frame's pair (`AponeurosisDetector.detect(_:spacing:following:)`)
    /// rather than from scratch.
    public var followed: Bool = false

    public init(superficialCentre: Quadratic, superficialInner: Quadratic, deepCentre: Quadratic, deepInner: Quadratic,
                bellyLevel: Float, superficialContrast: Float, deepContrast: Float, coverage: Double) {
        self.superficialCentre = superficialCentre
        self.superficialInner = superficialInner
        self.deepCentre = deepCentre
        self.deepInner = deepInner
        self.bellyLevel = bellyLevel
        self.superficialContrast = superficialContrast
        self.deepContrast = deepContrast
        self.coverage = coverage
    }

    /// Vertical inner-edge distance at column x, in pixels.
    public func verticalThickness(at x: Double) -> Double { deepInner.y(x) - superficialInner.y(x) }
}

/// Finds the aponeuroses as long, roughly horizontal bright bands.
///
/// Method. The region is cut into column bands about `Params.bandWidthMm` wide; each band's
/// mean vertical profile is smoothed and its ridges (local maxima standing above their
/// surroundings) are candidates. Candidates are linked across bands into paths by dynamic
/// programming that allows only a small slope between neighbouring bands, which keeps the
/// oblique fascicle striations (pennation 10-30 degrees) from forming paths. Paths are ranked by
/// lower-quartile ridge contrast across all bands (in a band where a path has no ridge, the
/// contrast of the profile on its line there). Among the strong paths, sorted by depth, the muscle is the first pair
/// of consecutive paths whose separation is at least half the largest such separation and at
/// least `Params.minThicknessMm`: this picks the upper muscle when a second one lies below (as
/// in a gastrocnemius over soleus view), and skips skin and fat septa above. Each band's inner
/// edge is then located at the half-level crossing between the band peak and the belly level
/// (sub-pixel), and a quadratic is fitted robustly across bands.
public struct AponeurosisDetector: Sendable {
    public struct Params: Sendable, Codable, Equatable {
        /// Width of a column band (mm).
        public var bandWidthMm: Double = 2.0
        /// Vertical smoothing of band profiles (mm, Gaussian sigma).
        public var profileSigmaMm: Double = 0.15
        /// Vertical smoothing of the profiles the ridges are found on (mm), and the radius of the
        /// background a ridge must stand above (mm): thick bright bands win over thin lines.
        public var ridgeSigmaMm: Double = 0.5
        public var ridgeBackgroundMm: Double = 3
        /// A ridge must stand this many grey levels above the profile's local background.
        public var minContrast: Float = 6
        /// Largest slope between neighbouring bands for a path (tan of the angle): ~11 degrees.
        public var maxSlope: Double = 0.2
        /// Paths weaker than this fraction of the strongest are ignored when choosing the muscle.
        public var strongFraction: Double = 0.35
        /// Thinnest muscle accepted (mm).
        public var minThicknessMm: Double = 4
        /// Thickest muscle accepted, as a fraction of the region's height.
        public var maxThicknessFraction: Double = 0.92
        /// Largest angle between the two aponeuroses of a pair (degrees).
        public var maxConvergenceDeg: Double = 15
        /// A long path between two candidates at least this fraction of the weaker's contrast
        /// makes them two muscles, not one.
        public var maxInnerFraction: Double = 0.7
        /// Candidate pairs scoring at least this fraction of the best are considered.
        public var pairScoreFraction: Double = 0.5
        /// ... and spanning at least this fraction of the widest of them.
        public var minSeparationFraction: Double = 0.3
        /// A path this close to the region's top (mm, or this fraction of its height if more) is
        /// the skin line, never the superficial aponeurosis.
        public var skinDepthMm: Double = 1.5
        public var skinFraction: Double = 0.035
        /// Mean absolute row-to-row change of a band's raw profile below which the band is flat
        /// canvas, not tissue (grey levels).
        public var minBandRoughness: Float = 0.5
        /// Log compression assumed when converting grey levels to amplitude for edge location.
        public var compression = LogCompression()
        /// Where the inner edge lies between belly and band peak, as a fraction of the amplitude step.
        public var edgeFraction: Double = 0.3
        /// Following the previous frame's pair when no pair is found from scratch: a path crossing at
        /// least half the bands whose rows lie within this mean distance (mm) of that pair's band
        /// centre line is taken for the same aponeurosis, however faint beside the strongest band.
        public var followMm: Double = 2.0
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    struct Candidate { var y: Double; var contrast: Float }
    struct Path { var ys: [Double?]; var contrast: Float; var meanY: Double; var activeBands: Int }

    /// The aponeurosis pair in `image` (the imaging region), or nil when no muscle is found.
    ///
    /// `following` is the pair found in the previous frame, if any. The pair is first sought from
    /// scratch (the strong paths, `choosePair`); only when that fails are the two paths lying
    /// within `Params.followMm` of the previous pair's centre lines taken (a deep aponeurosis under
    /// a third of the superficial one's contrast is not a strong path, yet it is the same band the
    /// frame before showed). The result then has `followed` set.
    public func detect(_ image: FloatImage, spacing: Spacing, following previous: AponeurosisPair? = nil) -> AponeurosisPair? {
        guard let bands = bandProfiles(image, spacing: spacing) else { return nil }
        // Link ridges into paths, strongest first, each ridge used once.
        let paths = linkPaths(bands.candidates, centres: bands.centres, heights: bands.heights)
        guard let strongest = paths.map(\.contrast).max(), strongest > 0 else { return nil }
        let strong = paths.filter { $0.contrast >= Float(params.strongFraction) * strongest && $0.coverage >= 0.5 }
            .sorted { $0.meanY < $1.meanY }
        let long = paths.filter { $0.coverage >= 0.5 }
        let centres = bands.centres
        var chosen = strong.count >= 2 ? choosePair(strong: strong, long: long, spacing: spacing, height: image.height, bandStep: centres.count > 1 ? centres[1] - centres[0] : 1) : nil
        var followed = false
        if chosen == nil, let previous {
            chosen = followPair(long, previous: previous, centres: centres, spacing: spacing)
            followed = chosen != nil
        }
        guard let (upper, lower) = chosen, var pair = innerEdges(bands, upper: upper, lower: lower, width: image.width, spacing: spacing) else { return nil }
        pair.followed = followed
        return pair
    }

    /// The region cut into column bands about `bandWidthMm` wide: each band's mean vertical
    /// profile (smoothed by `profileSigmaMm`), whether it holds tissue (not flat canvas), its
    /// ridges on a smoother profile (`ridgeSigmaMm`) and each row's height above its
    /// +-`ridgeBackgroundMm` mean. Nil when the region is under 20 rows, under 3 bands wide, or
    /// fewer than 3 bands hold tissue.
    struct Bands {
        var profiles: [[Float]]
        var centres: [Double]
        var candidates: [[Candidate]]
        var active: [Bool]
        var heights: [[Float]]
    }

    func bandProfiles(_ image: FloatImage, spacing: Spacing) -> Bands? {
        let w = image.width, h = image.height
        let bandW = min(max(4, spacing.px(x: params.bandWidthMm)), max(4, w / 6))
        let bands = max(1, w / bandW)
        guard h >= 20, bands >= 3 else { return nil }
        let sigma = params.profileSigmaMm / spacing.mmPerPixelY
        let backgroundRadius = spacing.px(y: params.ridgeBackgroundMm)
        let ridgeSigma = params.ridgeSigmaMm / spacing.mmPerPixelY

        var profiles: [[Float]] = []
        var centres: [Double] = []
        var candidates: [[Candidate]] = []
        var active: [Bool] = []
        var heights: [[Float]] = []
        for b in 0..<bands {
            let x0 = b * w / bands, x1 = (b + 1) * w / bands
            centres.append(Double(x0 + x1 - 1) / 2)
            var profile = [Float](repeating: 0, count: h)
            image.pixels.withUnsafeBufferPointer { p in
                for y in 0..<h {
                    var s: Float = 0
                    for x in x0..<x1 { s += p[y * w + x] }
                    profile[y] = s / Float(x1 - x0)
                }
            }
            // A band of flat canvas (an imaging region found too wide, or not at all) holds no tissue.
            var roughness: Float = 0
            for y in 1..<h { roughness += abs(profile[y] - profile[y - 1]) }
            active.append(roughness / Float(h - 1) >= params.minBandRoughness)
            profile = Self.smooth(profile, sigma: sigma)
            profiles.append(profile)
            // Ridges on a smoother profile: an aponeurosis is a thick band, a fascicle or a septum a thin line.
            // Each row's height above its +-3 mm mean scores a ridge there, and a path in a band where it has none.
            guard active[b] else { candidates.append([]); heights.append([]); continue }
            let ridgeProfile = Self.smooth(profile, sigma: (ridgeSigma * ridgeSigma - sigma * sigma).squareRoot())
            let above = Self.heightsAboveMean(ridgeProfile, radius: backgroundRadius)
            heights.append(above)
            candidates.append(ridges(ridgeProfile, heights: above))
        }
        guard active.filter({ $0 }).count >= 3 else { return nil }
        return Bands(profiles: profiles, centres: centres, candidates: candidates, active: active, heights: heights)
    }

    /// The chosen paths' inner edges: the belly level (median of the band profiles between the two
    /// paths, 1 mm away from each), each band's inner edge at the `edgeFraction` crossing between
    /// its peak and that level (`halfCrossing`), and a quadratic through each edge's and each
    /// centre line's points across the bands. Nil when either edge has fewer than 3 points or the
    /// edges do not enclose the region's centre column.
    func innerEdges(_ bands: Bands, upper: Path, lower: Path, width w: Int, spacing: Spacing) -> AponeurosisPair? {
        let profiles = bands.profiles, centres = bands.centres, active = bands.active
        let count = profiles.count
        // Belly level: median of band profiles between the two paths (away from the bands).
        var bellyValues: [Float] = []
        let margin = spacing.px(y: 1.0)
        for b in 0..<count where active[b] {
            guard let u = upper.ys[b] ?? upper.interpolated(b), let l = lower.ys[b] ?? lower.interpolated(b) else { continue }
            let a = Int(u) + margin, z = Int(l) - margin
            if a < z { bellyValues.append(contentsOf: profiles[b][a..<z]) }
        }
        guard let belly = Stats.quantile(bellyValues, 0.5) else { return nil }

        // Inner edges per band.
        var supX: [Double] = [], supY: [Double] = [], supC: [Double] = []
        var deepX: [Double] = [], deepY: [Double] = [], deepC: [Double] = []
        var supContrast: [Float] = [], deepContrast: [Float] = []
        var both = 0
        for b in 0..<count {
            let p = profiles[b]
            var found = 0
            if let u = upper.ys[b], let e = halfCrossing(p, peak: u, level: belly, downward: true) {
                supX.append(centres[b]); supY.append(e); supC.append(u); found += 1
                supContrast.append(p[Int(u.rounded())] - belly)
            }
            if let l = lower.ys[b], let e = halfCrossing(p, peak: l, level: belly, downward: false) {
                deepX.append(centres[b]); deepY.append(e); deepC.append(l); found += 1
                deepContrast.append(p[Int(l.rounded())] - belly)
            }
            if found == 2 { both += 1 }
        }
        guard supX.count >= 3, deepX.count >= 3,
              let sInner = Quadratic.fit(x: supX, y: supY), let dInner = Quadratic.fit(x: deepX, y: deepY),
              let sCentre = Quadratic.fit(x: supX, y: supC), let dCentre = Quadratic.fit(x: deepX, y: deepC) else { return nil }
        let mid = Double(w) / 2
        guard dInner.y(mid) - sInner.y(mid) > 0 else { return nil }
        return AponeurosisPair(superficialCentre: sCentre, superficialInner: sInner, deepCentre: dCentre, deepInner: dInner,
                               bellyLevel: belly,
                               superficialContrast: Stats.quantile(supContrast, 0.5) ?? 0,
                               deepContrast: Stats.quantile(deepContrast, 0.5) ?? 0,
                               coverage: Double(both) / Double(count))
    }

    /// The paths (crossing at least half the bands) nearest the previous frame's two band centre
    /// lines, each within `followMm` on average over the bands it crosses, and at least
    /// `minThicknessMm` apart; nil when either is missing.
    func followPair(_ long: [Path], previous: AponeurosisPair, centres: [Double], spacing: Spacing) -> (Path, Path)? {
        let limit = params.followMm / spacing.mmPerPixelY
        func nearest(_ line: Quadratic) -> (index: Int, distance: Double)? {
            var best: (index: Int, distance: Double)?
            for (k, path) in long.enumerated() {
                var sum = 0.0, n = 0
                for (b, y) in path.ys.enumerated() { if let y { sum += abs(y - line.y(centres[b])); n += 1 } }
                guard n > 0 else { continue }
                let d = sum / Double(n)
                if d <= limit, d < (best?.distance ?? .infinity) { best = (k, d) }
            }
            return best
        }
        guard let upper = nearest(previous.superficialCentre), let lower = nearest(previous.deepCentre), upper.index != lower.index else { return nil }
        let a = long[upper.index], b = long[lower.index]
        guard (b.meanY - a.meanY) * spacing.mmPerPixelY >= params.minThicknessMm else { return nil }
        return (a, b)
    }

    /// The muscle's two aponeuroses among the strong paths (sorted by depth).
    ///
    /// A pair is a candidate when the two paths are at least `minThicknessMm` and at most
    /// `maxThicknessFraction` of the region apart, run roughly parallel (`maxConvergenceDeg`), and
    /// no long path between them is nearly as strong as the weaker of the two (`maxInnerFraction`):
    /// the belly holds fascicles and thin septa, not a third aponeurosis. Its score is the weaker
    /// path's contrast, and the best pair is the muscle, unless a candidate lies wholly above it
    /// (a muscle stacked over it, gastrocnemius over soleus) scoring at least `pairScoreFraction`
    /// of it and at least `minSeparationFraction` as thick: then the superficial muscle is
    /// measured, as observers do. A path within `skinDepthMm` of the region's top is the skin line.
    func choosePair(strong: [Path], long: [Path], spacing: Spacing, height: Int, bandStep: Double) -> (Path, Path)? {
        struct Pair { var upper: Int; var lower: Int; var score: Float; var separationMm: Double }
        var pairs: [Pair] = []
        let maxMm = params.maxThicknessFraction * Double(height) * spacing.mmPerPixelY
        for i in 0..<strong.count {
            for j in (i + 1)..<strong.count {
                let a = strong[i], b = strong[j]
                let sep = (b.meanY - a.meanY) * spacing.mmPerPixelY
                guard sep >= params.minThicknessMm, sep <= maxMm else { continue }
                // A muscle is that thick wherever both its aponeuroses are seen, not only on average:
                // two bright lines of a fascia converging to a millimetre apart are not a muscle (nor
                // two paths never seen in the same band).
                var thinnest = Double.infinity
                for case let (ya?, yb?) in zip(a.ys, b.ys) { thinnest = min(thinnest, yb - ya) }
                guard thinnest.isFinite, thinnest * spacing.mmPerPixelY >= params.minThicknessMm else { continue }
                // The skin line under the probe is not an aponeurosis.
                if a.meanY < max(Double(spacing.px(y: params.skinDepthMm)), params.skinFraction * Double(height)) { continue }
                if let sa = a.slope, let sb = b.slope, abs(atan(sa / bandStep) - atan(sb / bandStep)) > params.maxConvergenceDeg * .pi / 180 { continue }
                let weaker = min(a.contrast, b.contrast)
                let blocked = long.contains { k in
                    k.meanY > a.meanY + 1 && k.meanY < b.meanY - 1 && k.contrast >= Float(params.maxInnerFraction) * weaker
                        && Self.between(k, a, b)
                }
                if blocked { continue }
                pairs.append(Pair(upper: i, lower: j, score: weaker, separationMm: sep))
            }
        }
        guard var pick = pairs.max(by: { $0.score < $1.score }) else { return nil }
        // A muscle stacked above the best pair (sharing at most its upper aponeurosis) is the one measured.
        while let above = pairs.filter({ p in
            strong[p.lower].meanY <= strong[pick.upper].meanY + 1 && p.score >= Float(params.pairScoreFraction) * pick.score
                && p.separationMm >= params.minSeparationFraction * pick.separationMm
        }).max(by: { $0.score < $1.score }) {
            pick = above
        }
        return (strong[pick.upper], strong[pick.lower])
    }

    /// Whether path k lies between a and b in most of the bands all three occupy.
    static func between(_ k: Path, _ a: Path, _ b: Path) -> Bool {
        var inside = 0, total = 0
        for i in 0..<k.ys.count {
            guard let y = k.ys[i], let ya = a.interpolated(i), let yb = b.interpolated(i) else { continue }
            total += 1
            if y > ya, y < yb { inside += 1 }
        }
        return total > 0 && 2 * inside > total
    }

    /// Each row's height above the profile's mean within +-r rows (negative below it).
    static func heightsAboveMean(_ profile: [Float], radius r: Int) -> [Float] {
        let h = profile.count
        var prefix = [Float](repeating: 0, count: h + 1)
        for i in 0..<h { prefix[i + 1] = prefix[i] + profile[i] }
        return (0..<h).map { y in
            let a = max(0, y - r), b = min(h, y + r + 1)
            return profile[y] - (prefix[b] - prefix[a]) / Float(b - a)
        }
    }

    /// Local maxima of `profile` standing `minContrast` above their surroundings (`heights`:
    /// `heightsAboveMean` of the profile).
    func ridges(_ profile: [Float], heights: [Float]) -> [Candidate] {
        let h = profile.count
        var out: [Candidate] = []
        guard h > 2 else { return out }
        for y in 1..<(h - 1) where profile[y] >= profile[y - 1] && profile[y] > profile[y + 1] {
            let contrast = heights[y]
            guard contrast >= params.minContrast else { continue }
            // Sub-pixel peak by parabola.
            let l = profile[y - 1], c = profile[y], rr = profile[y + 1]
            let denom = l - 2 * c + rr
            let offset = denom < 0 ? Double((l - rr) / (2 * denom)) : 0
            out.append(Candidate(y: Double(y) + max(-0.5, min(0.5, offset)), contrast: contrast))
        }
        return out
    }

    /// Dynamic programming over bands: repeatedly extract the best-scoring path of ridges with a
    /// bounded slope, allowing a band to be skipped (a gap in the band costs nothing but scores nothing).
    ///
    /// A path's contrast is the lower quartile over the bands holding tissue (`heights` of a band
    /// without tissue is empty). In a band where the path has no ridge (the band skipped, or the
    /// path ends before it) the contrast is read on the path's own line there (interpolated between
    /// its ridges, or level with its end): the row's height above its +-3 mm mean, 0 when it does
    /// not stand above it. An aponeurosis too faint in a few bands to make a local maximum, or broken
    /// by a gap, still stands above the belly there; a septum or vessel wall that ends does not continue.
    func linkPaths(_ candidates: [[Candidate]], centres: [Double], heights: [[Float]]) -> [Path] {
        let activeBands = heights.filter { !$0.isEmpty }.count
        var used = candidates.map { [Bool](repeating: false, count: $0.count) }
        var paths: [Path] = []
        let bands = candidates.count
        let step = bands > 1 ? centres[1] - centres[0] : 1
        for _ in 0..<8 {
            // score[b][i]: best sum of contrasts of a path ending at candidate i of band b.
            var score = candidates.map { [Float](repeating: 0, count: $0.count) }
            var back = candidates.map { [(Int, Int)?](repeating: nil, count: $0.count) }
            var best: (Float, Int, Int)? = nil
            for b in 0..<bands {
                for (i, c) in candidates[b].enumerated() where !used[b][i] {
                    var s = c.contrast
                    var from: (Int, Int)? = nil
                    // Look back up to 3 bands (gaps allowed).
                    for gap in 1...3 where b - gap >= 0 {
                        let limit = params.maxSlope * step * Double(gap) + 1.5
                        for (j, p) in candidates[b - gap].enumerated() where !used[b - gap][j] && abs(p.y - c.y) <= limit {
                            if score[b - gap][j] + c.contrast > s { s = score[b - gap][j] + c.contrast; from = (b - gap, j) }
                        }
                    }
                    score[b][i] = s
                    back[b][i] = from
                    if best == nil || s > best!.0 { best = (s, b, i) }
                }
            }
            guard let (_, eb, ei) = best else { break }
            var ys = [Double?](repeating: nil, count: bands)
            var contrasts: [Float] = []
            var node: (Int, Int)? = (eb, ei)
            while let (b, i) = node {
                ys[b] = candidates[b][i].y
                contrasts.append(candidates[b][i].contrast)
                used[b][i] = true
                node = back[b][i]
            }
            // Also retire ridges lying on this path's line in bands it skipped or crossed.
            let present = ys.compactMap { $0 }
            guard !present.isEmpty else { break }
            // Lower-quartile contrast over all bands holding tissue, measured on the path's line where
            // it has no ridge: a path that spans only part of the width (a vessel wall, a septum) is weak.
            var all = contrasts
            let line = Path(ys: ys, contrast: 0, meanY: 0, activeBands: activeBands)
            for b in 0..<bands where ys[b] == nil && !heights[b].isEmpty {
                if let y = line.interpolated(b).map({ Int($0.rounded()) }), heights[b].indices.contains(y) { all.append(max(0, heights[b][y])) }
            }
            all.append(contentsOf: [Float](repeating: 0, count: max(0, activeBands - all.count)))
            let median = Stats.quantile(all, 0.25) ?? 0
            let path = Path(ys: ys, contrast: median, meanY: present.reduce(0, +) / Double(present.count), activeBands: activeBands)

            paths.append(path)
            if contrasts.count < 2 { break }
        }
        return paths
    }

    /// Sub-pixel position where the profile, walking from the peak towards the belly, first falls
    /// to half-way between the peak value and `level`.
    func halfCrossing(_ p: [Float], peak: Double, level: Float, downward: Bool) -> Double? {
        let h = p.count
        var y = Int(peak.rounded())
        guard y >= 0, y < h else { return nil }
        // Climb to the local maximum near the path position.
        for _ in 0..<3 {
            let n = downward ? y + 1 : y - 1
            if n >= 0, n < h, p[n] > p[y] { y = n } else { break }
        }
        let top = p[y]
        guard top > level else { return nil }
        let half = params.compression.amplitudeLevel(from: level, to: top, fraction: params.edgeFraction)
        var k = y
        while true {
            let n = downward ? k + 1 : k - 1
            guard n >= 0, n < h else { return nil }
            if p[n] <= half {
                let t = Double((p[k] - half) / (p[k] - p[n]))
                return Double(k) + (downward ? t : -t)
            }
            k = n
            if abs(k - y) > h / 4 { return nil }
        }
    }

    static func smooth(_ v: [Float], sigma: Double) -> [Float] {
        guard sigma > 0.3 else { return v }
        let r = Int(3 * sigma)
        let kernel = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let n = v.count
        // The whole kernel's weight, summed in the same order as the border loop sums it.
        var total: Float = 0
        for k in 0..<kernel.count { total += kernel[k] }
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            v.withUnsafeBufferPointer { src in
                kernel.withUnsafeBufferPointer { ker in
                    // Interior outputs eight at a time: each lane makes exactly the scalar sum (same
                    // products, same order), the lanes only run side by side.
                    var i0 = r
                    while i0 + 8 <= n - r, let base = src.baseAddress {
                        var acc = SIMD8<Float>(repeating: 0)
                        var p = UnsafeRawPointer(base + (i0 - r))
                        for k in 0...(2 * r) {
                            acc += SIMD8<Float>(repeating: ker[k]) * p.loadUnaligned(as: SIMD8<Float>.self)
                            p += MemoryLayout<Float>.stride
                        }
                        let q = acc / SIMD8<Float>(repeating: total)
                        for j in 0..<8 { out[i0 + j] = q[j] }
                        i0 += 8
                    }
                    for i in 0..<n {
                        if i >= r && i < i0 { continue }
                        var s: Float = 0
                        if i - r >= 0 && i + r < n {
                            // Interior: every tap inside, no bounds test (same sum, same order).
                            let base = i - r
                            for k in 0...(2 * r) { s += ker[k] * src[base + k] }
                            out[i] = s / total
                        } else {
                            var ws: Float = 0
                            for k in -r...r where i + k >= 0 && i + k < n {
                                s += ker[k + r] * src[i + k]; ws += ker[k + r]
                            }
                            out[i] = s / ws
                        }
                    }
                }
            }
            count = n
        }
    }
}

extension AponeurosisDetector.Path {
    /// Least-squares slope of the path's rows against band index (nil with fewer than 2 bands),
    /// in rows per band.
    var slope: Double? {
        let pts = ys.enumerated().compactMap { i, y in y.map { (Double(i), $0) } }
        guard pts.count >= 2 else { return nil }
        let mx = pts.map(\.0).reduce(0, +) / Double(pts.count), my = pts.map(\.1).reduce(0, +) / Double(pts.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in pts { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        return sxx > 0 ? sxy / sxx : nil
    }

    /// Fraction of the bands holding tissue that the path crosses.
    var coverage: Double { Double(ys.compactMap { $0 }.count) / Double(max(1, activeBands)) }

    /// Linear interpolation of y at band b from the nearest present bands.
    func interpolated(_ b: Int) -> Double? {
        if let y = ys[b] { return y }
        let before = (0..<b).last { ys[$0] != nil }, after = ((b + 1)..<ys.count).first { ys[$0] != nil }
        switch (before, after) {
        case let (i?, j?): return ys[i]! + (ys[j]! - ys[i]!) * Double(b - i) / Double(j - i)
        case let (i?, nil): return ys[i]
        case let (nil, j?): return ys[j]
        default: return nil
        }
    }

}
