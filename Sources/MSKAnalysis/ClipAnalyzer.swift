import Foundation
import MSKImage
import MSKImaging
import MSKReader

/// Where a clip's mm-per-pixel came from (spec: `dicom`, `cli`, `labels`, `screen`, `none`).
/// `Calibration.resolve` picks one, in the precedence cli, dicom, labels, screen, none.
public enum CalibrationSource: String, Sendable, Codable, CaseIterable {
    /// `--mm-per-pixel` on the command line.
    case cli
    /// The DICOM file's Sequence of Ultrasound Regions (or Pixel Spacing).
    case dicom
    /// The `mmPerPixel` of the labels document beside the clip.
    case labels
    /// The scanner's depth scale drawn beside the image of a video export.
    case screen
    case none
}

/// How to analyse a clip.
public struct AnalysisOptions: Sendable {
    /// Calibration (mm per pixel, x and y). Nil: lengths are reported in pixels.
    public var mmPerPixel: Spacing?
    public var calibrationSource: CalibrationSource
    /// The imaging region, when the user gives it (`--roi`); otherwise it is detected.
    public var roi: PixelRect?
    /// Where `roi` came from ("cli", or "dicom" for the file's calibrated region).
    public var roiSource = "cli"
    /// Every tuning value of the analysis (`--parameters FILE.json` overrides them).
    public var parameters = AnalysisParameters()
    /// The depth the user read off the scanner's screen (`--depth-mm`), in mm: for a clip without
    /// calibration of its own it checks the depth ruler's reading, sets the interval of ruler ticks
    /// whose numbers cannot be read, or (no ruler) calibrates from the imaging region's height.
    public var depthMm: Double?

    public init(mmPerPixel: Spacing? = nil, calibrationSource: CalibrationSource? = nil, roi: PixelRect? = nil) {
        self.mmPerPixel = mmPerPixel
        self.calibrationSource = calibrationSource ?? (mmPerPixel == nil ? .none : .cli)
        self.roi = roi
    }
}

/// Errors of the analysis itself (reading errors stay `ReaderError`).
public enum AnalysisError: Error, Sendable, CustomStringConvertible, Equatable {
    case noFrames(path: String)
    case roiOutsideFrame(roi: PixelRect, width: Int, height: Int)
    case frameSizeChanged(path: String, index: Int)

    public var description: String {
        switch self {
        case .noFrames(let path):
            return "\(path): the clip has no decodable frames; check the file plays in a video player"
        case .roiOutsideFrame(let roi, let w, let h):
            return "--roi \(roi) does not fit inside the \(w)x\(h) frame; give x,y,width,height within the frame"
        case .frameSizeChanged(let path, let index):
            return "\(path): the frame size changes at frame \(index); export the clip at one size"
        }
    }
}

/// Streams a clip's frames through detection and tracking, then fuses them into per-frame
/// measurements and a per-clip summary. Holds only the few frames needed to find the imaging
/// region, the previous frame, and small per-frame records (detections, the aponeuroses' tracked
/// motion and the belly's displacement field on a coarse grid).
public final class ClipAnalyzer {
    public let options: AnalysisOptions
    let path: String
    private var pending: [Frame] = []
    private var region: PixelRect?
    private var regionSource: String = "detected"
    private var spacing = Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
    private var analyzer: FrameAnalyzer?
    private var previous: TissueFieldTracker.Pyramid?
    private var records: [FrameRecord] = []
    private var lastAponeuroses: AponeurosisPair?
    private var frameSize: (Int, Int)?

    /// What is kept of each frame.
    struct FrameRecord {
        var observation: FrameObservation
        /// Tracked change of the superficial and deep inner edge rows (pixels) since the previous frame.
        var superficialDy: Double?
        var deepDy: Double?
        /// The belly's displacement field from the previous frame (nil for the first frame or
        /// while no muscle has been found).
        var field: TissueField?
    }

    public init(path: String, options: AnalysisOptions) {
        self.path = path
        self.options = options
    }

    /// Feeds the next decoded frame (decode order).
    public func add(_ frame: Frame) throws(AnalysisError) {
        if let (w, h) = frameSize {
            guard frame.grey.width == w, frame.grey.height == h else { throw .frameSizeChanged(path: path, index: frame.index) }
        } else {
            frameSize = (frame.grey.width, frame.grey.height)
        }
        if region == nil {
            pending.append(frame)
            // Once enough frames are buffered the region is found and they are all processed.
            if pending.count >= max(1, options.parameters.region.bufferedFrames) { try settleRegion() }
            return
        }
        process(frame)
    }

