import Foundation
import MSKAnalysis
import MSKBatch
import MSKSimulator
import MSKStudyDB
import MSKSynth
@testable import mskcine
import Testing

/// Issue 12's `trend` case: five weekly studies with the rest thickness falling 1.5 % or 3 % a
/// week must be flagged as atrophy; the same five studies with no set change must not. The clips
/// are rendered by the simulator (each study its own speckle and probe motion, shared anatomy),
/// analysed by the batch runner into a study database, and the trend is read back from it.
@Suite("trend on weekly simulated studies", .serialized)
struct WeeklyAtrophyTests {
    /// Writes the series' clips into a fresh folder and returns the trend series read back.
    static func trend(percentPerWeek: Double, seed: UInt64, patient: String) throws -> TrendSeries {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-weekly-\(patient)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rest = SimulationParameters.preset(case: .none, seed: seed, width: 480, height: 360, mmPerPixel: 0.1, frameCount: 30, fps: 20).restThicknessMm
        let lossPer30Days = rest * percentPerWeek / 100 * 30 / 7
        let studies = SerialStudy.series(patientId: patient, baseDate: "2026-03-02", studies: 5, intervalDays: 7,
                                         thicknessLossMmPer30Days: lossPer30Days, echoRisePer30Days: 0, seed: seed, frameCount: 30)
        let jobs = studies.map { SynthJob(name: "\(patient)_s\(($0.studyIndex ?? 0) + 1)", parameters: $0, codec: .h264) }
        _ = try Synthesizer.write(jobs, into: dir.appendingPathComponent("clips").path)
        let database = try StudyDatabase(path: dir.appendingPathComponent("db.sqlite").path)
        let progress = try BatchRunner(options: BatchOptions(roots: [dir.appendingPathComponent("clips").path], engineVersion: EngineVersion.string, jobs: 2),
                                       database: database).run()
        #expect(progress.analysed == 5)
        let report = Trend.compute(try database.trendClips(engineVersion: EngineVersion.string).clips)
        return try #require(report.series.first { $0.patientId == patient })
    }

    @Test("five weekly studies falling 1.5 % and 3 % a week are flagged; a stable series is not",
          arguments: [(1.5, UInt64(1201)), (3.0, UInt64(1202)), (0.0, UInt64(1203))])
    func weekly(percentPerWeek: Double, seed: UInt64) throws {
        let series = try Self.trend(percentPerWeek: percentPerWeek, seed: seed, patient: "W\(seed)")
        #expect(series.studies.count == 5)
        let thickness = try #require(series.thickness)
        let slope = try #require(thickness.fit?.slopePer30Days)
        let setSlope = -thickness.points[0].value * percentPerWeek / 100 * 30 / 7
        // The measured slope follows the set one (within 0.4 mm per 30 days, a tenth of the 3 %/week slope).
        #expect(abs(slope - setSlope) < 0.4, "slope \(slope) mm/30 d, set \(setSlope)")
        #expect(series.atrophyTrend == (percentPerWeek > 0), "points \(thickness.points.map(\.value)), CI \(String(describing: thickness.fit?.ci95Per30Days))")
    }
}
