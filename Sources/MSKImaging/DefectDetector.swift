import MSKImage
import Foundation

/// A defect seen in one frame: a hypoechoic region inside the belly that interrupts the fibres.
/// Coordinates are the imaging region's pixels.
public struct DefectObservation: Sendable, Equatable {
    /// Bounding box of the dark region.
    public var box: PixelRect
    public var areaPx: Int
    /// Top and bottom of the defect's depth extent at its centre column (pixels); a defect that
    /// reaches an aponeurosis extends to its inner edge.
    public var top: Double
    public var bottom: Double
    public var touchesSuperficial: Bool
    public var touchesDeep: Bool
    /// Depth extent over the local muscle thickness (1 when it spans both aponeuroses).
    public var depthFraction: Double
    /// Centre column of the defect and the row half-way through its depth extent.
    public var centreX: Double
    public var midY: Double
    /// Left and right edges on the mid-depth line (pixels along x), where the grey level crosses
    /// half-way between the fluid and the belly.
    public var midLeftX: Double
    public var midRightX: Double
    /// End-face points (x, y): the left stump's face and the right stump's face over the depth extent.
    public var leftFace: [SIMD2<Double>]
    public var rightFace: [SIMD2<Double>]
    /// Grey level of the fluid (median inside the region) and of the belly.
    public var fluidLevel: Float
    public var bellyLevel: Float

    public var leftFaceCentroid: SIMD2<Double>? { Self.centroid(leftFace) }
    public var rightFaceCentroid: SIMD2<Double>? { Self.centroid(rightFace) }

    static func centroid(_ points: [SIMD2<Double>]) -> SIMD2<Double>? {
        guard !points.isEmpty else { return nil }
        return points.reduce(SIMD2<Double>(0, 0), +) / Double(points.count)
    }
}

/// A dark structure that was seen but not taken as a defect, and why.
public struct RejectedStructure: Sendable, Equatable {
    public var box: PixelRect
    public var reason: String
    /// Turned down for its shape alone, at the image's side edge or elongated along the muscle:
    /// a defect followed in other frames may lie inside it, joined to the belly's dark spaces
    /// (`DefectTracker`: such frames count towards the defect's presence, never measure it).
    public var joined: Bool = false
}

