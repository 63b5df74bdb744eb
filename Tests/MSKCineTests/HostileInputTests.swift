import ArgumentParser
import Foundation
import MSKAnalysis
import MSKDICOM
import MSKFiles
import MSKImage
import MSKImaging
import MSKTestSupport
@testable import mskcine
import Testing

// Issue 13: hostile values and paths. Calibration from every source, ROIs, outputs over inputs,
// temporary files and signals, timestamps, stills. Every case ends in exit 0, 2 or 3 with one
// line, and nothing the run did not create is replaced or removed.

/// Scratch folders, tiny clips, and the binary.
enum Hostile {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A small FFV1 clip made by ffmpeg (its moving test pattern); `vf` filters the timestamps.
    static func clip(_ path: String, frames: Int = 6, size: String = "96x72", vf: String? = nil) throws {
        var args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=10", "-frames:v", "\(frames)", "-c:v", "ffv1"]
        if let vf { args += ["-vf", vf, "-fps_mode", "passthrough"] }
        try Binary.runChecked("/usr/bin/env", args + ["-f", "matroska", path])
    }

    static func mskcine(_ arguments: [String]) throws -> ProcessResult {
        try Binary.run(try Binary.mskcine(), arguments)
    }

    /// The exit status is 0, 2 or 3, and a failure says one line starting "mskcine: ".
    static func expectCleanEnd(_ r: ProcessResult, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect([0, 2, 3].contains(r.status), "\(context): status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        if r.status != 0 {
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("mskcine: "), "\(context): \(r.stderr)", sourceLocation: sourceLocation)
            #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Fatal error"), "\(context): \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Every file under `dir` (names relative to it), hidden ones included.
    static func files(_ dir: URL) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? [])
    }

    /// The hostile calibration values: zero, subnormals, tiny, below and above the range, huge,
    /// not-a-number and infinities, and plausible ones.
    static let calibrationValues: [Double] = [
        0, -0.0, Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, 1e-300, 1e-10, 1e-6, 1e-5, 0.0049,
        0.005, 0.1, 2, 2.01, 1e6, 1e300, Double.greatestFiniteMagnitude, .nan, .infinity, -.infinity, -0.1,
    ]
}

@Suite("Issue 13: calibration from every source, one resolver")
struct CalibrationPropertyTests {
    /// Fixed values and seeded random ones over every magnitude and bit pattern.
    static func values() -> [Double] {
        var rng = SplitMix64(seed: 13)
        var values = Hostile.calibrationValues
        for _ in 0..<300 { values.append(pow(10, Double(rng.below(640)) - 330) * (rng.below(2) == 0 ? 1 : -1)) }
        for _ in 0..<300 { values.append(Double(bitPattern: rng.next())) }
        return values
    }

    @Test("resolve: a value is used iff it lies in 0.005-2 mm per pixel, whatever the source; no trap anywhere")
    func resolverProperty() throws {
        for v in Self.values() {
            let plausible = Calibration.plausibleMmPerPixel.contains(v)
            for source in Calibration.precedence {
                var c = CalibrationCandidates()
                c.set([v], for: source)
                do {
                    let r = try Calibration.resolve(c, path: "clip")
                    #expect(plausible && r.source == source && r.spacing == Spacing(mmPerPixelX: v, mmPerPixelY: v), "\(v) from \(source)")
                } catch {
                    #expect(!plausible, "\(v) from \(source) refused")
                    #expect(error.isUsage == (source == .cli))
                    #expect(!error.description.contains("\n"))
                }
                // Two values: one bad value spoils the pair.
                c.set([0.1, v], for: source)
                #expect(((try? Calibration.resolve(c, path: nil)) != nil) == plausible)
            }
            // Whatever spacing reaches geometry, window sizes stay in 1...maxPixels.
            let s = Spacing(mmPerPixelX: v, mmPerPixelY: v)
            for mm in [0.0, 0.6, 1.0, 40.0, -1.0, .nan, .infinity] {
                #expect((1...Spacing.maxPixels).contains(s.px(x: mm)) && (1...Spacing.maxPixels).contains(s.px(y: mm)))
            }
        }
    }

