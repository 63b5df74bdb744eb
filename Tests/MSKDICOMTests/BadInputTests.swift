import Foundation
import MSKTestSupport
import MSKDICOM
import MSKReader
@testable import mskcine
import Testing

/// Builds small explicit-VR little-endian DICOM files byte by byte, so a test can break exactly
/// one thing (a length, a size, a marker) and nothing else.
struct MiniDICOM {
    var body: [UInt8] = []
    static func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16 & 0xFFFF) }
    static let longVRs: Set<String> = ["OB", "OW", "SQ", "UN", "UT", "UC", "UR", "OV"]

    static func element(_ g: Int, _ e: Int, _ vr: String, _ value: [UInt8], length: Int? = nil) -> [UInt8] {
        var out = u16(g) + u16(e) + Array(vr.utf8)
        let len = length ?? value.count
        out += longVRs.contains(vr) ? [0, 0] + u32(len) : u16(len)
        return out + value
    }
    static func text(_ s: String) -> [UInt8] {
        var b = Array(s.utf8)
        if b.count % 2 == 1 { b.append(s.first?.isNumber == true ? 0 : 0x20) }
        return b
    }

    /// Preamble, DICM and a meta group with `syntax`, then `dataSet`.
    static func file(syntax: String = "1.2.840.10008.1.2.1", _ dataSet: [UInt8]) -> Data {
        let metaBody = element(0x0002, 0x0001, "OB", [0, 1]) + element(0x0002, 0x0010, "UI", text(syntax))
        let meta = element(0x0002, 0x0000, "UL", u32(metaBody.count)) + metaBody
        return Data([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + meta + dataSet)
    }

    /// A valid 8x4 grey image, 2 frames, with `rows`/`columns` and pixel bytes as given.
    static func image(rows: Int = 4, columns: Int = 8, frames: Int = 2, pixels: [UInt8]? = nil, pixelLength: Int? = nil) -> [UInt8] {
        let px = pixels ?? (0..<(rows * columns * frames)).map { UInt8($0 % 256) }
        return element(0x0028, 0x0002, "US", u16(1)) + element(0x0028, 0x0004, "CS", text("MONOCHROME2"))
            + element(0x0028, 0x0008, "IS", text("\(frames)")) + element(0x0028, 0x0010, "US", u16(rows))
            + element(0x0028, 0x0011, "US", u16(columns)) + element(0x0028, 0x0100, "US", u16(8))
            + element(0x0028, 0x0101, "US", u16(8)) + element(0x0028, 0x0102, "US", u16(7))
            + element(0x7FE0, 0x0010, "OB", px, length: pixelLength)
    }
}

/// A bad input, how to make it, and the error it must be answered with.
struct BadDICOM: CustomTestStringConvertible, Sendable {
    let name: String
    let make: @Sendable () throws -> Data
    let expected: @Sendable (DICOMError) -> Bool
    var testDescription: String { name }

