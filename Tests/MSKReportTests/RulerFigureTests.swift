import Foundation
import MSKAnalysis
import MSKImage
import MSKReader
import MSKReport
import Testing

@Suite("The report's calibration section shows the depth ruler that was read")
struct RulerFigureTests {
    static let clip = Fixtures.root.deletingLastPathComponent()
        .appendingPathComponent("shared/data/real-video/p6_isokinetic500_01_push_01.mp4").path

    @Test("a Telemed export: the ruler crop marks every tick row read (cyan) and the numbers' boxes (yellow); the HTML shows it with its caption",
          .enabled(if: FileManager.default.fileExists(atPath: clip), "../shared/data is not on this machine: the real export is skipped"))
    func telemedRuler() throws {
        let analysis = try ClipAnalyzer.analyze(source: try openClip(path: Self.clip), options: AnalysisOptions())
        let screen = try #require(analysis.screen)
        let scale = try #require(screen.scale)
        let first = try #require(try openClip(path: Self.clip, options: ClipOptions(reader: ReaderOptions(wantRGB: true))).nextFrame())
        let image = try #require(first.rgb)
        let figure = try #require(RulerFigure.draw(on: image, screen: screen))
        // The crop starts 16 rows above the top tick: every tick row read carries cyan pixels.
        let oy = Int(scale.tickRows.first!) - 16
        func isCyan(_ x: Int, _ y: Int) -> Bool {
            let k = 3 * (y * figure.width + x)
            return figure.pixels[k] == RGB.caliper.r && figure.pixels[k + 1] == RGB.caliper.g && figure.pixels[k + 2] == RGB.caliper.b
        }
        for row in scale.tickRows {
            let y = Int(row.rounded()) - oy
            #expect((0..<figure.width).contains { isCyan($0, y) }, "no mark at tick row \(row)")
        }
        // Away from the tick rows nothing is cyan in the ruler's column band.
        let mid = Int((scale.tickRows[0] + scale.tickRows[1]) / 2) - oy
        #expect(!(0..<figure.width).contains { isCyan($0, mid) })
        let dir = try Fixtures.temporaryDirectory("ruler-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("r.html").path
        try ClipReporter.write(analysis, to: ReportOutputs(html: html), sha256: nil, engineVersion: "test")
        let text = try String(contentsOfFile: html, encoding: .utf8)
        #expect(text.contains("depth ruler read") && text.contains("&quot;0&quot; at tick 0") && text.contains("&quot;50&quot; at tick 5"))
        #expect(text.contains("read from the depth ruler on the screen"))
    }
}