    @Test("precedence: cli, dicom, labels, screen, none; an implausible higher source is an error, not skipped")
    func precedence() throws {
        let all = CalibrationCandidates(cli: [0.11], dicom: [0.12, 0.13], labels: [0.14], screen: [0.15])
        #expect(try Calibration.resolve(all, path: nil).source == .cli)
        var c = all
        c.cli = nil
        #expect(try Calibration.resolve(c, path: nil).source == .dicom)
        #expect(try Calibration.resolve(c, path: nil).spacing == Spacing(mmPerPixelX: 0.12, mmPerPixelY: 0.13))
        c.dicom = nil
        #expect(try Calibration.resolve(c, path: nil).source == .labels)
        c.labels = nil
        #expect(try Calibration.resolve(c, path: nil).source == .screen)
        c.screen = nil
        #expect(try Calibration.resolve(c, path: nil).source == .none)
        #expect(try Calibration.resolve(c, path: nil).spacing == nil)
        // A bad DICOM value is not passed over for the labels'.
        #expect(throws: CalibrationError.self) {
            try Calibration.resolve(CalibrationCandidates(dicom: [1e-300, 1e-300], labels: [0.1]), path: "x.dcm")
        }
        // The command line overrides a bad file value.
        #expect(try Calibration.resolve(CalibrationCandidates(cli: [0.1], dicom: [1e-300, 1e-300]), path: nil).source == .cli)
    }

    @Test("the command line: analyze, batch and synth take --mm-per-pixel iff plausible (bad usage otherwise)")
    func commandLine() throws {
        for v in Hostile.calibrationValues {
            let text = "\(v)"
            let plausible = Calibration.plausibleMmPerPixel.contains(v)
            for args in [["analyze", "c.mp4"], ["batch", "dir", "--db", "r.sqlite"], ["synth", "out"]] {
                let parsed = (try? MSKCine.parseAsRoot(args + ["--mm-per-pixel=" + text])) != nil
                #expect(parsed == plausible, "\(args[0]) --mm-per-pixel \(text)")
                let pair = (try? MSKCine.parseAsRoot(args + ["--mm-per-pixel=0.1," + text])) != nil
                #expect(pair == plausible, "\(args[0]) --mm-per-pixel 0.1,\(text)")
            }
        }
    }

    @Test("the binary: --mm-per-pixel 1e-300, 1e-10, 1e-6, 0, nan, inf: exit 2, one line", arguments: ["1e-300", "1e-10", "1e-6", "1e-5", "0", "nan", "inf", "0.1,1e-300"])
    func binaryCLI(value: String) throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("c.mkv").path
        try Hostile.clip(clip)
        for args in [["analyze", clip, "--json", "-"], ["batch", dir.path, "--db", dir.appendingPathComponent("r.sqlite").path]] {
            let r = try Hostile.mskcine(args + ["--mm-per-pixel=" + value])
            #expect(r.status == 2, "\(args[0]) \(value): \(r.stderr)")
            Hostile.expectCleanEnd(r, "\(args[0]) --mm-per-pixel \(value)")
        }
        #expect(Hostile.files(dir) == ["c.mkv"])
    }

    /// A calibrated US Multi-frame Image from the repository's DICOM writer whose PhysicalDeltaX/Y
    /// (FD, cm) are then set to `mmPerPixel / 10` byte for byte, so that any double can be written.
    static func dicom(_ path: String, mmPerPixel v: Double) throws {
        let (w, h, frames) = (96, 72, 4)
        let placeholderX = 0.123456789, placeholderY = 0.987654321
        let d = UltrasoundCineDescription(columns: w, rows: h, samplesPerPixel: 1, frameCount: frames, fps: 10,
                                          region: (x0: 0, y0: 0, x1: w - 1, y1: h - 1), mmPerPixelX: placeholderX, mmPerPixelY: placeholderY,
                                          patientID: "P13", studyDate: "20260101", laterality: "L", studyDescription: nil,
                                          seriesDescription: nil, manufacturer: "MSKCine tests", modelName: "hostile",
                                          studyInstanceUID: "2.25.13", seriesInstanceUID: "2.25.14", sopInstanceUID: "2.25.15")
        let writer = try DICOMWriter(path: path, description: d)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<frames { try writer.append((0..<(w * h)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
        try writer.finish()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for (placeholder, value) in [(placeholderX / 10, v / 10), (placeholderY / 10, v / 10)] {
            let old = withUnsafeBytes(of: placeholder.bitPattern.littleEndian, Array.init)
            let new = withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
            let at = try #require((0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == old })
            bytes.replaceSubrange(at..<(at + 8), with: new)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("DICOM: PhysicalDeltaX/Y of any value: exit 3 with one line when implausible, never a trap or a hang",
          arguments: [0, Double.leastNonzeroMagnitude, 1e-300, 1e-6, 0.1, 1e300, .nan, .infinity, -.infinity])
    func dicomRegion(value: Double) throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.dcm").path
        try Self.dicom(path, mmPerPixel: value)
        let r = try Hostile.mskcine(["analyze", path, "--json", "-"])
        Hostile.expectCleanEnd(r, "DICOM \(value)")
        let json = (try? JSONSerialization.jsonObject(with: r.stdout)) as? [String: Any]
        let source = (json?["calibration"] as? [String: Any])?["source"] as? String
        if Calibration.plausibleMmPerPixel.contains(value) {
            #expect(r.status == 0 && source == "dicom", "\(r.stderr)")
        } else if r.status == 0 {
            // The parser itself refused the tags (zero, not a number, infinite): uncalibrated.
            #expect(source == "none", "\(value): \(source ?? "?")")
        } else {
            #expect(r.status == 3 && r.stderr.contains("DICOM calibration"), "\(r.stderr)")
        }
        // --mm-per-pixel overrides the file's tags.
        let o = try Hostile.mskcine(["analyze", path, "--mm-per-pixel", "0.1", "--json", "-"])
        #expect(o.status == 0, "\(o.stderr)")
    }

    @Test("labels.json and batch: an implausible mmPerPixel is that clip's recorded failure; the batch goes on and finishes")
    func labelsAndBatch() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        let values: [Double] = [Double.leastNonzeroMagnitude, 1e-300, 1e-6, 1e300, 0.1]
        for (i, v) in values.enumerated() {
            let clip = "c\(i).mkv"
            // Different lengths: different content (the database keys clips by content).
            try Hostile.clip(archive.appendingPathComponent(clip).path, frames: 3 + i)
            let labels: [String: Any] = ["schema": "mskcine.labels/1", "clip": clip, "classification": "no-tear", "mmPerPixel": [v, v]]
            try JSONSerialization.data(withJSONObject: labels).write(to: archive.appendingPathComponent("c\(i).labels.json"))
        }
        // A DICOM with a bad region too, in the same archive.
        try Self.dicom(archive.appendingPathComponent("bad.dcm").path, mmPerPixel: 1e-300)
        let db = dir.appendingPathComponent("r.sqlite").path
        let r = try Hostile.mskcine(["batch", archive.path, "--db", db, "--jobs", "2"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(String(decoding: r.stdout, as: UTF8.self).contains("1 analysed"), "\(String(decoding: r.stdout, as: UTF8.self))")
        // Every failure is recorded, with the calibration stage; started again, nothing is redone.
        let tables = dir.appendingPathComponent("tables").path
        try Binary.runChecked(try Binary.mskcine(), ["export", "--db", db, "--csv", tables])
        let failures = try String(contentsOfFile: tables + "/failures.csv", encoding: .utf8)
        #expect(failures.split(whereSeparator: \.isNewline).count == 1 + 5, "\(failures)\n\(r.stderr)")
        #expect(failures.components(separatedBy: "calibration").count - 1 >= 5)
        let again = try Hostile.mskcine(["batch", archive.path, "--db", db])
        #expect(again.status == 1 && String(decoding: again.stdout, as: UTF8.self).contains("5 failed"))
        // regress: one line per bad clip, no trap.
        let reg = try Hostile.mskcine(["regress", archive.path])
        #expect(reg.status == 1 || reg.status == 0)
        #expect(reg.stderr.split(separator: "\n").filter { $0.contains("mmPerPixel") }.count == 4, "\(reg.stderr)")
    }
}

@Suite("Issue 13: ROI values")
struct ROIPropertyTests {
    @Test("PixelRect: maxX/maxY/area never trap; fits agrees with exact arithmetic")
    func rectProperty() {
        var rng = SplitMix64(seed: 2)
        let extremes = [Int.min, Int.min + 1, -1, 0, 1, 16, 300, Int.max - 1, Int.max]
        func pick() -> Int { rng.below(3) == 0 ? extremes[rng.below(extremes.count)] : (rng.below(2) == 0 ? rng.below(700) - 50 : Int(bitPattern: UInt(rng.next()))) }
        for _ in 0..<20_000 {
            let r = PixelRect(x: pick(), y: pick(), width: pick(), height: pick())
            _ = (r.maxX, r.maxY, r.area, r.description, r.clamped(width: 640, height: 480))
            // Reference: small non-negative values only reach the sum.
            let expected = r.x >= 0 && r.y >= 0 && r.width >= 0 && r.height >= 0 && r.x <= 640 && r.y <= 480
                && r.width <= 640 && r.height <= 480 && r.x + r.width <= 640 && r.y + r.height <= 480
            #expect(r.fits(width: 640, height: 480) == expected, "\(r)")
        }
    }

    @Test("--roi: negative, overflowing and malformed values are bad usage at parse time",
          arguments: ["-1,0,16,16", "0,-5,16,16", "9223372036854775800,0,16,16", "1,1,9223372036854775807,16", "0,0,15,16",
                      "a,b,c,d", "1,2,3", "99999999999999999999,0,16,16"])
    func parseRefuses(roi: String) {
        #expect(throws: (any Error).self) { try MSKCine.Analyze.parse(["c.mp4", "--roi", roi]) }
    }

    @Test("the binary: --roi overflowing or outside the frame ends in exit 2 with one line",
          arguments: ["9223372036854775800,0,16,16", "1,1,9223372036854775807,16", "90,0,16,16", "0,0,97,72", "4611686018427387904,4611686018427387904,4611686018427387904,4611686018427387904"])
    func binary(roi: String) throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("c.mkv").path
        try Hostile.clip(clip)
        let r = try Hostile.mskcine(["analyze", clip, "--roi", roi, "--json", "-"])
        #expect(r.status == 2, "\(roi): \(r.stderr)")
        Hostile.expectCleanEnd(r, "--roi \(roi)")
        let ok = try Hostile.mskcine(["analyze", clip, "--roi", "0,0,96,72", "--json", "-"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}

@Suite("Issue 13: outputs never replace inputs, the database or each other")
struct OutputClashTests {
    @Test("analyze: --overlay/--json over the clip (also through a link), --json and --csv on one file: exit 2, clip unchanged, nothing written")
    func analyze() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("v.mkv").path
        try Hostile.clip(clip)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.mkv").path, withDestinationPath: "v.mkv")
        try FileManager.default.linkItem(atPath: clip, toPath: dir.appendingPathComponent("hard.mkv").path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let before = Hostile.files(dir)
        let cases: [[String]] = [
            ["--overlay", dir.appendingPathComponent("v.mkv").path],
            ["--json", clip],
            ["--csv", dir.appendingPathComponent("link.mkv").path],
            ["--overlay", dir.appendingPathComponent("sub/../hard.mkv").path],
            ["--json", dir.appendingPathComponent("same.json").path, "--csv", dir.appendingPathComponent("./same.json").path],
        ]
        for extra in cases {
            let r = try Hostile.mskcine(["analyze", clip] + extra)
            #expect(r.status == 2, "\(extra): \(r.stderr)")
            Hostile.expectCleanEnd(r, "\(extra)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: clip)) == bytes)
            #expect(Hostile.files(dir) == before, "\(extra)")
        }
        // --out with two clips: one clip's output named as the other clip.
        let other = dir.appendingPathComponent("v.analysis.json").path
        try Hostile.clip(other)
        let r = try Hostile.mskcine(["analyze", clip, other, "--out", dir.path])
        #expect(r.status == 2, "\(r.stderr)")
        // /dev/null is never a clash.
        let ok = try Hostile.mskcine(["analyze", clip, "--json", "/dev/null", "--csv", "/dev/null"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("trend --report over --db, merge into an input, export over --db: exit 2; the database unchanged")
    func studyDatabase() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("a")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        try Hostile.clip(archive.appendingPathComponent("c.mkv").path, frames: 3)
        let db = dir.appendingPathComponent("r.sqlite").path
        try Binary.runChecked(try Binary.mskcine(), ["batch", archive.path, "--db", db])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        for args in [["trend", "--db", db, "--report", db], ["merge", db, db], ["merge", db, dir.appendingPathComponent("./r.sqlite").path]] {
            let r = try Hostile.mskcine(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            Hostile.expectCleanEnd(r, "\(args)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == bytes)
        }
        // The database named as an export table.
        let tables = dir.appendingPathComponent("t")
        try FileManager.default.createDirectory(at: tables, withIntermediateDirectories: true)
        let inside = tables.appendingPathComponent("clips.csv").path
        try FileManager.default.copyItem(atPath: db, toPath: inside)
        let e = try Hostile.mskcine(["export", "--db", inside, "--csv", tables.path])
        #expect(e.status == 2, "\(e.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: inside)) == bytes)
    }
}

@Suite("Issue 13: the study database and batch start-up")
struct BatchStartTests {
    @Test("batch on another program's SQLite file: exit 3, one line, the file unchanged (as export refuses it)")
    func foreignDatabase() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("other.sqlite").path
        // A minimal SQLite database of another program, made with mskcine's own GRDB-free path:
        // a batch database whose schema table is renamed would do, but sqlite3's CLI may be
        // absent, so python's sqlite3 module writes it.
        try Binary.runChecked("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()", db])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        try Hostile.clip(dir.appendingPathComponent("c.mkv").path, frames: 3)
        for args in [["batch", dir.path, "--db", db], ["export", "--db", db, "--csv", dir.appendingPathComponent("t").path], ["trend", "--db", db]] {
            let r = try Hostile.mskcine(args)
            #expect(r.status == 3, "\(args[0]): \(r.stderr)")
            Hostile.expectCleanEnd(r, args[0])
            #expect(r.stderr.contains("not an mskcine study database"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == bytes)
    }

    @Test("a batch that cannot start leaves no database behind; --out under a file says so in one line")
    func nothingLeftBehind() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("y.sqlite").path
        let r = try Hostile.mskcine(["batch", dir.appendingPathComponent("nothere").path, "--db", db])
        #expect(r.status == 3)
        Hostile.expectCleanEnd(r, "batch nothere")
        let bad = try Hostile.mskcine(["batch", dir.path, "--db", db, "--manifest", dir.appendingPathComponent("missing.csv").path])
        #expect(bad.status == 2)
        Hostile.expectCleanEnd(bad, "batch --manifest missing")
        #expect(Hostile.files(dir).isEmpty, "\(Hostile.files(dir))")

        let clip = dir.appendingPathComponent("c.mkv").path
        try Hostile.clip(clip, frames: 3)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("afile").path, contents: Data("x".utf8))
        for out in ["afile/sub", "afile"] {
            let o = try Hostile.mskcine(["analyze", clip, "--out", dir.appendingPathComponent(out).path])
            #expect(o.status == 2, "\(o.stderr)")
            Hostile.expectCleanEnd(o, "--out \(out)")
            #expect(o.stderr.contains("is a file, not a folder"))
        }
    }

    @Test("a read-only database says it is read-only", .enabled(if: getuid() != 0, "root writes read-only files"))
    func readOnly() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Hostile.clip(dir.appendingPathComponent("c.mkv").path, frames: 3)
        let db = dir.appendingPathComponent("r.sqlite").path
        try Binary.runChecked(try Binary.mskcine(), ["batch", dir.path, "--db", db])
        chmod(db, 0o444)
        let r = try Hostile.mskcine(["batch", dir.path, "--db", db, "--force"])
        #expect(r.stderr.contains("read-only") && !r.stderr.contains("disk has space"), "\(r.stderr)")
    }
}

@Suite("Issue 13: temporary files, signals, timestamps, stills")
struct TemporaryFileTests {
    @Test("a temporary name's owner: parsed from the name; a gone process's files are removed, a live one's kept")
    func staleFiles() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(TemporaryName.ownerPID(ofTemporaryName: ".o.partial-1234-1.mp4") == 1234)
        #expect(TemporaryName.ownerPID(ofTemporaryName: ".o.partial-1234-6F9619FF.dcm") == 1234)
        #expect(TemporaryName.ownerPID(ofTemporaryName: "o.partial-1234-1.mp4") == nil)
        #expect(TemporaryName.ownerPID(ofTemporaryName: ".notes.partial-tear.txt") == nil)
        // A process id no process has: the largest pid_t is never handed out.
        let gone = pid_t(Int32.max)
        #expect(TemporaryName.processIsGone(gone))
        let stale = ".o.partial-\(gone)-1.mp4", live = ".o.partial-\(getppid())-1.mp4", other = ".keep.partial-tear.txt"
        for name in [stale, live, other, "v.mkv"] { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data("x".utf8)) }
        // A run that writes into the folder removes the stale file only.
        let clip = dir.appendingPathComponent("v.mkv").path
        try Hostile.clip(clip, frames: 3)
        let r = try Hostile.mskcine(["analyze", clip, "--json", dir.appendingPathComponent("r.json").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Hostile.files(dir) == [live, other, "v.mkv", "r.json"], "\(Hostile.files(dir))")
    }

    @Test("SIGTERM and SIGINT during the overlay pass: the run's temporary files are removed", arguments: [SIGTERM, SIGINT])
    func signal(number: Int32) throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("v.mkv").path
        try Hostile.clip(clip, frames: 150, size: "320x240")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Binary.mskcine())
        process.arguments = ["analyze", clip, "--overlay", dir.appendingPathComponent("o.mp4").path, "--report", dir.appendingPathComponent("r.html").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (without a clock) until a temporary file exists, then signal.
        var seen = false
        while process.isRunning && !seen {
            seen = Hostile.files(dir).contains { $0.contains(TemporaryName.marker) }
            if !seen { usleep(20_000) }
        }
        if seen { kill(process.processIdentifier, number) }
        process.waitUntilExit()
        #expect(!Hostile.files(dir).contains { $0.contains(TemporaryName.marker) }, "\(Hostile.files(dir))")
        if seen {
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == number,
                    "\(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        }
    }

    @Test("timestamps that repeat or are all zero: timeS still increases, and one warning says so", arguments: ["setpts='if(eq(N,3),PTS-2,PTS)'", "setpts=0"])
    func monotoneTime(filter: String) throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("t.mkv").path
        try Hostile.clip(clip, frames: 8, vf: filter)
        let r = try Hostile.mskcine(["analyze", clip, "--json", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let times = try #require((doc["frames"] as? [[String: Any]])?.compactMap { $0["timeS"] as? Double })
        #expect(times.count == 8)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "\(times)")
        let warnings = (doc["warnings"] as? [String]) ?? []
        #expect(warnings.filter { $0.contains("timestamps go backwards or repeat") }.count == 1, "\(warnings)")
    }

    @Test("a still image (PNG) is a clip of one frame for analyze and for batch")
    func stills() throws {
        let dir = try Hostile.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("a")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        let png = archive.appendingPathComponent("still.png").path
        try Binary.runChecked("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x72", "-frames:v", "1", png])
        let a = try Hostile.mskcine(["analyze", png, "--json", "-"])
        #expect(a.status == 0, "\(a.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: a.stdout) as? [String: Any])
        #expect((doc["frames"] as? [Any])?.count == 1)
        let db = dir.appendingPathComponent("r.sqlite").path
        let b = try Hostile.mskcine(["batch", archive.path, "--db", db])
        #expect(b.status == 0, "\(b.stderr)")
        let out = String(decoding: b.stdout, as: UTF8.self)
        #expect(out.contains("1 analysed") && !out.contains("not clips"), "\(out)")
    }
}
