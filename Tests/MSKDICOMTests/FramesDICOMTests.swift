import Foundation
@testable import mskcine
import Testing

/// `mskcine frames` on DICOM against pydicom's decode of the same file.
@Suite("mskcine frames on DICOM equals pydicom", .serialized)
struct FramesDICOMTests {
    /// Payload of a binary PGM/PPM whose header is exactly `P5|P6\nW H\n255\n`.
    static func payload(_ path: String, magic: String, width: Int, height: Int) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = Data("\(magic)\n\(width) \(height)\n255\n".utf8)
        try #require(data.prefix(header.count) == header, "\(path): header is not \(magic) \(width)x\(height)")
        return data.dropFirst(header.count)
    }

    @Test("8-bit MONOCHROME2 as PGM: every frame equals pydicom's pixel_array", arguments: ["grey8_explicit.dcm", "grey8_rle.dcm"])
    func grey(_ name: String) throws {
        let path = try Reference.fixture(name)
        let reference = try Reference.pydicom(path)
        let scratch = try Scratch("frames")
        let out = scratch.path("out")
        #expect(MSKCine.run(arguments: ["frames", path, "--out", out]) == 0)
        let rows = try #require(reference.summary["rows"] as? Int), columns = try #require(reference.summary["columns"] as? Int)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files.count == reference.frames && reference.frames > 1)
        for index in 0..<reference.frames {
            let mine = try Self.payload((out as NSString).appendingPathComponent(String(format: "frame_%06d.pgm", index)),
                                        magic: "P5", width: columns, height: rows)
            let expected = reference.raw.subdata(in: (index * rows * columns)..<((index + 1) * rows * columns))
            #expect(mine == expected, "\(name) frame \(index): PGM differs from pydicom")
        }
    }

    @Test("PALETTE COLOR as PPM (--rgb, --every 3): equals pydicom's palette lookup",
          .enabled(if: Reference.hasRealData, "../shared/data/real-dicom is not on this machine"))
    func palette() throws {
        let path = Reference.realDICOM.appendingPathComponent("US-PAL-8-10x-echo.dcm").path
        let reference = try Reference.pydicom(path)
        let rgb = try #require(reference.rgb)
        let scratch = try Scratch("frames-rgb")
        let out = scratch.path("out")
        #expect(MSKCine.run(arguments: ["frames", path, "--out", out, "--rgb", "--every", "3"]) == 0)
        let rows = try #require(reference.summary["rows"] as? Int), columns = try #require(reference.summary["columns"] as? Int)
        let written = stride(from: 0, to: reference.frames, by: 3).map { String(format: "frame_%06d.ppm", $0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == written)
        let size = rows * columns * 3
        for index in stride(from: 0, to: reference.frames, by: 3) {
            let mine = try Self.payload((out as NSString).appendingPathComponent(String(format: "frame_%06d.ppm", index)),
                                        magic: "P6", width: columns, height: rows)
            #expect(mine == rgb.subdata(in: (index * size)..<((index + 1) * size)), "frame \(index): PPM differs from pydicom")
        }
    }
}
