import Foundation

/// Runs the ffmpeg/ffprobe command line that the reader is held to. Tests make their own clips
/// with it, so every case is reproducible from the command shown in the test.
enum ExternalTool {
    struct Result {
        let status: Int32
        let stdout: Data
        let stderr: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `tool` (found on PATH) with `arguments`; stdout is collected in full, stderr as text.
    static func run(_ tool: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently with the process so neither fills up and blocks it.
        let errData = LockedData()
        let errThread = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errThread.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: outData,
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// Runs and throws when the tool fails, with its standard error.
    @discardableResult
    static func check(_ tool: String, _ arguments: [String]) throws -> Data {
        let result = try run(tool, arguments)
        guard result.status == 0 else {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr.suffix(600))")
        }
        return result.stdout
    }

    /// Every decoded frame's `best_effort_timestamp_time` as ffprobe reports it (nil for N/A).
    static func ffprobeTimestamps(_ path: String) throws -> [Double?] {
        let out = try check("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                        "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
        return String(decoding: out, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { line in
                let field = line.split(separator: ",").first.map(String.init) ?? ""
                return Double(field.trimmingCharacters(in: .whitespaces))
            }
    }

    /// ffprobe's `-count_frames` figure (`nb_read_frames`).
    static func ffprobeCountFrames(_ path: String) throws -> Int {
        let out = try check("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        let text = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let n = Int(text.split(separator: ",").first ?? "") else {
            throw Failure(description: "ffprobe -count_frames printed '\(text)' for \(path)")
        }
        return n
    }

    /// All frames as `ffmpeg -pix_fmt gray -f rawvideo` writes them, concatenated.
    static func ffmpegGreyFrames(_ path: String) throws -> Data {
        try check("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                             "-pix_fmt", "gray", "-f", "rawvideo", "-"])
    }

    static var isAvailable: Bool {
        (try? run("ffmpeg", ["-version"]).status) == 0 && (try? run("ffprobe", ["-version"]).status) == 0
    }
}

private final class LockedData: @unchecked Sendable {
    // Guarded by `lock`; shared between the test and the thread that drains stderr.
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    func set(_ value: Data) { lock.lock(); data = value; done = true; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
}

/// A temporary directory removed when the value goes away.
final class ScratchDirectory {
    let url: URL
    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mskcine-tests-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The shared data folder with real clips (`../shared/data` from the package root).
enum SharedData {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var realVideo: URL {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/real-video")
    }
}
