import Foundation
import MSKReader
import Testing

/// The real clips of `../shared/data/real-video/` and the frame counts its README gives.
struct RealClip: CustomTestStringConvertible, Sendable {
    let file: String
    let frames: Int
    let width: Int
    let height: Int
    let codec: String
    var testDescription: String { file }

    static let all: [RealClip] = [
        RealClip(file: "p6_isometric_max_01_push_01.mp4", frames: 197, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "p6_passive_ROM_01_push_01.mp4", frames: 394, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "p6_isokinetic030_01_push_01.mp4", frames: 133, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "p6_isokinetic120_01_push_01.mp4", frames: 79, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "p6_isokinetic210_01_push_01.mp4", frames: 92, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "p6_isokinetic500_01_push_01.mp4", frames: 59, width: 1148, height: 624, codec: "h264"),
        RealClip(file: "DemoBMode.mov", frames: 450, width: 640, height: 480, codec: "mpeg4"),
    ]

    var path: String { SharedData.realVideo.appendingPathComponent(file).path }
}

@Suite("Real clips probe and count right",
       .enabled(if: FileManager.default.fileExists(atPath: SharedData.realVideo.path),
                "../shared/data/real-video is not on this machine"))
struct RealClipTests {
    @Test("metadata and true frame count", arguments: RealClip.all)
    func probeAndCount(_ clip: RealClip) throws {
        let reader = try VideoReader(path: clip.path)
        #expect(reader.info.width == clip.width && reader.info.height == clip.height)
        #expect(reader.info.codec == clip.codec)
        let count = try reader.countFrames()
        #expect(count.frameCount == clip.frames, "\(clip.file): \(count.frameCount) frames, README says \(clip.frames)")
        #expect(count.warnings.isEmpty, "\(clip.file): \(count.warnings)")
        let first = try #require(count.firstTimeS), last = try #require(count.lastTimeS)
        #expect(last > first)
    }
}