/// Finds the defect inside the belly.
///
/// Method. The region is smoothed (box mean about `Params.smoothingMm` across, which averages
/// speckle and lets fascicle lines that cross a dark band lift its mean). Belly pixels between
/// the inner edges darker than `Params.darkFraction` of the belly level are grouped into
/// 4-connected regions. A region is a defect candidate when its area is at least `Params.minAreaMm2`.
/// A long, thin region that touches neither aponeurosis (length over height above
/// `Params.vesselAspect`, height under `Params.vesselMaxHeightMm`) is taken for a vessel running
/// along the muscle and rejected: a vessel does not interrupt the fibres across the muscle.
/// The largest remaining region is the defect. Its edges are then located at the half-level
/// crossing between the fluid's and the belly's grey level, on the lightly smoothed image.
public struct DefectDetector: Sendable {
    public struct Params: Sendable, Codable, Equatable {
        /// Smoothing before thresholding: narrow across (a 1-2 mm gap must survive), long in depth.
        public var smoothingXMm: Double = 0.4
        public var smoothingYMm: Double = 2.5
        /// Fluid score of a region: (median + 0.5 x 90th percentile) of its lightly smoothed grey
        /// levels over the belly level. A region at most `anechoicScore` is fluid unless it darkens
        /// what lies beneath; up to `maxFluidScore` it is fluid when the tissue beneath is at least
        /// `minEnhancement` times as bright as beside it (posterior acoustic enhancement). Measured
        /// on 58 simulated clips: defects 0.09-0.57 with enhancement 1.08-3.6 (10th-90th
        /// percentiles per clip), dark bands 0.51-0.62 with 0.76-1.13; real dark spaces between
        /// fascicles 0.23-0.27 with 0.90-0.99.
        public var anechoicScore: Float = 0.3
        /// Even a nearly anechoic region must not darken what lies beneath it (fluid never does;
        /// a dark space in a hypoechoic real belly measured 0.90-0.99).
        public var minAnechoicEnhancement: Double = 1.0
        public var maxFluidScore: Float = 0.65
        public var minEnhancement: Double = 1.12
        /// With strong enhancement (fluid beyond doubt beneath), echoes inside (debris, reverberation)
        /// are allowed up to this score. 1.3 since session 13 (1.5 before): on the 13 real healthy
        /// development clips, none of the 478 hypoechoic regions turned down as not fluid with a
        /// score up to 0.85 had enhancement over 1.0; a randomised development haematoma with
        /// echoes in its lower part (`rand_539`, frames at rest) scored 0.79-0.81 with 1.41-1.45.
        public var strongEnhancement: Double = 1.3
        public var maxFluidScoreStrongEnhancement: Float = 0.85
        /// A haematoma: fluid score up to this (internal echoes up to about half the belly's level)
        /// with fibre texture (interquartile range of 3x3-mean grey levels) at most
        /// `maxHaematomaTexture` of the belly's; posterior enhancement supports it but is not needed.
        public var maxHaematomaScore: Float = 0.9
        public var maxHaematomaTexture: Float = 0.7
        /// A haematoma whose internal echoes are as speckled as the belly (texture over
        /// `maxHaematomaTexture`) is still one when the fascicles do not run through it
        /// (`FibreContinuity`): the belly beside it shows striations (F ratio at least
        /// `minStriationF`) and the region keeps at most `maxFibreContinuity` of them.
        public var minStriationF: Double = 3
        public var maxFibreContinuity: Double = 0.3
        /// A haematoma the fibres do not run through may darken what lies beneath down to this
        /// (intact muscle between it and the deep aponeurosis, as under a partial tear); below it
        /// the tissue shadows, which fluid does not.
        public var minInterruptedEnhancement: Double = 0.9
        /// A heterogeneous haematoma (fluid with clot, debris or a sediment level: dark above, as
        /// bright as the belly below): hypoechoic (score up to `maxHaematomaScore`) with a spread of
        /// grey levels at least `minHeterogeneousTexture` of the belly's, over tissue at least
        /// `minHeterogeneousEnhancement` times as bright as beside.
        /// Measured (session 22) on 3233 candidate region-frames of the 43 real healthy runs: none
        /// not taken as fluid had a spread of 0.75 or more with enhancement 1.1 or more.
        public var minHeterogeneousTexture: Float = 0.75
        public var minHeterogeneousEnhancement: Double = 1.1
        public var fibreContinuity = FibreContinuity.Params()
        /// Without room below the region to look for enhancement.
        public var maxFluidScoreWithoutEnhancement: Float = 0.52
        public var darkFraction: Float = 0.6
        public var minAreaMm2: Double = 2.5
        public var minHeightMm: Double = 1.2
        public var vesselAspect: Double = 2.5
        /// A tear interrupts the fibres across the muscle: a region that does not span the thickness
        /// and is longer along the muscle than this many times its height is taken for a dark space
        /// between fascicles (real bellies show them, most of them at the deep aponeurosis).
        public var maxAlongAspect: Double = 1.6
        /// ... except a region reaching the superficial aponeurosis and not the deep one, up to this
        /// many times (a fluid cleft under the superficial aponeurosis: a partial tear there, or the
        /// fluid part of a full-thickness tear whose clot below is as bright as the belly). The
        /// belly darkens with depth, and on the 43 real healthy runs 2750 of 3482 elongated
        /// region-frames reached the deep aponeurosis and 7 the superficial one alone.
        public var maxSuperficialAlongAspect: Double = 3
        /// A region turned down at the image's side is judged again on its side core
        /// (`sideCore`): its columns, off the side, where its dark pixels cover at least
        /// `sideCoreCoverage` of the belly's depth, at least `sideCoreMinWidthMm` wide. On a belly
        /// as dark as the real p6 clips', a tear's fluid joins the hypoechoic belly beside it and
        /// through it the image's side; the belly's own dark patches seldom span its depth.
        /// Measured (session 23): on the 43 real healthy runs no finding changed; on the
        /// semi-synthetic development sets a full-thickness tear lost this way was found.
        public var sideCore: Bool = true
        public var sideCoreCoverage: Double = 0.85
        public var sideCoreMinWidthMm: Double = 1.5
        /// A region within this many columns of the frame's side is at the side (pixels): the
        /// imaging region's sides are found to a few pixels (its texture measure spreads into the
        /// margin, a codec rings at the image's edge), and a strip of canvas left inside the region,
        /// brighter than a dark belly, would keep a dark region at the image's side off column 0.
        public var sideMarginPx: Int = 4
        /// A region reaching neither aponeurosis must be at least this large (mm^2).
        public var minIsolatedAreaMm2: Double = 12
        public var vesselMaxHeightMm: Double = 3.5
        /// A region within this distance of an inner edge touches that aponeurosis (mm). The
        /// smoothing (`smoothingYMm` tall) brightens a dark region's ends next to the bright
        /// aponeurosis by up to half its height, so a region that reaches the edge stops up to
        /// 1.25 mm short of it in the smoothed image: 1.5 mm covers that.
        public var touchMm: Double = 1.5
        /// Rows averaged for an edge profile (mm, each side).
        public var profileHalfHeightMm: Double = 0.3
        /// The gap width is the median of the faces' crossings on 9 rows spread over this share of
        /// the defect's depth extent, centred on the mid-depth line (0: the mid-depth line alone).
        public var gapBandFraction: Double = 0.4
        /// Log compression assumed when converting grey levels to amplitude for edge location.
        public var compression = LogCompression()
        /// When the clip is uncalibrated, the working mm per pixel: sizes in the reasons for a
        /// rejection are then given in pixels (nil: in mm).
        public var reportPixelsAtMmPerPixel: Double?
        /// Where a stump face lies between the fluid and the belly, as a fraction of the amplitude step.
        public var edgeFraction: Double = 0.65
        /// Each face is then refined to where the grey level crosses this fraction of the amplitude
        /// step between the fluid and the tissue just beyond the face (0: not refined).
        public var faceRefineFraction: Double = 0.5
        /// A crossing followed, within this distance on the same line, by the region's own dark
        /// pixels is an internal echo of the fluid, not a face (mm; 0: every crossing is a face).
        public var maxInternalEchoMm: Double = 2
        /// ... and only where the line there is as dark as fluid: below this fraction of the
        /// amplitude step from the fluid to the belly (0: any of the region's own pixels). A dark
        /// space of the belly joined to the fluid in the dark mask is not the fluid resuming
        /// (session 28; 0.25-0.35 scored the same on the development sets, 0.5 lost a full tear).
        public var internalEchoFluidFraction: Double = 0.35
        /// At most this many candidates a frame are measured (largest first).
        public var maxCandidates: Int = 4
        /// A face is where the grey level crosses the edge level and stays above it, on average,
        /// over this distance beyond (mm): one or two bright speckle grains inside a haematoma
        /// are not its face.
        public var faceConfirmMm: Double = 1.0
        /// A region's depth extent is where its band stays at most this share of the grey level of
        /// the tissue beside it at the same depth (`DefectBand`; 0: the region's own rows).
        public var bandRatio: Double = 0.8
        /// The flanks start this far beyond the band's edges (mm): ragged stump faces are not flank.
        public var bandFlankGapMm: Double = 0.5
        /// Rows averaged for each row's band and flank means (mm, each side).
        public var bandRowHalfMm: Double = 0.5
        /// The band's walk stops after this much depth of rows not darker than the flanks (mm).
        public var bandBridgeMm: Double = 1.5
        /// The band's tilt from the vertical is at most this (degrees): a tear runs across the muscle,
        /// a dark space between fascicles along them.
        public var bandMaxTiltDeg: Double = 45
        /// Whether fluid regions turned down only as small patches (under `minIsolatedAreaMm2`,
        /// reaching neither aponeurosis) are kept as continuations of a defect seen in other frames
        /// (`Result.continuations`).
        public var continueTracks: Bool = true
        /// Whether a fluid region's depth extent runs on, beyond its dark band, through rows where
        /// the fibres stay interrupted up to an aponeurosis (`interruption`).
        public var fibreDepth: Bool = true
        public init() {}
    }

