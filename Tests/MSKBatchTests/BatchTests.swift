import Foundation
import MSKTestSupport
import MSKAnalysis
import MSKBatch
import MSKReader
import MSKReport
import MSKStudyDB
@testable import mskcine
import Testing

/// Short simulated clips (made once per test run by `mskcine synth`), a corrupt one, and files
/// that are not clips; each test copies what it needs into its own temporary folder.
enum Fixture {
    struct Made: Sendable {
        let dir: URL
        /// Good clips, by file name (some with an extension that hides what they are).
        let clips: [String]
        /// The serial-study clips (decline and stable, 4 studies each) with their labels.
        let serial: URL
    }

    static let made: Result<Made, TestSupportError> = {
        do { return .success(try make()) } catch let e as TestSupportError { return .failure(e) } catch { return .failure(TestSupportError(message: "\(error)")) }
    }()

    static func get() throws -> Made { try made.get() }

    private static func make() throws -> Made {
        let binary = try Binary.mskcine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-batch-fixture-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        let clips = dir.appendingPathComponent("clips"), serial = dir.appendingPathComponent("serial")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: serial, withIntermediateDirectories: true)
        var names: [String] = []
        let cases = [("none", "ffv1", "mkv"), ("full", "h264", "mp4"), ("partial", "mjpeg", "avi"), ("none", "h264", "mp4"), ("full", "ffv1", "mkv"), ("none", "mpeg4", "mp4")]
        for (i, (c, codec, ext)) in cases.enumerated() {
            let name = "c\(i)_\(c)"
            let r = try Binary.run(binary, ["synth", clips.path, "--case", c, "--seed", "\(i + 11)", "--frames", "16", "--size", "200x160",
                                            "--mm-per-pixel", "0.2", "--codec", codec, "--name", name])
            guard r.status == 0 else { throw TestSupportError(message: "synth failed: \(r.stderr)") }
            names.append("\(name).\(ext)")
        }
        // One clip under a misleading name: found by content, not extension.
        try FileManager.default.moveItem(at: clips.appendingPathComponent(names[5]), to: clips.appendingPathComponent("c5_none.dat"))
        try? FileManager.default.removeItem(at: clips.appendingPathComponent("c5_none.labels.json"))
        names[5] = "c5_none.dat"
        for s in ["decline", "stable"] {
            for i in 1...4 {
                let r = try Binary.run(binary, ["synth", serial.path, "--preset", "serial_\(s)_s\(i)", "--frames", "24"])
                guard r.status == 0 else { throw TestSupportError(message: "synth failed: \(r.stderr)") }
            }
        }
        return Made(dir: dir, clips: names, serial: serial)
    }

    /// A fresh folder with the named good clips (and their labels), plus a README and a JSON file.
    static func folder(_ clips: [String], corrupt: Bool = false) throws -> URL {
        let made = try get()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-batch-\(UUID().uuidString)")
        let sub = dir.appendingPathComponent("archive/sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        for (i, name) in clips.enumerated() {
            let target = (i % 2 == 0 ? dir.appendingPathComponent("archive") : sub)
            try FileManager.default.copyItem(at: made.dir.appendingPathComponent("clips/\(name)"), to: target.appendingPathComponent(name))
            let stem = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            let labels = made.dir.appendingPathComponent("clips/\(stem).labels.json")
            if FileManager.default.fileExists(atPath: labels.path) {
                try FileManager.default.copyItem(at: labels, to: target.appendingPathComponent("\(stem).labels.json"))
            }
        }
        try Data("notes, not a clip\n".utf8).write(to: dir.appendingPathComponent("archive/README.txt"))
        if corrupt {
            // The first 40% of an MP4 whose index sits at the end: a clip by content, unreadable.
            let whole = try Data(contentsOf: made.dir.appendingPathComponent("clips/c1_full.mp4"))
            try whole.prefix(whole.count * 2 / 5).write(to: sub.appendingPathComponent("cut_short.mp4"))
        }
        return dir
    }

    static func cleanup(_ dir: URL) { try? FileManager.default.removeItem(at: dir) }
}

@Suite("mskcine batch, merge, export and trend", .serialized)
struct BatchTests {
    let engine = EngineVersion.string

    func run(_ folder: URL, db: String, jobs: Int = 2, shard: Shard = .all, force: Bool = false) throws -> BatchProgress {
        let database = try StudyDatabase(path: db)
        let options = BatchOptions(roots: [folder.appendingPathComponent("archive").path], engineVersion: engine, jobs: jobs, shard: shard, force: force)
        return try BatchRunner(options: options, database: database).run()
    }

