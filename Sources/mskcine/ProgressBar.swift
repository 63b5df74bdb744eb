import Foundation

/// A progress bar on standard error for work that has taken more than a second: drawn in place
/// (`\r`) at most ten times a second, erased when done. Silent when standard error is not a
/// terminal (a pipe, a file, a test), so logs and captured output stay clean.
final class ProgressBar {
    let label: String
    let total: Int?
    private let enabled: Bool
    private let delay: TimeInterval
    private let write: (String) -> Void
    private let start = Date()
    private var lastDraw: Date?
    private(set) var shown = false

    init(label: String, total: Int?, isTerminal: Bool = isatty(STDERR_FILENO) == 1, delay: TimeInterval = 1,
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        self.enabled = isTerminal
        self.delay = delay
        self.write = write
    }

    /// `done` items (frames) so far.
    func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(start) >= delay else { return }
        if let lastDraw, now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        shown = true
        write("\r\u{1B}[K" + Self.line(label: label, done: done, total: total))
    }

    /// Erases the bar if it was drawn.
    func finish() {
        if shown { write("\r\u{1B}[K") }
        shown = false
    }

    /// "analysing x.mp4 [#########...........] 45/100 frames", or without a total "... 45 frames".
    static func line(label: String, done: Int, total: Int?, width: Int = 24) -> String {
        guard let total else { return "\(label) \(done) frames" }
        let filled = max(0, min(width, Int((Double(done) / Double(total) * Double(width)).rounded(.down))))
        return "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(min(done, total))/\(total) frames"
    }
}
