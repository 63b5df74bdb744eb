import Foundation
@testable import MSKAnalysis
import MSKImaging
import MSKReader
import Testing

@Suite("Screen calibration: an uncalibrated export is measured in mm from its own depth ruler, and only then")
struct ScreenCalibrationTests {
    @Test("A Telemed export (0-50 mm ruler) is calibrated from the screen at the ruler's 0.0881 mm per pixel; --mm-per-pixel wins",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func telemed() throws {
        let path = RealLayouts.dataRoot.appendingPathComponent("real-video/p6_isokinetic500_01_push_01.mp4").path
        let a = try ClipAnalyzer.analyze(source: try openClip(path: path), options: AnalysisOptions())
        #expect(a.calibrationSource == .screen && a.unit == .mm)
        let c = try #require(a.calibration)
        #expect(abs(c.mmPerPixelY - 0.0881) < 0.0881 * 0.01, "\(c)")
        #expect(a.warnings.contains { $0.contains("depth scale drawn beside the image") })
        let given = try ClipAnalyzer.analyze(source: try openClip(path: path), options: AnalysisOptions(mmPerPixel: Spacing(mmPerPixelX: 0.09, mmPerPixelY: 0.09)))
        #expect(given.calibrationSource == .cli && given.calibration?.mmPerPixelX == 0.09)
    }

    @Test("Without a ruler nothing is invented: lengths stay in pixels",
          .enabled(if: RealLayouts.available, "../shared/data is not on this machine"))
    func noRuler() throws {
        let path = RealLayouts.dataRoot.appendingPathComponent("real-labelled/tt1_S1_L.mkv").path
        let a = try ClipAnalyzer.analyze(source: try openClip(path: path), options: AnalysisOptions())
        #expect(a.calibrationSource == .none && a.unit == .px && a.calibration == nil)
    }
}
