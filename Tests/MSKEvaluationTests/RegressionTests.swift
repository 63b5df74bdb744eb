import Foundation
@testable import MSKAnalysis
import MSKEvaluation
import MSKImage
import MSKImaging
import MSKLabels
import MSKReader
import Testing

/// `regress` on small label fixtures: sparse pixel labels, observers, both thickness rules, angles.
@Suite struct RegressionGeometryTests {
    /// A two-frame uncalibrated analysis whose edges are known lines (imaging region at (10, 20)).
    static func analysis() -> ClipAnalysis {
        let region = PixelRect(x: 10, y: 20, width: 200, height: 150)
        let info = ClipInfo(path: "fixture.png", container: "png_pipe", containerLongName: "piped png sequence", codec: "png",
                            width: 220, height: 180, pixelFormat: "gray", fps: 10, frameCount: 2, durationS: nil, startTimeS: nil,
                            rotationDegrees: 0)
        var frames: [FrameMeasurement] = []
        var overlays: [FrameOverlay] = []
        for t in 0..<2 {
            var f = FrameMeasurement(index: t, timeS: Double(t) / 10, gapWidth: Length(0, .px), endSeparation: Length(0, .px),
                                     defectDepthFraction: 0, muscleThickness: Length(100, .px), echoIntensity: 60, contraction: 0,
                                     muscleDetected: true, defectDetected: false)
            f.fascicleAngleDeg = 20 + Double(t)
            f.deepAponeurosisAngleDeg = 2
            f.pennationAngleDeg = 18 + Double(t)
            frames.append(f)
            // Superficial inner edge: region row 30 + 0.1 x; deep: region row 130 (flat).
            overlays.append(FrameOverlay(superficialInner: Quadratic(c0: 30, c1: 0.1), deepInner: Quadratic(c0: 130)))
        }
        let summary = ClipSummary(restGapWidth: nil, peakGapWidth: nil, gapWidening: nil, restEndSeparation: nil, peakEndSeparation: nil,
                                  endSeparationChange: nil, meanMuscleThickness: nil, meanEchoIntensity: nil, maxDefectDepthFraction: 0,
                                  restFrameCount: 2, peakFrameCount: 0)
        return ClipAnalysis(info: info, calibration: nil, calibrationSource: .none, unit: .px, imagingRegion: region,
                            imagingRegionSource: "detected", frames: frames, summary: summary,
                            finding: Finding(classification: .noTear, confidence: 0.5, evidence: []), warnings: [],
                            contractionSeen: false, thicknessRange: nil, defectBox: nil, overlays: overlays)
    }

    static func labels(rule: ThicknessRule?) throws -> LabelsDocument {
        let json = """
        {"schema": "mskcine.labels/1", "clip": "fixture.png", "classification": "no-tear",
         "frames": [{"index": 1, "muscleThicknessPx": 80, "superficialEdgeRowPx": 70, "deepEdgeRowPx": 150,
                     "fascicleAngleDeg": 20, "pennationAngleDeg": 17}],
         "observers": {"names": ["a", "b", "c"], "unit": "px", "muscleThickness": [[78, 82, null]],
                       "fascicleAngleDeg": [[19, 21.5, 19.5]]}}
        """
        var doc = try LabelsDocument.decode(from: Data(json.utf8))
        doc.thicknessRule = rule
        return doc
    }

    @Test func verticalAtXComparesTheEdgesAtThatColumn() throws {
        // Frame column 110 = region column 100: superficial 20 + 30 + 10 = 60, deep 20 + 130 = 150: 90 px.
        let labels = try Self.labels(rule: ThicknessRule(kind: ThicknessRule.verticalAtX, x: 110))
        let g = Regression.compare(Self.analysis(), with: labels).geometry
        #expect(g.labelledFrames == 1)
        #expect(g.muscleFound == 1)
        let thickness = try #require(g.errors["muscleThickness"])
        #expect(thickness.count == 1)
        #expect(abs(thickness[0] - 10) < 1e-9)
        #expect(abs(try #require(g.errors["superficialEdgeRowPx"])[0] - (60 - 70)) < 1e-9)
        #expect(abs(try #require(g.errors["deepEdgeRowPx"])[0] - 0) < 1e-9)
        // Sparse labels: only frame 1 is compared (engine 21 deg against 20; pennation 19 against 17).
        #expect(abs(try #require(g.errors["fascicleAngleDeg"])[0] - 1) < 1e-9)
        #expect(abs(try #require(g.errors["pennationAngleDeg"])[0] - 2) < 1e-9)
        #expect(g.thicknessUnit == "px")
        #expect(abs(g.thicknessRelativeErrors[0] - 10.0 / 80) < 1e-9)
        // Observers: each one's deviation from the label; null is skipped.
        #expect(g.observerNames == ["a", "b", "c"])
        #expect(g.observerDeviations["muscleThickness"] == [[-2], [2], []])
        let fascicle = try #require(g.observerDeviations["fascicleAngleDeg"])
        #expect(fascicle.map { $0.map { ($0 * 100).rounded() / 100 } } == [[-1], [1.5], [-0.5]])
    }

    @Test func verticalAtXBeyondTheRegionExtendsTheEndSegment() throws {
        // Column 0 lies 10 px left of the region: superficial row 20 + 30 - 1 = 49; thickness 101.
        let labels = try Self.labels(rule: ThicknessRule(kind: ThicknessRule.verticalAtX, x: 0))
        let g = Regression.compare(Self.analysis(), with: labels).geometry
        #expect(abs(try #require(g.errors["muscleThickness"])[0] - (101 - 80)) < 1e-9)
    }

