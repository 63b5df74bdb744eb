import Foundation

/// Hidden temporary names beside a destination, renamed into place when whole.
///
/// Every temporary name handed out is remembered until it is committed or discarded, so that
/// SIGINT or SIGTERM can remove this run's unfinished files (`TemporaryName.installSignalCleanup`)
/// and a later run can remove those of a run that was killed (`removeStale(in:)`, called the
/// first time a name is handed out in a folder).
public enum TemporaryName {
    /// The marker in every temporary name: `.<stem>.partial-<pid>-<n>.<ext>`.
    public static let marker = ".partial-"

    /// `dir/.name.partial-<pid>-<n>.ext`: same folder (so the rename is atomic), same extension.
    /// The name is remembered until `commit` or `discard`.
    public static func beside(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let folder = url.deletingLastPathComponent()
        let unique = "\(getpid())-\(Registry.shared.nextNumber())"
        let name = ".\(stem)\(marker)\(unique)" + (ext.isEmpty ? "" : ".\(ext)")
        let temporary = folder.appendingPathComponent(name).path
        if Registry.shared.firstUse(of: folder.path) { removeStale(in: folder.path) }
        Registry.shared.add(temporary)
        return temporary
    }

    /// Whether `path` exists and is not a regular file or a folder: a device such as /dev/null or
    /// /dev/stdout, a FIFO or a socket. Renaming over one would replace it with a plain file, so
    /// such a destination is written in place instead.
    public static func isSpecialFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// Renames `temporary` to `path`, replacing any file there (rename(2) is atomic). A special
    /// destination (a device, a FIFO) is written in place and the temporary file removed.
    /// The rename and the forgetting of the name happen under one lock, so a signal's clean-up
    /// either sees the temporary file or the finished one, never removes the finished one.
    public static func commit(_ temporary: String, to path: String) throws {
        if isSpecialFile(path) {
            defer { discard(temporary) }
            let data = try Data(contentsOf: URL(fileURLWithPath: temporary))
            try writeInPlace(data, to: path)
            return
        }
        let failure: String? = Registry.shared.locked {
            if rename(temporary, path) != 0 {
                let message = String(cString: strerror(errno))
                unlink(temporary)
                $0.remove(temporary)
                return message
            }
            $0.remove(temporary)
            return nil
        }
        if let failure { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: failure]) }
    }

    /// Removes an unfinished temporary file and forgets its name.
    public static func discard(_ temporary: String) {
        Registry.shared.locked {
            unlink(temporary)
            $0.remove(temporary)
        }
    }

    /// Writes `data` to `path` through a temporary name (in place for a special file).
    public static func write(_ data: Data, to path: String) throws {
        if isSpecialFile(path) {
            try writeInPlace(data, to: path)
            return
        }
        let temporary = beside(path)
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            try commit(temporary, to: path)
        } catch {
            discard(temporary)
            throw error
        }
    }

    static func writeInPlace(_ data: Data, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "cannot open \(path) for writing"])
        }
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
    }

    /// The temporary files this process has handed out and not yet committed or discarded.
    public static var pending: [String] { Registry.shared.locked { $0.paths.sorted() } }

    /// Removes every temporary file this process still holds (what a signal's clean-up does).
    /// Returns the paths removed.
    @discardableResult
    public static func removeAllPending() -> [String] {
        Registry.shared.locked { r in
            let paths = r.paths.sorted()
            for p in paths { unlink(p) }
            r.paths.removeAll()
            return paths
        }
    }

    // MARK: - Stale files of runs that were killed

    /// The process id in a temporary name (`.<stem>.partial-<pid>-<n>...`), or nil when `name`
    /// is not one of ours.
    public static func ownerPID(ofTemporaryName name: String) -> pid_t? {
        guard name.hasPrefix("."), let range = name.range(of: marker, options: .backwards) else { return nil }
        let rest = name[range.upperBound...]
        let parts = rest.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0,
              parts[1].first.map({ $0.isNumber || $0.isLetter }) == true else { return nil }
        return pid
    }

    /// Whether process `pid` is gone (kill(pid, 0) says there is no such process).
    public static func processIsGone(_ pid: pid_t) -> Bool {
        if pid == getpid() { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes, in `folder`, the temporary files (`.<stem>.partial-<pid>-...`) whose process is
    /// gone: what a killed run left. Regular files only; nothing else is touched. Returns the
    /// names removed.
    @discardableResult
    public static func removeStale(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = ownerPID(ofTemporaryName: name), processIsGone(pid) else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }

    // MARK: - Signals

    /// SIGINT and SIGTERM remove this run's temporary files, print one line and end the process
    /// with the signal's usual status (128 + the signal number). Call once, at start-up.
    /// While `deferSignals` is set, a signal is left to whoever set it (a command that stops
    /// cleanly by itself between steps).
    public static func installSignalCleanup() {
        SignalCleanup.shared.install()
    }

    /// Whether `installSignalCleanup` was called (SIGINT and SIGTERM are then ignored by the
    /// process and handled by dispatch sources).
    public static var signalCleanupIsInstalled: Bool { SignalCleanup.shared.isInstalled }

    /// Set by a command that handles SIGINT/SIGTERM itself (it stops at the next step and removes
    /// its own temporary files); cleared when it is done.
    public static var deferSignals: Bool {
        get { Registry.shared.locked { $0.deferSignals } }
        set { Registry.shared.locked { $0.deferSignals = newValue } }
    }
}

/// The names handed out, behind a lock.
final class Registry: @unchecked Sendable {
    // Safe: every field is reached only through `locked`, which holds `lock` for the whole access.
    static let shared = Registry()
    struct State {
        var paths: Set<String> = []
        var folders: Set<String> = []
        var counter = 0
        var deferSignals = false
        mutating func remove(_ path: String) { paths.remove(path) }
    }
    private let lock = NSLock()
    private var state = State()

    func locked<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&state)
    }

    func nextNumber() -> Int { locked { $0.counter += 1; return $0.counter } }
    func add(_ path: String) { locked { _ = $0.paths.insert(path) } }
    /// True the first time `folder` is seen.
    func firstUse(of folder: String) -> Bool { locked { $0.folders.insert(folder).inserted } }
}

/// Dispatch signal sources for SIGINT and SIGTERM (their handlers run on a queue, not in signal
/// context, so they may remove files and print).
final class SignalCleanup: @unchecked Sendable {
    // Safe: `sources` is written once, under `lock`, in `install`.
    static let shared = SignalCleanup()
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []

    var isInstalled: Bool {
        lock.lock(); defer { lock.unlock() }
        return !sources.isEmpty
    }

    func install() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Self.handle(number) }
            source.resume()
            sources.append(source)
        }
    }

    private static func handle(_ number: Int32) {
        if TemporaryName.deferSignals { return }
        let removed = TemporaryName.removeAllPending()
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        let note = removed.isEmpty ? "" : "; removed \(removed.count) unfinished temporary file(s)"
        FileHandle.standardError.write(Data("mskcine: interrupted (\(name))\(note); no output was left half-written\n".utf8))
        // End with the signal's default action. Dispatch's threads (and a process started with the
        // signal blocked) block it, so it is unblocked on this thread before it is raised here.
        signal(number, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(number)
        _exit(128 + number)
    }
}
