import MSKImage
import Foundation
import MSKAnalysis
import MSKDICOM
import MSKImaging
import MSKReader
@testable import mskcine
import Testing

/// Issue 6: analysis of a DICOM clip equals that of the same frames as FFV1 video.
@Suite("analysis of a simulated DICOM clip equals that of the same frames as FFV1")
struct DICOMAnalysisEqualityTests {
    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?): return x == y || abs(x - y) <= 1e-9
        default: return false
        }
    }

    @Test("same case and seed as DICOM (file calibration and region) and FFV1 (--mm-per-pixel, --roi): every measurement and the finding")
    func equal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-dicom-eq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["synth", dir.path, "--case", "full", "--seed", "5", "--size", "320x240", "--frames", "30",
                      "--mm-per-pixel", "0.12,0.1", "--name", "c"]
        #expect(MSKCine.run(arguments: common + ["--codec", "dicom"]) == 0)
        #expect(MSKCine.run(arguments: common + ["--codec", "ffv1"]) == 0)
        let dicomPath = dir.appendingPathComponent("c.dcm").path, videoPath = dir.appendingPathComponent("c.mkv").path

        // The same pixels go in.
        let a = try openClip(path: dicomPath), b = try openClip(path: videoPath)
        #expect(a is DICOMFrameSource && b is VideoReader)
        var frames = 0
        while let fa = try a.nextFrame() {
            let fb = try #require(try b.nextFrame())
            #expect(fa.grey == fb.grey, "frame \(fa.index): DICOM and FFV1 pixels differ")
            frames += 1
        }
        #expect(try b.nextFrame() == nil && frames == 30)

        let region = try #require(try openClip(path: dicomPath).info.calibration?.region)
        #expect(region == PixelRect(x: 0, y: 0, width: 320, height: 240))
        let fromDICOM = try ClipAnalyzer.analyze(source: try openClip(path: dicomPath), options: AnalysisOptions())
        let fromVideo = try ClipAnalyzer.analyze(source: try openClip(path: videoPath),
                                                 options: AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: 0.12, mmPerPixelY: 0.1),
                                                                          roi: region))
        #expect(fromDICOM.calibrationSource == .dicom && fromVideo.calibrationSource == .cli)
        #expect(fromDICOM.calibration == fromVideo.calibration && fromDICOM.unit == .mm && fromVideo.unit == .mm)
        #expect(fromDICOM.imagingRegion == fromVideo.imagingRegion)
        #expect(fromDICOM.frames.count == 30 && fromVideo.frames.count == 30)
        for (x, y) in zip(fromDICOM.frames, fromVideo.frames) {
            let same = x.index == y.index && Self.close(x.timeS, y.timeS)
                && x.gapWidth.unit == y.gapWidth.unit && Self.close(x.gapWidth.value, y.gapWidth.value)
                && x.endSeparation.unit == y.endSeparation.unit && Self.close(x.endSeparation.value, y.endSeparation.value)
                && Self.close(x.defectDepthFraction, y.defectDepthFraction)
                && x.muscleThickness?.unit == y.muscleThickness?.unit && Self.close(x.muscleThickness?.value, y.muscleThickness?.value)
                && Self.close(x.echoIntensity, y.echoIntensity) && Self.close(x.contraction, y.contraction)
                && x.muscleDetected == y.muscleDetected && x.defectDetected == y.defectDetected
            #expect(same, "frame \(x.index): DICOM \(x) vs FFV1 \(y)")
        }
        #expect(fromDICOM.finding == fromVideo.finding)
        #expect(fromDICOM.summary == fromVideo.summary)
        #expect(fromDICOM.defectBox == fromVideo.defectBox && fromDICOM.contractionSeen == fromVideo.contractionSeen)
        // Not vacuous: the clip holds a tear the analysis measured.
        #expect(fromDICOM.finding.classification == .fullThicknessTear)
        #expect(fromDICOM.frames.contains { $0.defectDetected && $0.gapWidth.value > 0 })
    }
}
