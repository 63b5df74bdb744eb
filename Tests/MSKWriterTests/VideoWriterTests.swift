import Foundation
import MSKImage
import MSKReader
import MSKFiles
import MSKWriter
import Testing

/// A grey test frame with structure at every scale: a ramp, a moving bar and fine texture.
func testFrame(_ index: Int, width: Int, height: Int) -> GreyImage {
    GreyImage(width: width, height: height) { px in
        for y in 0..<height {
            for x in 0..<width {
                var v = (x * 255) / max(1, width - 1)
                if abs(x - (index * 7) % width) < 6 { v = 250 }
                if (x / 4 + y / 4) % 2 == 0 { v = v * 3 / 4 }
                px[y * width + x] = UInt8(clamping: v)
            }
        }
    }
}

private func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-writer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func ffprobeCount(_ path: String) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return Int(text) ?? -1
}

@Suite("Video and PNG writer")
struct VideoWriterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let codec: VideoCodec
        let pixels: WriterPixels
        /// Largest mean absolute grey error allowed after a round trip through the codec.
        let meanError: Double
        var testDescription: String { "\(codec.rawValue) \(pixels.rawValue)" }
    }

    static let cases: [Case] = [
        Case(codec: .ffv1, pixels: .grey, meanError: 0),
        Case(codec: .ffv1, pixels: .rgb, meanError: 0),
        Case(codec: .h264, pixels: .grey, meanError: 2.5),
        Case(codec: .h264, pixels: .rgb, meanError: 3),
        Case(codec: .mpeg4, pixels: .grey, meanError: 4),
        Case(codec: .mjpeg, pixels: .grey, meanError: 4),
    ]

    @Test("round trip: frame count (ffprobe), timing, grey levels", arguments: cases)
    func roundTrip(_ c: Case) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("clip.\(c.codec.defaultExtension)").path
        let (w, h, n) = (160, 120, 24)
        let writer = try VideoWriter(path: path, width: w, height: h,
                                     options: VideoWriterOptions(codec: c.codec, fps: 20, pixels: c.pixels))
        for i in 0..<n { try writer.write(testFrame(i, width: w, height: h)) }
        #expect(!FileManager.default.fileExists(atPath: path), "the file must not appear before finish()")
        #expect(try writer.finish() == n)
        #expect(try ffprobeCount(path) == n)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["clip.\(c.codec.defaultExtension)"])

        let reader = try VideoReader(path: path)
        #expect(reader.info.codec == c.codec.rawValue)
        #expect(abs((reader.info.fps ?? 0) - 20) < 1e-6)
        var index = 0, totalError = 0.0
        while let frame = try reader.nextFrame() {
            #expect(abs(frame.timeS - Double(index) / 20) < 1e-6)
            let expected = testFrame(index, width: w, height: h)
            totalError += zip(frame.grey.pixels, expected.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) }
                / Double(w * h)
            index += 1
        }
        #expect(index == n)
        let meanError = totalError / Double(n)
        #expect(meanError <= c.meanError, "mean grey error \(meanError) after \(c.codec)")
    }

    @Test("a writer dropped before finish leaves no file behind")
    func noHalfFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("partial.mp4").path
        do {
            let writer = try VideoWriter(path: path, width: 64, height: 48, options: VideoWriterOptions(codec: .h264))
            for i in 0..<5 { try writer.write(testFrame(i, width: 64, height: 48)) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("bad requests are typed errors naming the file")
    func badRequests() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: WriterError.self) {
            try VideoWriter(path: dir.appendingPathComponent("odd.mp4").path, width: 641, height: 479,
                            options: VideoWriterOptions(codec: .h264))
        }
        #expect(throws: WriterError.self) {
            try VideoWriter(path: "/no/such/folder/x.mkv", width: 64, height: 48, options: VideoWriterOptions(codec: .ffv1))
        }
        #expect(throws: WriterError.self) {
            try VideoWriter(path: dir.appendingPathComponent("x.gif").path, width: 64, height: 48, options: VideoWriterOptions())
        }
        let writer = try VideoWriter(path: dir.appendingPathComponent("x.mkv").path, width: 64, height: 48,
                                     options: VideoWriterOptions(codec: .ffv1))
        do {
            try writer.write(GreyImage(width: 32, height: 32))
            Issue.record("a frame of the wrong size was accepted")
        } catch {
            #expect(error.description.contains("x.mkv") && !error.description.contains("\n"))
        }
        // Odd sizes are fine for lossless FFV1.
        let odd = try VideoWriter(path: dir.appendingPathComponent("odd.mkv").path, width: 641, height: 479,
                                  options: VideoWriterOptions(codec: .ffv1))
        try odd.write(testFrame(0, width: 641, height: 479))
        #expect(try odd.finish() == 1)
    }

    @Test("PNG stills decode to the same pixels")
    func png() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let grey = testFrame(3, width: 97, height: 61)
        let path = dir.appendingPathComponent("still.png").path
        try PNGWriter.write(grey, to: path)
        let back = try VideoReader(path: path)
        let frame = try #require(try back.nextFrame())
        #expect(frame.grey == grey)

        var rgb = RGBImage(width: 31, height: 17, red: 200, green: 30, blue: 90)
        rgb.pixels[0] = 0
        let rgbPath = dir.appendingPathComponent("rgb.png").path
        try PNGWriter.write(rgb, to: rgbPath)
        let rgbBack = try VideoReader(path: rgbPath, options: ReaderOptions(wantRGB: true))
        #expect(try rgbBack.nextFrame()?.rgb == rgb)
    }
}

@Suite struct TemporaryNameTests {
    @Test func aSpecialDestinationIsWrittenInPlaceNotReplaced() throws {
        // A FIFO stands for /dev/null or /dev/stdout: renaming over it would replace it.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(TemporaryName.isSpecialFile(fifo))
        #expect(TemporaryName.isSpecialFile("/dev/null"))
        #expect(!TemporaryName.isSpecialFile(dir.path))
        #expect(!TemporaryName.isSpecialFile(dir.appendingPathComponent("absent").path))
        // Drain the FIFO on another thread while writing to it.
        let reader = Thread {
            _ = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile()
        }
        reader.start()
        try TemporaryName.write(Data("{}".utf8), to: fifo)
        var info = stat()
        #expect(stat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        try TemporaryName.write(Data("x".utf8), to: "/dev/null")
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        // No temporary file left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["pipe"])
    }
}