    /// Finishes the clip: fusion, contraction, summary, finding.
    public func finish(info: ClipInfo, warnings: [String]) throws(AnalysisError) -> ClipAnalysis {
        if region == nil {
            guard !pending.isEmpty else { throw .noFrames(path: path) }
            try settleRegion()
        }
        var used = options
        var notes = warnings
        if let screen, screen.mmPerPixel != nil {
            used.mmPerPixel = spacing
            used.calibrationSource = screen.source
            if let note = screen.note { notes.append(note) }
        } else if let refusal = screen?.refusal {
            notes.append(refusal)
        }
        if options.depthMm != nil && options.mmPerPixel != nil {
            notes.append("--depth-mm was not used: the clip is calibrated by its \(options.calibrationSource.rawValue) calibration, which comes first")
        }
        var analysis = ClipFusion(records: records, spacing: spacing, calibrated: used.mmPerPixel != nil, parameters: options.parameters).result(
            info: info, warnings: notes, options: used, region: region!, regionSource: regionSource,
            curvedSector: detectedRegion?.curvedArray ?? false)
        analysis.screen = screen
        return analysis
    }

    /// The calibration from the screen (ruler, `--depth-mm`), for a clip with no other calibration.
    private var screen: ScreenCalibration?
    private var calibrated: Bool { options.mmPerPixel != nil || screen?.mmPerPixel != nil }

    private func settleRegion() throws(AnalysisError) {
        guard let first = pending.first else { return }
        let w = first.grey.width, h = first.grey.height
        if let roi = options.roi {
            guard roi.x >= 0, roi.y >= 0, roi.width >= 16, roi.height >= 16, roi.maxX <= w, roi.maxY <= h else {
                throw .roiOutsideFrame(roi: roi, width: w, height: h)
            }
            region = roi
            regionSource = options.roiSource
        } else {
            // The region's bounds (for a sector image, the fan's bounding rectangle, or its
            // inscribed rectangle below: `sectorRectangle`).
            detectedRegion = ImagingRegionDetector().detectRegion(frames: pending.map(\.grey), rgb: pending.compactMap(\.rgb))
            region = detectedRegion?.bounds ?? PixelRect(x: 0, y: 0, width: w, height: h)
            regionSource = detectedRegion == nil ? "whole frame (no imaging region found)" : "detected"
        }
        if options.mmPerPixel == nil, let bounds = region {
            screen = ScreenCalibration.decide(frames: pending.map(\.grey), region: bounds, depthMm: options.depthMm)
        }
        if let s = options.mmPerPixel {
            spacing = s
        } else if let mm = screen?.mmPerPixel {
            spacing = Spacing(mmPerPixelX: mm, mmPerPixelY: mm)
        } else {
            let mm = options.parameters.region.assumedDepthMm / Double(max(1, region!.height))
            spacing = Spacing(mmPerPixelX: mm, mmPerPixelY: mm)
        }
        analyzer = FrameAnalyzer(spacing: spacing, calibrated: calibrated, defectParams: options.parameters.defect,
                                 aponeurosisParams: options.parameters.aponeurosis, fascicleParams: options.parameters.fascicle)
        if let sector = detectedRegion, options.parameters.region.sectorInscribed, let choice = sectorRectangle(sector) {
            region = choice.rectangle
            regionSource = choice.source
        }
        let buffered = pending
        pending = []
        for frame in buffered { process(frame) }
    }

    /// The region found by the detector (nil with `--roi` or when none was found).
    private var detectedRegion: ImagingRegion?

    /// A curved array's sector (`ImagingRegion.curvedArray`) is measured in its inscribed rectangle
    /// from the top arc down, when it is at least half as tall and a third as wide as the fan: its
    /// aponeuroses are arcs, steeper at the fan's sides than the detector follows from band to band,
    /// and the canvas wedges beside the fan break them up, while in that rectangle they are the
    /// arcs' flatter middle. Any other image keeps its bounding rectangle (nil): a steered linear
    /// fan's aponeuroses run straight across it (Docs/methods.md, "Imaging region").
    private func sectorRectangle(_ found: ImagingRegion) -> (rectangle: PixelRect, source: String)? {
        let r = found.bounds, inner = found.inscribed
        guard found.curvedArray, inner != r, 2 * inner.height >= r.height, 3 * inner.width >= r.width else { return nil }
        return (inner, "detected: a curved array's sector (\(r.x),\(r.y),\(r.width)x\(r.height)), measured in its inscribed rectangle")
    }

