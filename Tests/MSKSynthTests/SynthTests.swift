import Foundation
import MSKLabels
import MSKReader
import MSKSimulator
@testable import MSKSynth
import MSKWriter
import Testing

private func scratch() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-synth-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

private func files(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// `ffprobe -count_frames`: the number of frames the ffmpeg decoder reads from `path` (-1 on failure).
private func ffprobeCountFrames(_ path: String) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}

/// A small, quick clip (the simulator at 160x120 or 192x144 with the canvas).
private func smallJob(_ c: TearCase, codec: VideoCodec, canvas: Bool = false, frames: Int = 14) -> SynthJob {
    let (w, h) = canvas ? (192, 144) : (160, 120)
    let p = SimulationParameters.preset(case: c, seed: 31, width: w, height: h, mmPerPixel: 0.2,
                                        frameCount: frames, fps: 20, exportCanvas: canvas)
    return SynthJob(name: "small_\(c.rawValue)_\(codec.rawValue)", parameters: p, codec: codec)
}

@Suite("MSKSynth: simulated clips with labels")
struct SynthTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let tearCase: TearCase
        let codec: VideoCodec
        let canvas: Bool
        var testDescription: String { "\(tearCase.rawValue) \(codec.rawValue)\(canvas ? " canvas (RGB)" : "")" }
    }

    static let cases: [Case] = [
        Case(tearCase: .full, codec: .h264, canvas: false),
        Case(tearCase: .fullSubtle, codec: .h264, canvas: true),
        Case(tearCase: .partial, codec: .mpeg4, canvas: false),
        Case(tearCase: .none, codec: .mjpeg, canvas: true),
        Case(tearCase: .full, codec: .ffv1, canvas: true),
    ]

    @Test("written twice, byte for byte; ffprobe counts the stated frames; labels validate", arguments: cases)
    func reproducibleDecodableLabelled(_ c: Case) throws {
        let job = smallJob(c.tearCase, codec: c.codec, canvas: c.canvas)
        let first = try scratch(), second = try scratch()
        defer { try? FileManager.default.removeItem(atPath: first); try? FileManager.default.removeItem(atPath: second) }
        let a = try Synthesizer.write(job, into: first)
        let b = try Synthesizer.write(job, into: second)
        #expect(files(in: first) == [job.labelsFileName, job.clipFileName].sorted(), "no temporary files left")
        #expect(a.frames == job.parameters.frameCount && a.clipBytes > 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.clipPath)) == Data(contentsOf: URL(fileURLWithPath: b.clipPath)),
                "the clip differs between two runs")
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.labelsPath)) == Data(contentsOf: URL(fileURLWithPath: b.labelsPath)))

        #expect(try ffprobeCountFrames(a.clipPath) == job.parameters.frameCount)
        let reader = try VideoReader(path: a.clipPath)
        #expect(reader.info.codec == c.codec.rawValue)
        #expect(reader.info.width == job.parameters.width && reader.info.height == job.parameters.height)

        let labels = try LabelsDocument.read(from: URL(fileURLWithPath: a.labelsPath))
        #expect(labels.validationErrors().isEmpty, "\(labels.validationErrors())")
        #expect(labels.clip == job.clipFileName)
        #expect(labels.classification == c.tearCase.classification)
        #expect(labels.frames?.map(\.index) == Array(0..<job.parameters.frameCount))
        #expect(labels.frameCount == job.parameters.frameCount)
    }

    @Test("progress: once per frame, in order, for every clip of a run")
    func progressReportsEveryFrame() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jobs = [smallJob(.none, codec: .ffv1, frames: 5), smallJob(.partial, codec: .ffv1, frames: 3)]
        var seen: [SynthProgress] = []
        var finished: [SynthResult] = []
        try Synthesizer.write(jobs, into: dir, progress: { seen.append($0) }, finished: { finished.append($0) })
        #expect(seen.map(\.framesDone) == [1, 2, 3, 4, 5, 1, 2, 3])
        #expect(seen.map(\.clipIndex) == [0, 0, 0, 0, 0, 1, 1, 1])
        #expect(seen.allSatisfy { $0.clipCount == 2 })
        #expect(finished.map(\.frames) == [5, 3])
    }

    @Test("no partial files: a labels file that cannot be placed takes the clip back out")
    func failureLeavesNothingBehind() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = smallJob(.full, codec: .ffv1, frames: 4)
        // A non-empty folder where the labels file should go: the final rename must fail.
        let blocker = URL(fileURLWithPath: dir).appendingPathComponent(job.labelsFileName)
        try FileManager.default.createDirectory(at: blocker.appendingPathComponent("x"), withIntermediateDirectories: true)
        #expect(throws: SynthError.self) { try Synthesizer.write(job, into: dir) }
        #expect(files(in: dir) == [job.labelsFileName], "left: \(files(in: dir))")
    }

    @Test("cancelled between frames: .cancelled, and neither clip nor labels nor temporary file is left")
    func cancellation() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jobs = [smallJob(.none, codec: .h264, frames: 3), smallJob(.full, codec: .h264, frames: 10)]
        var asked = 0
        do {
            try Synthesizer.write(jobs, into: dir, isCancelled: { asked += 1; return asked > 3 + 4 })
            Issue.record("not cancelled")
        } catch {
            guard case .cancelled(let path) = error else { Issue.record("got \(error)"); return }
            #expect(path.hasSuffix(jobs[1].clipFileName))
        }
        // The first clip was finished before the request and stays, whole.
        #expect(files(in: dir) == [jobs[0].labelsFileName, jobs[0].clipFileName].sorted(), "left: \(files(in: dir))")
    }

    @Test("an output folder that is a file, or bad options, are named in one line")
    func badFolderAndJob() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = URL(fileURLWithPath: dir).appendingPathComponent("notes.txt").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let job = smallJob(.none, codec: .h264, frames: 2)
        do {
            try Synthesizer.write(job, into: file)
            Issue.record("writing into a file succeeded")
        } catch {
            guard case .outputFolder(let path, _) = error else { Issue.record("got \(error)"); return }
            #expect(path == file)
            #expect(!error.description.contains("\n") && error.description.contains(file))
        }
        var odd = job
        odd.parameters.width = 161
        odd.quality = 60
        do {
            try Synthesizer.write(odd, into: dir)
            Issue.record("an odd H.264 size was accepted")
        } catch {
            guard case .badJob(_, let problems) = error else { Issue.record("got \(error)"); return }
            #expect(problems.count == 2, "\(problems)")
        }
        #expect(files(in: dir) == ["notes.txt"])
    }

    @Test("stills: rest and peak frames from the model, cropped to the imaging region")
    func stills() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = smallJob(.full, codec: .h264, canvas: true, frames: 20)
        let simulator = CineSimulator(parameters: job.parameters)
        let (rest, peak) = Synthesizer.restAndPeakFrames(simulator)
        #expect(simulator.normalisedContraction(rest) == 0 && simulator.normalisedContraction(peak) == 1)
        let paths = try Synthesizer.writeStills(job, into: dir)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["\(job.name)_rest.png", "\(job.name)_peak.png"])
        for path in paths {
            let reader = try VideoReader(path: path)
            #expect(reader.info.width == simulator.imagingRegion.width && reader.info.height == simulator.imagingRegion.height)
            let frame = try #require(try reader.nextFrame())
            #expect(frame.grey.width == simulator.imagingRegion.width)
        }
        let restFrame = try #require(try VideoReader(path: paths[0]).nextFrame())
        let r = simulator.imagingRegion
        let expected = simulator.renderFrame(rest).grey
        #expect(restFrame.grey[5, 7] == expected[r.x + 5, r.y + 7])
    }
}

