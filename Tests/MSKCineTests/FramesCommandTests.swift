import ArgumentParser
import Foundation
import MSKTestSupport
import MSKImage
import MSKReader
import MSKReport
@testable import mskcine
import Testing

@Suite("mskcine frames: parsing, exit statuses, files equal the reader's frames")
struct FramesCommandTests {
    /// A 160x120 FFV1 clip of 9 frames (ffmpeg's moving test pattern), in `dir`.
    static func clip(in dir: URL) throws -> String {
        let clip = dir.appendingPathComponent("clip.mkv").path
        _ = try Binary.run("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                                            "testsrc2=size=160x120:rate=20", "-frames:v", "9", "-c:v", "ffv1", clip])
        return clip
    }

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-frames-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Splits a binary PGM/PPM into its magic, size and payload; nil when the header is not one.
    static func netpbm(_ data: Data) -> (magic: String, width: Int, height: Int, payload: Data)? {
        // Header: magic, width, height, maxval, each followed by one whitespace byte.
        var fields: [String] = [], current = "", index = data.startIndex
        while fields.count < 4, index < data.endIndex {
            let byte = data[index]
            index += 1
            if byte == 0x0A || byte == 0x20 { fields.append(current); current = "" } else { current.append(Character(UnicodeScalar(byte))) }
        }
        guard fields.count == 4, fields[3] == "255", let w = Int(fields[1]), let h = Int(fields[2]) else { return nil }
        return (fields[0], w, h, data[index...])
    }

    @Test("options parse; --every below 1 is bad usage")
    func parses() throws {
        let frames = try MSKCine.Frames.parse(["clip.mp4", "--out", "d", "--every", "5", "--rgb"])
        #expect(frames.clip == "clip.mp4" && frames.out == "d" && frames.every == 5 && frames.rgb)
        let plain = try MSKCine.Frames.parse(["a.dcm", "--out", "d"])
        #expect(plain.every == 1 && !plain.rgb)
        for bad in [["a.dcm"], ["--out", "d"], ["a.dcm", "--out", "d", "--every", "0"], ["a.dcm", "--out", "d", "--every", "x"]] {
            #expect(throws: (any Error).self) { try MSKCine.Frames.parse(bad) }
        }
    }

    @Test("exit statuses: bad usage 2, unreadable input 3, nothing left behind")
    func exitStatuses() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        #expect(MSKCine.run(arguments: ["frames"]) == 2)
        #expect(MSKCine.run(arguments: ["frames", "x.mp4", "--out", out, "--every", "-1"]) == 2)
        #expect(MSKCine.run(arguments: ["frames", "/no/such/clip.mp4", "--out", out]) == 3)
        let junk = dir.appendingPathComponent("junk.dcm")
        var bytes = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + [0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xFF, 0x7F]
        bytes += [UInt8](repeating: 0x31, count: 8)
        try Data(bytes).write(to: junk)
        #expect(MSKCine.run(arguments: ["frames", junk.path, "--out", out]) == 3)
        #expect(!FileManager.default.fileExists(atPath: out))
        // The output is a file: not the input's fault, status 1, the file untouched.
        let clip = try Self.clip(in: dir)
        let file = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        #expect(MSKCine.run(arguments: ["frames", clip, "--out", file.path]) == 1)
        #expect(try Data(contentsOf: file) == Data("x".utf8))
    }

    @Test("grey PGM and RGB PPM: count, header, size and pixels equal the reader's frames", arguments: [false, true])
    func matchesReader(rgb: Bool) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try Self.clip(in: dir)
        let out = dir.appendingPathComponent("frames").path
        let every = rgb ? 1 : 2
        #expect(MSKCine.run(arguments: ["frames", clip, "--out", out, "--every", "\(every)"] + (rgb ? ["--rgb"] : [])) == 0)

