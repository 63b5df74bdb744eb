import ArgumentParser
import Foundation
import MSKFiles
import MSKReport
import MSKStudyDB

extension MSKCine {
    /// `mskcine merge OUT.sqlite IN.sqlite...`.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join study databases (e.g. the shards of a job array) into one, without duplicates.")

        @Argument(help: ArgumentHelp("The database to merge into (created when missing).", valueName: "OUT.sqlite"))
        var output: String

        @Argument(help: ArgumentHelp("The databases to merge (read, not changed).", valueName: "IN.sqlite"))
        var inputs: [String]

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("name at least one IN.sqlite to merge into \(output)") }
        }

        func run() throws {
            // Merging a database into itself, or into one of its inputs, is refused before any work.
            try OutputCheck.check(outputs: [NamedPath("OUT.sqlite", output)], inputs: inputs.map { NamedPath("the input '\($0)'", $0) })
            // Every input is checked before the output is created: a bad input leaves nothing behind.
            // A StudyDBError goes to MSKCine.report, which gives its exit status.
            for input in inputs { _ = try StudyDatabase(path: input, readOnly: true) }
            let existed = FileManager.default.fileExists(atPath: output)
            let out: StudyDatabase
            do { out = try StudyDatabase(path: output) } catch {
                if !existed { StudyDatabase.removeFiles(of: output) }
                throw error
            }
            let r = try out.merge(inputs)
            print("merge: \(r.inputs) database(s) into \(output): \(r.analysesAdded) analyses added, \(r.analysesDuplicate) already there, "
                  + "\(r.clipsAdded) clips added, \(r.failuresAdded) failures added")
        }
    }

    /// `mskcine export --db FILE --csv DIR`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the study database as flat CSV tables (clips, clip_paths, analyses, frames, failures) for R or pandas.")

        @Option(help: ArgumentHelp("The study database.", valueName: "FILE.sqlite"))
        var db: String

        @Option(help: ArgumentHelp("Folder to write the CSV files into (created when missing).", valueName: "DIR"))
        var csv: String?

        @Flag(help: "Print a SHA-256 of the database's content (row ids, timestamps and durations left out), to compare two databases.")
        var digest = false

        func validate() throws {
            if csv == nil && !digest { throw ValidationError("give --csv DIR (or --digest)") }
        }

        func run() throws {
            if let csv {
                let tables = StudyDatabase.exportFileNames.map { NamedPath("the export '\($0)'", (csv as NSString).appendingPathComponent($0)) }
                try OutputCheck.check(outputs: tables, inputs: [NamedPath("--db", db)])
            }
            // A StudyDBError goes to MSKCine.report, which gives its exit status.
            let database = try StudyDatabase(path: db, readOnly: true)
            if let csv {
                try OutputError.makeFolder(csv, option: "--csv")
                let files = try database.exportCSV(to: csv)
                print("export: wrote " + files.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ") + " to \(csv)")
            }
            if digest { print(try database.contentDigest()) }
        }
    }

    /// `mskcine trend --db FILE [--patient ID] [--muscle M] [--side S] [--json] [--report PATH.html]`.
    struct Trend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Atrophy trends per patient, muscle and side: thickness and echo intensity per study date, change, slope, flags.")

        @Option(help: ArgumentHelp("The study database.", valueName: "FILE.sqlite"))
        var db: String

        @Option(help: "Only this patient id.")
        var patient: String?

        @Option(help: "Only this muscle (as stored, e.g. rectus-femoris).")
        var muscle: String?

        @Option(help: "Only this side (left, right).")
        var side: String?

        @Flag(help: "Write the trend document (mskcine.trend/1) to standard output instead of the text report.")
        var json = false

        @Option(help: ArgumentHelp("Also write a self-contained HTML report with a plot of each series.", valueName: "PATH.html"))
        var report: String?

        @Option(help: ArgumentHelp("Minimal detectable change of thickness, mm (default 0.3).", valueName: "MM"))
        var thicknessMdc: Double?

        @Option(help: ArgumentHelp("Minimal detectable change of echo intensity, grey levels (default 6).", valueName: "GREY"))
        var echoMdc: Double?

        func validate() throws {
            if let t = thicknessMdc, !(t > 0 && t.isFinite) { throw ValidationError("--thickness-mdc \(t): give a positive number of mm, e.g. 0.3") }
            if let e = echoMdc, !(e > 0 && e.isFinite) { throw ValidationError("--echo-mdc \(e): give a positive number of grey levels, e.g. 6") }
        }

        func run() throws {
            if let report { try OutputCheck.check(outputs: [NamedPath("--report", report)], inputs: [NamedPath("--db", db)]) }
            // A StudyDBError goes to MSKCine.report, which gives its exit status.
            let database = try StudyDatabase(path: db, readOnly: true)
            let input = try database.trendClips(engineVersion: EngineVersion.string, patient: patient, muscle: muscle,
                                                side: side.map { $0.lowercased() })
            var thresholds = TrendThresholds()
            if let thicknessMdc { thresholds.thicknessMdcMm = thicknessMdc }
            if let echoMdc { thresholds.echoMdc = echoMdc }
            let result = MSKStudyDB.Trend.compute(input.clips, thresholds: thresholds, unidentified: input.unidentified, uncalibrated: input.uncalibrated)
            if let report { try ClipReporter.save(result.html(), to: report) }
            if json {
                FileHandle.standardOutput.write(Data((result.document().serialized(pretty: true) + "\n").utf8))
            } else {
                print(result.text())
            }
        }
    }
}