    public var params: Params
    public init(params: Params = Params()) { self.params = params }

    public struct Result: Sendable {
        /// The largest candidate (nil when none): kept for callers that want one defect a frame.
        public var defect: DefectObservation? { candidates.first }
        /// Every dark region that passed the defect tests, largest first. Which of them is the
        /// clip's defect is decided over time (a defect is one object followed through the clip).
        public var candidates: [DefectObservation]
        /// Fluid regions turned down only as small patches in this frame, largest first: not defects
        /// by themselves, they may continue a defect the clip's tracking follows from other frames.
        public var continuations: [DefectObservation] = []
        public var rejected: [RejectedStructure]
        /// Belly mask used (true = intact belly), for echo intensity.
        public var bellyMask: [Bool]
        /// The image rows the belly covers: `bellyMask` is false outside them.
        public var bellyRows: Range<Int>
    }

    /// `fascicleAngleDeg`: the frame's fascicle angle (physical degrees, `FascicleEstimate`), for the
    /// fibre-continuity test; without it that test is not made.
    ///
    /// Stages: the belly between the inner edges and its level (`bellyModel`); its dark pixels
    /// (`darkMask`) grouped into regions (`connectedRegions`); each region judged by its shape
    /// (`shapeVerdict`) and its content (`isFluid`); the intact belly left once the candidates are
    /// taken out (`intactBelly`); the candidates measured (`measure`).
    public func detect(_ image: FloatImage, aponeuroses apo: AponeurosisPair, spacing: Spacing, fascicleAngleDeg: Double? = nil) -> Result {
        let w = image.width, h = image.height
        let belly = bellyModel(image, aponeuroses: apo, spacing: spacing)
        let dark = darkMask(belly, threshold: params.darkFraction * belly.level, width: w, height: h)

        var label = [Int32](repeating: -1, count: w * h)
        let touchPx = params.touchMm / spacing.mmPerPixelY
        var (regions, regionPixels) = Self.connectedRegions(dark: dark, label: &label, width: w, height: h, rows: belly.rows,
                                                            superficialY: belly.supY, deepY: belly.deepY, touchPx: touchPx)

        let pxArea = spacing.mmPerPixelX * spacing.mmPerPixelY
        var rejected: [RejectedStructure] = []
        var accepted: [(region: Region, band: DefectBand)] = [], continuing: [(region: Region, band: DefectBand)] = []
        // Regions are judged in turn; a side core (below) joins the end of the list. A side core
        // lies off the image's side edges, so it is never split again.
        var next = 0
        while next < regions.count {
            var r = regions[next]; next += 1
            let area = Double(r.area) * pxArea
            let lengthMm = Double(r.maxX - r.minX + 1) * spacing.mmPerPixelX
            guard area >= params.minAreaMm2, Double(r.maxY - r.minY + 1) * spacing.mmPerPixelY >= params.minHeightMm else { continue }
            let box = PixelRect(x: r.minX, y: r.minY, width: r.maxX - r.minX + 1, height: r.maxY - r.minY + 1)
            // The discontinuity's depth extent: how far the region's band stays darker than the
            // tissue beside it, which may reach an aponeurosis the dark pixels themselves stop short of.
            // A small patch reaching neither aponeurosis stays what it is (speckle, a piece of a
            // band): a narrow band's mean over a few rows is as noisy as the speckle.
            let small = !r.touchTop && !r.touchBottom && area < params.minIsolatedAreaMm2
            let band = small ? DefectBand(box: box, touchTop: false, touchBottom: false) : DefectBand.extent(pixels: regionPixels[r.pixels], width: w, box: box, touchTop: r.touchTop, touchBottom: r.touchBottom,
                                         integral: belly.integral, superficialY: belly.supY, deepY: belly.deepY, params: params, spacing: spacing)
            r.touchTop = band.touchTop; r.touchBottom = band.touchBottom
            let heightMm = (band.bottom - band.top) * spacing.mmPerPixelY
            let shape = shapeVerdict(lengthMm: lengthMm, heightMm: heightMm, touchTop: r.touchTop, touchBottom: r.touchBottom,
                                     atSide: Self.isAtSide(r.minX...r.maxX, width: w, margin: params.sideMarginPx), small: small)
            // A region turned down at the image's side may be a tear joined, through the dark belly
            // beside it, to the side: its columns that span the belly are judged again on their own.
            if params.sideCore, shape == .atSide,
               let core = Self.sideCore(r, pixels: regionPixels, label: &label, width: w, supY: belly.supY, deepY: belly.deepY,
                                        coverage: params.sideCoreCoverage, minWidthPx: spacing.px(x: params.sideCoreMinWidthMm), sideMarginPx: params.sideMarginPx,
                                        touchPx: touchPx, id: Int32(regions.count)) {
                var region = core.region
                region.pixels = regionPixels.count..<(regionPixels.count + core.pixels.count)
                regionPixels.append(contentsOf: core.pixels)
                regions.append(region)
            }
            if let reason = shape.reason(size: size(lengthMm, heightMm)) {
                rejected.append(RejectedStructure(box: box, reason: reason, joined: shape == .atSide || shape == .alongFascicles))
            }
            // A small patch (`small`: the band never drops a touch) is not a defect seen in this frame,
            // but when it is fluid it may continue a defect seen in others (`continuations`): a defect
            // near the size limit flickers across it.
            guard shape == .candidate || (shape == .smallPatch && params.continueTracks) else { continue }
            // One histogram of the region's 3x3-mean grey levels gives every quantile below.
            let insideValues = regionPixels[r.pixels].map { belly.integral.mean(x: $0 % w, y: $0 / w, rx: 1, ry: 1) }
            guard let inside = Stats.GreyHistogram(insideValues) else { continue }
            let content = RegionContent(
                score: (inside.quantile(0.5) + 0.5 * inside.quantile(0.9)) / max(belly.level, 1),
                // Fibre texture inside: the spread of the 3x3-mean grey levels over the belly's. Fluid
                // and haematoma (even with internal echoes) lack the bright fascicle streaks that give
                // intact muscle, however dark, its texture.
                texture: Self.spread(inside) / max(belly.spread, 1e-3),
                enhancement: posteriorEnhancement(belly.integral, region: box, deepY: belly.deepY, spacing: spacing))
            // Fibre continuity (`FibreContinuity`), measured only where it decides.
            let fluid = isFluid(content, fibresInterrupted: {
                fascicleAngleDeg.flatMap { deg in
                    FibreContinuity.measure(belly.integral, columns: r.minX...r.maxX, rows: r.minY...r.maxY, aponeuroses: apo,
                                            pixelDeg: FascicleEstimator.pixelDegrees(deg, spacing: spacing), spacing: spacing,
                                            params: params.fibreContinuity)
                }.map { $0.besideF >= params.minStriationF && $0.ratio <= params.maxFibreContinuity } ?? false
            })
            if !fluid {
                if area >= 2 * params.minAreaMm2 && !small {
                    let why = content.enhancement.map { String(format: ", tissue beneath %.2f x as bright as beside", $0) } ?? ""
                    rejected.append(RejectedStructure(box: box, reason: String(format: "hypoechoic region (%@) that is not fluid (fluid score %.2f, texture %.2f of the belly's%@): fibres or tissue run through it, not a fibre discontinuity", size(lengthMm, heightMm), content.score, content.texture, why)))
                }
                continue
            }
            if small { continuing.append((r, band)) } else { accepted.append((r, band)) }
        }
        accepted.sort { $0.region.area > $1.region.area }
        let bellyMask = intactBelly(belly.inBelly, excluding: accepted.map(\.region), label: label, width: w, spacing: spacing)
        // Only the candidates measured (`maxCandidates`, largest first) have their depth carried on
        // where only the fibres show it (`interruption`); continuations are small patches, never.
        func measured(_ list: [(region: Region, band: DefectBand)], fibreDepth: Bool) -> [DefectObservation] {
            list.prefix(params.maxCandidates).compactMap { region, band in
                var band = band
                if fibreDepth, let deg = fascicleAngleDeg, !(band.touchTop && band.touchBottom) {
                    interruption(&band, columns: region.minX...region.maxX, integral: belly.integral, apo: apo, supY: belly.supY, deepY: belly.deepY,
                                 pixelDeg: FascicleEstimator.pixelDegrees(deg, spacing: spacing), spacing: spacing)
                }
                return measure(region: Array(regionPixels[region.pixels]), area: region.area, sumX: region.sumX,
                               box: PixelRect(x: region.minX, y: region.minY, width: region.maxX - region.minX + 1, height: region.maxY - region.minY + 1),
                               band: band,
                               smooth: belly.smooth, smoothOffset: belly.smoothOffset, integral: belly.integral, label: label,
                               bellyRows: belly.rows, belly: belly.level, apo: apo, spacing: spacing)
            }
        }
        continuing.sort { $0.region.area > $1.region.area }
        return Result(candidates: measured(accepted, fibreDepth: params.fibreDepth), continuations: measured(continuing, fibreDepth: false),
                      rejected: rejected, bellyMask: bellyMask, bellyRows: belly.rows)
    }