        let reader = try openClip(path: clip, options: ClipOptions(reader: ReaderOptions(wantRGB: rgb)))
        var expected: [String] = []
        while let frame = try reader.nextFrame() {
            guard frame.index % every == 0 else { continue }
            let name = FrameExporter.fileName(index: frame.index, rgb: rgb)
            expected.append(name)
            let data = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name))
            let parsed = try #require(Self.netpbm(data), "\(name): not a binary Netpbm file")
            #expect(parsed.magic == (rgb ? "P6" : "P5"))
            #expect(parsed.width == 160 && parsed.height == 120)
            let header = "\(rgb ? "P6" : "P5")\n160 120\n255\n"
            #expect(data.count == header.utf8.count + 160 * 120 * (rgb ? 3 : 1))
            let pixels = rgb ? try #require(frame.rgb).pixels : frame.grey.pixels
            #expect([UInt8](parsed.payload) == pixels, "\(name): pixels differ from the reader's frame")
        }
        #expect(expected.count == (rgb ? 9 : 5))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == expected.sorted())
    }

    @Test("the binary: a summary line on success; one line and status 3 for a bad clip, nothing written")
    func binary() throws {
        let binary = try Binary.mskcine()
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try Self.clip(in: dir)
        let out = dir.appendingPathComponent("out").path
        let ok = try Binary.run(binary, ["frames", clip, "--out", out, "--every", "4"])
        #expect(ok.status == 0 && ok.stdout.isEmpty)
        #expect(ok.stderr == "wrote 3 of 9 frames into \(out)\n")
        let bad = dir.appendingPathComponent("bad.mp4")
        try Data(repeating: 0x47, count: 3000).write(to: bad)
        let out2 = dir.appendingPathComponent("out2").path
        let failed = try Binary.run(binary, ["frames", bad.path, "--out", out2])
        #expect(failed.status == 3)
        #expect(failed.stderr.hasPrefix("mskcine: ") && failed.stderr.filter { $0 == "\n" }.count == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains(bad.path))
        #expect(!FileManager.default.fileExists(atPath: out2))
    }

    /// Fails at frame `failAt` after giving the frames before it.
    final class FailingSource: FrameSource {
        let info = ClipInfo(path: "fake.mp4", container: "fake", containerLongName: "fake", codec: "fake", width: 8, height: 4,
                            pixelFormat: "gray", fps: 25, frameCount: 5, durationS: nil, startTimeS: 0, rotationDegrees: 0)
        let warnings: [String] = []
        let failAt: Int
        var next = 0
        init(failAt: Int) { self.failAt = failAt }
        func nextFrame() throws(ReaderError) -> Frame? {
            defer { next += 1 }
            if next == failAt { throw .decodingFailed(path: "fake.mp4", frameIndex: next, reason: "test") }
            return next < 5 ? Frame(index: next, timeS: Double(next) / 25, grey: GreyImage(width: 8, height: 4, value: UInt8(next))) : nil
        }
    }

    @Test("a clip that fails part way leaves no frame files, and no folder it made")
    func failurePartWay() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = dir.appendingPathComponent("new/sub").path
        #expect(throws: FrameExporter.Failure.reader(.decodingFailed(path: "fake.mp4", frameIndex: 3, reason: "test"))) {
            try FrameExporter.export(FailingSource(failAt: 3), into: made)
        }
        #expect(!FileManager.default.fileExists(atPath: made))
        let existing = dir.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: existing.appendingPathComponent("keep.txt"))
        #expect(throws: FrameExporter.Failure.self) { try FrameExporter.export(FailingSource(failAt: 2), into: existing.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing.path) == ["keep.txt"])
        // Without the failure, the same source writes all five.
        let whole = try FrameExporter.export(FailingSource(failAt: -1), into: existing.path)
        #expect(whole.framesRead == 5 && whole.filesWritten == 5)
        #expect(try Data(contentsOf: existing.appendingPathComponent("frame_000004.pgm")) == Data("P5\n8 4\n255\n".utf8) + Data(repeating: 4, count: 32))
    }

    @Test("a run that fails part way leaves the folder's older frame files as they were, and no temporary file")
    func olderFramesUntouched() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // An earlier run's frames, with content this run would not write.
        var before: [String: Data] = [:]
        for i in 0..<5 {
            let name = FrameExporter.fileName(index: i, rgb: false)
            let data = Data("older \(i)".utf8)
            try data.write(to: dir.appendingPathComponent(name))
            before[name] = data
        }
        for failAt in [0, 1, 4] {
            #expect(throws: FrameExporter.Failure.self) { try FrameExporter.export(FailingSource(failAt: failAt), into: dir.path) }
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(Set(names) == Set(before.keys), "left: \(names)")
            for (name, data) in before { #expect(try Data(contentsOf: dir.appendingPathComponent(name)) == data) }
        }
    }

    @Test("frames refuses to write a frame file over the clip it reads (exit 2), and the clip stays")
    func clipIsNotOverwritten() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try Self.clip(in: dir)
        let named = dir.appendingPathComponent("frame_000000.pgm").path
        try FileManager.default.moveItem(atPath: clip, toPath: named)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: named))
        let result = try Binary.run(try Binary.mskcine(), ["frames", named, "--out", dir.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: named)) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["frame_000000.pgm"])
    }
}
