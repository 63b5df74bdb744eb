import Foundation
import MSKSimulator
import MSKWriter

/// End-to-end analysis throughput (decode + detection + tracking + fusion), `mskcine analyze` as a
/// user runs it, pinned to one core with `taskset -c 0`, beside decode alone (`mskcine probe
/// --count`) in the same run. Peak memory for a short and a 4x longer clip (flat in length).
/// Frames per second are given on elapsed time and on the process's own CPU time (user + system,
/// from /usr/bin/time): on a shared machine the second is the steadier figure, since time the
/// core spends on other processes is not counted.
enum AnalysisBench {
    static func run(scratch: URL, realClip: String?) throws {
        let mskcine = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mskcine").path
        guard FileManager.default.isExecutableFile(atPath: mskcine) else {
            print("note: \(mskcine) not built; run `swift build -c release` for the analysis figures")
            return
        }
        var clips: [(String, String, String)] = []
        for frames in [150, 600] {
            let path = scratch.appendingPathComponent("tear_640x480_\(frames).mp4").path
            let simulator = CineSimulator(parameters: SimulationParameters.preset(case: .full, seed: 11, width: 640, height: 480,
                                                                                  mmPerPixel: 0.08, frameCount: 150, fps: 30))
            let writer = try VideoWriter(path: path, width: 640, height: 480, options: VideoWriterOptions(codec: .h264, fps: 30))
            // A longer clip repeats the contraction cycle (the simulator's frames, looped).
            for i in 0..<frames { try writer.write(simulator.renderFrame(i % simulator.frameCount).grey) }
            try writer.finish()
            clips.append(("640x480 H.264 simulated tear, \(frames) frames", path, "0.08"))
        }
        if let realClip, FileManager.default.fileExists(atPath: realClip) {
            clips.append(("1148x624 H.264 real clip (p6_passive_ROM, \(try countFrames(mskcine, realClip)) frames)", realClip, ""))
        }
        print("")
        print("End-to-end analysis (mskcine analyze, release, pinned to one core with taskset -c 0), best of 3:")
        print("  " + "clip".padding(toLength: 56, withPad: " ", startingAt: 0)
              + "analyze fps (elapsed / CPU)  decode fps (elapsed / CPU)  analyze/decode CPU  peak RSS")
        var frameCounts: [String: Int] = [:]
        for (name, path, mm) in clips {
            let frames = try countFrames(mskcine, path)
            frameCounts[path] = frames
            var analyzeBest = Double.infinity, decodeBest = Double.infinity
            var analyzeCPU = Double.infinity, decodeCPU = Double.infinity
            var rss = 0
            for _ in 0..<3 {
                var args = ["taskset", "-c", "0", "/usr/bin/time", "-f", "%M %U %S", mskcine, "analyze", path, "--json", "/dev/null"]
                if !mm.isEmpty { args += ["--mm-per-pixel", mm] }
                let t0 = Bench.now()
                let analyzed = try timed(args)
                analyzeBest = min(analyzeBest, Bench.now() - t0)
                analyzeCPU = min(analyzeCPU, analyzed.cpu)
                rss = analyzed.rssKiB
                let t1 = Bench.now()
                let decoded = try timed(["taskset", "-c", "0", "/usr/bin/time", "-f", "%M %U %S", mskcine, "probe", path, "--count"])
                decodeBest = min(decodeBest, Bench.now() - t1)
                decodeCPU = min(decodeCPU, decoded.cpu)
            }
            let f = Double(frames)
            print("  " + name.padding(toLength: 54, withPad: " ", startingAt: 0)
                  + String(format: " %8.1f / %8.1f         %8.1f / %8.1f        %8.2fx  %10.1f MiB", f / analyzeBest, f / analyzeCPU,
                           f / decodeBest, f / decodeCPU, analyzeCPU / decodeCPU, Double(rss) / 1024))
        }
        print("  (target: at least 200 fps at 640x480, decode included, on one core; peak memory flat in clip length)")

        // What a sonographer waits for: every output a single analysis writes (result document,
        // per-frame CSV, HTML report and the annotated overlay clip, which decodes the clip again
        // and encodes every frame).
        if let (name, path, mm) = clips.first, let frames = frameCounts[path] {
            var best = Double.infinity, cpu = Double.infinity
            for run in 0..<3 {
                let out = scratch.appendingPathComponent("outputs-\(run)").path
                try? FileManager.default.removeItem(atPath: out)
                var args = ["taskset", "-c", "0", "/usr/bin/time", "-f", "%M %U %S", mskcine, "analyze", path, "--out", out]
                if !mm.isEmpty { args += ["--mm-per-pixel", mm] }
                let t0 = Bench.now()
                let timing = try timed(args)
                best = min(best, Bench.now() - t0)
                cpu = min(cpu, timing.cpu)
                try? FileManager.default.removeItem(atPath: out)
            }
            print("")
            print("Every output (mskcine analyze --out: result, CSV, HTML report, overlay clip; one core), best of 3:")
            print("  " + name.padding(toLength: 54, withPad: " ", startingAt: 0)
                  + String(format: " %5.2f s elapsed, %5.2f s CPU: %6.1f / %6.1f frames/s", best, cpu, Double(frames) / best, Double(frames) / cpu))
        }
    }

    /// Runs a command whose last standard-error line is /usr/bin/time's "%M %U %S": peak RSS in
    /// KiB and CPU seconds (user + system).
    static func timed(_ command: [String]) throws -> (rssKiB: Int, cpu: Double) {
        let stderr = try runCapturingStderr(command)
        let fields = (stderr.split(separator: "\n").last ?? "").split(separator: " ")
        guard fields.count == 3, let rss = Int(fields[0]), let user = Double(fields[1]), let system = Double(fields[2]) else {
            throw Bench.Failure(message: "\(command.joined(separator: " ")): /usr/bin/time printed '\(stderr.split(separator: "\n").last ?? "")'")
        }
        return (rss, user + system)
    }

    static func countFrames(_ mskcine: String, _ path: String) throws -> Int {
        let out = try Bench.run([mskcine, "probe", path, "--count", "--json"], viaEnv: false)
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return ((json?["decoded"] as? [String: Any])?["frameCount"] as? Int) ?? 0
    }

    /// Runs a command (through /usr/bin/env), discards its standard output, returns its standard error.
    static func runCapturingStderr(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Bench.Failure(message: "\(command.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