    /// The belly of one frame: the pixels between the inner edges, the smoothed image over its
    /// rows, its level and texture, and the image's integral.
    struct BellyModel {
        /// The rows any column's belly covers.
        var rows: Range<Int>
        /// The box-smoothed image over `rows` only (its row k is image row rows.lowerBound + k):
        /// pixel i of the image is `smooth.pixels[i - smoothOffset]`.
        var smooth: FloatImage, smoothOffset: Int
        var integral: IntegralImage
        /// Whether each image pixel lies in the belly.
        var inBelly: [Bool]
        /// Median of the smoothed belly (grey level) and the spread of its 3x3-mean grey levels.
        var level: Float, spread: Float
        /// The inner edges' rows at each column.
        var supY: [Double], deepY: [Double]
    }

    func bellyModel(_ image: FloatImage, aponeuroses apo: AponeurosisPair, spacing: Spacing) -> BellyModel {
        let w = image.width, h = image.height
        var top = [Int](repeating: 0, count: w), bottom = [Int](repeating: 0, count: w)
        // Keep the blurred inner edge of each aponeurosis out of the belly.
        let inset = 0.05 / spacing.mmPerPixelY
        for x in 0..<w {
            let a = max(0, Int(ceil(apo.superficialInner.y(Double(x)) + inset)))
            let b = min(h, Int(floor(apo.deepInner.y(Double(x)) - inset)) + 1)
            top[x] = a; bottom[x] = max(a, b)
        }
        // The smoothed image is needed only over the belly's rows: `smooth` holds rows
        // bellyRows (its row k is image row bellyRows.lowerBound + k).
        let rx = max(1, spacing.px(x: params.smoothingXMm) / 2), ry = max(1, spacing.px(y: params.smoothingYMm) / 2)
        let bellyRows = (top.min() ?? 0)..<max(top.min() ?? 0, bottom.max() ?? 0)
        let smooth = Filters.boxMean(image, radiusX: rx, radiusY: ry, rows: bellyRows)
        let smoothOffset = bellyRows.lowerBound * w
        let integral = IntegralImage(image)
        var inBelly = [Bool](repeating: false, count: w * h)
        // The belly level from every second row and column: the same median, a quarter of the work.
        let sampleCapacity = ((bellyRows.count + 1) / 2) * ((w + 1) / 2)
        var sampled = 0
        let bellyValues = [Float](unsafeUninitializedCapacity: sampleCapacity) { values, initialised in
            inBelly.withUnsafeMutableBufferPointer { mask in
                smooth.pixels.withUnsafeBufferPointer { sm in
                    top.withUnsafeBufferPointer { top in
                        bottom.withUnsafeBufferPointer { bottom in
                            guard let out = values.baseAddress, let tp = top.baseAddress, let bp = bottom.baseAddress else { return }
                            var n = 0
                            for y in bellyRows {
                                let m = mask.baseAddress! + y * w, row = sm.baseAddress! + (y * w - smoothOffset)
                                // In the belly: top <= y < bottom, both differences >= 0, tested
                                // without a branch (the loop vectorises).
                                for x in 0..<w { m[x] = ((y &- tp[x]) | (bp[x] &- 1 &- y)) >= 0 }
                                if y & 1 == 0 {
                                    for x in stride(from: 0, to: w, by: 2) where m[x] { out[n] = row[x]; n += 1 }
                                }
                            }
                            sampled = n
                        }
                    }
                }
            }
            initialised = sampled
        }
        let level = Stats.greyQuantile(bellyValues, 0.5) ?? apo.bellyLevel
        // The belly's texture: the spread of its 3x3-mean grey levels (every third pixel).
        var bellyTexture: [Float] = []
        bellyTexture.reserveCapacity(w * h / 9)
        for y in stride(from: bellyRows.lowerBound, to: bellyRows.upperBound, by: 3) {
            for x in stride(from: 1, to: w - 1, by: 3) where y >= top[x] && y < bottom[x] && y > 0 && y < h - 1 {
                bellyTexture.append(integral.mean(x: x, y: y, rx: 1, ry: 1))
            }
        }
        return BellyModel(rows: bellyRows, smooth: smooth, smoothOffset: smoothOffset, integral: integral,
                          inBelly: inBelly, level: level, spread: Self.spread(bellyTexture),
                          supY: (0..<w).map { apo.superficialInner.y(Double($0)) }, deepY: (0..<w).map { apo.deepInner.y(Double($0)) })
    }

