import ArgumentParser
import Foundation
import MSKFiles
import MSKImaging
import MSKSimulator
import MSKSynth
import MSKImage
import MSKWriter

extension MSKCine {
    /// `mskcine synth OUTDIR ...`: simulated, labelled clips (clip plus `<clip>.labels.json`).
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write simulated B-mode cine clips of a muscle, each with its <clip>.labels.json.",
            discussion: """
                Without --preset or --samples, one clip is drawn from --case and --seed (same seed, same clip). \
                --preset NAME writes one clip of the sample set (--codec, --quality, --frames, --fps and --name may change it); \
                --samples writes the whole sample set (what `make samples` commits).
                """)

        @Argument(help: "Folder to write into (created when missing).")
        var outdir: String

        @Option(name: .customLong("case"), help: "Lesion: full, full-subtle, partial or none (default full).")
        var tearCase: CaseOption?

        @Option(help: "Random seed: anatomy, speckle and motion (default 1).")
        var seed: UInt64?

        @Option(help: "Number of frames (default 75).")
        var frames: Int?

        @Option(help: "Frames per second (default 25).")
        var fps: Double?

        @Option(help: "Frame size WxH in pixels (default 480x360).")
        var size: FrameSize?

        /// `--mm-per-pixel X[,Y]`: the simulated pixel spacing (default 0.1).
        @OptionGroup var calibration: CalibrationOptions

        @Option(help: "Video codec: h264 (.mp4), mpeg4 (.mp4), mjpeg (.avi) or ffv1 (.mkv, lossless); or dicom (.dcm: US Multi-frame Image, uncompressed, calibrated) (default h264).")
        var codec: CodecOption?

        @Option(help: "Codec quality, lower is better and larger: H.264 CRF 0-51 (default 20), MPEG-4/MJPEG qscale 1-31 (default 5); ffv1 is lossless.")
        var quality: Int?

        @Option(help: "Write one clip of the sample set by name (e.g. full_01).")
        var preset: String?

        @Option(help: "File stem of the clip (default <case>_seed<seed>, or the preset's name).")
        var name: String?

        @Flag(help: "Place the image inside a scanner-export canvas (margins, text, depth ruler, markers).")
        var canvas = false

        @Flag(help: "Write the whole sample set (every case, sizes, spacings, codecs, two serial series).")
        var samples = false

        @Flag(help: "Write PNG stills at rest and at peak contraction (imaging region only) instead of clips.")
        var stills = false

        @Option(help: ArgumentHelp("Semi-synthetic: draw the --case defect into the frames of this real healthy clip (--case none: the clip re-encoded untouched, its control). Needs --mm-per-pixel.", valueName: "CLIP"))
        var background: String?

        @Option(help: ArgumentHelp("With --background: the ultrasound image X,Y,W,H in frame pixels (default: the pixels that move over the clip).", valueName: "X,Y,W,H"))
        var roi: String?

        @Option(name: .customLong("muscle-rows"), help: ArgumentHelp("With --background: rows of the aponeuroses' inner edges at the image's centre column, and optionally their slope in rows per column (default: estimated).", valueName: "TOP,BOTTOM[,SLOPE]"))
        var muscleRows: String?

        @Option(name: .customLong("contraction"), help: ArgumentHelp("With --background: a file with one contraction value (0-1) per written frame (default: from the tissue's motion).", valueName: "FILE"))
        var contractionFile: String?

        @Option(name: .customLong("randomised"), help: ArgumentHelp("Write N clips of the randomised validation distribution, seeds --seed, --seed+1, ... (Docs/simulator.md).", valueName: "N"))
        var randomised: Int?

        func validate() throws {
            let single: [(String, Bool)] = [("--case", tearCase != nil), ("--seed", seed != nil),
                                            ("--size", size != nil), ("--mm-per-pixel", calibration.mmPerPixel != nil),
                                            ("--canvas", canvas)]
            let tweaks: [(String, Bool)] = [("--codec", codec != nil), ("--quality", quality != nil), ("--frames", frames != nil),
                                            ("--fps", fps != nil), ("--name", name != nil)]
            if samples {
                let clash = (single + tweaks + [("--preset", preset != nil)]).filter(\.1).map(\.0)
                if !clash.isEmpty {
                    throw ValidationError("--samples writes the fixed sample set; drop \(clash.joined(separator: ", "))")
                }
            }
            if let preset {
                let clash = single.filter(\.1).map(\.0)
                if !clash.isEmpty {
                    throw ValidationError("--preset \(preset) fixes the anatomy and frame; drop \(clash.joined(separator: ", "))")
                }
                if Self.sample(named: preset) == nil {
                    throw ValidationError("no preset '\(preset)'; choose one of \(SamplePresets.all.map(\.name).joined(separator: ", "))")
                }
            }
            if let frames, frames < 1 { throw ValidationError("--frames \(frames) must be at least 1") }
            if background != nil {
                let clash = [("--preset", preset != nil), ("--samples", samples), ("--stills", stills), ("--size", size != nil),
                             ("--canvas", canvas), ("--fps", fps != nil), ("--randomised", randomised != nil)].filter(\.1).map(\.0)
                if !clash.isEmpty { throw ValidationError("--background takes its frames from the clip; drop \(clash.joined(separator: ", "))") }
                if calibration.mmPerPixel == nil { throw ValidationError("--background needs --mm-per-pixel X[,Y]: the video carries no calibration") }
                if codec?.video == nil && codec != nil { throw ValidationError("--background writes video: choose ffv1 (lossless), h264, mpeg4 or mjpeg") }
                if let roi, Self.integers(roi, count: 4) == nil { throw ValidationError("--roi '\(roi)' must be X,Y,W,H in pixels") }
                if let muscleRows {
                    guard let v = Self.muscleRows(muscleRows) else { throw ValidationError("--muscle-rows '\(muscleRows)' must be TOP,BOTTOM[,SLOPE] (rows, and rows per column)") }
                    if v.bottom <= v.top { throw ValidationError("--muscle-rows '\(muscleRows)': BOTTOM must be below TOP") }
                }
            } else if roi != nil || muscleRows != nil || contractionFile != nil {
                throw ValidationError("--roi, --muscle-rows and --contraction go with --background")
            }
            if let randomised {
                guard randomised >= 1 else { throw ValidationError("--randomised \(randomised) must be at least 1") }
                let clash = [("--preset", preset != nil), ("--samples", samples), ("--stills", stills), ("--size", size != nil),
                             ("--canvas", canvas), ("--case", tearCase != nil), ("--mm-per-pixel", calibration.mmPerPixel != nil),
                             ("--codec", codec != nil), ("--name", name != nil)].filter(\.1).map(\.0)
                if !clash.isEmpty { throw ValidationError("--randomised draws every clip's settings from its seed; drop \(clash.joined(separator: ", "))") }
            }
            if let fps, !(fps > 0 && fps.isFinite) { throw ValidationError("--fps \(fps) must be a positive number") }
        }

        /// The sample-set clip called `name`, if there is one.
        static func sample(named name: String) -> SamplePreset? {
            SamplePresets.all.first(where: { $0.name == name })
        }

        /// The clips this invocation asks for.
        func jobs() -> [SynthJob] {
            if samples { return SynthJob.samples }
            var job: SynthJob
            if let preset, let sample = Self.sample(named: preset) {
                job = SynthJob(preset: sample)
            } else {
                let c = tearCase?.value ?? .full
                let s = seed ?? 1
                let (w, h) = (size?.width ?? 480, size?.height ?? 360)
                // Checked in validate() (CalibrationOptions).
                let spacing = ((try? calibration.spacing()) ?? nil) ?? Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)
                // The anatomy is fitted to the depth shown, so the preset takes the axial spacing.
                var p = SimulationParameters.preset(case: c, seed: s, width: w, height: h, mmPerPixel: spacing.mmPerPixelY,
                                                    frameCount: 75, fps: 25, exportCanvas: canvas)
                p.mmPerPixelX = spacing.mmPerPixelX
                job = SynthJob(name: "\(c.rawValue)_seed\(s)", parameters: p)
            }
            if let codec {
                if let video = codec.video {
                    job.codec = video
                    job.format = .video
                } else {
                    job.format = .dicom
                }
                if preset != nil { job.quality = nil }
            }
            if let quality { job.quality = quality }
            if let frames { job.parameters.frameCount = frames }
            if let fps { job.parameters.fps = fps }
            if let name { job.name = name }
            return [job]
        }

        func run() throws {
            if background != nil { return try runBackground() }
            if randomised != nil { return try runRandomised() }
            let jobs = jobs()
            let progress = ProgressLine()
            let interruption = Interruption()
            defer { interruption.stop() }
            do throws(SynthError) {
                if stills {
                    for job in jobs {
                        for path in try Synthesizer.writeStills(job, into: outdir) { progress.finish("wrote \(path)") }
                    }
                    return
                }
                try Synthesizer.write(jobs, into: outdir, progress: { p in
                    progress.update("\(p.clipName) [\(p.clipIndex + 1)/\(p.clipCount)]: frame \(p.framesDone)/\(p.frameCount)")
                }, finished: { r in
                    progress.finish(String(format: "wrote %@ (%d frames, %.2f MB) and %@", r.clipPath, r.frames,
                                           Double(r.clipBytes) / 1_048_576,
                                           URL(fileURLWithPath: r.labelsPath).lastPathComponent))
                }, isCancelled: { interruption.isRaised })
            } catch {
                progress.clear()
                // SynthError goes to MSKCine.report, which gives its exit status.
                throw error
            }
        }
    }
}