    static let all: [BadDICOM] = [
        BadDICOM(name: "empty file", make: { Data() }, expected: { if case .notDICOM = $0 { true } else { false } }),
        BadDICOM(name: "text file", make: { Data(String(repeating: "not a DICOM file\n", count: 20).utf8) },
                 expected: { if case .notDICOM = $0 { true } else { false } }),
        BadDICOM(name: "truncated file (cut in the pixel data)", make: {
            let full = MiniDICOM.file(MiniDICOM.image())
            return full.prefix(full.count - 20)
        }, expected: { if case .truncated = $0 { true } else { false } }),
        BadDICOM(name: "element length beyond the file", make: {
            MiniDICOM.file(MiniDICOM.element(0x0010, 0x0020, "LO", [], length: 60_000) + MiniDICOM.image())
        }, expected: { if case .truncated = $0 { true } else { false } }),
        BadDICOM(name: "4 GB element length (0xFFFFFFF0)", make: {
            MiniDICOM.file(MiniDICOM.element(0x0009, 0x0010, "OB", [], length: 0xFFFF_FFF0) + MiniDICOM.image())
        }, expected: { if case .truncated = $0 { true } else { false } }),
        BadDICOM(name: "absurd rows and columns (65535 x 65535)", make: {
            MiniDICOM.file(MiniDICOM.image(rows: 65535, columns: 65535, pixels: [1, 2, 3, 4]))
        }, expected: { if case .unsupportedImage(_, let r) = $0 { r.contains("65535") } else { false } }),
        BadDICOM(name: "zero rows", make: { MiniDICOM.file(MiniDICOM.image(rows: 0, pixels: [])) },
                 expected: { if case .unsupportedImage = $0 { true } else { false } }),
        BadDICOM(name: "pixel data shorter than one frame", make: {
            MiniDICOM.file(MiniDICOM.image(pixels: [1, 2, 3, 4]))
        }, expected: { if case .unsupportedImage(_, let r) = $0 { r.contains("less than one") } else { false } }),
        BadDICOM(name: "missing pixel data", make: {
            MiniDICOM.file(MiniDICOM.element(0x0010, 0x0020, "LO", MiniDICOM.text("P1")))
        }, expected: { if case .noPixelData = $0 { true } else { false } }),
        BadDICOM(name: "unsupported transfer syntax (HTJ2K)", make: {
            MiniDICOM.file(syntax: "1.2.840.10008.1.2.4.201", MiniDICOM.image())
        }, expected: { if case .unsupportedTransferSyntax(_, let uid, _) = $0 { uid == "1.2.840.10008.1.2.4.201" } else { false } }),
        BadDICOM(name: "sequences nested 200 deep", make: {
            let open = (0..<200).flatMap { _ in MiniDICOM.element(0x0008, 0x1115, "SQ", [], length: 0xFFFF_FFFF) + MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE000) + MiniDICOM.u32(0xFFFF_FFFF) }
            return MiniDICOM.file(open)
        }, expected: { if case .nestingTooDeep = $0 { true } else { false } }),
        BadDICOM(name: "undefined-length item never closed", make: {
            MiniDICOM.file(MiniDICOM.element(0x0018, 0x6011, "SQ", [], length: 0xFFFF_FFFF) + MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE000)
                           + MiniDICOM.u32(0xFFFF_FFFF) + MiniDICOM.element(0x0018, 0x6012, "US", MiniDICOM.u16(1)))
        }, expected: { if case .truncated = $0 { true } else { false } }),
        BadDICOM(name: "offset table pointing between fragments", make: {
            let item = { (bytes: [UInt8]) in MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE000) + MiniDICOM.u32(bytes.count) + bytes }
            let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xD9]
            let pixels = item(MiniDICOM.u32(0) + MiniDICOM.u32(7)) + item(jpeg) + item(jpeg)
                + MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE0DD) + MiniDICOM.u32(0)
            var set = MiniDICOM.image(pixels: [])
            set.removeLast(12) // drop the empty native pixel data element
            return MiniDICOM.file(syntax: "1.2.840.10008.1.2.4.50", set + MiniDICOM.element(0x7FE0, 0x0010, "OB", pixels, length: 0xFFFF_FFFF))
        }, expected: { if case .malformed(_, _, let r) = $0 { r.contains("offset table") } else { false } }),
        BadDICOM(name: "deflated data set that is not deflate data", make: {
            MiniDICOM.file(syntax: "1.2.840.10008.1.2.1.99", [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01])
        }, expected: { if case .inflateFailed = $0 { true } else { false } }),
        BadDICOM(name: "corrupt RLE frame", make: {
            let item = { (bytes: [UInt8]) in MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE000) + MiniDICOM.u32(bytes.count) + bytes }
            let rle = MiniDICOM.u32(1) + MiniDICOM.u32(64) + [UInt8](repeating: 0, count: 56) + [0x01, 0x05, 0x06, 0x00]
            let pixels = item([]) + item(rle) + item(rle) + MiniDICOM.u16(0xFFFE) + MiniDICOM.u16(0xE0DD) + MiniDICOM.u32(0)
            var set = MiniDICOM.image(pixels: [])
            set.removeLast(12)
            return MiniDICOM.file(syntax: "1.2.840.10008.1.2.5", set + MiniDICOM.element(0x7FE0, 0x0010, "OB", pixels, length: 0xFFFF_FFFF))
        }, expected: { if case .frameDecodingFailed(_, _, let r) = $0 { r.contains("RLE") } else { false } }),
    ] + (Reference.hasRealData ? [
        BadDICOM(name: "truncated real file (half of US1_UNCR.dcm)", make: {
            let full = try Data(contentsOf: Reference.realDICOM.appendingPathComponent("US1_UNCR.dcm"))
            return full.prefix(full.count / 2)
        }, expected: { if case .truncated = $0 { true } else { false } }),
    ] : [])
}

