import Foundation
import MSKReader
import Testing

/// One clip the test makes with the ffmpeg command line, and the oddity it exercises.
struct FixtureClip: CustomTestStringConvertible, Sendable {
    let name: String
    let file: String
    /// ffmpeg arguments after `-v error -y`; the output path is appended.
    let arguments: [String]
    /// The reader should say the timestamps are synthesised (the container has none).
    var synthesisedTimes = false
    /// If set, the clip is encoded first and then remuxed (`-c copy`) with these extra arguments
    /// (ffmpeg 5.1 drops a rotate tag given while encoding; it keeps one given while remuxing).
    var remuxArguments: [String]? = nil

    var testDescription: String { name }

    static let testPattern = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]

    static let all: [FixtureClip] = [
        FixtureClip(name: "H.264 with B-frames in MP4", file: "h264_bframes.mp4",
                    arguments: testPattern + ["-frames:v", "30", "-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"]),
        FixtureClip(name: "HEVC in MP4", file: "hevc.mp4",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "libx265", "-x265-params", "log-level=none", "-pix_fmt", "yuv420p"]),
        FixtureClip(name: "MPEG-4 part 2 with B-frames in AVI", file: "mpeg4.avi",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "mpeg4", "-bf", "2"]),
        FixtureClip(name: "MJPEG in AVI (full-range yuvj420p)", file: "mjpeg.avi",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"]),
        FixtureClip(name: "FFV1 in MKV", file: "ffv1.mkv",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "ffv1"]),
        FixtureClip(name: "raw video (yuv420p) in AVI", file: "raw.avi",
                    arguments: testPattern + ["-frames:v", "12", "-c:v", "rawvideo", "-pix_fmt", "yuv420p"]),
        FixtureClip(name: "animated GIF (palette)", file: "anim.gif",
                    arguments: ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-frames:v", "10", "-pix_fmt", "rgb8"]),
        FixtureClip(name: "odd size 641x479 (H.264 4:4:4)", file: "odd.mp4",
                    arguments: ["-f", "lavfi", "-i", "testsrc2=size=641x479:rate=25", "-frames:v", "12",
                                "-c:v", "libx264", "-pix_fmt", "yuv444p"]),
        FixtureClip(name: "odd size 641x479 (FFV1 4:2:0)", file: "odd_ffv1.mkv",
                    arguments: ["-f", "lavfi", "-i", "testsrc2=size=641x479:rate=25", "-frames:v", "8",
                                "-c:v", "ffv1", "-pix_fmt", "yuv420p"]),
        FixtureClip(name: "10-bit H.264", file: "h264_10bit.mp4",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "libx264", "-pix_fmt", "yuv420p10le"]),
        FixtureClip(name: "4:2:2 H.264 in MKV", file: "h264_422.mkv",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "libx264", "-pix_fmt", "yuv422p"]),
        FixtureClip(name: "RGB source (FFV1 bgr0)", file: "rgb_ffv1.mkv",
                    arguments: testPattern + ["-frames:v", "10", "-c:v", "ffv1", "-pix_fmt", "bgr0"]),
        FixtureClip(name: "RGB H.264 (libx264rgb)", file: "rgb_x264.mkv",
                    arguments: testPattern + ["-frames:v", "10", "-c:v", "libx264rgb"]),
        FixtureClip(name: "variable frame rate", file: "vfr.mkv",
                    arguments: testPattern + ["-frames:v", "20", "-vf", "settb=1/1000,setpts='N*40+if(gt(N\\,9)\\,N*N\\,0)'",
                                              "-fps_mode", "passthrough", "-c:v", "ffv1"]),
        FixtureClip(name: "repeated timestamps", file: "repeated.mkv",
                    arguments: testPattern + ["-frames:v", "20", "-vf", "setpts='floor(N/2)*4'",
                                              "-fps_mode", "passthrough", "-c:v", "ffv1"]),
        FixtureClip(name: "missing timestamps (raw Annex-B H.264)", file: "raw.h264",
                    arguments: testPattern + ["-frames:v", "20", "-c:v", "libx264", "-bf", "2"],
                    synthesisedTimes: true),
        FixtureClip(name: "rotation tag 90 degrees", file: "rotated.mp4",
                    arguments: ["-f", "lavfi", "-i", "testsrc2=size=320x200:rate=25", "-frames:v", "10",
                                "-c:v", "libx264"],
                    remuxArguments: ["-metadata:s:v", "rotate=90"]),
    ]

    /// Makes the clip in `directory` and returns its path.
    func make(in directory: ScratchDirectory) throws -> String {
        let path = directory.path(file)
        if let remuxArguments {
            let encoded = directory.path("encoded-" + file)
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y"] + arguments + [encoded])
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y", "-i", encoded, "-c", "copy"] + remuxArguments + [path])
        } else {
            try ExternalTool.check("ffmpeg", ["-v", "error", "-y"] + arguments + [path])
        }
        return path
    }
}

