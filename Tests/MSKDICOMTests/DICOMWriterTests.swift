import MSKImage
import Foundation
import MSKDICOM
import MSKLabels
import MSKReader
import MSKSimulator
import MSKSynth
import Testing

/// The simulator's DICOM (US Multi-frame Image Storage) against dcmdump and pydicom, and the
/// frames the simulator rendered.
@Suite("DICOM writer: dcmdump and pydicom read what the simulator writes", .serialized)
struct DICOMWriterTests {
    static func parameters(canvas: Bool) -> SimulationParameters {
        var p = SimulationParameters.preset(case: .partial, seed: 11, width: 160, height: 120, mmPerPixel: 0.1,
                                            frameCount: 5, fps: 30, exportCanvas: canvas)
        p.mmPerPixelX = 0.125
        p.patientId = "P042"
        p.studyDate = "2026-03-04"
        p.side = "left"
        return p
    }

    static func write(canvas: Bool, into scratch: Scratch, name: String = "sim") throws -> (String, SynthJob) {
        var job = SynthJob(name: name, parameters: parameters(canvas: canvas))
        job.format = .dicom
        let result = try Synthesizer.write(job, into: scratch.url.path)
        #expect(result.clipPath.hasSuffix("\(name).dcm") && result.frames == 5)
        return (result.clipPath, job)
    }

