import ArgumentParser
import Foundation
import MSKTestSupport
@testable import mskcine
import Testing

@Suite("mskcine synth: parsing, exit statuses, end to end")
struct SynthCommandTests {
    @Test("options parse into one job")
    func parses() throws {
        let synth = try MSKCine.Synth.parse(["out", "--case", "full-subtle", "--seed", "9", "--frames", "70",
                                             "--fps", "30", "--size", "320x240", "--mm-per-pixel", "0.12,0.1",
                                             "--codec", "ffv1", "--canvas"])
        let jobs = synth.jobs()
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.name == "full-subtle_seed9" && job.clipFileName == "full-subtle_seed9.mkv")
        #expect(job.parameters.tearCase.rawValue == "full-subtle" && job.parameters.seed == 9)
        #expect(job.parameters.frameCount == 70 && job.parameters.fps == 30)
        #expect(job.parameters.width == 320 && job.parameters.height == 240 && job.parameters.exportCanvas)
        #expect(job.parameters.mmPerPixelX == 0.12 && job.parameters.mmPerPixelY == 0.1)

        let preset = try MSKCine.Synth.parse(["out", "--preset", "none_02", "--codec", "h264", "--name", "n2"])
        let p = try #require(preset.jobs().first)
        #expect(p.name == "n2" && p.clipFileName == "n2.mp4" && p.parameters.width == 640)
        #expect(try MSKCine.Synth.parse(["out", "--samples"]).jobs().count == 16)
        #expect(try MSKCine.Synth.parse(["out", "--mm-per-pixel", "0.2"]).jobs().first?.parameters.mmPerPixelX == 0.2)
    }

    @Test("bad usage is refused", arguments: [
        ["out", "--case", "torn"], ["out", "--size", "640"], ["out", "--size", "0x480"],
        ["out", "--mm-per-pixel", "0.1,0"], ["out", "--mm-per-pixel", "a"], ["out", "--codec", "vp9"],
        ["out", "--frames", "0"], ["out", "--fps", "-3"], ["out", "--samples", "--seed", "3"],
        ["out", "--preset", "full_01", "--size", "320x240"], ["out", "--preset", "no_such"], [],
    ])
    func refused(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try MSKCine.Synth.parse(arguments) }
    }

    @Test("exit statuses: bad usage 2, unusable output folder 1")
    func exitStatuses() throws {
        #expect(MSKCine.run(arguments: ["synth"]) == 2)
        #expect(MSKCine.run(arguments: ["synth", "out", "--codec", "vp9"]) == 2)
        // Parses, but the simulator refuses the frame: still the user's options, so 2.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(MSKCine.run(arguments: ["synth", dir.path, "--size", "31x31", "--codec", "ffv1"]) == 2)
        let file = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        #expect(MSKCine.run(arguments: ["synth", file.path, "--frames", "2"]) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["file"])
    }

    @Test("the binary: clip and labels written, one plain progress line per clip on a pipe, one-line errors")
    func endToEnd() throws {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-synth-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let ok = try Binary.run(binary, ["synth", out, "--case", "partial", "--frames", "6", "--size", "128x96",
                                         "--mm-per-pixel", "0.3", "--codec", "mjpeg", "--name", "p"])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(ok.stdout.isEmpty)
        #expect(!ok.stderr.contains("\r"))
        #expect(ok.stderr.split(separator: "\n").count == 1 && ok.stderr.contains("p.avi"), "stderr: \(ok.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["p.avi", "p.labels.json"])

        // The bytes must not depend on what the heap held: glibc fills fresh allocations with
        // MALLOC_PERTURB_'s byte, so an encoder reading uninitialised memory shows up here.
        for codec in ["h264", "mpeg4"] {
            var clips: [Data] = []
            for perturb in ["0", "165"] {
                let name = "heap\(perturb)"
                // 320x240, 12 frames, seed 1: a case where libx264's macroblock tree did read
                // uninitialised memory (the reason the writer turns it off when reproducible).
                let status = try Self.run(binary, ["synth", out, "--case", "full", "--frames", "12",
                                                   "--size", "320x240", "--codec", codec, "--name", name],
                                          environment: ["MALLOC_PERTURB_": perturb])
                #expect(status == 0)
                clips.append(try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("\(name).mp4")))
            }
            #expect(clips[0] == clips[1], "\(codec): the clip changed with the heap's contents")
        }

        let bad = try Binary.run(binary, ["synth", out, "--size", "big"])
        #expect(bad.status == 2)
        #expect(bad.stderr.split(separator: "\n").count == 1, "stderr: \(bad.stderr)")
        #expect(bad.stderr.contains("--size"))
    }

    @Test("Ctrl-C while writing: exit 1, one line, no partial or temporary file left")
    func interrupted() throws {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-synth-int-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["synth", dir.path, "--frames", "5000", "--size", "320x240"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 2)
        #expect(process.isRunning, "5000 frames should take far longer than 2 s")
        process.interrupt()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "stderr: \(stderr)")
        #expect(stderr.split(separator: "\n").count == 1 && stderr.contains("stopped"), "stderr: \(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    /// Runs `binary` with extra environment variables; output discarded, exit status returned.
    static func run(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
