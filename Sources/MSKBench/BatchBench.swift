import Foundation
import MSKBatch
import MSKStudyDB

/// Batch throughput: the same clips through `BatchRunner` with 1 and with 2 jobs, each into a
/// fresh database, as clips per second and their ratio (issue 7's target: at least 1.7x on 2 cores).
enum BatchBench {
    /// `clips`: a folder of clips (default: the 8 serial-study clips of Samples/, 60 frames each).
    static func run(scratch: URL, clips folder: String? = nil) throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let set = scratch.appendingPathComponent("batch-set")
        if let folder {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: folder), to: set)
        } else {
            try FileManager.default.createDirectory(at: set, withIntermediateDirectories: true)
            let samples = repo.appendingPathComponent("Samples")
            for name in try FileManager.default.contentsOfDirectory(atPath: samples.path) where name.hasPrefix("serial_") {
                try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: set.appendingPathComponent(name))
            }
        }
        print("Batch throughput (mskcine batch on \(folder ?? "Samples/serial_* (8 clips, 480x360, 60 frames)"), fresh database each run):")
        var rates: [Int: Double] = [:]
        for jobs in [1, 2] {
            let db = scratch.appendingPathComponent("batch-\(jobs).sqlite").path
            let t0 = Bench.now()
            let progress = try BatchRunner(options: BatchOptions(roots: [set.path], engineVersion: "bench", jobs: jobs),
                                           database: StudyDatabase(path: db)).run()
            let seconds = Bench.now() - t0
            guard progress.analysed > 0, progress.failed == 0 else {
                throw Bench.Failure(message: "batch --jobs \(jobs): \(progress.analysed) analysed, \(progress.failed) failed")
            }
            rates[jobs] = Double(progress.analysed) / seconds
            print(String(format: "  --jobs %d: %2d clips in %6.2f s = %.3f clips/s", jobs, progress.analysed, seconds, rates[jobs]!))
        }
        let ratio = rates[2]! / rates[1]!
        print(String(format: "  --jobs 2 / --jobs 1: %.2fx (target >= 1.7x on 2 cores: %@; %d cores here)", ratio,
                     (ratio >= 1.7 ? "met" : "NOT met") as NSString, ProcessInfo.processInfo.activeProcessorCount))
    }
}
