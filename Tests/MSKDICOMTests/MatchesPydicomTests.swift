import MSKImage
import Foundation
import MSKDICOM
import MSKReader
import Testing

/// Decoded frames and tags against pydicom and dcmdump, on the real files and on fixtures
/// pydicom writes (every transfer syntax and photometric interpretation MSKDICOM reads natively).
@Suite("MSKDICOM matches pydicom and dcmdump", .serialized)
struct MatchesPydicomTests {
    static let allFiles: [String] = Reference.realFiles.map { "real:" + $0 } + Reference.fixtureFiles.map { "fixture:" + $0 }

    static func resolve(_ name: String) throws -> String {
        if name.hasPrefix("real:") { return Reference.realDICOM.appendingPathComponent(String(name.dropFirst(5))).path }
        return try Reference.fixture(String(name.dropFirst(8)))
    }

    @Test("frames equal pydicom's: bit for bit for native and RLE, within 1 grey level for JPEG", arguments: allFiles)
    func framesMatch(_ name: String) throws {
        let path = try Self.resolve(name)
        let reference = try Reference.pydicom(path)
        let file = try DICOMFile(path: path)
        let (module, _) = try file.pixelModule()
        #expect(module.rows == reference.summary["rows"] as? Int)
        #expect(module.columns == reference.summary["columns"] as? Int)
        #expect(module.frameCount == reference.frames)
        #expect(file.transferSyntax.uid == reference.summary["transferSyntax"] as? String)
        let pixels = module.rows * module.columns
        let spp = reference.summary["samplesPerPixel"] as? Int ?? 1
        let sampleBytes = reference.summary["dtype"] as? String == "uint16" ? 2 : 1
        let frameBytes = pixels * spp * sampleBytes
        try #require(reference.raw.count == frameBytes * reference.frames)

        if file.transferSyntax.compression == .none || file.transferSyntax.compression == .rle {
            for index in 0..<module.frameCount {
                let raw = try file.rawFrame(index, module: module)
                let expected = reference.raw.subdata(in: (index * frameBytes)..<((index + 1) * frameBytes))
                let mine: Data
                switch raw.samples {
                case .uint8(let v): mine = Data(v)
                case .uint16(let v): mine = v.withUnsafeBufferPointer { Data(buffer: $0) } // little-endian host
                }
                #expect(mine == expected, "\(name) frame \(index): raw samples differ from pydicom's")
                if let rgb = reference.rgb, let converted = DisplayConversion.rgb8(raw, module: module) {
                    let expectedRGB = [UInt8](rgb.subdata(in: (index * pixels * 3)..<((index + 1) * pixels * 3)))
                    let worst = zip(converted, expectedRGB).map { abs(Int($0) - Int($1)) }.max() ?? 0
                    // Palette and RGB are lookups (exact); YBR->RGB is float arithmetic (pydicom's own rounding).
                    #expect(worst <= (module.photometric.hasPrefix("YBR") ? 1 : 0), "\(name) frame \(index): RGB differs by \(worst)")
                }
            }
        }
        // Through the frame source: grey equals pydicom's luma for YBR (JPEG or native) and the
        // stored value for 8-bit MONOCHROME2; RGB equals pydicom's RGB for RGB and palette.
        let source = try DICOMFrameSource(path: path, options: ReaderOptions(wantRGB: true))
        var worstGrey = 0, count = 0
        while let frame = try source.nextFrame() {
            let start = frame.index * frameBytes
            if module.photometric.hasPrefix("YBR") || (module.photometric == "MONOCHROME2" && sampleBytes == 1) {
                let ref = reference.raw
                ref.withUnsafeBytes { r in
                    for p in 0..<pixels {
                        worstGrey = max(worstGrey, abs(Int(frame.grey.pixels[p]) - Int(r[start + p * spp])))
                    }
                }
            }
            if module.photometric == "RGB" || module.photometric == "PALETTE COLOR", let rgb = reference.rgb {
                let expectedRGB = [UInt8](rgb.subdata(in: (frame.index * pixels * 3)..<((frame.index + 1) * pixels * 3)))
                #expect(frame.rgb?.pixels == expectedRGB, "\(name) frame \(frame.index): RGB through the frame source differs")
            }
            count += 1
        }
        #expect(count == reference.frames)
        let tolerance = file.transferSyntax.compression == .jpeg ? 1 : 0
        #expect(worstGrey <= tolerance, "\(name): grey differs from pydicom by up to \(worstGrey)")
        print("MSKDICOM-vs-pydicom \(name): \(count) frames, largest grey difference \(worstGrey)")
    }