    @Test func verticalMedianTakesTheMedianOverColumns() throws {
        // Vertical distance 100 - 0.1 x over region columns 0...199: median about 90.
        let labels = try Self.labels(rule: ThicknessRule(kind: ThicknessRule.verticalMedian))
        let g = Regression.compare(Self.analysis(), with: labels).geometry
        let e = try #require(g.errors["muscleThickness"])[0]
        #expect(abs(e - (90.05 - 80)) < 0.1)
    }

    @Test func withoutARuleAnUncalibratedClipComparesItsPixelThickness() throws {
        let g = Regression.compare(Self.analysis(), with: try Self.labels(rule: nil)).geometry
        #expect(abs(try #require(g.errors["muscleThickness"])[0] - 20) < 1e-9)
    }

    /// A fascicle tracker's labels (UltraTrack: unsigned angle to the horizontal, endpoint length in
    /// pixels): the engine's |angle| and its length in frame pixels are compared, and nothing else.
    @Test func aTrackersUnsignedAngleAndPixelLengthAreCompared() throws {
        var a = Self.analysis()
        for t in a.frames.indices {
            a.frames[t].fascicleAngleDeg = -(25 + Double(t))
            a.frames[t].fascicleLength = Length(300 + 10 * Double(t), .px)
        }
        let json = """
        {"schema": "mskcine.labels/1", "clip": "fixture.png", "classification": "no-tear",
         "frames": [{"index": 0, "fascicleAngleAbsDeg": 27, "fascicleLengthPx": 280},
                    {"index": 1, "fascicleAngleAbsDeg": 25}]}
        """
        let g = Regression.compare(a, with: try LabelsDocument.decode(from: Data(json.utf8))).geometry
        #expect(g.labelledFrames == 2 && g.muscleFound == 2)
        #expect(try #require(g.errors["fascicleAngleAbsDeg"]) == [25 - 27, 26 - 25])
        #expect(try #require(g.errors["fascicleLengthPx"]) == [300 - 280])
        #expect(g.errors["fascicleAngleDeg"] == nil && g.errors["muscleThickness"] == nil)
        #expect(g.thicknessUnit == nil)
    }

    /// A calibrated length goes back to pixels along the fascicle's own direction: with 0.1 x 0.2 mm
    /// pixels, 10 mm at 30 degrees is (8.66 / 0.1, 5 / 0.2) = (86.6, 25) px long.
    @Test func aCalibratedLengthIsConvertedToPixelsAlongTheFascicle() throws {
        var f = Self.analysis().frames[0]
        f.fascicleAngleDeg = 30
        f.fascicleLength = Length(10, .mm)
        let square = try #require(GeometryComparison.lengthPx(f, unit: .mm, calibration: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.1)))
        #expect(abs(square - 100) < 1e-9)
        let px = try #require(GeometryComparison.lengthPx(f, unit: .mm, calibration: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.2)))
        #expect(abs(px - (86.60254037844386 * 86.60254037844386 + 625).squareRoot()) < 1e-9)
        #expect(GeometryComparison.lengthPx(f, unit: .mm, calibration: nil) == nil)
        f.fascicleAngleDeg = nil
        #expect(GeometryComparison.lengthPx(f, unit: .mm, calibration: Spacing(mmPerPixelX: 0.1, mmPerPixelY: 0.2)) == nil)
    }

    @Test func labelsRoundTripTheirNewFields() throws {
        let doc = try Self.labels(rule: ThicknessRule(kind: ThicknessRule.verticalAtX, x: 5))
        let again = try LabelsDocument.decode(from: doc.encodedJSON())
        #expect(again == doc)
        #expect(again.frames?.first?.muscleThicknessPx == 80)
        #expect(again.observers?.values["fascicleAngleDeg"]?.first == [19, 21.5, 19.5])
    }
}

/// The engine on the real labelled data (../shared/data, not in this repository): the muscle is
/// found and the thickness is positive in the labelled frames of the development half's first clips.
@Suite(.enabled(if: RealData.available, "../shared/data/real-labelled and real-stills are absent: real-data tests skipped"))
struct RealGeometryTests {
    @Test(arguments: ["tt1_S9_L", "tt4_SampleA"])
    func sequenceGeometryIsPlausible(stem: String) throws {
        let url = RealData.root.appendingPathComponent("real-labelled/\(stem).labels.json")
        let (row, analysis) = try Regression.run(labels: url)
        #expect(row.geometry.muscleFound == row.geometry.labelledFrames)
        for f in analysis.frames { if let t = f.muscleThickness { #expect(t.value > 0) } }
        let fascicle = try #require(row.geometry.errors["fascicleAngleDeg"])
        #expect(GeometryComparison.mae(fascicle)! < 4)
    }

    @Test func aStillIsAOneFrameClip() throws {
        let url = RealData.root.appendingPathComponent("real-stills/img_00002.labels.json")
        let (row, analysis) = try Regression.run(labels: url)
        #expect(analysis.frames.count == 1)
        #expect(row.geometry.labelledFrames == 1)
    }
}

enum RealData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    static var available: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("real-labelled").path)
            && FileManager.default.fileExists(atPath: root.appendingPathComponent("real-stills").path)
    }
}