    /// Belly pixels whose smoothed grey level is under `threshold`.
    func darkMask(_ belly: BellyModel, threshold: Float, width w: Int, height h: Int) -> [Bool] {
        var dark = [Bool](repeating: false, count: w * h)
        belly.smooth.pixels.withUnsafeBufferPointer { s in
            belly.inBelly.withUnsafeBufferPointer { b in
                dark.withUnsafeMutableBufferPointer { d in
                    // The belly's rows only (`smooth` starts at the first of them: smoothOffset).
                    let n = belly.rows.count * w
                    guard n > 0 else { return }
                    let sp = s.baseAddress!, bp = b.baseAddress! + belly.smoothOffset, dp = d.baseAddress! + belly.smoothOffset
                    for k in 0..<n { dp[k] = bp[k] && sp[k] < threshold }
                }
            }
        }
        return dark
    }

    /// What a dark region's shape makes of it, before its content is looked at.
    enum ShapeVerdict: Equatable {
        /// A defect candidate, if its content is fluid.
        case candidate
        /// A small patch reaching neither aponeurosis: a continuation at most, if fluid.
        case smallPatch
        /// A long thin structure along the muscle reaching neither aponeurosis: a vessel.
        case vessel
        /// At the image's side edge: cannot be told from a margin.
        case atSide
        /// Elongated along the muscle without spanning it: a space between fascicles.
        case alongFascicles

        /// The rejection's reason for a region of the given size ("1.2 x 3.4 mm"); nil for a candidate.
        func reason(size: String) -> String? {
            switch self {
            case .candidate: return nil
            case .smallPatch: return "small dark patch (\(size)) reaching neither aponeurosis: speckle or a band, not a fibre discontinuity"
            case .vessel: return "long thin dark structure (\(size)) along the muscle, not reaching an aponeurosis: a vessel, not a fibre discontinuity"
            case .atSide: return "dark region (\(size)) at the side edge of the image: cannot be told from a margin or measured"
            case .alongFascicles: return "dark region (\(size)) elongated along the muscle and not spanning it: a space between fascicles, not a discontinuity across the fibres"
            }
        }
    }

    /// The shape rules, in order: a vessel (reaching neither aponeurosis, longer than
    /// `vesselAspect` times its height and under `vesselMaxHeightMm` tall), the image's side
    /// edge, a small patch (`small`), and a region longer than `maxAlongAspect` times its depth
    /// extent that does not span the muscle. Each rule turns a region down only strictly beyond
    /// its threshold.
    func shapeVerdict(lengthMm: Double, heightMm: Double, touchTop: Bool, touchBottom: Bool, atSide: Bool, small: Bool) -> ShapeVerdict {
        if !touchTop && !touchBottom && lengthMm / heightMm > params.vesselAspect && heightMm < params.vesselMaxHeightMm { return .vessel }
        if atSide { return .atSide }
        if small { return .smallPatch }
        // Under the superficial aponeurosis alone, a dark region may be longer (`maxSuperficialAlongAspect`).
        let maxAspect = touchTop && !touchBottom ? max(params.maxAlongAspect, params.maxSuperficialAlongAspect) : params.maxAlongAspect
        if !(touchTop && touchBottom) && lengthMm / heightMm > maxAspect { return .alongFascicles }
        return .candidate
    }