extension MSKCine.Synth {
    static func numbers(_ text: String, count: Int) -> [Double]? {
        let v = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == count, v.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }) else { return nil }
        return v.map { $0! }
    }

    static func muscleRows(_ text: String) -> (top: Double, bottom: Double, slope: Double)? {
        let v = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (2...3).contains(v.count), v.allSatisfy({ $0 != nil && $0!.isFinite }), v[0]! >= 0, abs(v.count == 3 ? v[2]! : 0) <= 1 else { return nil }
        return (v[0]!, v[1]!, v.count == 3 ? v[2]! : 0)
    }

    static func integers(_ text: String, count: Int) -> [Int]? {
        let v = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == count, v.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return v.map { $0! }
    }

    /// `--background`: one semi-synthetic clip (or its untouched control, `--case none`).
    func runBackground() throws {
        guard let background, let spacing = try calibration.spacing() else { return }
        let c = tearCase?.value ?? .full
        let s = seed ?? 1
        var job = BackgroundJob(background: background, name: name ?? "\(c.rawValue)_seed\(s)",
                                spec: InsertionSpec.randomised(case: c, seed: s), mmPerPixelX: spacing.mmPerPixelX, mmPerPixelY: spacing.mmPerPixelY)
        job.maxFrames = frames
        if let roi, let v = Self.integers(roi, count: 4) { job.region = PixelRect(x: v[0], y: v[1], width: v[2], height: v[3]) }
        if let muscleRows, let v = Self.muscleRows(muscleRows) {
            guard v.bottom > v.top else { throw ValidationError("--muscle-rows: BOTTOM must be below TOP") }
            job.muscleRows = (v.top, v.bottom)
            job.muscleSlope = v.slope
        }
        if let contractionFile {
            guard let text = try? String(contentsOfFile: contractionFile, encoding: .utf8) else {
                printError("mskcine: cannot read '\(contractionFile)'; give a text file with one contraction value per frame")
                throw ExitCode(ExitStatus.usage)
            }
            let values = text.split(whereSeparator: \.isNewline).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.allSatisfy({ $0 != nil && (0...1).contains($0!) }) else {
                printError("mskcine: '\(contractionFile)' must hold one number 0-1 per line")
                throw ExitCode(ExitStatus.usage)
            }
            job.contraction = values.map { $0! }
        }
        if let video = codec?.video { job.codec = video }
        job.quality = quality
        do throws(SynthError) {
            let r = try Synthesizer.writeOnBackground(job, into: outdir)
            let b = r.band
            printError(String(format: "wrote %@ (%d frames, every %d of the background; region %d,%d,%d,%d; belly rows %.0f-%.0f at x %.0f, grey %.0f, grain %.2f x %.2f mm; tissue moved up to %.1f mm) and %@",
                              r.clipPath, r.frames, r.stride, r.region.x, r.region.y, r.region.width, r.region.height,
                              b.superficialY0, b.deepY0, b.x0, r.bellyGrey, r.grainMm.x, r.grainMm.y, r.maxDisplacementMm,
                              URL(fileURLWithPath: r.labelsPath).lastPathComponent))
        } catch {
            printError("mskcine: \(error)")
            if case .badJob = error { throw ExitCode(ExitStatus.usage) }
            if case .background = error { throw ExitCode(ExitStatus.unreadableInput) }
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// `--randomised N`: N clips of the randomised validation distribution.
    func runRandomised() throws {
        guard let randomised else { return }
        let first = seed ?? 1
        var jobs = (0..<randomised).map { SynthJob.randomised(seed: first &+ UInt64($0)) }
        for i in jobs.indices {
            if let frames { jobs[i].parameters.frameCount = frames }
            if let fps { jobs[i].parameters.fps = fps }
            if let quality, jobs[i].format == .video { jobs[i].quality = quality }
        }
        let progress = ProgressLine()
        let interruption = Interruption()
        defer { interruption.stop() }
        do throws(SynthError) {
            try Synthesizer.write(jobs, into: outdir, progress: { p in
                progress.update("\(p.clipName) [\(p.clipIndex + 1)/\(p.clipCount)]: frame \(p.framesDone)/\(p.frameCount)")
            }, finished: { r in
                progress.finish(String(format: "wrote %@ (%d frames, %.2f MB)", r.clipPath, r.frames, Double(r.clipBytes) / 1_048_576))
            }, isCancelled: { interruption.isRaised })
        } catch {
            progress.clear()
            printError("mskcine: \(error)")
            if case .badJob = error { throw ExitCode(ExitStatus.usage) }
            throw ExitCode(ExitStatus.failure)
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM while clips are written: instead of dying with a temporary file
/// left behind, the run stops before the next frame, the unfinished clip's temporary file is
/// removed, and the command exits with status 1 and one line saying so.
final class Interruption: @unchecked Sendable {
    // `raised` is guarded by `lock`; `sources` is only touched on the thread that made the object.
    private let lock = NSLock()
    private var raised = false
    private var sources: [DispatchSourceSignal] = []
    private static let signals = [SIGINT, SIGTERM]

    init() {
        // This command stops by itself between frames: the process-wide clean-up waits.
        TemporaryName.deferSignals = true
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.raise() }
            source.resume()
            sources.append(source)
        }
    }

    var isRaised: Bool {
        lock.lock(); defer { lock.unlock() }
        return raised
    }

    private func raise() {
        lock.lock(); defer { lock.unlock() }
        raised = true
    }

    /// Gives the signals back to the process-wide clean-up (TemporaryName.installSignalCleanup).
    func stop() {
        for source in sources { source.cancel() }
        sources = []
        for number in Self.signals { signal(number, TemporaryName.signalCleanupIsInstalled ? SIG_IGN : SIG_DFL) }
        TemporaryName.deferSignals = false
    }
}

/// The progress line on standard error: rewritten in place (`\r`) on a terminal; on a pipe or
/// file only the finished lines are written, one per clip.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var shown = false

    func update(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    func finish(_ text: String) {
        clear()
        printError(text)
    }

    func clear() {
        if isTerminal && shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}

/// `--case`: the simulator's lesion cases by their spec names.
struct CaseOption: ExpressibleByArgument {
    let value: TearCase
    init?(argument: String) {
        guard let c = TearCase(rawValue: argument) else { return nil }
        value = c
    }
    static var allValueStrings: [String] { TearCase.allCases.map(\.rawValue) }
}

/// `--codec`: a video codec, or `dicom`.
struct CodecOption: ExpressibleByArgument {
    /// nil: DICOM.
    let video: VideoCodec?
    init?(argument: String) {
        if argument == "dicom" { video = nil; return }
        guard let c = VideoCodec(rawValue: argument) else { return nil }
        video = c
    }
    static var allValueStrings: [String] { VideoCodec.allCases.map(\.rawValue) + ["dicom"] }
}

/// `--size WxH`.
struct FrameSize: ExpressibleByArgument, Equatable {
    let width: Int
    let height: Int
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        width = w; height = h
    }
}