@Suite("Reader equals ffprobe/ffmpeg on clips made by the ffmpeg command line")
struct ReaderMatchesFFmpegTests {
    @Test("frame count, every timestamp and every grey pixel", arguments: FixtureClip.all)
    func matchesFFmpeg(_ clip: FixtureClip) throws {
        let dir = try ScratchDirectory("fixture")
        let path = try clip.make(in: dir)

        let expectedTimes = try ExternalTool.ffprobeTimestamps(path)
        let expectedCount = try ExternalTool.ffprobeCountFrames(path)
        let expectedGrey = try ExternalTool.ffmpegGreyFrames(path)
        #expect(expectedTimes.count == expectedCount, "ffprobe disagrees with itself on \(clip.file)")

        let reader = try VideoReader(path: path)
        // Issue 13: once ffprobe's times go backwards or repeat, the reader derives every later time
        // from the frame index and the frame rate (and warns once); before that, ffprobe's times.
        let interval = 1 / (reader.info.fps ?? 25)
        var derivedFrom: (index: Int, time: Double)?
        var last: Double?
        let expectedSeries: [(time: Double?, derived: Bool)] = expectedTimes.enumerated().map { i, t in
            if let a = derivedFrom {
                last = a.time + Double(i - a.index) * interval
                return (last, true)
            }
            guard let t else {
                last = last.map { $0 + interval }
                return (nil, false)
            }
            if let l = last, !(t > l) {
                derivedFrom = (i, l + interval)
                last = l + interval
                return (last, true)
            }
            last = t
            return (t, false)
        }
        var index = 0
        var offset = 0
        var pixelMismatches = 0
        var firstMismatch: String?
        while let frame = try reader.nextFrame() {
            #expect(frame.index == index)
            #expect(frame.grey.width == reader.info.width && frame.grey.height == reader.info.height)
            if index < expectedTimes.count {
                if let expected = expectedSeries[index].time {
                    let probed: Double? = expectedTimes[index]
                    #expect(abs(frame.timeS - expected) < 1e-6,
                            "frame \(index): time \(frame.timeS) s, expected \(expected) s (ffprobe: \(String(describing: probed)))")
                    #expect(frame.timeIsSynthesised == expectedSeries[index].derived)
                } else {
                    #expect(frame.timeIsSynthesised, "ffprobe has no time for frame \(index) but the reader did not say so")
                }
            }
            let size = frame.grey.pixels.count
            if offset + size <= expectedGrey.count {
                let reference = expectedGrey[expectedGrey.startIndex + offset ..< expectedGrey.startIndex + offset + size]
                if !frame.grey.pixels.elementsEqual(reference) {
                    pixelMismatches += 1
                    if firstMismatch == nil {
                        let diffs = zip(frame.grey.pixels, reference).filter { $0 != $1 }.count
                        firstMismatch = "frame \(index): \(diffs) of \(size) grey pixels differ"
                    }
                }
            }
            offset += size
            index += 1
        }
        #expect(index == expectedCount, "\(clip.file): reader decoded \(index) frames, ffprobe -count_frames \(expectedCount)")
        #expect(offset == expectedGrey.count, "\(clip.file): \(offset) grey bytes, ffmpeg -pix_fmt gray wrote \(expectedGrey.count)")
        #expect(pixelMismatches == 0, "\(clip.file): \(firstMismatch ?? "")")
        if clip.synthesisedTimes {
            #expect(expectedTimes.allSatisfy { $0 == nil }, "the fixture was meant to have no timestamps")
        }
        let timeWarnings = reader.warnings.filter { $0.contains("timestamps go backwards or repeat") }
        #expect(timeWarnings.count == (derivedFrom == nil ? 0 : 1), "\(clip.file): \(reader.warnings)")
        if clip.file == "repeated.mkv" { #expect(derivedFrom != nil, "the fixture was meant to repeat timestamps") }
        // Reading past the end stays at the end.
        #expect(try reader.nextFrame() == nil)
    }

    @Test("the rotation tag turns the frame as players do")
    func rotationSwapsSize() throws {
        let dir = try ScratchDirectory("rotation")
        let clip = FixtureClip.all.first { $0.file == "rotated.mp4" }!
        let path = try clip.make(in: dir)
        // ffprobe reports the display matrix angle counterclockwise; the reader reports the
        // clockwise turn it applies, so the two add up to a whole turn.
        let out = try ExternalTool.check("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                      "stream_side_data=rotation", "-of", "csv=p=0", path])
        let ffprobeDegrees = try #require(Int(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let reader = try VideoReader(path: path)
        #expect(ffprobeDegrees != 0)
        #expect(reader.info.rotationDegrees == ((360 - ffprobeDegrees) % 360 + 360) % 360)
        #expect(reader.info.width == 200 && reader.info.height == 320)
    }

    @Test("RGB on request equals ffmpeg's rgb24 output")
    func rgbMatchesFFmpeg() throws {
        let dir = try ScratchDirectory("rgb")
        let clip = FixtureClip.all.first { $0.file == "h264_bframes.mp4" }!
        let path = try clip.make(in: dir)
        let expected = try ExternalTool.check("ffmpeg", ["-v", "error", "-i", path, "-fps_mode", "passthrough",
                                                         "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        let reader = try VideoReader(path: path, options: ReaderOptions(wantRGB: true))
        var bytes = Data()
        while let frame = try reader.nextFrame() {
            let rgb = try #require(frame.rgb)
            bytes.append(contentsOf: rgb.pixels)
        }
        #expect(bytes.count == expected.count)
        #expect(bytes == expected)
    }

    @Test("metadata: container, codec, size, rate, pixel format")
    func metadata() throws {
        let dir = try ScratchDirectory("meta")
        let clip = FixtureClip.all.first { $0.file == "h264_10bit.mp4" }!
        let info = try VideoReader(path: clip.make(in: dir)).info
        #expect(info.container == "mp4")
        #expect(info.codec == "h264")
        #expect(info.width == 320 && info.height == 240)
        #expect(info.pixelFormat == "yuv420p10le")
        #expect(abs((info.fps ?? 0) - 25) < 1e-9)
        #expect(info.frameCount == 20)
        #expect(abs((info.durationS ?? 0) - 0.8) < 1e-6)
    }
}
