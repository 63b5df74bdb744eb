import ArgumentParser
import Foundation
import MSKTestSupport
@testable import mskcine
import Testing

@Suite("mskcine probe: parsing, exit statuses, end to end")
struct ProbeCommandTests {
    @Test("options parse")
    func parses() throws {
        let probe = try MSKCine.Probe.parse(["clip.mp4", "--json", "--count"])
        #expect(probe.clip == "clip.mp4")
        #expect(probe.json && probe.count && !probe.logging.verbose)
        #expect(throws: (any Error).self) { try MSKCine.Probe.parse([]) }
        #expect(throws: (any Error).self) { try MSKCine.Probe.parse(["a.mp4", "--no-such-flag"]) }
    }

    @Test("exit statuses: bad usage 2, unreadable input 3")
    func exitStatuses() throws {
        #expect(MSKCine.run(arguments: ["probe"]) == 2)
        #expect(MSKCine.run(arguments: ["no-such-command"]) == 2)
        #expect(MSKCine.run(arguments: ["probe", "/no/such/clip.mp4"]) == 3)
        #expect(MSKCine.run(arguments: ["probe", FileManager.default.temporaryDirectory.path]) == 3)
    }

    @Test("the binary: JSON on stdout, one line on stderr for a bad file")
    func endToEnd() throws {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.mkv").path
        _ = try Binary.run("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                                            "testsrc2=size=160x120:rate=20", "-frames:v", "17", "-c:v", "ffv1", clip])

        let ok = try Binary.run(binary, ["probe", clip, "--json", "--count"])
        #expect(ok.status == 0)
        let json = try JSONSerialization.jsonObject(with: ok.stdout) as? [String: Any]
        let info = try #require(json?["info"] as? [String: Any])
        let decoded = try #require(json?["decoded"] as? [String: Any])
        #expect(info["width"] as? Int == 160 && info["height"] as? Int == 120)
        #expect(info["container"] as? String == "mkv" && info["codec"] as? String == "ffv1")
        #expect(decoded["frameCount"] as? Int == 17)
        #expect(abs((decoded["lastTimeS"] as? Double ?? -1) - 0.8) < 1e-9)

        let text = dir.appendingPathComponent("notes.mp4").path
        try Data("not a clip\n".utf8).write(to: URL(fileURLWithPath: text))
        let bad = try Binary.run(binary, ["probe", text])
        #expect(bad.status == 3)
        #expect(bad.stdout.isEmpty)
        let lines = bad.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(bad.stderr)")
        #expect(bad.stderr.contains(text))
    }
}