    @Test("content probe: clips by content, not by name")
    func probe() throws {
        let made = try Fixture.get()
        #expect(ClipKind.content(path: made.dir.appendingPathComponent("clips/c5_none.dat").path) != .notAClip)
        #expect(ClipKind.content(path: made.dir.appendingPathComponent("clips/c1_full.labels.json").path) == .notAClip)
        if FileManager.default.fileExists(atPath: Self.realData + "/real-dicom/US1_UNCR.dcm") {
            #expect(ClipKind.content(path: Self.realData + "/real-dicom/US1_UNCR.dcm") == .dicom)
        }
    }

    @Test("a batch fills the database; a corrupt clip is a recorded failure and the rest succeed; a second run analyses nothing; --force redoes")
    func fillsAndResumes() throws {
        let made = try Fixture.get()
        let clips = Array(made.clips.prefix(4)) + [made.clips[5]]
        let folder = try Fixture.folder(clips, corrupt: true)
        defer { Fixture.cleanup(folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let first = try run(folder, db: db)
        #expect(first.analysed == clips.count)
        #expect(first.failed == 1)
        #expect(first.anyFailed)
        #expect(first.notClips >= 2)  // README.txt and the labels files
        let database = try StudyDatabase(path: db, readOnly: true)
        var counts = try database.counts()
        #expect(counts.clips == clips.count && counts.analyses == clips.count && counts.failures == 1)
        #expect(counts.frames == clips.count * 16)
        #expect(try database.schemaVersionsApplied() == StudyDatabase.schemaVersions)
        // Calibration from the labels beside the clip, said so; none for the renamed clip without labels.
        let rows = try database.canonicalLines().filter { $0.hasPrefix("clip\t") }
        #expect(rows.filter { $0.hasSuffix("\tlabels") }.count == clips.count - 1)
        #expect(rows.filter { $0.hasSuffix("\tnone") }.count == 1)
        let failure = try #require(try database.canonicalLines().first { $0.hasPrefix("failure\t") })
        #expect(failure.contains("cut_short.mp4") && failure.contains("export it again"))

        let second = try run(folder, db: db)
        #expect(second.analysed == 0)
        #expect(second.alreadyAnalysed == clips.count)
        #expect(second.failedEarlier == 1)
        counts = try database.counts()
        #expect(counts.analyses == clips.count && counts.frames == clips.count * 16)

        // The same content at a second path: not analysed again, the path is recorded.
        try FileManager.default.copyItem(at: folder.appendingPathComponent("archive/\(clips[0])"),
                                         to: folder.appendingPathComponent("archive/sub/copy_of_first.bin"))
        let third = try run(folder, db: db)
        #expect(third.analysed == 0 && third.alreadyAnalysed == clips.count + 1)
        #expect(try database.counts().paths == clips.count + 1)

        let forced = try run(folder, db: db, force: true)
        #expect(forced.analysed + forced.alreadyAnalysed == clips.count + 1)
        #expect(forced.analysed >= clips.count)
        counts = try database.counts()
        #expect(counts.analyses == clips.count && counts.frames == clips.count * 16 && counts.failures == 1)
    }

    @Test("killed with SIGKILL part-way, then resumed: exactly one result per clip")
    func killAndResume() throws {
        let made = try Fixture.get()
        let folder = try Fixture.folder(made.clips)
        defer { Fixture.cleanup(folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Binary.mskcine())
        process.arguments = ["batch", folder.appendingPathComponent("archive").path, "--db", db, "--jobs", "1"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for the first stored result, then kill the batch without warning.
        var stored = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: db), let d = try? StudyDatabase(path: db, readOnly: true), let c = try? d.counts() {
                stored = c.analyses
                if stored >= 1 { break }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(wasRunning, "the batch finished before it could be killed; the test needs longer clips")
        #expect(process.terminationReason == .uncaughtSignal)
        let afterKill = try StudyDatabase(path: db, readOnly: true).counts()
        #expect(afterKill.analyses >= 1 && afterKill.analyses < made.clips.count)
        // Whatever was stored is whole: every analysis has all its frames.
        #expect(afterKill.frames == afterKill.analyses * 16)

        let resumed = try run(folder, db: db)
        #expect(resumed.analysed == made.clips.count - afterKill.analyses)
        #expect(resumed.alreadyAnalysed == afterKill.analyses)
        let final = try StudyDatabase(path: db, readOnly: true).counts()
        #expect(final.analyses == made.clips.count && final.clips == made.clips.count && final.frames == made.clips.count * 16)
    }

    @Test("--shard over 3 shards, then merge, equals one unsharded run")
    func shardsMerge() throws {
        let made = try Fixture.get()
        let folder = try Fixture.folder(made.clips, corrupt: true)
        defer { Fixture.cleanup(folder) }
        let whole = folder.appendingPathComponent("whole.sqlite").path
        _ = try run(folder, db: whole)
        var shardPaths: [String] = []
        var analysed = 0, files = 0
        for k in 1...3 {
            let p = folder.appendingPathComponent("shard\(k).sqlite").path
            let r = try run(folder, db: p, shard: Shard(index: k, count: 3))
            analysed += r.analysed
            files += r.total
            shardPaths.append(p)
        }
        #expect(analysed == made.clips.count)
        let all = try Discovery.files(under: [folder.appendingPathComponent("archive").path])
        #expect(files == all.count)
        let merged = folder.appendingPathComponent("merged.sqlite").path
        #expect(MSKCine.run(arguments: ["merge", merged] + shardPaths) == 0)
        // Merging again adds nothing.
        #expect(MSKCine.run(arguments: ["merge", merged] + shardPaths) == 0)
        let a = try StudyDatabase(path: whole, readOnly: true), b = try StudyDatabase(path: merged, readOnly: true)
        #expect(try a.canonicalLines() == b.canonicalLines())
        #expect(try a.contentDigest() == b.contentDigest())
        #expect(try b.counts() == a.counts())
        // A different database differs.
        #expect(try a.contentDigest() != StudyDatabase(path: shardPaths[0], readOnly: true).contentDigest())

        // Export: one CSV per table, one row per frame.
        let csv = folder.appendingPathComponent("csv").path
        #expect(MSKCine.run(arguments: ["export", "--db", merged, "--csv", csv]) == 0)
        let frames = try String(contentsOfFile: csv + "/frames.csv", encoding: .utf8).split(separator: "\r\n")
        #expect(frames.count == 1 + made.clips.count * 16)
        #expect(frames.first?.hasPrefix("sha256,engineVersion,unit,frameIndex") == true)
        for name in ["clips.csv", "clip_paths.csv", "analyses.csv", "failures.csv"] {
            #expect(FileManager.default.fileExists(atPath: csv + "/" + name))
        }
    }

    @Test("trend flags the declining serial series and not the stable one")
    func trendSerial() throws {
        let made = try Fixture.get()
        let db = made.dir.appendingPathComponent("serial.sqlite").path
        try? FileManager.default.removeItem(atPath: db)
        let database = try StudyDatabase(path: db)
        let progress = try BatchRunner(options: BatchOptions(roots: [made.serial.path], engineVersion: engine, jobs: 2), database: database).run()
        #expect(progress.analysed == 8 && progress.withoutIdentity == 0)
        let input = try database.trendClips(engineVersion: engine)
        let report = Trend.compute(input.clips)
        #expect(report.series.count == 2)
        let decline = try #require(report.series.first { $0.patientId == "P101" })
        let stable = try #require(report.series.first { $0.patientId == "P102" })
        #expect(decline.studies.count == 4 && stable.studies.count == 4)
        #expect(decline.atrophyTrend && decline.echoIntensityRising)
        #expect(!stable.atrophyTrend && !stable.echoIntensityRising)
        // The set decline: 0.6 mm per 30 days (Samples/README.md); measured within 0.3.
        let slope = try #require(decline.thickness?.fit?.slopePer30Days)
        #expect(abs(slope + 0.6) < 0.3)

        let html = made.dir.appendingPathComponent("trend.html").path
        #expect(MSKCine.run(arguments: ["trend", "--db", db, "--report", html, "--patient", "P101"]) == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("atrophyTrend") && !page.contains("P102"))
    }

    @Test("trend arithmetic: slope, CI, MDC, contralateral side")
    func trendMaths() throws {
        func clip(_ side: String, _ date: String, _ t: Double, _ e: Double) -> TrendClip {
            TrendClip(patientId: "X", muscle: "rf", side: side, studyDate: date, thicknessMm: t, echoIntensity: e)
        }
        // Right side: -0.5 mm per 30 days exactly; echo flat. Left side: flat.
        let clips = [clip("right", "2026-01-01", 20.0, 50), clip("right", "2026-01-31", 19.5, 50), clip("right", "2026-03-02", 19.0, 50),
                     clip("left", "2026-01-01", 20.0, 50), clip("left", "2026-03-02", 20.1, 51)]
        let r = Trend.compute(clips)
        let right = try #require(r.series.first { $0.side == "right" })
        #expect(abs(right.thickness!.fit!.slopePer30Days + 0.5) < 1e-9)
        #expect(abs(right.thickness!.change + 1.0) < 1e-9 && abs(right.thickness!.changePercent! + 5.0) < 1e-9)
        #expect(right.atrophyTrend && !right.echoIntensityRising)
        #expect(right.contralateralSide == "left")
        #expect(right.contralateral.count == 2)
        #expect(abs(right.contralateral.last!.thicknessMm! + 1.1) < 1e-9)
        let left = try #require(r.series.first { $0.side == "left" })
        #expect(!left.atrophyTrend && left.thickness!.fit!.ci95Per30Days == nil)
        // Below the MDC: no flag even with a clean slope.
        let small = Trend.compute([clip("right", "2026-01-01", 20.0, 50), clip("right", "2026-02-01", 19.9, 50), clip("right", "2026-03-01", 19.8, 50)])
        #expect(!small.series[0].atrophyTrend)
        // Noisy series beyond the MDC but with a CI spanning zero: no flag.
        let noisy = Trend.compute([clip("right", "2026-01-01", 20.0, 50), clip("right", "2026-02-01", 21.5, 50),
                                   clip("right", "2026-03-01", 18.0, 50), clip("right", "2026-04-01", 19.5, 50)])
        #expect(!noisy.series[0].atrophyTrend)
    }

    @Test("the trend page shows pennation angle and fascicle length beside thickness and echo, each with its plot and flag")
    func trendPageFascicleMeasures() throws {
        // Four studies a month apart: thickness flat, pennation falling 2 deg a month (beyond its
        // 2-degree MDC), fascicle length flat; a second series without fascicle values.
        let dates = ["2026-01-01", "2026-01-31", "2026-03-02", "2026-04-01"]
        var clips = dates.enumerated().map { i, d in
            TrendClip(patientId: "A", muscle: "gm", side: "right", studyDate: d, thicknessMm: 20, echoIntensity: 50,
                      pennationAngleDeg: 24 - 2 * Double(i), fascicleLengthMm: 60)
        }
        clips += dates.map { TrendClip(patientId: "B", muscle: "gm", side: "right", studyDate: $0, thicknessMm: 18, echoIntensity: 55) }
        let page = Trend.compute(clips).html()
        #expect(page.contains("pennation angle 2.0 deg, fascicle length 5.0 mm"), "the MDCs are stated")
        #expect(page.contains("Pennation angle: change from baseline -6.00 deg") && page.contains("-&gt; pennationFalling"))
        #expect(page.contains("Fascicle length: change from baseline +0.00 mm") && !page.contains("fascicleLengthFalling"))
        #expect(page.components(separatedBy: "pennation angle (deg)").count - 1 == 2, "one plot per series")
        #expect(page.contains("Pennation angle: no values") && page.contains("pennation angle (deg): no values"), "B has none")
        #expect(!page.contains("<span class=flag>"), "thickness flat, echo flat: no flag on either series")
        #expect(page.contains("Echo intensity: change from baseline +0.00 grey levels"))
        // The text and JSON outputs list the same measures with the same flags.
        let report = Trend.compute(clips)
        #expect(report.text().contains("pennation angle: change from baseline -6.00 deg") && report.text().contains("-> pennationFalling"))
        guard case .object(let top) = report.document(), case .array(let series)? = top.first(where: { $0.0 == "series" })?.1,
              case .object(let a)? = series.first, case .object(let pennation)? = a.first(where: { $0.0 == "pennationAngle" })?.1 else {
            Issue.record("no pennationAngle in the JSON document"); return
        }
        #expect(pennation.contains { $0.0 == "pennationFalling" && $0.1 == .bool(true) })
    }

    @Test("manifest, shard parsing, usage errors")
    func parsing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = dir.appendingPathComponent("m.csv")
        try Data("studyDate,path,patientId,muscle,side\r\n20260105,a/clip 1.mp4,P9,\"rectus, femoris\",R\n2026-02-01,/abs/b.avi,P9,rf,left\n".utf8).write(to: m)
        let manifest = try Manifest(path: m.path)
        let a = try #require(manifest.identity(forFile: dir.appendingPathComponent("a/clip 1.mp4").path))
        #expect(a == ClipIdentity(patientId: "P9", muscle: "rectus, femoris", side: "right", studyDate: "2026-01-05", source: "manifest"))
        #expect(manifest.identity(forFile: "/abs/b.avi")?.side == "left")
        try Data("path,studyDate\nx.mp4,2026-13-40\n".utf8).write(to: m)
        #expect(throws: BatchError.self) { try Manifest(path: m.path) }
        try Data("file,patientId\nx.mp4,P1\n".utf8).write(to: m)
        #expect(throws: BatchError.self) { try Manifest(path: m.path) }

        #expect(try Shard(parsing: "2/3") == Shard(index: 2, count: 3))
        for bad in ["0/3", "4/3", "1/0", "x", "1/2/3"] { #expect(throws: BatchError.self) { try Shard(parsing: bad) } }
        // Every path lands in exactly one of N shards.
        for p in ["a.mp4", "sub/b.dcm", "c", "ü/ä.avi"] {
            #expect((1...5).filter { Shard(index: $0, count: 5).contains(relativePath: p) }.count == 1)
        }
        #expect(MSKCine.run(arguments: ["batch", dir.path, "--db", dir.appendingPathComponent("x.sqlite").path, "--shard", "4/3"]) == 2)
        #expect(MSKCine.run(arguments: ["batch", dir.path, "--db", dir.appendingPathComponent("x.sqlite").path, "--jobs", "0"]) == 2)
        #expect(MSKCine.run(arguments: ["batch", "/no/such/archive", "--db", dir.appendingPathComponent("x.sqlite").path]) == 3)
        #expect(MSKCine.run(arguments: ["trend", "--db", "/no/such.sqlite"]) == 3)
        #expect(MSKCine.run(arguments: ["merge", dir.appendingPathComponent("o.sqlite").path, "/no/such.sqlite"]) == 3)
        // Nothing left behind by a failed merge.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.sqlite").path))
        // A file that is not a study database.
        try Data("hello".utf8).write(to: dir.appendingPathComponent("t.sqlite"))
        #expect(MSKCine.run(arguments: ["export", "--db", dir.appendingPathComponent("t.sqlite").path, "--digest"]) == 3)
    }

    static let realData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data").path

    @Test("real clips (../shared/data) and two Samples: every clip analysed or recorded as a failure, DICOM identity stored",
          .enabled(if: FileManager.default.fileExists(atPath: BatchTests.realData + "/real-dicom"), "../shared/data is not on this machine"))
    func realClips() throws {
        let data = Self.realData
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Samples").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-real-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("real.sqlite").path
        let roots = [data + "/real-dicom", data + "/real-video/p6_isokinetic500_01_push_01.mp4", samples + "/none_01.mp4", samples + "/partial_02.mkv"]
        let progress = try BatchRunner(options: BatchOptions(roots: roots, engineVersion: engine, jobs: 2), database: StudyDatabase(path: db)).run()
        #expect(progress.total == 8 && progress.notClips == 0)
        #expect(progress.analysed + progress.failed == 8)
        #expect(progress.analysed >= 6)
        let database = try StudyDatabase(path: db, readOnly: true)
        let lines = try database.canonicalLines()
        // DICOM clips: kind and identity from the file's tags.
        #expect(lines.filter { $0.hasPrefix("clip\t") && $0.contains("\tdicom\t") }.count == 5)
        // Samples: calibration (and identity) from the labels beside them.
        #expect(lines.filter { $0.hasPrefix("clip\t") && $0.hasSuffix("\tlabels") }.count == 2)
        // The Telemed export: calibrated from its depth ruler (clips.calibrationSource = screen, 0.0881 mm per pixel).
        let screen = lines.filter { $0.hasPrefix("clip\t") && $0.hasSuffix("\tscreen") }
        #expect(screen.count == 1 && screen.first?.contains("0.0880") == true, "\(screen)")
        let again = try BatchRunner(options: BatchOptions(roots: roots, engineVersion: engine, jobs: 2), database: StudyDatabase(path: db)).run()
        #expect(again.analysed == 0)
    }
}