/// The committed sample set in `Samples/`: what `make samples` writes.
@Suite("Samples/: the committed labelled set")
struct CommittedSamplesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples")

    @Test("every sample preset is committed, with its labels")
    func everyPresetIsThere() throws {
        for job in SynthJob.samples {
            let clip = Self.folder.appendingPathComponent(job.clipFileName).path
            let labels = Self.folder.appendingPathComponent(job.labelsFileName).path
            #expect(FileManager.default.fileExists(atPath: clip), "missing \(clip); run make samples")
            #expect(FileManager.default.fileExists(atPath: labels), "missing \(labels); run make samples")
        }
    }

    @Test("every Samples/*.labels.json validates, and its clip decodes to the labelled frame count")
    func labelsValidateAndClipsDecode() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".labels.json") }
        #expect(names.count == SynthJob.samples.count)
        var total = 0
        for name in names.sorted() {
            let labels = try LabelsDocument.read(from: Self.folder.appendingPathComponent(name))
            #expect(labels.validationErrors().isEmpty, "\(name): \(labels.validationErrors())")
            #expect(LabelsDocument.fileName(forClip: labels.clip) == name)
            let frames = try #require(labels.frames, "\(name) has no frames")
            #expect(labels.frameCount == frames.count)
            let clip = Self.folder.appendingPathComponent(labels.clip).path
            let size = try #require(try FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int)
            #expect(size < 5_000_000, "\(labels.clip) is \(size) bytes")
            total += size
            let reader = try VideoReader(path: clip)
            #expect(try reader.countFrames().frameCount == frames.count, "\(labels.clip)")
            #expect([reader.info.width, reader.info.height] == labels.frameSize)
        }
        #expect(total < 15_000_000, "Samples/ clips total \(total) bytes")
    }
}
