import Foundation
import MSKBatch
import MSKStudyDB

/// Batch throughput: the same clips through `BatchRunner` with 1 and with 2 jobs, each into a
/// fresh database, as clips per second and their ratio (issue 7's target: at least 1.7x on 2 cores).
enum BatchBench {
    /// `clips`: a folder of clips (default: all 16 clips of Samples/ with their labels, 60-90 frames
    /// each; with only the 8 small serial clips the fixed costs of a run, walking the folder and
    /// opening the database, weigh so much that the ratio says little about throughput).
    static func run(scratch: URL, clips folder: String? = nil) throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let set = scratch.appendingPathComponent("batch-set")
        if let folder {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: folder), to: set)
        } else {
            try FileManager.default.createDirectory(at: set, withIntermediateDirectories: true)
            let samples = repo.appendingPathComponent("Samples")
            for name in try FileManager.default.contentsOfDirectory(atPath: samples.path) where name != "thresholds.json" {
                try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: set.appendingPathComponent(name))
            }
        }
        print("Batch throughput (mskcine batch on \(folder ?? "Samples/ (16 clips, 384x288 to 640x480, 60-90 frames)"), fresh database each run):")
        var rates: [Int: Double] = [:]
        for jobs in [1, 2] {
            // Best of 2 runs, each into a fresh database.
            var best = Double.infinity
            var analysed = 0
            for run in 0..<2 {
                let db = scratch.appendingPathComponent("batch-\(jobs)-\(run).sqlite").path
                let t0 = Bench.now()
                let progress = try BatchRunner(options: BatchOptions(roots: [set.path], engineVersion: "bench", jobs: jobs),
                                               database: StudyDatabase(path: db)).run()
                guard progress.analysed > 0, progress.failed == 0 else {
                    throw Bench.Failure(message: "batch --jobs \(jobs): \(progress.analysed) analysed, \(progress.failed) failed")
                }
                best = min(best, Bench.now() - t0)
                analysed = progress.analysed
            }
            let seconds = best
            rates[jobs] = Double(analysed) / seconds
            print(String(format: "  --jobs %d: %2d clips in %6.2f s = %.3f clips/s", jobs, analysed, seconds, rates[jobs]!))
        }
        let ratio = rates[2]! / rates[1]!
        print(String(format: "  --jobs 2 / --jobs 1: %.2fx (target >= 1.7x on 2 cores: %@; %d cores here)", ratio,
                     (ratio >= 1.7 ? "met" : "NOT met") as NSString, ProcessInfo.processInfo.activeProcessorCount))
    }
}
