// `make bench`: prints MSKCine's speed and memory figures. Never a pass/fail test: the machines
// are shared and noisy, so figures are printed for a person to read and compare.
//
//   MSKBench                      run every benchmark
//   MSKBench decode-rss CLIP      (internal) decode CLIP, print peak resident memory in KiB
//   MSKBench speckle [REAL_CLIP]  speckle statistics of simulated and real muscle bellies
//                                 (the table in Docs/simulated-vs-real.md)
import Foundation
import MSKImage
import MSKReader
import MSKSimulator
import MSKWriter

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "decode-rss", arguments.count == 2 {
    do {
        let reader = try VideoReader(path: arguments[1])
        let count = try reader.countFrames()
        print("\(count.frameCount) \(Bench.peakRSSKiB())")
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("MSKBench: \(error)\n".utf8))
        exit(3)
    }
}

if arguments.first == "speckle" {
    do {
        try SpeckleReport.run(realClip: arguments.count > 1 ? arguments[1] : SpeckleReport.defaultRealClip)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("MSKBench speckle: \(error)\n".utf8))
        exit(1)
    }
}

let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-bench-\(getpid())")
try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

print("MSKCine benchmarks (release build; figures vary with machine load)")
print("")
do {
    // 1. Decode throughput, grey output, against the ffmpeg command line in the same run.
    let synthetic = scratch.appendingPathComponent("h264_640x480_300.mp4").path
    try Bench.makeClip(synthetic, size: "640x480", frames: 300)
    var clips = [("640x480 H.264, 300 frames (testsrc2)", synthetic)]
    let real = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/real-video/p6_passive_ROM_01_push_01.mp4").path
    if FileManager.default.fileExists(atPath: real) {
        clips.append(("1148x624 H.264 real clip (p6_passive_ROM, 394 frames)", real))
    } else {
        print("note: the real clip \(real) is absent; only the synthetic clip is measured")
    }
    print("Decode throughput (8-bit grey), best of 3 runs each:")
    print("  " + "clip".padding(toLength: 56, withPad: " ", startingAt: 0) + "reader fps   ffmpeg fps   reader time / ffmpeg time")
    for (name, path) in clips {
        var readerBest = Double.infinity, ffmpegBest = Double.infinity
        var frames = 0
        for _ in 0..<3 {
            let t0 = Bench.now()
            let reader = try VideoReader(path: path)
            frames = try reader.countFrames().frameCount
            readerBest = min(readerBest, Bench.now() - t0)
            let t1 = Bench.now()
            try Bench.run(["ffmpeg", "-v", "error", "-i", path, "-pix_fmt", "gray", "-f", "null", "-"])
            ffmpegBest = min(ffmpegBest, Bench.now() - t1)
        }
        let ratio = readerBest / ffmpegBest
        print("  " + name.padding(toLength: 54, withPad: " ", startingAt: 0) + String(format: " %10.1f   %10.1f   %.2fx %@",
                     Double(frames) / readerBest, Double(frames) / ffmpegBest, ratio,
                     (ratio <= 1.2 ? "(target <= 1.2x: met)" : "(target <= 1.2x: NOT met)") as NSString))
    }

    // 2. Peak memory: streaming means a 10x longer clip needs no more memory.
    print("")
    print("Peak resident memory while decoding (separate process per clip):")
    let short = scratch.appendingPathComponent("h264_640x480_300f.mp4").path
    let long = scratch.appendingPathComponent("h264_640x480_3000f.mp4").path
    try Bench.makeClip(short, size: "640x480", frames: 300)
    try Bench.makeClip(long, size: "640x480", frames: 3000)
    var peaks: [Int] = []
    for (label, path) in [("300 frames", short), ("3000 frames", long)] {
        let output = try Bench.run([CommandLine.arguments[0], "decode-rss", path], viaEnv: false)
        let fields = output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard fields.count == 2 else { throw Bench.Failure(message: "decode-rss printed '\(output)'") }
        peaks.append(fields[1])
        print("  640x480 H.264, " + label.padding(toLength: 12, withPad: " ", startingAt: 0)
              + String(format: " decoded %5d frames, peak RSS %7.1f MiB", fields[0], Double(fields[1]) / 1024))
    }
    let growth = Double(peaks[1] - peaks[0]) / Double(peaks[0]) * 100
    print(String(format: "  3000 vs 300 frames: %+.1f%% (target: within 10%%: %@)", growth,
                 (abs(growth) <= 10 ? "met" : "NOT met") as NSString))

    // 3. Simulator render throughput (one core: frames are rendered one after another).
    print("")
    print("Simulator render (MSKSimulator, full-thickness tear, grey + RGB + ground truth), best of 2:")
    for (w, h, canvas) in [(480, 360, false), (640, 480, false), (640, 480, true)] {
        let parameters = SimulationParameters.preset(case: .full, seed: 7, width: w, height: h, mmPerPixel: 0.08,
                                                     frameCount: 30, fps: 30, exportCanvas: canvas)
        var setUpBest = Double.infinity, frameBest = Double.infinity
        for _ in 0..<2 {
            let t0 = Bench.now()
            let simulator = CineSimulator(parameters: parameters)
            let t1 = Bench.now()
            var frames: [GreyImage] = []
            for i in 0..<parameters.frameCount { frames.append(simulator.renderFrame(i).grey) }
            let t2 = Bench.now()
            setUpBest = min(setUpBest, t1 - t0)
            frameBest = min(frameBest, (t2 - t1) / Double(parameters.frameCount))
        }
        print(String(format: "  %dx%d%@  set-up %6.1f ms, %6.1f ms/frame (%5.1f frames/s)", w, h,
                     (canvas ? " canvas" : "       ") as NSString, setUpBest * 1000, frameBest * 1000, 1 / frameBest))
    }

    // 4. Writer throughput: 120 simulated 640x480 grey frames, rendered once and held in memory.
    let clip = CineSimulator(parameters: SimulationParameters.preset(case: .full, seed: 7, width: 640, height: 480,
                                                                     mmPerPixel: 0.08, frameCount: 120, fps: 30))
    let writerFrames = (0..<clip.frameCount).map { clip.renderFrame($0).grey }
    print("")
    print("Writer throughput, 640x480 grey, 120 simulated frames (MSKWriter, the writer's default quality:")
    print("H.264 CRF 20, MPEG-4/MJPEG qscale 3), encode and mux only, best of 2:")
    print("  codec                    default            reproducible (make samples)   file size (reproducible)")
    for codec in VideoCodec.allCases {
        var best: [Double] = []
        var bytes = 0
        for reproducible in [false, true] {
            var fastest = Double.infinity
            for _ in 0..<2 {
                let path = scratch.appendingPathComponent("write.\(codec.defaultExtension)").path
                let t0 = Bench.now()
                let writer = try VideoWriter(path: path, width: 640, height: 480,
                                             options: VideoWriterOptions(codec: codec, fps: 30, reproducible: reproducible))
                for frame in writerFrames { try writer.write(frame) }
                try writer.finish()
                fastest = min(fastest, Bench.now() - t0)
                bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            }
            best.append(Double(writerFrames.count) / fastest)
        }
        print("  " + "\(codec.rawValue) (.\(codec.defaultExtension))".padding(toLength: 24, withPad: " ", startingAt: 0)
              + String(format: " %10.1f fps     %10.1f fps               %6.2f MB", best[0], best[1], Double(bytes) / 1_048_576))
    }

    // 5. End-to-end analysis throughput and memory.
    try AnalysisBench.run(scratch: scratch, realClip: real)
} catch {
    FileHandle.standardError.write(Data("MSKBench: \(error)\n".utf8))
    exit(1)
}

print("")
do {
    try BatchBench.run(scratch: scratch)
} catch {
    FileHandle.standardError.write(Data("MSKBench: batch: \(error)\n".utf8))
    exit(1)
}

enum Bench {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    static func makeClip(_ path: String, size: String, frames: Int) throws {
        // testsrc2 plus noise: moving detail so the encoder makes real P/B-frames.
        try run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=30",
                 "-vf", "noise=alls=12:allf=t", "-frames:v", "\(frames)", "-c:v", "libx264",
                 "-preset", "veryfast", "-pix_fmt", "yuv420p", path])
    }

    @discardableResult
    static func run(_ command: [String], viaEnv: Bool = true) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: viaEnv ? "/usr/bin/env" : command[0])
        process.arguments = viaEnv ? command : Array(command.dropFirst())
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(message: "\(command.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
