import Foundation
import MSKTestSupport
import MSKReader
import Testing

/// A bad input, how the test makes it, and the error the reader must answer with.
struct BadInput: CustomTestStringConvertible, Sendable {
    let name: String
    let make: @Sendable (ScratchDirectory) throws -> String
    let expected: @Sendable (ReaderError) -> Bool

    var testDescription: String { name }

    static let all: [BadInput] = [
        BadInput(name: "missing file", make: { $0.path("no-such-clip.mp4") },
                 expected: { if case .fileNotFound = $0 { true } else { false } }),
        BadInput(name: "empty file", make: { dir in
            let path = dir.path("empty.mp4")
            try Data().write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { if case .emptyFile = $0 { true } else { false } }),
        BadInput(name: "text file", make: { dir in
            let path = dir.path("notes.mp4")
            try Data(String(repeating: "Patient scanned at 10:30, left thigh.\n", count: 40).utf8)
                .write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { if case .notAVideo = $0 { true } else { false } }),
        BadInput(name: "truncated MP4 without its moov atom", make: { dir in
            let full = dir.path("full.mp4")
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                                              "-frames:v", "40", "-c:v", "libx264", full])
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            // The moov atom is written last; keep the first half only.
            let path = dir.path("truncated.mp4")
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { error in
            if case .notAVideo(_, let reason) = error { reason.contains("moov") } else { false }
        }),
        BadInput(name: "audio-only file", make: { dir in
            let path = dir.path("tone.wav")
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", path])
            return path
        }, expected: { error in
            if case .noVideoStream(_, let streams) = error { streams.contains("audio") } else { false }
        }),
        BadInput(name: "50000x50000 frame header (Matroska)", make: { dir in
            let small = dir.path("small.mkv")
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x256:rate=25",
                                              "-frames:v", "5", "-c:v", "ffv1", small])
            // Patch the PixelWidth (0xB0) and PixelHeight (0xBA) elements, 2-byte values, to 50000.
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: small)))
            let width: [UInt8] = [0xB0, 0x82, 0x01, 0x40], height: [UInt8] = [0xBA, 0x82, 0x01, 0x00]
            for pattern in [width, height] {
                guard let at = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == pattern }) else {
                    throw ExternalTool.Failure(description: "no Matroska size element \(pattern) found to patch")
                }
                bytes[at + 2] = 0xC3; bytes[at + 3] = 0x50
            }
            let path = dir.path("huge.mkv")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { error in
            if case .frameTooLarge(_, let w, let h, _) = error { w == 50000 && h == 50000 } else { false }
        }),
        BadInput(name: "50000x50000 frame header (YUV4MPEG)", make: { dir in
            let path = dir.path("huge.y4m")
            var data = Data("YUV4MPEG2 W50000 H50000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8)
            data.append(Data(repeating: 128, count: 4096))
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { error in
            switch error {
            case .frameTooLarge(_, let w, let h, _): w == 50000 && h == 50000
            case .notAVideo(_, let reason): reason.contains("50000x50000")
            default: false
            }
        }),
        BadInput(name: "directory", make: { dir in
            let path = dir.path("study.mp4")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }, expected: { if case .notAFile = $0 { true } else { false } }),
        BadInput(name: "random bytes", make: { dir in
            let path = dir.path("noise.avi")
            // Seeded, so the bytes (and FFmpeg's answer to them) are the same on every run: truly
            // random bytes were now and then taken for a video by FFmpeg's probe.
            var generator = SplitMix64(seed: 20261125)
            try Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
                .write(to: URL(fileURLWithPath: path))
            return path
        }, expected: { if case .notAVideo = $0 { true } else { false } }),
    ]
}

@Suite("Bad input is answered with one clear line")
struct BadInputTests {
    @Test("each bad input gives a typed ReaderError naming the file", arguments: BadInput.all)
    func badInput(_ input: BadInput) throws {
        let dir = try ScratchDirectory("bad")
        let path = try input.make(dir)
        do {
            let reader = try VideoReader(path: path)
            while try reader.nextFrame() != nil {}
            Issue.record("\(input.name): the reader accepted it")
        } catch {
            #expect(input.expected(error), "\(input.name): unexpected error \(error)")
            #expect(error.path == path)
            let line = error.description
            #expect(!line.contains("\n"), "the message must be one line: \(line)")
            #expect(line.contains(path), "the message must name the file: \(line)")
            #expect(line.contains(";"), "the message must say what to do: \(line)")
        }
    }

    /// A file cut mid-stream gives the frames before the cut, and a warning.
    @Test("file cut mid-stream", arguments: ["cut.mkv", "cut_faststart.mp4", "cut.avi"])
    func cutMidStream(_ file: String) throws {
        let dir = try ScratchDirectory("cut")
        let full = dir.path("full-" + file)
        var args = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "60"]
        args += file.hasSuffix(".mp4") ? ["-c:v", "libx264", "-movflags", "+faststart"] : ["-c:v", "mpeg4", "-q:v", "3"]
        try ExternalTool.check("ffmpeg", args + [full])
        let data = try Data(contentsOf: URL(fileURLWithPath: full))
        let path = dir.path(file)
        try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: path))

        let reader = try VideoReader(path: path)
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        #expect(count > 10 && count < 60, "\(file): \(count) frames decoded from a file cut at 60%")
        #expect(!reader.warnings.isEmpty, "\(file): no warning about the cut")
        #expect(reader.warnings.allSatisfy { !$0.contains("\n") })
    }
}
