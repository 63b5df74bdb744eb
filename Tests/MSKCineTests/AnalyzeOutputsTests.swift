import ArgumentParser
import Foundation
import MSKTestSupport
@testable import mskcine
import Testing

@Suite("mskcine analyze outputs: several clips, --out, --csv/--report/--overlay, progress bar")
struct AnalyzeOutputsTests {
    @Test("output options parse; several clips refuse single-file paths; --out names collide; bad extensions")
    func parsing() throws {
        let a = try MSKCine.Analyze.parse(["a.mp4", "--csv", "f.csv", "--report", "r.html", "--overlay", "o.mp4"])
        #expect(a.clips == ["a.mp4"] && a.csv == "f.csv" && a.report == "r.html" && a.overlay == "o.mp4")
        let o = try MSKCine.Analyze.parse(["dir/a.mp4", "b.avi", "--out", "res"])
        #expect(o.outputs(for: "dir/a.mp4").html == URL(fileURLWithPath: "res").appendingPathComponent("a.report.html").path)
        #expect(o.outputs(for: "b.avi").overlay == URL(fileURLWithPath: "res").appendingPathComponent("b.overlay.mp4").path)
        // One clip: an explicit path wins over --out's name.
        let one = try MSKCine.Analyze.parse(["a.mp4", "--out", "res", "--csv", "x.csv"])
        #expect(one.outputs(for: "a.mp4").csv == "x.csv" && one.outputs(for: "a.mp4").json != nil)
        for bad in [["a.mp4", "b.mp4", "--json", "x.json"], ["a.mp4", "b.mp4", "--json", "-"], ["a.mp4", "b.mp4", "--report", "r.html", "--out", "d"],
                    ["a.mp4", "b.mp4", "--overlay", "o.mp4"], ["a.mp4", "b.mp4", "--csv", "f.csv"],
                    ["x/a.mp4", "y/a.mkv", "--out", "d"], ["a.mp4", "--report", "r.pdf"], ["a.mp4", "--overlay", "o.gif"], []] {
            #expect(throws: (any Error).self, "\(bad)") { try MSKCine.Analyze.parse(bad) }
            #expect(MSKCine.run(arguments: ["analyze"] + bad) == 2, "\(bad)")
        }
        // Several clips without output files are fine.
        _ = try MSKCine.Analyze.parse(["a.mp4", "b.mp4"])
    }

    @Test("the progress bar: silent off a terminal, drawn on one after its delay, erased at the end")
    func progress() {
        var written: [String] = []
        let quiet = ProgressBar(label: "x", total: 10, isTerminal: false, delay: 0) { written.append($0) }
        quiet.update(5); quiet.finish()
        #expect(written.isEmpty)
        let late = ProgressBar(label: "x", total: 10, isTerminal: true, delay: 60) { written.append($0) }
        late.update(5); late.finish()
        #expect(written.isEmpty)
        let bar = ProgressBar(label: "analysing a.mp4", total: 10, isTerminal: true, delay: 0) { written.append($0) }
        bar.update(5)
        #expect(written.count == 1 && written[0].hasPrefix("\r") && written[0].hasSuffix("analysing a.mp4 [############............] 5/10 frames"))
        bar.finish()
        #expect(written.count == 2 && written[1] == "\r\u{1B}[K")
        #expect(ProgressBar.line(label: "a", done: 3, total: nil) == "a 3 frames")
    }

    @Test("the binary: two clips into --out, every output whole and named after its clip; --json - with a report keeps stdout to the document")
    func endToEnd() throws {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, kind) in [("tear", "full"), ("intact", "none")] {
            let synth = try Binary.run(binary, ["synth", dir.path, "--case", kind, "--seed", "5", "--frames", "36", "--size", "256x192",
                                                "--mm-per-pixel", "0.15", "--codec", "ffv1", "--name", name])
            #expect(synth.status == 0, "\(synth.stderr)")
        }
        let clips = ["tear", "intact"].map { dir.appendingPathComponent("\($0).mkv").path }
        let out = dir.appendingPathComponent("results").path
        let run = try Binary.run(binary, ["analyze"] + clips + ["--mm-per-pixel", "0.15", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty || !run.stderr.contains("\r"), "no progress bar off a terminal")
        let stdout = String(decoding: run.stdout, as: UTF8.self)
        #expect(stdout.components(separatedBy: "finding:").count - 1 == 2)
        #expect(stdout.range(of: "tear.mkv")!.lowerBound < stdout.range(of: "intact.mkv")!.lowerBound, "reported in turn")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        let expected = ["intact", "tear"].flatMap { s in [".analysis.json", ".frames.csv", ".overlay.mp4", ".report.html"].map { s + $0 } }.sorted()
        #expect(names == expected)
        let csv = try String(contentsOfFile: out + "/tear.frames.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 37)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/tear.analysis.json"))) as? [String: Any]
        #expect((doc?["finding"] as? [String: Any])?["classification"] as? String == "full-thickness-tear")
        let probe = try Binary.run(binary, ["probe", out + "/tear.overlay.mp4", "--count", "--json"])
        let decoded = (try JSONSerialization.jsonObject(with: probe.stdout) as? [String: Any])?["decoded"] as? [String: Any]
        #expect(decoded?["frameCount"] as? Int == 36)

        // --json - with other outputs: standard output is the document alone.
        let report = dir.appendingPathComponent("one.html").path
        let single = try Binary.run(binary, ["analyze", clips[0], "--mm-per-pixel", "0.15", "--json", "-", "--report", report])
        #expect(single.status == 0, "\(single.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: single.stdout)) != nil)
        #expect(FileManager.default.fileExists(atPath: report))

        // A failing output: exit 1, one line naming the file, nothing left under that name or a temporary one.
        let bad = dir.appendingPathComponent("missing/r.html").path
        let failed = try Binary.run(binary, ["analyze", clips[0], "--report", bad])
        #expect(failed.status == 1)
        #expect(failed.stderr.split(separator: "\n").count == 1 && failed.stderr.contains("r.html") && failed.stderr.contains("missing"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bad))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir.path)).contains { $0.contains(".partial") })

        // Several clips, one unreadable: the others are still reported, the status says input unreadable.
        let mixed = try Binary.run(binary, ["analyze", dir.appendingPathComponent("nope.mp4").path, clips[1], "--mm-per-pixel", "0.15"])
        #expect(mixed.status == 3)
        #expect(String(decoding: mixed.stdout, as: UTF8.self).contains("intact.mkv"))
        #expect(mixed.stderr.split(separator: "\n").filter { !$0.contains("warning:") }.count == 1, "\(mixed.stderr)")
    }
}
