// `make bench`: prints MSKCine's speed and memory figures. Never a pass/fail test: the machines
// are shared and noisy, so figures are printed for a person to read and compare.
//
//   MSKBench                      run every benchmark
//   MSKBench decode-rss CLIP      (internal) decode CLIP, print peak resident memory in KiB
import Foundation
import MSKReader

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
