import Foundation
import MSKDICOM
import MSKFiles
import MSKImage
import MSKLabels
import MSKSimulator
import MSKWriter

/// What a synthesised clip is written as.
public enum SynthFormat: String, Sendable, CaseIterable {
    /// A video file in `SynthJob.codec`.
    case video
    /// A DICOM US Multi-frame Image (`.dcm`): native 8-bit pixels, Explicit VR Little Endian, the
    /// simulator's imaging region and spacing as its ultrasound region, identity from the parameters.
    case dicom
}

/// One clip to synthesise: simulator parameters, the clip's file stem, and how to encode it.
public struct SynthJob: Sendable {
    /// File stem: the clip is `<name>.<ext>`, its labels `<name>.labels.json`.
    public var name: String
    public var parameters: SimulationParameters
    public var codec: VideoCodec
    /// Codec quality (libx264 CRF, MPEG-4/MJPEG qscale); nil: `SynthJob.defaultQuality(codec)`.
    public var quality: Int?
    /// Grey or RGB frames. nil: RGB when the export canvas is on (its markers are coloured), grey otherwise.
    public var pixels: WriterPixels?
    /// Video (in `codec`) or DICOM (`codec` and `quality` are then unused).
    public var format: SynthFormat = .video

    public init(name: String, parameters: SimulationParameters, codec: VideoCodec = .h264,
                quality: Int? = nil, pixels: WriterPixels? = nil) {
        self.name = name
        self.parameters = parameters
        self.codec = codec
        self.quality = quality
        self.pixels = pixels
    }

    /// A job for a preset of the sample set, in its suggested codec at the default quality.
    public init(preset: SamplePreset) {
        self.init(name: preset.name, parameters: preset.parameters, codec: VideoCodec(rawValue: preset.codec) ?? .h264)
    }

    /// The jobs of the committed sample set (`SamplePresets.all`), in order.
    public static var samples: [SynthJob] { SamplePresets.all.map(SynthJob.init(preset:)) }

    /// The clip's file name, e.g. `full_01.mp4`.
    public var clipFileName: String { "\(name).\(format == .dicom ? "dcm" : codec.defaultExtension)" }
    /// The labels' file name, e.g. `full_01.labels.json`.
    public var labelsFileName: String { LabelsDocument.fileName(forClip: clipFileName) }

    /// Quality used when a job gives none: the writer's CRF 20 for H.264, qscale 5 for MPEG-4
    /// and MJPEG (speckle is noise-like: the writer's 3 costs about twice the space), none for FFV1.
    public static func defaultQuality(_ codec: VideoCodec) -> Int? {
        switch codec {
        case .h264, .ffv1: return nil
        case .mpeg4, .mjpeg: return 5
        }
    }

    /// Problems with the job, in words; empty when it can be written.
    public func problems() -> [String] {
        var list = parameters.problems()
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            list.append("the clip name '\(name)' must be a plain file stem (no '/', not starting with '.')")
        }
        if format == .dicom {
            if quality != nil { list.append("DICOM is written uncompressed and takes no quality") }
            return list
        }
        if let quality {
            switch codec {
            case .h264 where !(0...51).contains(quality): list.append("H.264 quality (CRF) \(quality) is outside 0...51")
            case .mpeg4 where !(1...31).contains(quality), .mjpeg where !(1...31).contains(quality):
                list.append("\(codec.rawValue) quality (qscale) \(quality) is outside 1...31")
            default: break
            }
        }
        if codec != .ffv1 && (parameters.width % 2 != 0 || parameters.height % 2 != 0) {
            list.append("\(codec.rawValue) needs an even frame size, got \(parameters.width)x\(parameters.height)")
        }
        return list
    }
}

/// Where a synthesis run is: reported after every frame written.
public struct SynthProgress: Sendable, Equatable {
    public let clipName: String
    /// 0-based clip number within the run, and the number of clips.
    public let clipIndex: Int
    public let clipCount: Int
    /// Frames written so far in this clip, out of `frameCount`.
    public let framesDone: Int
    public let frameCount: Int
}

/// A clip written whole, with its labels.
public struct SynthResult: Sendable, Equatable {
    public let clipPath: String
    public let labelsPath: String
    public let frames: Int
    public let clipBytes: Int
}

/// Why synthesis failed. `description` is one line: what failed, which file, what to do.
public enum SynthError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The output folder does not exist and cannot be made, is not a folder, or is not writable.
    case outputFolder(path: String, reason: String)
    case badJob(name: String, problems: [String])
    case writer(WriterError)
    case dicomWriter(DICOMWriteError)
    case labels(path: String, reason: String)
    /// The caller asked to stop (e.g. Ctrl-C); the clip being written was removed.
    case cancelled(path: String)
    /// The background clip of a semi-synthetic clip cannot be read or used.
    case background(path: String, reason: String, advice: String)

    public var description: String {
        switch self {
        case .outputFolder(let path, let reason):
            return "cannot write into '\(path)': \(reason); choose a writable folder"
        case .badJob(let name, let problems):
            return "cannot synthesise '\(name)': \(problems.joined(separator: "; ")); change the options"
        case .writer(let error):
            return error.description
        case .dicomWriter(let error):
            return error.description
        case .labels(let path, let reason):
            return "cannot write '\(path)': \(reason); check free disk space and that the folder is writable"
        case .background(let path, let reason, let advice):
            return "cannot use '\(path)' as a background: \(reason); \(advice)"
        case .cancelled(let path):
            return "stopped before '\(path)' was finished; it was not written (clips finished before it are whole)"
        }
    }
}

