import ArgumentParser
import Foundation
import MSKAnalysis
import MSKDICOM
import MSKEvaluation
import MSKReader
import MSKReport
import MSKBatch
import MSKFiles
import MSKPACS
import MSKStudyDB
import MSKSynth

/// The `mskcine` command: parses arguments, calls the MSKCine libraries, prints results.
@main
struct MSKCine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mskcine",
        abstract: "Analyse dynamic musculoskeletal ultrasound cine clips.",
        version: EngineVersion.string,
        subcommands: [Probe.self, Frames.self, Analyze.self, Regress.self, Synth.self, Batch.self, Merge.self, Export.self, Trend.self, PACS.self]
    )

    /// Runs the command with MSKCine's exit statuses (spec: 0 done, 2 bad usage,
    /// 3 input unreadable or unsupported, 1 anything else) and one-line error messages.
    static func main() {
        // SIGINT/SIGTERM remove this run's temporary files before the process ends.
        TemporaryName.installSignalCleanup()
        ProcessMemory.keepFreedBlocksForReuse()
        let code = run(arguments: Array(CommandLine.arguments.dropFirst()))
        Foundation.exit(code)
    }

    /// Parses and runs `arguments`; returns the exit status. Errors go to standard error.
    static func run(arguments: [String]) -> Int32 {
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: print as ArgumentParser does.
                print(fullMessage(for: error))
                return 0
            }
            printError(usageLine(for: error, arguments: arguments))
            return ExitStatus.usage
        }
        do {
            try command.run()
            return 0
        } catch {
            if exitCode(for: error) == .success, !(error is ExitCode) {
                // `mskcine SUB --help` parses to a help command whose run() throws the help request.
                print(fullMessage(for: error))
                return 0
            }
            return report(error)
        }
    }

    /// Prints `error` as one line on standard error and returns its exit status (spec: 2 bad
    /// usage, 3 input unreadable or unsupported, 1 anything else). Every command's errors come
    /// here: the one map from error to exit status is `ExitStatus.of`.
    static func report(_ error: any Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        let message = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        printError("mskcine: \(message)")
        return ExitStatus.of(error)
    }
}

extension MSKCine {
    /// A usage error as one line: ArgumentParser's message and where to read the options.
    static func usageLine(for error: any Error, arguments: [String]) -> String {
        let message = MSKCine.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "bad usage"
        let names = configuration.subcommands.map { $0._commandName }
        let command = arguments.first.flatMap { names.contains($0) ? "mskcine \($0)" : nil } ?? "mskcine"
        let trimmed = message.hasSuffix(".") ? String(message.dropLast()) : message
        return "mskcine: \(trimmed); see '\(command) --help'"
    }
}

/// Exit statuses fixed by the spec, and the one map from an error to its status.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let unreadableInput: Int32 = 3

    /// The exit status of `error`: 2 for what the user asked wrongly (options, an output that
    /// would overwrite an input), 3 for an input that cannot be read or holds impossible values,
    /// 1 for anything else (a write that failed, an interrupted run).
    static func of(_ error: any Error) -> Int32 {
        switch error {
        case let e as ExitCode: return e.rawValue
        case is ValidationError, is OutputClash, is RegressionError: return usage
        case let e as CalibrationError: return e.isUsage ? usage : unreadableInput
        case is ReaderError, is DICOMError: return unreadableInput
        case let e as AnalysisError:
            if case .roiOutsideFrame = e { return usage }
            return unreadableInput
        case let e as ReportError:
            if case .reread = e { return unreadableInput }
            return failure
        case let e as StudyDBError:
            switch e {
            case .notFound, .notAStudyDatabase, .cannotOpen: return unreadableInput
            case .newerSchema, .readOnly, .failed: return failure
            }
        case let e as BatchError:
            switch e {
            case .pathNotFound: return unreadableInput
            case .badShard, .badJobs, .manifestUnreadable, .manifestBadRow: return usage
            case .database(let d): return of(d)
            }
        case let e as SynthError:
            if case .badJob = e { return usage }
            return failure
        case let e as FrameExporter.Failure:
            switch e {
            case .reader: return unreadableInput
            case .clash: return usage
            case .output: return failure
            }
        case let e as OutputError: return e.status
        case let e as DICOMwebError: return e.exitStatus
        default: return failure
        }
    }
}

/// Writes one message to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
