import Foundation
import MSKTestSupport
import MSKDICOM
import MSKReader
@testable import mskcine
import Testing

/// Corrupted compressed frames reach libavcodec (the part `make fuzz` does not cover: the fuzz
/// target is the pure-Swift parser). Bytes inside the pixel data fragments are flipped or the
/// fragments cut short, deterministically; every variant must decode to frames of the stated size
/// or end in a ReaderError of one line (exit status 3), never a crash.
@Suite("corrupted JPEG and H.264 fragments through libavcodec: frames or one typed error", .serialized)
struct CorruptCodecInputTests {

    @Test("60 variants each", arguments: ["jpeg_baseline.dcm", "jpeg_baseline_2frag.dcm", "h264.dcm"])
    func variants(_ name: String) throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: try Reference.fixture(name)))
        let file = try DICOMFile(data: original, path: name)
        let fragments = try #require(file.dataSet[Tag.pixelData]?.fragments).dropFirst().filter { $0.count > 16 }
        try #require(!fragments.isEmpty)
        let (module, _) = try file.pixelModule()
        let scratch = try Scratch("corrupt-\(name)")
        var mixer = SplitMix64(seed: 6)
        var decodedWhole = 0, refused = 0
        for variant in 0..<60 {
            var bytes = [UInt8](original)
            let fragment = fragments[mixer.below(fragments.count)]
            if variant % 4 == 3 {
                // Cut the fragment's content to zeros from a point on (same length, so the parser is unaffected).
                let from = fragment.lowerBound + mixer.below(fragment.count)
                for i in from..<fragment.upperBound { bytes[i] = 0 }
            } else {
                for _ in 0..<(1 + mixer.below(12)) {
                    bytes[fragment.lowerBound + mixer.below(fragment.count)] = UInt8(truncatingIfNeeded: mixer.next())
                }
            }
            let path = scratch.path("v\(variant).dcm")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let source = try DICOMFrameSource(path: path)
                var count = 0
                while let frame = try source.nextFrame() {
                    #expect(frame.grey.width == module.columns && frame.grey.height == module.rows)
                    count += 1
                }
                #expect(count <= module.frameCount)
                decodedWhole += 1
            } catch {
                #expect(!error.description.contains("\n") && error.description.contains(path))
                refused += 1
            }
            if variant % 10 == 0 {
                let status = MSKCine.run(arguments: ["frames", path, "--out", scratch.path("out\(variant)")])
                #expect(status == 0 || status == 3)
            }
        }
        #expect(decodedWhole + refused == 60)
    }
}