    @Test("tags and ultrasound regions equal dcmdump's", arguments: allFiles)
    func tagsMatchDcmdump(_ name: String) throws {
        let path = try Self.resolve(name)
        try Reference.requireTools()
        let file = try DICOMFile(path: path)
        let id = file.identity()
        let checks: [(String, String?)] = [
            ("0010,0020", id.patientID), ("0020,000d", id.studyInstanceUID), ("0020,000e", id.seriesInstanceUID),
            ("0008,0018", id.sopInstanceUID), ("0008,0020", id.studyDate), ("0008,0060", id.modality),
            ("0008,0070", id.manufacturer), ("0008,1090", id.manufacturerModelName),
        ]
        for (tag, mine) in checks {
            let theirs = try Reference.dcmdump(path, tag).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect((theirs?.isEmpty == false ? theirs : nil) == mine, "\(name) \(tag): dcmdump \(theirs ?? "nil"), MSKDICOM \(mine ?? "nil")")
        }
        let regions = file.ultrasoundRegions()
        if let first = regions.first {
            #expect(try Reference.dcmdump(path, "0018,6018").flatMap { Int($0) } == first.minX0)
            #expect(try Reference.dcmdump(path, "0018,601e").flatMap { Int($0) } == first.maxY1)
            let dx = try Reference.dcmdump(path, "0018,602c").flatMap { Double($0) }
            #expect(dx.map { abs($0 - first.physicalDeltaX) < 1e-12 } == true, "\(name): PhysicalDeltaX \(String(describing: dx)) vs \(first.physicalDeltaX)")
        } else {
            #expect(try Reference.dcmdump(path, "0018,6011") == nil, "\(name): dcmdump sees ultrasound regions MSKDICOM missed")
        }
        #expect(id.patientName == nil && id.patientBirthDate == nil, "names are read only when asked")
    }

    @Test("calibration, imaging region, timing and identity of the fixtures")
    func fixtureCalibration() throws {
        let file = try DICOMFile(path: try Reference.fixture("grey8_implicit.dcm"))
        let (calibration, notes) = file.calibration(columns: 64, rows: 48)
        #expect(notes.isEmpty)
        let c = try #require(calibration)
        #expect(c.source == .ultrasoundRegion)
        #expect(abs(c.mmPerPixel[0] - 0.125) < 1e-12 && abs(c.mmPerPixel[1] - 0.15) < 1e-12)
        #expect(c.region == PixelRect(x: 4, y: 2, width: 56, height: 44))
        let timing = file.frameTiming(frameCount: 4)
        #expect(timing.source == .frameTime && abs(timing.frameIntervalS - 0.04) < 1e-12 && timing.timesS == nil)
        let named = file.identity(includePatientNameAndBirthDate: true)
        #expect(named.patientName == "Test^Patient" && named.patientBirthDate == "19700101")
        #expect(named.laterality == "R" && named.bodyPartExamined == "THIGH" && named.transducer == "L12-5")

        let spacing = try DICOMFile(path: try Reference.fixture("grey8_pixel_spacing.dcm"))
        let s = try #require(spacing.calibration(columns: 64, rows: 48).0)
        #expect(s.source == .pixelSpacing && s.mmPerPixel == [0.1, 0.2] && s.region == nil)
    }

    @Test("calibration of real files: color3d's region is inside its image; examples_ybr_color's is not (said so)",
          .enabled(if: Reference.hasRealData, "../shared/data/real-dicom is not on this machine"))
    func realFileCalibration() throws {
        let color3d = try DICOMFile(path: Reference.realDICOM.appendingPathComponent("color3d_jpeg_baseline.dcm").path)
        let c3 = try #require(color3d.calibration(columns: 640, rows: 480).0)
        #expect(abs(c3.mmPerPixel[0] - 0.51049705594778061) < 1e-12)
        let ybr = try DICOMFile(path: Reference.realDICOM.appendingPathComponent("examples_ybr_color.dcm").path)
        let (none, why) = ybr.calibration(columns: 320, rows: 240)
        #expect(none == nil)
        #expect(why.count == 1 && why[0].contains("outside the 320x240 image"))
    }

    @Test("openClip picks DICOM by content and fills ClipInfo")
    func openClipByContent() throws {
        let path = try Reference.fixture("grey8_explicit.dcm")
        // A misleading extension: content decides.
        let scratch = try Scratch("openclip")
        let renamed = scratch.path("clip.mp4")
        try FileManager.default.copyItem(atPath: path, toPath: renamed)
        let source = try openClip(path: renamed)
        #expect(source is DICOMFrameSource)
        #expect(source.info.container == "dicom" && source.info.frameCount == 4 && source.info.fps == 25)
        #expect(source.info.calibration?.mmPerPixel == [0.125, 0.15] || abs((source.info.calibration?.mmPerPixel[0] ?? 0) - 0.125) < 1e-12)
        #expect(source.info.calibration?.source == "dicom")
        #expect(source.info.dicom?.patientID == "P001" && source.info.dicom?.patientName == nil)
        let times = try (0..<4).map { _ in try #require(try source.nextFrame()).timeS }
        #expect(times == [0, 0.04, 0.08, 0.12])
        #expect(try source.nextFrame() == nil)
    }

    @Test("H.264 fragments decode as ffmpeg decodes the same elementary stream")
    func h264MatchesFFmpeg() throws {
        let path = try Reference.fixture("h264.dcm")
        let stream = try Reference.fixture("h264.h264")
        let expected = try Reference.run("/usr/bin/ffmpeg", ["-v", "error", "-i", stream, "-fps_mode", "passthrough",
                                                             "-pix_fmt", "gray", "-f", "rawvideo", "-"])
        let source = try DICOMFrameSource(path: path)
        #expect(source.info.codec == "h264" && source.info.frameCount == 8)
        var grey = Data()
        var times: [Double] = []
        while let frame = try source.nextFrame() {
            grey.append(contentsOf: frame.grey.pixels)
            times.append(frame.timeS)
        }
        #expect(times.count == 8)
        #expect(grey == expected, "H.264 grey differs from ffmpeg's decode")
        #expect(abs((times.last ?? 0) - 0.28) < 1e-9)
    }
}