    private func process(_ frame: Frame) {
        guard let analyzer, let region else { return }
        let image = FloatImage(frame.grey, cropping: region)
        let observation = analyzer.observe(image, index: frame.index, timeS: frame.timeS, following: records.last?.observation.aponeuroses)
        var record = FrameRecord(observation: observation)
        // This frame at full and half resolution, made once: the field uses it now and as the
        // next frame's previous.
        let pyramid = TissueFieldTracker.Pyramid(image)
        if let previous, let apo = lastAponeuroses {
            track(previous: previous.full, next: image, aponeuroses: apo, into: &record)
            record.field = TissueFieldTracker(params: options.parameters.field).measure(
                previous: previous, next: pyramid, spacing: spacing,
                superficial: { apo.superficialInner.y($0) }, deep: { apo.deepInner.y($0) })
        }
        if let apo = observation.aponeuroses { lastAponeuroses = apo }
        previous = pyramid
        records.append(record)
    }

    /// Speckle tracking from the previous frame to this one: the aponeurosis inner edges
    /// (vertical motion).
    private func track(previous: FloatImage, next: FloatImage, aponeuroses apo: AponeurosisPair, into record: inout FrameRecord) {
        let w = next.width
        let hx = max(3, spacing.px(x: 1.0)), hy = max(3, spacing.px(y: 0.6))
        let matcher = BlockMatcher(halfWidth: hx, halfHeight: hy,
                                   searchX: max(2, spacing.px(x: 0.6)), searchY: max(2, spacing.px(y: 0.4)), minCorrelation: 0.4)
        let columns = 6
        var supDy: [Double] = [], deepDy: [Double] = []
        for c in 0..<columns {
            let x = Double(w) * (Double(c) + 0.5) / Double(columns)
            let xi = Int(x)
            let sup = apo.superficialInner.y(x), deep = apo.deepInner.y(x)
            guard sup.isFinite, deep.isFinite else { continue }
            if let m = matcher.match(previous: previous, next: next, cx: xi, cy: Int(sup.rounded())) { supDy.append(m.displacement.y) }
            if let m = matcher.match(previous: previous, next: next, cx: xi, cy: Int(deep.rounded())) { deepDy.append(m.displacement.y) }
        }
        if supDy.count >= 2 { record.superficialDy = Stats.median(supDy) }
        if deepDy.count >= 2 { record.deepDy = Stats.median(deepDy) }
    }
}

extension ClipAnalyzer {
    /// Reads `source` to the end and analyses it.
    /// The calibration is `Calibration.resolve`'s: the options' own (from `--mm-per-pixel`, or
    /// from labels when the caller gave that source) before the file's (DICOM), checked against the
    /// plausible range; an implausible value in the file throws `CalibrationError` before any
    /// frame is read. The file's calibrated region is the imaging region unless `--roi` gives one;
    /// a `--roi` is checked against the frame size here too (`AnalysisError.roiOutsideFrame`).
    /// `progress`, when given, is called after each frame with the number of frames read so far.
    public static func analyze(source: FrameSource, options given: AnalysisOptions, progress: ((Int) -> Void)? = nil) throws -> ClipAnalysis {
        var options = given
        let path = source.info.path
        var candidates = CalibrationCandidates(dicom: source.info.calibration?.mmPerPixel)
        if let s = options.mmPerPixel {
            candidates.set([s.mmPerPixelX, s.mmPerPixelY], for: options.calibrationSource == .none ? .cli : options.calibrationSource)
        }
        let resolved = try Calibration.resolve(candidates, path: path)
        options.mmPerPixel = resolved.spacing
        options.calibrationSource = resolved.source
        if options.roi == nil, resolved.source == .dicom || resolved.source == .cli,
           let r = source.info.calibration?.region, r.width >= 16, r.height >= 16,
           r.x >= 0, r.y >= 0, r.fits(width: source.info.width, height: source.info.height) {
            options.roi = r
            options.roiSource = "dicom"
        }
        if let roi = options.roi, source.info.width > 0, source.info.height > 0,
           !(roi.x >= 0 && roi.y >= 0 && roi.width >= 16 && roi.height >= 16 && roi.fits(width: source.info.width, height: source.info.height)) {
            throw AnalysisError.roiOutsideFrame(roi: roi, width: source.info.width, height: source.info.height)
        }
        let analyzer = ClipAnalyzer(path: source.info.path, options: options)
        var count = 0
        while let frame = try source.nextFrame() {
            try analyzer.add(frame)
            count += 1
            progress?(count)
        }
        return try analyzer.finish(info: source.info, warnings: source.warnings)
    }
}