    /// A region's content against the belly: `score` (median plus half the 90th percentile of its
    /// 3x3-mean grey levels, over the belly level), `texture` (their spread over the belly's), and
    /// the posterior enhancement beneath it (nil without room below to look).
    struct RegionContent: Equatable {
        var score: Float
        var texture: Float
        var enhancement: Double?
    }

    /// Whether a region's content is fluid: nearly anechoic, or hypoechoic with posterior acoustic
    /// enhancement beneath it (fluid attenuates less than tissue), or a haematoma: hypoechoic
    /// without fibre texture (enhancement then only supports). Where there is no room below to
    /// look, the darkness and texture rules decide. `fibresInterrupted` (the fibre-continuity test)
    /// is asked only where it decides: speckled internal echoes can be as spread as the belly's
    /// texture, and a haematoma beside a partial tear sits over intact muscle that hides its
    /// enhancement; what both lack is the fascicles' striation, which runs on through the dark
    /// spaces of an intact belly. Every comparison includes its threshold (at most, at least).
    func isFluid(_ c: RegionContent, fibresInterrupted: () -> Bool) -> Bool {
        let hypoechoic = c.score <= params.maxHaematomaScore
        let smooth = c.texture <= params.maxHaematomaTexture
        let unenhanced = c.enhancement.map { $0 < params.minAnechoicEnhancement && $0 >= params.minInterruptedEnhancement } ?? false
        let interrupted = hypoechoic && (!smooth || unenhanced) && fibresInterrupted()
        let haematoma = hypoechoic && (smooth || interrupted)
        guard let e = c.enhancement else { return c.score <= params.maxFluidScoreWithoutEnhancement || haematoma }
        return (c.score <= params.anechoicScore && e >= params.minAnechoicEnhancement) || (c.score <= params.maxFluidScore && e >= params.minEnhancement)
            || (c.score <= params.maxFluidScoreStrongEnhancement && e >= params.strongEnhancement)
            || (haematoma && (e >= params.minAnechoicEnhancement || (interrupted && e >= params.minInterruptedEnhancement)))
            || (hypoechoic && c.texture >= params.minHeterogeneousTexture && e >= params.minHeterogeneousEnhancement)
    }

    /// The intact belly: `inBelly` without every candidate and a 0.3 mm rim around it.
    func intactBelly(_ inBelly: [Bool], excluding candidates: [Region], label: [Int32], width w: Int, spacing: Spacing) -> [Bool] {
        var bellyMask = inBelly
        let rim = spacing.px(x: 0.3)
        // Row by row over each candidate's box: every run of its pixels, widened by the rim
        // (the same pixels as widening each pixel).
        bellyMask.withUnsafeMutableBufferPointer { mask in
            label.withUnsafeBufferPointer { label in
                for region in candidates {
                    for y in region.minY...region.maxY {
                        let row = y * w
                        var x = region.minX
                        while x <= region.maxX {
                            guard label[row + x] == region.id else { x += 1; continue }
                            let runStart = x
                            while x <= region.maxX && label[row + x] == region.id { x += 1 }
                            for xx in max(0, runStart - rim)...min(w - 1, x - 1 + rim) { mask[row + xx] = false }
                        }
                    }
                }
            }
        }
        return bellyMask
    }

    /// Whether `columns` reach within `margin` columns of the frame's first or last column
    /// (`Params.sideMarginPx`): there a region cannot be told from the image's margin.
    static func isAtSide(_ columns: ClosedRange<Int>, width w: Int, margin: Int) -> Bool {
        columns.lowerBound <= margin || columns.upperBound >= w - 1 - margin
    }

    /// A region's side core: the widest run of its columns not at the side (`isAtSide`), in each
    /// of which its pixels cover at least `coverage` of the belly's depth (the inner edges' rows
    /// apart), at least `minWidthPx` wide and narrower than the region; nil when there is none.
    /// Its pixels are relabelled `id` (a new region's index) and listed in the order they had.
    static func sideCore(_ r: Region, pixels: [Int], label: inout [Int32], width w: Int, supY: [Double], deepY: [Double],
                         coverage: Double, minWidthPx: Int, sideMarginPx: Int, touchPx: Double, id: Int32) -> (region: Region, pixels: [Int])? {
        var count = [Int](repeating: 0, count: r.maxX - r.minX + 1)
        for i in pixels[r.pixels] { count[i % w - r.minX] += 1 }
        var best: ClosedRange<Int>?, start: Int?
        for k in 0...count.count {
            let x = r.minX + k
            if k < count.count, Double(count[k]) >= coverage * max(1, deepY[x] - supY[x]) {
                if start == nil { start = x }
            } else if let s0 = start {
                let run = s0...(x - 1)
                if !isAtSide(run, width: w, margin: sideMarginPx), run.count > (best?.count ?? 0) { best = run }
                start = nil
            }
        }
        guard let run = best, run.count >= max(1, minWidthPx), run.count < count.count else { return nil }
        var core = Region()
        core.id = id
        var list: [Int] = []
        for i in pixels[r.pixels] {
            let y = i / w, x = i - y * w
            guard run.contains(x) else { continue }
            list.append(i); label[i] = id
            core.add(x: x, y: y, superficialY: supY[x], deepY: deepY[x], touchPx: touchPx)
        }
        return (core, list)
    }