    @Test("tags as dcmdump prints them: SOP class, syntax, frames, timing, identity, the ultrasound region", arguments: [false, true])
    func tags(canvas: Bool) throws {
        let scratch = try Scratch("writer-tags")
        let (path, job) = try Self.write(canvas: canvas, into: scratch)
        let p = job.parameters
        let region = CineSimulator(parameters: p).imagingRegion
        let labels = try JSONDecoder().decode(LabelsDocument.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.path("sim.labels.json"))))
        #expect(labels.imagingRegion == region && labels.clip == "sim.dcm")
        func tag(_ t: String) throws -> String? { try Reference.dcmdump(path, t) }
        #expect(try tag("0002,0002") == "1.2.840.10008.5.1.4.1.1.3.1" || tag("0002,0002") == "=UltrasoundMultiframeImageStorage")
        let sopClass = try #require(try tag("0008,0016"))
        #expect(sopClass.contains("UltrasoundMultiframeImageStorage") || sopClass == "1.2.840.10008.5.1.4.1.1.3.1")
        let syntax = try #require(try tag("0002,0010"))
        #expect(syntax.contains("LittleEndianExplicit") || syntax == "1.2.840.10008.1.2.1")
        #expect(try tag("0028,0008") == "\(p.frameCount)")
        #expect(try tag("0028,0010") == "\(p.height)" && tag("0028,0011") == "\(p.width)")
        #expect(try tag("0028,0002") == (canvas ? "3" : "1"))
        #expect(try tag("0028,0004") == (canvas ? "RGB" : "MONOCHROME2"))
        #expect(try tag("0028,0100") == "8" && tag("0028,0101") == "8")
        let frameTime = try #require(Double(try tag("0018,1063") ?? ""))
        #expect(abs(frameTime - 1000 / p.fps) < 1e-9)
        #expect(try tag("0018,0040") == "\(Int(p.fps))")
        #expect(try tag("0010,0020") == "P042" && tag("0008,0020") == "20260304" && tag("0020,0060") == "L")
        #expect(try tag("0018,6012") == "1" && tag("0018,6014") == "1")
        #expect(try tag("0018,6024") == "3" && tag("0018,6026") == "3")
        #expect(try tag("0018,6018") == "\(region.x)" && tag("0018,601a") == "\(region.y)")
        #expect(try tag("0018,601c") == "\(region.x + region.width - 1)" && tag("0018,601e") == "\(region.y + region.height - 1)")
        let deltaX = try #require(Double(try tag("0018,602c") ?? ""))
        let deltaY = try #require(Double(try tag("0018,602e") ?? ""))
        #expect(abs(deltaX - p.mmPerPixelX / 10) < 1e-12 && abs(deltaY - p.mmPerPixelY / 10) < 1e-12)
        // MSKDICOM reads the same calibration and region back.
        let source = try DICOMFrameSource(path: path)
        let calibration = try #require(source.info.calibration)
        #expect(calibration.mmPerPixel == [p.mmPerPixelX, p.mmPerPixelY] && calibration.detail == "dicom-us-region")
        #expect(calibration.region == region)
        #expect(source.warnings.isEmpty, "\(source.warnings)")
    }

    @Test("pixels: pydicom's pixel_array equals the simulator's frames (and MSKCine's reader)", arguments: [false, true])
    func pixels(canvas: Bool) throws {
        let scratch = try Scratch("writer-pixels")
        let (path, job) = try Self.write(canvas: canvas, into: scratch)
        let reference = try Reference.pydicom(path)
        #expect(reference.frames == job.parameters.frameCount)
        #expect(reference.summary["transferSyntax"] as? String == "1.2.840.10008.1.2.1")
        let simulator = CineSimulator(parameters: job.parameters)
        let size = job.parameters.width * job.parameters.height * (canvas ? 3 : 1)
        try #require(reference.raw.count == size * reference.frames)
        let reader = try DICOMFrameSource(path: path, options: ReaderOptions(wantRGB: canvas))
        for index in 0..<reference.frames {
            let rendered = simulator.renderFrame(index)
            let expected = canvas ? rendered.rgb.pixels : rendered.grey.pixels
            #expect([UInt8](reference.raw.subdata(in: (index * size)..<((index + 1) * size))) == expected,
                    "frame \(index): pydicom's pixels differ from the simulator's")
            let frame = try #require(try reader.nextFrame())
            #expect((canvas ? frame.rgb?.pixels : frame.grey.pixels) == expected)
        }
        #expect(try reader.nextFrame() == nil)
    }

    @Test("same parameters, same bytes; UIDs are valid and change with the seed")
    func deterministic() throws {
        let a = try Scratch("writer-a"), b = try Scratch("writer-b")
        let (pathA, _) = try Self.write(canvas: false, into: a)
        let (pathB, _) = try Self.write(canvas: false, into: b)
        #expect(try Data(contentsOf: URL(fileURLWithPath: pathA)) == Data(contentsOf: URL(fileURLWithPath: pathB)))
        var other = SynthJob(name: "other", parameters: Self.parameters(canvas: false))
        // Serial study of one anatomy: a new speckle/motion seed, the same anatomy seed.
        other.parameters.anatomySeed = 11
        other.parameters.seed = 12
        other.format = .dicom
        let pathC = try Synthesizer.write(other, into: a.url.path).clipPath
        for tag in ["0020,000d", "0020,000e", "0008,0018"] {
            let uid = try #require(try Reference.dcmdump(pathA, tag))
            #expect(uid.count <= 64 && uid.hasPrefix("2.25."))
            #expect(uid.split(separator: ".", omittingEmptySubsequences: false)
                .allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) && ($0 == "0" || !$0.hasPrefix("0")) })
        }
        // A study is one anatomy, patient and date: a new speckle seed is a new series and instance, same study.
        #expect(try Reference.dcmdump(pathA, "0020,000d") == Reference.dcmdump(pathC, "0020,000d"))
        #expect(try Reference.dcmdump(pathA, "0020,000e") != Reference.dcmdump(pathC, "0020,000e"))
        #expect(try Reference.dcmdump(pathA, "0008,0018") != Reference.dcmdump(pathC, "0008,0018"))
    }

    @Test("misuse: wrong frame size, too few frames, a dropped writer: typed errors and no file left")
    func misuse() throws {
        let scratch = try Scratch("writer-misuse")
        let d = DICOMClip.description(parameters: Self.parameters(canvas: false), region: PixelRect(x: 0, y: 0, width: 160, height: 120),
                                      samplesPerPixel: 1)
        let path = scratch.path("x.dcm")
        let writer = try DICOMWriter(path: path, description: d)
        #expect(throws: DICOMWriteError.frameSizeMismatch(path: path, expected: 160 * 120, got: 3)) { try writer.append([1, 2, 3]) }
        try writer.append([UInt8](repeating: 7, count: 160 * 120))
        #expect(throws: DICOMWriteError.frameCountMismatch(path: path, expected: 5, got: 1)) { try writer.finish() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        do {
            let dropped = try DICOMWriter(path: path, description: d)
            try dropped.append([UInt8](repeating: 7, count: 160 * 120))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        var bad = d
        bad.region = (0, 0, 160, 119)
        #expect(throws: DICOMWriteError.self) { try DICOMWriter(path: path, description: bad) }
        #expect(!DICOMWriteError.frameCountMismatch(path: path, expected: 5, got: 1).description.contains("\n"))
    }
}
