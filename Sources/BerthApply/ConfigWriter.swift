#if canImport(Glibc)
internal import Glibc
#endif
import BerthCore

import Synchronization

/// Where the executor writes config files: the host's file system, or a double.
public protocol ConfigFiles: Sendable {
    /// The current content and mode, or nil when there is no file.
    func read(_ path: String) -> (content: [UInt8], mode: Int)?
    /// Replaces the file, atomically, with `content` and `mode`.
    func write(_ content: [UInt8], to path: String, mode: Int) throws(ApplyError)
    func remove(_ path: String)
}

/// Writes config files atomically: a temporary file in the same folder, fsync, mode, rename, fsync
/// of the folder. A reader sees the old file or the new one, never half of one; a crash leaves at
/// most a temporary file, which the next write replaces.
public struct ConfigWriter: ConfigFiles {
    public init() {}

    public func read(_ path: String) -> (content: [UInt8], mode: Int)? {
        let files = LocalFileSystem()
        guard let mode = files.fileMode(atPath: path), let content = try? files.readFile(atPath: path) else { return nil }
        return (content, mode)
    }

    public func write(_ content: [UInt8], to path: String, mode: Int) throws(ApplyError) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        try makeDirectories(directory.isEmpty ? "/" : directory)
        let temporary = "\(directory)/.\(path.split(separator: "/").last ?? "config").berth-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw ApplyError("cannot write \(temporary): \(Self.lastError())") }
        var ok = true
        content.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written < 0 { if errno == EINTR { continue }; ok = false; return }
                offset += written
            }
        }
        ok = ok && fchmod(fd, mode_t(mode)) == 0 && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let reason = Self.lastError()
            unlink(temporary)
            throw ApplyError("cannot write \(path): \(reason)")
        }
        let directoryFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    public func remove(_ path: String) {
        unlink(path)
    }

    private func makeDirectories(_ path: String) throws(ApplyError) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ApplyError("cannot create the folder \(current): \(Self.lastError())")
            }
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Config files in memory, for tests: can be told to fail the writes to a path.
public final class InMemoryConfigFiles: ConfigFiles {
    private struct State {
        var files: [String: (content: [UInt8], mode: Int)] = [:]
        var failing: [String: String] = [:]
        var writes: [String] = []
    }

    private let state = Mutex(State())

    public init(files: [String: (content: [UInt8], mode: Int)] = [:]) {
        state.withLock { $0.files = files }
    }

    /// Writes to `path` fail with `reason` until `clearFaults`.
    public func failWrites(to path: String, reason: String = "No space left on device") {
        state.withLock { $0.failing[path] = reason }
    }

    public func clearFaults() {
        state.withLock { $0.failing = [:] }
    }

    /// Every path written, in order.
    public var writes: [String] { state.withLock { $0.writes } }

    public func read(_ path: String) -> (content: [UInt8], mode: Int)? {
        state.withLock { $0.files[path] }
    }

    public func write(_ content: [UInt8], to path: String, mode: Int) throws(ApplyError) {
        let failure: String? = state.withLock { state in
            state.writes.append(path)
            if let reason = state.failing[path] { return reason }
            state.files[path] = (content, mode)
            return nil
        }
        if let failure { throw ApplyError("cannot write \(path): \(failure)") }
    }

    public func remove(_ path: String) {
        _ = state.withLock { $0.files.removeValue(forKey: path) }
    }
}

/// Why an action failed; says what, where, and the cause.
public struct ApplyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
