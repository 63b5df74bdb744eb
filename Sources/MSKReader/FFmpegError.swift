import CFFmpeg

/// A failed FFmpeg call: which operation, the code, and FFmpeg's own message (from av_strerror).
struct FFmpegError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    var message: String { FFmpegError.message(for: code) }
    var description: String { "\(operation): \(message)" }

    var isEOF: Bool { code == mskc_error_eof() }
    var isAgain: Bool { code == mskc_error_eagain() }

    static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { mskc_error_string(code, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

enum FFmpegStatus {
    static let again = mskc_error_eagain()
    static let eof = mskc_error_eof()
    static let noTimestamp = mskc_nopts_value()
}

/// Throws `FFmpegError` for a negative return code; passes non-negative codes through.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
    if code < 0 { throw FFmpegError(operation: operation(), code: code) }
    return code
}

/// FFmpeg's own log lines would break the "one clear line" rule: MSKCine reports errors itself.
/// `av_log_set_level` is process-wide and atomic in FFmpeg; calling it repeatedly is harmless.
public enum FFmpegLogging {
    public static func setVerbose(_ verbose: Bool) {
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
    }
}
