public import BerthModel
import BerthCore
import Synchronization

/// Where backups go and how a database is copied and put back: the host's files and PostgreSQL's
/// tools (`LocalBackupDriver`), or a double (`InMemoryBackups`). Every call blocks; call it from a
/// thread of its own (`Blocking`). Files it writes are mode 0600 from their first moment, in folders
/// of mode 0700. Messages never hold a password.
public protocol BackupDriver: Sendable {
    /// Makes `folder` (mode 0700; an existing one is narrowed to it).
    func prepare(folder: String) throws(BackupError)
    /// A consistent copy of the database in a new file at `path`: for PostgreSQL, `pg_dump`'s custom
    /// format (refused when `pg_dump` is older than the server); for SQLite, the online backup API.
    /// Nil when there is nothing to copy (no SQLite file yet).
    func backupDatabase(_ location: DatabaseLocation, password: String?, to path: String) throws(BackupError) -> StoredFile?
    /// Puts the database back as the copy at `path` holds it, in one step: PostgreSQL in one
    /// transaction, SQLite by an atomic swap of its file. The SQL file `mask`, when given, runs in
    /// that same step (PostgreSQL: in the transaction; SQLite: on the copy before the swap).
    func restoreDatabase(_ location: DatabaseLocation, password: String?, from path: String, mask: String?) throws(BackupError)
    /// Stores `bytes` at `path`; a file already there with the same content is kept as it is.
    func store(_ bytes: [UInt8], at path: String) throws(BackupError) -> StoredFile
    /// The content of a small file (a marker), nil when there is none.
    func read(_ path: String) -> [UInt8]?
    /// The hash and size of the file at `path`, nil when there is none.
    func inspect(_ path: String) -> StoredFile?
    func exists(_ path: String) -> Bool
    func move(_ path: String, to destination: String) throws(BackupError)
    func remove(_ path: String)
}

extension BackupDriver {
    /// The restore of a backup as it was taken, nothing run after it.
    public func restoreDatabase(_ location: DatabaseLocation, password: String?, from path: String) throws(BackupError) {
        try restoreDatabase(location, password: password, from: path, mask: nil)
    }
}

/// A file as a backup's record names it.
public struct StoredFile: Hashable, Sendable {
    /// Hex SHA-256 of the bytes.
    public var sha256: String
    public var size: Int

    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    public init(_ bytes: [UInt8]) {
        self.init(sha256: SHA256.hex(bytes), size: bytes.count)
    }
}

/// Why a backup or a restore failed: what, where, and the cause (never a password).
public struct BackupError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Backups in memory, for tests: databases are named contents that a backup copies and a restore
/// puts back; every call is recorded and each kind can be told to fail.
public final class InMemoryBackups: BackupDriver {
    public enum Operation: String, Hashable, Sendable {
        case prepare, backupDatabase, restoreDatabase, store
    }

    private struct State {
        var files: [String: [UInt8]] = [:]
        var folders: Set<String> = []
        /// What each database holds, by `DatabaseLocation` description.
        var databases: [String: [UInt8]] = [:]
        var failing: [Operation: String] = [:]
        var calls: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Calls of `operation` fail with `reason` until `clearFaults`.
    public func fail(_ operation: Operation, reason: String) {
        state.withLock { $0.failing[operation] = reason }
    }

    public func clearFaults() {
        state.withLock { $0.failing = [:] }
    }

    /// Every call that writes, in order: `backupDatabase PATH`, `store PATH`, `restoreDatabase PATH`, `remove PATH`, ...
    public var calls: [String] { state.withLock { $0.calls } }

    public var files: [String: [UInt8]] { state.withLock { $0.files } }

    /// Sets what a database holds.
    public func setDatabase(_ location: DatabaseLocation, _ content: [UInt8]) {
        state.withLock { $0.databases["\(location)"] = content }
    }

    public func database(_ location: DatabaseLocation) -> [UInt8]? {
        state.withLock { $0.databases["\(location)"] }
    }

    private func record(_ operation: Operation, _ path: String) throws(BackupError) {
        let failure: String? = state.withLock { state in
            state.calls.append("\(operation.rawValue) \(path)")
            return state.failing[operation]
        }
        if let failure { throw BackupError(failure) }
    }

    public func prepare(folder: String) throws(BackupError) {
        try record(.prepare, folder)
        _ = state.withLock { $0.folders.insert(folder) }
    }

    public func backupDatabase(_ location: DatabaseLocation, password: String?, to path: String) throws(BackupError) -> StoredFile? {
        try record(.backupDatabase, path)
        return state.withLock { state -> StoredFile? in
            // A database never set holds its name: a backup of it is never empty.
            let content = state.databases["\(location)", default: Array("database \(location)".utf8)]
            state.files[path] = content
            return StoredFile(content)
        }
    }

    /// A mask is recorded by appending `masked by PATH` to what the database holds.
    public func restoreDatabase(_ location: DatabaseLocation, password: String?, from path: String, mask: String?) throws(BackupError) {
        try record(.restoreDatabase, path)
        let restored = state.withLock { state -> Bool in
            guard let content = state.files[path] else { return false }
            state.databases["\(location)"] = content + (mask.map { Array("\nmasked by \($0)".utf8) } ?? [])
            return true
        }
        if !restored { throw BackupError("no backup at \(path)") }
    }

    public func store(_ bytes: [UInt8], at path: String) throws(BackupError) -> StoredFile {
        try record(.store, path)
        state.withLock { $0.files[path] = bytes }
        return StoredFile(bytes)
    }

    public func read(_ path: String) -> [UInt8]? { state.withLock { $0.files[path] } }
    public func inspect(_ path: String) -> StoredFile? { read(path).map(StoredFile.init) }
    public func exists(_ path: String) -> Bool { read(path) != nil }

    public func move(_ path: String, to destination: String) throws(BackupError) {
        state.withLock { state in
            state.calls.append("move \(path) \(destination)")
            state.files[destination] = state.files.removeValue(forKey: path)
        }
    }

    public func remove(_ path: String) {
        state.withLock { state in
            state.calls.append("remove \(path)")
            state.files[path] = nil
        }
    }
}
