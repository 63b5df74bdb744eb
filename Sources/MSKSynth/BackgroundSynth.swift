import Foundation
import MSKFiles
import MSKImage
import MSKLabels
import MSKReader
import MSKSimulator
import MSKWriter

/// A semi-synthetic clip to write: a defect drawn into a real healthy clip (or, case `none`, the
/// clip re-encoded untouched as its control), with `<clip>.labels.json` beside it.
public struct BackgroundJob: Sendable {
    /// The real clip the frames come from.
    public var background: String
    /// File stem of the output clip.
    public var name: String
    public var spec: InsertionSpec
    /// Calibration of the background's pixels, mm per pixel [x, y] (video exports carry none).
    public var mmPerPixelX: Double
    public var mmPerPixelY: Double
    /// At most this many frames: every k-th frame of the clip, k the smallest that fits.
    public var maxFrames: Int?
    /// The ultrasound image inside the frame; nil: the pixels that move over the clip.
    public var region: PixelRect?
    /// Inner edges of the aponeuroses at the imaging region's centre column, rows, and their common
    /// slope (rows per column); nil: estimated (`BackgroundMotion.muscleBand`).
    public var muscleRows: (top: Double, bottom: Double)?
    public var muscleSlope: Double = 0
    /// One contraction value per written frame; nil: from the tissue's motion.
    public var contraction: [Double]?
    /// FFV1 (lossless, default) or a lossy codec at its quality.
    public var codec: VideoCodec = .ffv1
    public var quality: Int?

    public init(background: String, name: String, spec: InsertionSpec, mmPerPixelX: Double, mmPerPixelY: Double) {
        self.background = background
        self.name = name
        self.spec = spec
        self.mmPerPixelX = mmPerPixelX
        self.mmPerPixelY = mmPerPixelY
    }

    public var clipFileName: String { "\(name).\(codec.defaultExtension)" }
    public var labelsFileName: String { LabelsDocument.fileName(forClip: clipFileName) }
}

/// What the semi-synthetic writer decided and measured, for the command to print.
public struct BackgroundResult: Sendable {
    public let clipPath: String
    public let labelsPath: String
    public let frames: Int
    public let stride: Int
    public let region: PixelRect
    public let band: MuscleBand
    public let bellyGrey: Double
    /// Speckle grain of the background's belly (mm, lateral and axial), given to the fluid.
    public let grainMm: (x: Double, y: Double)
    /// Largest tissue displacement at the defect over the clip, mm.
    public let maxDisplacementMm: Double
}