@Suite("Bad DICOM input: a typed error, one line, exit status 3")
struct BadInputTests {
    @Test("each bad file is answered with its own error", arguments: BadDICOM.all)
    func badInput(_ input: BadDICOM) throws {
        let scratch = try Scratch("bad")
        let path = scratch.path("bad.dcm")
        try input.make().write(to: URL(fileURLWithPath: path))
        var caught: DICOMError?
        do {
            let source = try DICOMFrameSource(path: path)
            while try source.nextFrame() != nil {}
        } catch {
            if case .dicom(let e) = error { caught = e } else { Issue.record("\(input.name): not a DICOM error: \(error)") }
        }
        let error = try #require(caught, "\(input.name): the file was accepted")
        #expect(input.expected(error), "\(input.name): unexpected error \(error)")
        let line = error.description
        #expect(!line.contains("\n") && line.contains(path) && line.contains(";"), "\(input.name): \(line)")
        #expect(MSKCine.run(arguments: ["probe", path, "--count"]) == 3, "\(input.name): exit status")
    }

    @Test("the binary prints one line on stderr and nothing on stdout for a truncated DICOM",
          .enabled(if: Reference.hasRealData, "../shared/data/real-dicom is not on this machine"))
    func endToEnd() throws {
        let scratch = try Scratch("bad-e2e")
        let path = scratch.path("cut.dcm")
        let full = try Data(contentsOf: Reference.realDICOM.appendingPathComponent("US1_UNCR.dcm"))
        try full.prefix(5000).write(to: URL(fileURLWithPath: path))
        let result = try Binary.run(try Binary.mskcine(), ["probe", path])
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(path), "stderr: \(result.stderr)")
    }

    @Test("a frame spread over two fragments decodes as the same frame in one fragment")
    func multiFragmentFrames() throws {
        let one = try DICOMFrameSource(path: try Reference.fixture("jpeg_baseline.dcm"))
        let two = try DICOMFrameSource(path: try Reference.fixture("jpeg_baseline_2frag.dcm"))
        guard case .encapsulated(let frames) = two.module.storage else { Issue.record("not encapsulated"); return }
        #expect(frames.count == 4 && frames.allSatisfy { $0.count == 2 })
        var n = 0
        while let a = try one.nextFrame() {
            let b = try #require(try two.nextFrame())
            #expect(a.grey == b.grey)
            n += 1
        }
        #expect(n == 4)
    }

    @Test("a valid mini file parses: the builder itself is right")
    func miniFileIsValid() throws {
        let scratch = try Scratch("mini")
        let path = scratch.path("ok.dcm")
        try MiniDICOM.file(MiniDICOM.image()).write(to: URL(fileURLWithPath: path))
        let source = try DICOMFrameSource(path: path)
        let first = try #require(try source.nextFrame())
        #expect(first.grey.pixels == (0..<32).map { UInt8($0) })
        #expect(try source.nextFrame()?.grey.pixels.first == 32)
        #expect(try source.nextFrame() == nil)
        #expect(source.info.frameCount == 2 && source.info.fps == nil)
    }
}