    /// A 4-connected dark region: its pixels are `pixels` of the shared list `connectedRegions` returns.
    struct Region {
        var id: Int32 = 0; var area = 0; var minX = Int.max; var maxX = Int.min; var minY = Int.max; var maxY = Int.min; var sumX = 0.0
        var touchTop = false; var touchBottom = false; var pixels: Range<Int> = 0..<0

        /// Counts pixel (x, y) in, with the inner edges' rows at its column: a pixel within
        /// `touchPx` of an inner edge makes the region reach that aponeurosis.
        @inline(__always)
        mutating func add(x: Int, y: Int, superficialY: Double, deepY: Double, touchPx: Double) {
            area += 1; sumX += Double(x)
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            if Double(y) - superficialY <= touchPx { touchTop = true }
            if deepY - Double(y) <= touchPx { touchBottom = true }
        }
    }

    /// The 4-connected regions of `dark` (dark pixels lie only in `rows`), found by an iterative
    /// flood fill from each unlabelled dark pixel in index order; `label` (all -1 on entry) gets
    /// each pixel's region index. Every region's pixels, in the order the fill reached them, lie
    /// one after another in the one list returned beside the regions (no list per region).
    static func connectedRegions(dark: [Bool], label: inout [Int32], width w: Int, height h: Int, rows: Range<Int>,
                                 superficialY supY: [Double], deepY: [Double], touchPx: Double) -> ([Region], [Int]) {
        var regions: [Region] = []
        // Each dark pixel is pushed and listed once (it is labelled when pushed), so two buffers
        // as long as the dark pixels are many hold the stack and the list: no growth, no checks.
        let capacity = dark.withUnsafeBufferPointer { d in
            var n = 0
            for v in d where v { n &+= 1 }
            return n
        }
        var filled = 0
        let pixels = [Int](unsafeUninitializedCapacity: capacity) { list, initialised in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, capacity)) { stack in
                dark.withUnsafeBufferPointer { dark in
                    label.withUnsafeMutableBufferPointer { label in
                        supY.withUnsafeBufferPointer { supY in
                            deepY.withUnsafeBufferPointer { deepY in
                                var listed = 0
                                for start in (rows.lowerBound * w)..<(rows.upperBound * w) where dark[start] && label[start] < 0 {
                                    var r = Region()
                                    let id = Int32(regions.count)
                                    r.id = id
                                    let first = listed
                                    label[start] = id
                                    stack[0] = start
                                    var depth = 1
                                    while depth > 0 {
                                        depth -= 1
                                        let i = stack[depth]
                                        let y = i / w, x = i - y * w
                                        r.add(x: x, y: y, superficialY: supY[x], deepY: deepY[x], touchPx: touchPx)
                                        list[listed] = i; listed += 1
                                        // The four neighbours, pushed in this order (the fill's order is the list's order).
                                        if x > 0, dark[i - 1], label[i - 1] < 0 { label[i - 1] = id; stack[depth] = i - 1; depth += 1 }
                                        if x < w - 1, dark[i + 1], label[i + 1] < 0 { label[i + 1] = id; stack[depth] = i + 1; depth += 1 }
                                        if y > 0, dark[i - w], label[i - w] < 0 { label[i - w] = id; stack[depth] = i - w; depth += 1 }
                                        if y < h - 1, dark[i + w], label[i + w] < 0 { label[i + w] = id; stack[depth] = i + w; depth += 1 }
                                    }
                                    r.pixels = first..<listed
                                    regions.append(r)
                                }
                                filled = listed
                            }
                        }
                    }
                }
            }
            initialised = filled
        }
        return (regions, pixels)
    }

    /// The defect's measurements: depth extent and fraction, the mid-depth line's edges (half-level
    /// crossings between fluid and belly) and the two stump end faces over the depth extent.
    func measure(region pixels: [Int], area: Int, sumX: Double, box: PixelRect, band: DefectBand,
                 smooth: FloatImage, smoothOffset: Int, integral: IntegralImage, label: [Int32],
                 bellyRows: Range<Int>, belly: Float, apo: AponeurosisPair, spacing: Spacing) -> DefectObservation? {
        let region = (pixels: pixels, area: area, sumX: sumX, minX: box.x, maxX: box.x + box.width - 1,
                      minY: box.y, maxY: box.y + box.height - 1, touchTop: band.touchTop, touchBottom: band.touchBottom)

        var fluidValues: [Float] = []
        for i in region.pixels { fluidValues.append(smooth.pixels[i - smoothOffset]) }
        let fluid = Stats.greyQuantile(fluidValues, 0.5) ?? 0
        let centreX = region.sumX / Double(region.area)
        let sup = apo.superficialInner.y(centreX), deep = apo.deepInner.y(centreX)
        // The band's extent holds the region's own rows.
        let topY = region.touchTop ? sup : band.top
        let bottomY = region.touchBottom ? deep : band.bottom
        let thickness = max(1, deep - sup)
        // The discontinuity's extent counts the rows where only the fibres show it (`interruption`);
        // its faces are measured over the dark extent, where the fluid shows them.
        let toTop = region.touchTop || band.interruptedToTop, toBottom = region.touchBottom || band.interruptedToBottom
        let fraction = toTop && toBottom ? 1.0 : min(1, ((toBottom ? deep : bottomY) - (toTop ? sup : topY)) / thickness)
        let midY = (topY + bottomY) / 2

        let slope = (apo.superficialInner.slope(centreX) + apo.deepInner.slope(centreX)) / 2
        let faces = StumpFaces(integral: integral, smooth: smooth, smoothOffset: smoothOffset, label: label,
                               ownLabel: label[region.pixels[0]], columns: region.minX...region.maxX, centreX: centreX, slope: slope,
                               fluid: fluid, belly: belly, bellyRows: bellyRows, params: params, spacing: spacing)
        let span = bottomY - topY
        guard let mid = faces.midDepthCrossings(midY: midY, span: span) else { return nil }
        var left: [SIMD2<Double>] = [], right: [SIMD2<Double>] = []
        let rows = 15
        for k in 0..<rows {
            let y = topY + span * (0.1 + 0.8 * Double(k) / Double(rows - 1))
            if let (l, r) = faces.crossings(atY: y) {
                left.append(SIMD2(l, y + slope * (l - centreX)))
                right.append(SIMD2(r, y + slope * (r - centreX)))
            }
        }
        let observation = DefectObservation(
            box: PixelRect(x: region.minX, y: region.minY, width: region.maxX - region.minX + 1, height: region.maxY - region.minY + 1),
            areaPx: region.area, top: topY, bottom: bottomY,
            touchesSuperficial: region.touchTop, touchesDeep: region.touchBottom, depthFraction: fraction,
            centreX: centreX, midY: midY, midLeftX: mid.0, midRightX: mid.1,
            leftFace: left, rightFace: right, fluidLevel: fluid, bellyLevel: belly)
        return observation
    }

    /// Whether the fibres stay interrupted beyond the dark band, from its end to the aponeurosis it
    /// does not reach (`fibreDepth`): a haematoma whose lower (or upper) part is clot and debris as
    /// bright as the belly shows no darkness there, but the fascicles still stop at its faces. The
    /// rows between the band's end (plus `fibreContinuity.gapMm`) and that aponeurosis, over the
    /// band's columns, are tested as a haematoma is (`FibreContinuity`: striation beside at least
    /// `minStriationF`, at most `maxFibreContinuity` of it kept inside); when they hold none, the
    /// discontinuity reaches that aponeurosis (`DefectBand.interruptedToTop`/`ToBottom`).
    func interruption(_ band: inout DefectBand, columns: ClosedRange<Int>, integral: IntegralImage, apo: AponeurosisPair,
                      supY: [Double], deepY: [Double], pixelDeg: Double, spacing: Spacing) {
        let gap = spacing.px(y: params.fibreContinuity.gapMm)
        func interrupted(_ rows: ClosedRange<Int>) -> Bool {
            FibreContinuity.measure(integral, columns: columns, rows: rows, aponeuroses: apo, pixelDeg: pixelDeg, spacing: spacing,
                                    params: params.fibreContinuity)
                .map { $0.besideF >= params.minStriationF && $0.ratio <= params.maxFibreContinuity } ?? false
        }
        let deepest = Int(columns.lazy.map { deepY[$0] }.max() ?? 0), shallowest = Int(columns.lazy.map { supY[$0] }.min() ?? 0)
        if !band.touchBottom, Int(band.bottom) + gap < deepest {
            band.interruptedToBottom = interrupted((Int(band.bottom) + gap)...deepest)
        }
        if !band.touchTop, shallowest < Int(band.top) - gap {
            band.interruptedToTop = interrupted(shallowest...(Int(band.top) - gap))
        }
    }

    /// Interquartile range of grey levels (0 for fewer than 4 values).
    static func spread(_ values: [Float]) -> Float {
        guard let histogram = Stats.GreyHistogram(values) else { return 0 }
        return spread(histogram)
    }

    /// Interquartile range of the grey levels counted in `histogram` (0 for fewer than 4).
    static func spread(_ histogram: Stats.GreyHistogram) -> Float {
        guard histogram.count >= 4 else { return 0 }
        return histogram.quantile(0.75) - histogram.quantile(0.25)
    }

    /// Posterior acoustic enhancement: fluid attenuates less than tissue, so the tissue beneath it
    /// is brighter than the tissue beside at the same depth. The mean grey level in a band 2 to 5 mm
    /// below the deep aponeurosis (the enhancement runs down the whole column beneath the fluid, and
    /// a defect seen in pieces may continue just below a piece) over the region's columns,
    /// divided by the mean at the same depths over flanking columns (1 mm away, as wide as the
    /// region, at least 2 mm). Nil when the band leaves the image.
    func posteriorEnhancement(_ integral: IntegralImage, region box: PixelRect, deepY: [Double], spacing: Spacing) -> Double? {
        let w = integral.width, h = integral.height
        let cx = min(w - 1, max(0, box.x + box.width / 2))
        let base = Int(deepY[cx].rounded())
        // 2 to 5 mm below (clipped to the image; at least 1 mm of rows, starting at least 1.5 mm below).
        let y0 = base + spacing.px(y: 1.5), y1 = min(h - 1, base + spacing.px(y: 5.0))
        guard y1 - y0 >= spacing.px(y: 1.0) else { return nil }
        let gap = spacing.px(x: 1.0), side = max(box.width, spacing.px(x: 2.0))
        func mean(_ xa: Int, _ xb: Int) -> Double? {
            let a = max(0, xa), b = min(w, xb)
            guard b - a >= 2 else { return nil }
            return Double(integral.mean(x: (a + b - 1) / 2, y: (y0 + y1) / 2, rx: (b - a - 1) / 2, ry: (y1 - y0) / 2))
        }
        guard let under = mean(box.x, box.maxX) else { return nil }
        let flanks = [mean(box.x - gap - side, box.x - gap), mean(box.maxX + gap, box.maxX + gap + side)].compactMap { $0 }
        guard !flanks.isEmpty else { return nil }
        let beside = flanks.reduce(0, +) / Double(flanks.count)
        return beside > 1 ? under / beside : nil
    }

    /// A region's size for the reasons given to the user, in mm or, uncalibrated, in pixels.
    func size(_ lengthMm: Double, _ heightMm: Double) -> String {
        if let mm = params.reportPixelsAtMmPerPixel, mm > 0 {
            return String(format: "%.0f x %.0f px", lengthMm / mm, heightMm / mm)
        }
        return String(format: "%.1f x %.1f mm", lengthMm, heightMm)
    }
}
