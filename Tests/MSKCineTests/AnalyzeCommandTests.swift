import ArgumentParser
import Foundation
import MSKAnalysis
import MSKTestSupport
@testable import mskcine
import Testing

@Suite("mskcine analyze and regress: parsing, exit statuses, end to end")
struct AnalyzeCommandTests {
    @Test("options parse and bad values are usage errors")
    func parses() throws {
        let a = try MSKCine.Analyze.parse(["clip.mp4", "--json", "-", "--mm-per-pixel", "0.1,0.12", "--roi", "10,20,300,200"])
        #expect(a.json == "-" && a.calibration.mmPerPixel == "0.1,0.12" && a.roi == "10,20,300,200")
        let s = try CLIParsing.spacing("0.1,0.12")
        #expect(s.mmPerPixelX == 0.1 && s.mmPerPixelY == 0.12)
        #expect(try CLIParsing.spacing("0.2").mmPerPixelY == 0.2)
        for bad in ["abc", "0", "0.1,0.1,0.1", "nan", "-0.1", "20"] {
            #expect(throws: (any Error).self, "\(bad)") { try CLIParsing.spacing(bad) }
        }
        // The message names text that is not a number as such, quoting it as typed; a number
        // out of range is named as out of range.
        func message(_ text: String) -> String {
            do { _ = try Calibration.parseCLI(text); return "" } catch { return error.description }
        }
        #expect(message("abc").hasPrefix("--mm-per-pixel 'abc' is not a number"))
        #expect(message("0.1,x").hasPrefix("--mm-per-pixel '0.1,x' is not a number"))
        #expect(message("20").hasPrefix("--mm-per-pixel '20' is outside the plausible range"))
        #expect(message("0.1") == "")
        #expect(throws: (any Error).self) { try CLIParsing.rect("1,2,3") }
        #expect(throws: (any Error).self) { try CLIParsing.rect("0,0,8,8") }
        #expect(MSKCine.run(arguments: ["analyze", "x.mp4", "--mm-per-pixel", "abc"]) == 2)
        #expect(MSKCine.run(arguments: ["analyze", "x.mp4", "--roi", "1,2"]) == 2)
        #expect(MSKCine.run(arguments: ["analyze", "/no/such/clip.mp4"]) == 3)
        #expect(MSKCine.run(arguments: ["regress", "/no/such/folder"]) == 2)
        #expect(MSKCine.run(arguments: ["regress", FileManager.default.temporaryDirectory.path + "/mskcine-empty-\(UUID().uuidString)"]) == 2)
    }

    @Test("--depth-mm: analyze, batch and regress take it; out of range or with --mm-per-pixel is bad usage (exit 2)")
    func depthOption() throws {
        let a = try MSKCine.Analyze.parse(["clip.mp4", "--depth-mm", "50"])
        #expect(a.depth.depthMm == 50)
        #expect(try MSKCine.Batch.parse(["dir", "--db", "s.sqlite", "--depth-mm", "40"]).depth.depthMm == 40)
        #expect(try MSKCine.Regress.parse(["dir", "--depth-mm", "45"]).depth.depthMm == 45)
        for bad in [["clip.mp4", "--depth-mm", "0"], ["clip.mp4", "--depth-mm", "-5"], ["clip.mp4", "--depth-mm", "nan"], ["clip.mp4", "--depth-mm", "2000"],
                    ["clip.mp4", "--depth-mm", "abc"], ["clip.mp4", "--depth-mm", "50", "--mm-per-pixel", "0.1"]] {
            #expect(throws: (any Error).self, "\(bad)") { try MSKCine.Analyze.parse(bad) }
        }
        #expect(MSKCine.run(arguments: ["analyze", "x.mp4", "--depth-mm", "50", "--mm-per-pixel", "0.1"]) == 2)
        #expect(MSKCine.run(arguments: ["batch", "x", "--db", "s.sqlite", "--depth-mm", "0"]) == 2)
    }