/// Renders simulator clips to video files through `MSKWriter`, each with its
/// `<clip>.labels.json` beside it. Both files are written under temporary names and renamed
/// into place only when whole; on any error the temporary files are removed, so a folder never
/// holds a partial clip or labels file, and a clip never lacks its labels.
///
/// Output is reproducible byte for byte on one platform: the simulator is deterministic for its
/// parameters, and the writer runs in its reproducible mode (one encoder thread, no libx264
/// macroblock tree, bit-exact containers).
public enum Synthesizer {
    /// Creates `directory` (with parents) when missing; checks it is a writable folder.
    public static func prepareOutputFolder(_ directory: String) throws(SynthError) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .outputFolder(path: directory, reason: "it is a file, not a folder") }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw .outputFolder(path: directory, reason: "it cannot be created (\(Self.reason(error)))")
            }
        }
        guard fm.isWritableFile(atPath: directory) else {
            throw .outputFolder(path: directory, reason: "it is not writable")
        }
    }

    /// Writes one clip and its labels into `directory`. `progress` is called after every frame;
    /// `isCancelled` is asked before every frame, and when it answers true the clip is abandoned
    /// (its temporary file removed) and `.cancelled` thrown.
    @discardableResult
    public static func write(_ job: SynthJob, into directory: String, clipIndex: Int = 0, clipCount: Int = 1,
                             progress: (SynthProgress) -> Void = { _ in },
                             isCancelled: () -> Bool = { false }) throws(SynthError) -> SynthResult {
        let problems = job.problems()
        guard problems.isEmpty else { throw .badJob(name: job.name, problems: problems) }
        try prepareOutputFolder(directory)
        // Paths as the caller gave the folder (relative stays relative), for messages.
        let clipPath = (directory as NSString).appendingPathComponent(job.clipFileName)
        let labelsPath = (directory as NSString).appendingPathComponent(job.labelsFileName)
        let p = job.parameters
        let simulator = CineSimulator(parameters: p)
        var truth: [FrameLabel] = []
        truth.reserveCapacity(p.frameCount)
        // Dropped unfinished (an error, or cancelled), a writer removes its temporary file.
        let writer = try ClipSink(job: job, path: clipPath, simulator: simulator)
        var cancelled = false
        for index in 0..<p.frameCount {
            if isCancelled() { cancelled = true; break }
            let frame = simulator.renderFrame(index)
            try writer.write(frame)
            truth.append(frame.truth)
            progress(SynthProgress(clipName: job.name, clipIndex: clipIndex, clipCount: clipCount,
                                   framesDone: truth.count, frameCount: p.frameCount))
        }
        // Dropped unfinished, the writer removes its temporary file.
        if cancelled { throw .cancelled(path: clipPath) }

        // Labels to a temporary name first; the clip is renamed into place, then the labels.
        let document = simulator.labelsDocument(clipName: job.clipFileName, frames: truth)
        let labelsTemporary = TemporaryName.beside(labelsPath)
        do {
            try document.encodedJSON().write(to: URL(fileURLWithPath: labelsTemporary))
        } catch {
            try? FileManager.default.removeItem(atPath: labelsTemporary)
            throw .labels(path: labelsPath, reason: reason(error))
        }
        let frames: Int
        do {
            frames = try writer.finish()
        } catch {
            try? FileManager.default.removeItem(atPath: labelsTemporary)
            throw error
        }
        do {
            try TemporaryName.commit(labelsTemporary, to: labelsPath)
        } catch {
            // A clip without its labels is not a labelled clip: take the clip back out.
            try? FileManager.default.removeItem(atPath: clipPath)
            throw .labels(path: labelsPath, reason: reason(error))
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: clipPath)[.size] as? Int) ?? 0
        return SynthResult(clipPath: clipPath, labelsPath: labelsPath, frames: frames, clipBytes: bytes)
    }

    /// Writes every job in order into `directory`; stops at the first error (clips already
    /// written stay, whole).
    @discardableResult
    public static func write(_ jobs: [SynthJob], into directory: String,
                             progress: (SynthProgress) -> Void = { _ in },
                             finished: (SynthResult) -> Void = { _ in },
                             isCancelled: () -> Bool = { false }) throws(SynthError) -> [SynthResult] {
        try prepareOutputFolder(directory)
        var results: [SynthResult] = []
        for (i, job) in jobs.enumerated() {
            let result = try write(job, into: directory, clipIndex: i, clipCount: jobs.count, progress: progress,
                                   isCancelled: isCancelled)
            finished(result)
            results.append(result)
        }
        return results
    }

    static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return (error as NSError).localizedDescription
    }
}
