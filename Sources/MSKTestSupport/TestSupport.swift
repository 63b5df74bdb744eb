import Foundation

// Helpers shared by the test targets (not a product; nothing in the engine depends on it).

/// What a finished process left: its exit status and both output streams.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String
}

public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The built `mskcine` binary beside the test bundle, and a way to run programs.
public enum Binary {
    /// The `mskcine` executable of this build (beside the test bundle, or in .build/debug).
    public static func mskcine() throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("mskcine").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/mskcine").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw TestSupportError(message: "the mskcine binary was not found next to the tests; run `swift build` first")
        }
        return fallback
    }

    /// Runs `executable` with `arguments` (standard input empty) and waits. Its output goes to
    /// files rather than pipes, so nothing can block however much it prints.
    /// `environment` replaces the process' environment when given.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mskcine-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                             stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Runs a program that must succeed; its standard output, or an error with its standard error.
    @discardableResult
    public static func runChecked(_ executable: String, _ arguments: [String]) throws -> Data {
        let result = try run(executable, arguments)
        guard result.status == 0 else {
            throw TestSupportError(message: "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr.suffix(800))")
        }
        return result.stdout
    }
}

/// A small seeded generator (SplitMix64): reproducible test bytes and choices.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A value in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
