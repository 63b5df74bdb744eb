import Foundation
import CFFmpeg

/// A failed FFmpeg call: which operation, the code, and FFmpeg's own message (from av_strerror).
package struct FFmpegError: Error, CustomStringConvertible {
    package let operation: String
    package let code: Int32

    package init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    package var message: String { FFmpegError.message(for: code) }
    package var description: String { "\(operation): \(message)" }

    package var isEOF: Bool { code == mskc_error_eof() }
    package var isAgain: Bool { code == mskc_error_eagain() }

    package static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { mskc_error_string(code, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

package enum FFmpegStatus {
    package static let again = mskc_error_eagain()
    package static let eof = mskc_error_eof()
    package static let noTimestamp = mskc_nopts_value()
}

/// Throws `FFmpegError` for a negative return code; passes non-negative codes through.
@discardableResult
package func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
    if code < 0 { throw FFmpegError(operation: operation(), code: code) }
    return code
}

/// FFmpeg's own log lines would break the "one clear line" rule: MSKCine reports errors itself.
/// `av_log_set_level` is process-wide and atomic in FFmpeg; calling it repeatedly is harmless.
public enum FFmpegLogging {
    /// Turns FFmpeg's log on (warnings and errors) or off. Off unless asked for.
    public static func setVerbose(_ verbose: Bool) {
        explicitlySet.set()
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
    }

    /// Called by every reader before it touches FFmpeg: silences the log unless a caller chose.
    package static func quietUnlessChosen() {
        if !explicitlySet.isSet { av_log_set_level(AV_LOG_QUIET) }
    }

    private static let explicitlySet = Flag()

    /// A set-once flag; `@unchecked Sendable` is safe because every access holds the lock.
    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }
}