extension Synthesizer {
    /// Decodes `job.background`, draws the defect (or nothing, case `none`), writes the clip and
    /// its labels into `directory`; both under temporary names, renamed when whole.
    public static func writeOnBackground(_ job: BackgroundJob, into directory: String) throws(SynthError) -> BackgroundResult {
        let problems = job.spec.problems()
        guard problems.isEmpty else { throw .badJob(name: job.name, problems: problems) }
        guard job.mmPerPixelX > 0, job.mmPerPixelY > 0 else { throw .badJob(name: job.name, problems: ["mm per pixel must be > 0"]) }
        try prepareOutputFolder(directory)
        // Decode (grey), keeping every stride-th frame.
        var all: [GreyImage] = []
        var fps = 25.0
        do {
            let source = try openClip(path: job.background)
            fps = source.info.fps ?? 25
            while let f = try source.nextFrame() { all.append(f.grey) }
        } catch {
            throw .background(path: job.background, reason: "\(error)", advice: "give a readable video clip")
        }
        guard all.count >= 8 else { throw .background(path: job.background, reason: "it has \(all.count) frames", advice: "give a clip of at least 8 frames") }
        let stride = job.maxFrames.map { max(1, Int((Double(all.count) / Double(max(1, $0))).rounded(.up))) } ?? 1
        let frames = Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }
        all = []
        let w = frames[0].width, h = frames[0].height
        if job.codec != .ffv1 && (w % 2 != 0 || h % 2 != 0) {
            throw .badJob(name: job.name, problems: ["\(job.codec.rawValue) needs an even frame size, the background is \(w)x\(h); use ffv1"])
        }
        if let c = job.contraction, c.count != frames.count {
            throw .badJob(name: job.name, problems: ["the contraction curve has \(c.count) values for \(frames.count) frames"])
        }
        guard let region = job.region ?? BackgroundMotion.imagingRegion(frames: frames) else {
            throw .background(path: job.background, reason: "the ultrasound image could not be found (nothing moves)", advice: "give --roi X,Y,W,H")
        }
        guard region.x >= 0, region.y >= 0, region.x + region.width <= w, region.y + region.height <= h,
              region.width >= 64, region.height >= 48 else {
            throw .badJob(name: job.name, problems: ["the region \(region.x),\(region.y),\(region.width),\(region.height) does not fit the \(w)x\(h) frame (or is under 64x48)"])
        }
        let centreX = region.x + Int((job.spec.centreFraction * Double(region.width)).rounded())
        let band: MuscleBand
        if let rows = job.muscleRows {
            let dx = Double(centreX) - (Double(region.x) + Double(region.width) / 2)
            band = MuscleBand(x0: Double(centreX), superficialY0: rows.top + job.muscleSlope * dx, superficialSlope: job.muscleSlope,
                              deepY0: rows.bottom + job.muscleSlope * dx, deepSlope: job.muscleSlope)
        } else if let b = BackgroundMotion.muscleBand(frame: frames[0], region: region, centreX: centreX,
                                                      mmPerPixelY: job.mmPerPixelY, mmPerPixelX: job.mmPerPixelX) {
            band = b
        } else {
            throw .background(path: job.background, reason: "no belly between two bright aponeuroses was found near column \(centreX)", advice: "give --muscle-rows TOP,BOTTOM[,SLOPE]")
        }
        guard band.height(band.x0) * job.mmPerPixelY >= 4 else {
            throw .badJob(name: job.name, problems: ["the belly is under 4 mm thick at the defect; check --muscle-rows"])
        }
        // Tissue motion: blocks of 3 mm across the belly at the defect (three depths) and across
        // the region (five columns at mid-belly); the defect moves with the first three, the
        // contraction comes from all eight.
        let block = max(9, Int((3 / job.mmPerPixelX).rounded()) | 1)
        let search = max(4, Int((1.5 / job.mmPerPixelX).rounded()))
        // Blocks on the two inner edges and at mid-belly at the defect column (they move the band
        // and the defect), and at mid-belly across the region (with the first three, the contraction).
        let cxd = Double(centreX)
        var points: [(x: Double, y: Double)] = [(cxd, band.superficial(cxd)), (cxd, band.superficial(cxd) + 0.5 * band.height(cxd)),
                                                 (cxd, band.deep(cxd))]
        for f in [0.2, 0.35, 0.65, 0.8] {
            let x = Double(region.x) + f * Double(region.width)
            points.append((x, band.superficial(x) + 0.5 * band.height(x)))
        }
        let tracks = BackgroundMotion.track(frames: frames, points: points, block: block, search: search)
        let offsets: [(dx: Double, dy: Double)] = (0..<frames.count).map { k in
            (tracks[0..<3].map { $0[k].dx }.sorted()[1], tracks[1][k].dy)
        }
        let edges: [(top: Double, bottom: Double)] = (0..<frames.count).map { k in (tracks[0][k].dy, tracks[2][k].dy) }
        let contraction = job.contraction ?? BackgroundMotion.contraction(tracks: tracks)
        let inserter = DefectInserter(spec: job.spec, band: band, region: region, mmPerPixelX: job.mmPerPixelX,
                                      mmPerPixelY: job.mmPerPixelY, offsets: offsets, edges: edges, contraction: contraction,
                                      firstFrame: frames[0])
        let clipPath = (directory as NSString).appendingPathComponent(job.clipFileName)
        let labelsPath = (directory as NSString).appendingPathComponent(job.labelsFileName)
        let outFps = fps / Double(stride)
        let options = VideoWriterOptions(codec: job.codec, fps: outFps, pixels: .grey,
                                         quality: job.quality ?? SynthJob.defaultQuality(job.codec), reproducible: true)
        let writer: VideoWriter
        do { writer = try VideoWriter(path: clipPath, width: w, height: h, options: options) } catch { throw .writer(error) }
        var truth: [FrameLabel] = []
        for (k, frame) in frames.enumerated() {
            do { try writer.write(inserter.render(frame, index: k)) } catch { throw .writer(error) }
            var t = inserter.truth(k)
            t.timeS = (Double(k) / outFps * 1_000_000).rounded() / 1_000_000
            truth.append(t)
        }
        let clipName = job.clipFileName
        var doc = LabelsDocument(clip: clipName, classification: job.spec.tearCase.classification,
                                 mmPerPixel: [job.mmPerPixelX, job.mmPerPixelY], frames: truth)
        doc.case = job.spec.tearCase.rawValue
        doc.seed = job.spec.seed
        doc.imagingRegion = region
        doc.fps = outFps
        doc.frameCount = frames.count
        doc.frameSize = [w, h]
        var info = SimulationInfo(generator: "MSKSimulator/semi-synthetic-2")
        info.restGapMm = job.spec.tearCase == .none ? 0 : job.spec.restGapMm
        info.gapWideningMm = (job.spec.tearCase == .full || job.spec.tearCase == .fullSubtle) ? job.spec.wideningMm : 0
        info.restThicknessMm = (inserter.thicknessMm * 1000).rounded() / 1000
        info.background = (job.background as NSString).lastPathComponent
        info.backgroundStride = stride
        info.fluidEchogenicity = job.spec.tearCase == .none ? nil : (job.spec.echogenicity * 1000).rounded() / 1000
        info.fluidShownShare = job.spec.tearCase == .none ? nil : (inserter.shownFluidShare * 1000).rounded() / 1000
        info.obliquityDeg = job.spec.tearCase == .none ? nil : (job.spec.obliquityDeg * 10).rounded() / 10
        info.contractionSource = job.contraction == nil ? "tissue-motion" : "given"
        doc.simulation = info
        let labelsTemporary = TemporaryName.beside(labelsPath)
        do {
            try doc.encodedJSON().write(to: URL(fileURLWithPath: labelsTemporary))
        } catch {
            try? FileManager.default.removeItem(atPath: labelsTemporary)
            throw .labels(path: labelsPath, reason: reason(error))
        }
        let written: Int
        do { written = try writer.finish() } catch {
            try? FileManager.default.removeItem(atPath: labelsTemporary)
            throw .writer(error)
        }
        do { try TemporaryName.commit(labelsTemporary, to: labelsPath) } catch {
            try? FileManager.default.removeItem(atPath: clipPath)
            throw .labels(path: labelsPath, reason: reason(error))
        }
        let maxD = offsets.map { hypot($0.dx * job.mmPerPixelX, $0.dy * job.mmPerPixelY) }.max() ?? 0
        return BackgroundResult(clipPath: clipPath, labelsPath: labelsPath, frames: written, stride: stride,
                                region: region, band: band, bellyGrey: inserter.bellyGrey, grainMm: inserter.grainMm, maxDisplacementMm: maxD)
    }
}