    @Test("the binary: a simulated full tear, its result document, pixels without calibration, no partial output")
    func endToEnd() throws {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-analyze-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let synth = try Binary.run(binary, ["synth", dir.path, "--case", "full", "--seed", "3", "--frames", "40", "--size", "320x240",
                                            "--mm-per-pixel", "0.12", "--codec", "ffv1", "--name", "t"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let clip = dir.appendingPathComponent("t.mkv").path
        let labels = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("t.labels.json"))) as? [String: Any]
        let labelFrames = try #require(labels?["frames"] as? [[String: Any]])

        let run = try Binary.run(binary, ["analyze", clip, "--mm-per-pixel", "0.12", "--json", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect(doc["schema"] as? String == "mskcine.analysis/1")
        let frames = try #require(doc["frames"] as? [[String: Any]])
        #expect(frames.count == 40)
        #expect(frames.map { $0["index"] as? Int } == (0..<40).map { $0 })
        let finding = try #require(doc["finding"] as? [String: Any])
        #expect(finding["classification"] as? String == "full-thickness-tear")
        #expect(finding["suspectedFullThicknessTear"] as? Bool == true)
        #expect(!((finding["evidence"] as? [String]) ?? []).isEmpty)
        let calibration = try #require(doc["calibration"] as? [String: Any])
        #expect(calibration["source"] as? String == "cli")
        // Gap width against the labels, frame by frame.
        var errors: [Double] = []
        for (f, l) in zip(frames, labelFrames) {
            if let g = f["gapWidthMm"] as? Double, let t = l["gapWidthMm"] as? Double { errors.append(abs(g - t)) }
        }
        #expect(errors.count == 40)
        #expect(errors.reduce(0, +) / Double(errors.count) < 1.0)
        let source = try #require(doc["source"] as? [String: Any])
        #expect((source["sha256"] as? String)?.count == 64)

        // Without calibration: pixels, said so.
        let px = try Binary.run(binary, ["analyze", clip, "--json", "-"])
        let pdoc = try #require(try JSONSerialization.jsonObject(with: px.stdout) as? [String: Any])
        let pframe = try #require((pdoc["frames"] as? [[String: Any]])?.first)
        #expect(pframe["gapWidthPx"] != nil && pframe["gapWidthMm"] == nil)
        #expect(pdoc["unit"] as? String == "px")
        #expect((pdoc["calibration"] as? [String: Any])?["source"] as? String == "none")

        // An unwritable output: exit 1, one line, no file left.
        let target = dir.appendingPathComponent("no/such/dir/out.json").path
        let bad = try Binary.run(binary, ["analyze", clip, "--json", target])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))

        // regress over the folder: the labels beside the clip are used; a thresholds file there
        // replaces the built-in targets, and an option overrides one value.
        try Data(#"{"maxGapWidthMaeMm": 1.0, "minSensitivity": 1}"#.utf8).write(to: dir.appendingPathComponent("thresholds.json"))
        let reg = try Binary.run(binary, ["regress", dir.path])
        #expect(reg.status == 0, "\(reg.stderr)")
        #expect(String(decoding: reg.stdout, as: UTF8.self).contains("sensitivity 1.00"))
        let strict = try Binary.run(binary, ["regress", dir.path, "--max-gap-mae", "0.0001"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("gap width MAE"))

        // regress --parameters: the override reaches every clip's analysis (a clip this short for
        // R1 is indeterminate, so the tear is missed and the sensitivity threshold fails) ...
        let over = dir.appendingPathComponent("over.json")
        try Data(#"{"findings": {"minFrames": 100000}}"#.utf8).write(to: over)
        let overridden = try Binary.run(binary, ["regress", dir.path, "--parameters", over.path])
        #expect(overridden.status == 1, "\(overridden.stderr)")
        #expect(overridden.stderr.contains("sensitivity"), "\(overridden.stderr)")
        // ... and an unusable file is bad usage, said in one line naming the file and the key.
        let wrong = dir.appendingPathComponent("wrong.json")
        try Data(#"{"fascicle": {"highPassMm": -1}}"#.utf8).write(to: wrong)
        let refused = try Binary.run(binary, ["regress", dir.path, "--parameters", wrong.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("wrong.json") && refused.stderr.contains("fascicle.highPassMm"), "\(refused.stderr)")
    }
}
