import ArgumentParser
import Foundation
import MSKAnalysis
import MSKDICOM
import MSKEvaluation
import MSKReader
import MSKReport
import MSKStudyDB

/// The `mskcine` command: parses arguments, calls the MSKCine libraries, prints results.
@main
struct MSKCine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mskcine",
        abstract: "Analyse dynamic musculoskeletal ultrasound cine clips.",
        version: EngineVersion.string,
        subcommands: [Probe.self, Frames.self, Analyze.self, Regress.self, Synth.self, Batch.self, Merge.self, Export.self, Trend.self]
    )

    /// Runs the command with MSKCine's exit statuses (spec: 0 done, 2 bad usage,
    /// 3 input unreadable or unsupported, 1 anything else) and one-line error messages.
    static func main() {
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
    /// usage, 3 input unreadable or unsupported, 1 anything else).
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as ReaderError:
            printError("mskcine: \(error)")
            return ExitStatus.unreadableInput
        case let error as AnalysisError:
            printError("mskcine: \(error)")
            if case .roiOutsideFrame = error { return ExitStatus.usage }
            return ExitStatus.unreadableInput
        case let error as RegressionError:
            printError("mskcine: \(error)")
            return ExitStatus.usage
        case let error as DICOMError:
            printError("mskcine: \(error)")
            return ExitStatus.unreadableInput
        case let error as ReportError:
            printError("mskcine: \(error)")
            if case .reread = error { return ExitStatus.unreadableInput }
            return ExitStatus.failure
        case let error as StudyDBError:
            printError("mskcine: \(error)")
            switch error {
            case .notFound, .notAStudyDatabase, .cannotOpen: return ExitStatus.unreadableInput
            case .newerSchema, .failed: return ExitStatus.failure
            }
        case let error as ExitCode:
            return error.rawValue
        default:
            printError("mskcine: \(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))")
            return ExitStatus.failure
        }
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

/// Exit statuses fixed by the spec.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let unreadableInput: Int32 = 3
}

/// Writes one message to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
