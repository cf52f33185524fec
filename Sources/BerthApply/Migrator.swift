public import BerthModel
public import BerthDatabase
public import BerthCore
internal import BerthObserve
internal import Foundation

/// Applies versioned SQL migrations to one database connection.
///
/// Each migration runs in its own transaction together with its row in `berth_schema_history`
/// (version, description, checksum, applied_at, execution_ms, success = true). A migration that
/// fails is rolled back, leaves no history row, and stops the run: the database is as it was
/// before that migration, and the error names the version, the file and the database's message.
///
/// Two runners never apply the same migration twice. On PostgreSQL the whole run holds a session
/// advisory lock (`advisoryLockKey`), waited for up to `lockTimeout`. On SQLite each migration's
/// `BEGIN IMMEDIATE` takes the write lock (retried until `lockTimeout`, each try waiting SQLite's
/// own 5 seconds), and the history is read again inside that transaction.
///
/// SQL that cannot run inside a transaction (PostgreSQL's `CREATE INDEX CONCURRENTLY`, `VACUUM`)
/// fails with the database's own message; a migration must not `COMMIT` itself.
public struct Migrator {
    /// The PostgreSQL session advisory lock every migration run takes: the first 8 bytes of
    /// SHA-256 of `berth-migrations`, big-endian, as a signed 64-bit key.
    public static let advisoryLockKey: Int64 = {
        var hasher = SHA256()
        hasher.update("berth-migrations")
        return hasher.finalize().prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }()

    public let database: any SQLDatabase
    public let lockTimeout: Duration

    /// Waits for the locks; Berth runs a migrator on a thread of its own (`Blocking`), so it waits by blocking.
    public let clock: any BerthClock

    public init(database: any SQLDatabase, lockTimeout: Duration = .seconds(30), clock: any BerthClock = SystemClock()) {
        self.database = database
        self.lockTimeout = lockTimeout
        self.clock = clock
    }

    /// Applies the migrations not yet applied, in version order, and returns their history rows.
    ///
    /// Reads the history (writing nothing: with nothing to apply it takes no lock); takes the lock;
    /// creates the history table if needed (inside the lock: two PostgreSQL sessions creating it at
    /// once collide even with `IF NOT EXISTS`); reads the history again and skips what is applied
    /// already (also by another runner meanwhile) with the same checksum. An applied migration whose
    /// checksum differs is refused before anything runs, and so is a file that is missing, not UTF-8,
    /// or no longer has the checksum given for it. `report` is called after each migration applied.
    public func apply(
        _ migrations: [(migration: Migration, checksum: String)], report: (MigrationOutcome) -> Void = { _ in }
    ) throws(MigrationError) -> [AppliedMigration] {
        let planned = try Self.ordered(migrations)
        guard !planned.isEmpty else { return [] }

        // Outside the lock only read: refuse a changed migration early; with nothing to do, take no lock.
        let seen = try readHistory()
        try Self.checkChecksums(of: planned, against: seen)
        guard planned.contains(where: { seen[$0.migration.version] == nil }) else { return [] }

        try acquireLock()
        defer { releaseLock() }
        try createHistoryTable()
        let history = try readHistory()
        try Self.checkChecksums(of: planned, against: history)
        let pending = planned.filter { history[$0.migration.version] == nil }
        // Every file is read and checked before the first one runs.
        let scripts = try pending.map { (item) throws(MigrationError) -> String in try Self.script(of: item) }

        var applied: [AppliedMigration] = []
        for (item, script) in zip(pending, scripts) {
            let start = clock.elapsed
            guard let row = try apply(item, script: script) else { continue }
            applied.append(row)
            report(MigrationOutcome(version: row.version, description: row.description, duration: clock.elapsed - start))
        }
        return applied
    }

    /// Undoes an applied migration: runs its `U` file and removes its row from the history, in one
    /// transaction (under the migration lock on PostgreSQL). False, and nothing done, when the history
    /// does not have it. The undo file is read, and checked to be UTF-8, before anything runs.
    public func undo(_ migration: Migration, undoPath: String) throws(MigrationError) -> Bool {
        guard try readHistory()[migration.version] != nil else { return false }
        guard let data = FileManager.default.contents(atPath: undoPath), let script = String(validating: data, as: UTF8.self) else {
            throw MigrationError(.unusable(
                version: migration.version.text, file: undoPath, message: "cannot read the undo file as UTF-8 text"
            ))
        }
        try acquireLock()
        defer { releaseLock() }
        try beginWriting(migration)
        do throws(DatabaseError) {
            guard try historyRows()[migration.version] != nil else {
                try database.rollback()
                return false
            }
            try database.execute(script)
            _ = try database.query(
                "DELETE FROM \(SchemaHistoryTable.name) WHERE version = \(database.dialect.placeholder(1))", [.text(migration.version.text)]
            )
            try database.commit()
            return true
        } catch {
            try? database.rollback()
            throw MigrationError(.failed(version: migration.version.text, file: undoPath, message: "undo failed: \(error)"))
        }
    }

    // MARK: - One migration

    private typealias Planned = (migration: Migration, checksum: String)

    /// Runs one migration and records it, in one transaction. Nil when another runner applied it
    /// since the history was read (SQLite; on PostgreSQL the lock rules that out).
    private func apply(_ item: Planned, script: String) throws(MigrationError) -> AppliedMigration? {
        let migration = item.migration
        try beginWriting(migration)
        let recorded: HistoryRow?
        do throws(DatabaseError) {
            recorded = database.dialect == .sqlite ? try historyRows()[migration.version] : nil
            if recorded == nil {
                let start = clock.elapsed
                try database.execute(script)
                let milliseconds = (clock.elapsed - start).wholeMilliseconds
                let rows = try database.query(insertStatement, [
                    .text(migration.version.text), .text(migration.description), .text(item.checksum), .integer(milliseconds),
                ])
                try database.commit()
                return AppliedMigration(
                    version: migration.version.text, description: migration.description, checksum: item.checksum,
                    appliedAt: rows.first?.string("applied_at") ?? "", success: true
                )
            }
            try database.rollback()
        } catch {
            try? database.rollback()
            throw MigrationError(.failed(version: migration.version.text, file: migration.path, message: error.description))
        }
        // Applied by another runner since the history was read: the same file is skipped, another one refused.
        guard let recorded, recorded.checksum != item.checksum else { return nil }
        throw Self.mismatch(migration, recorded: recorded.checksum, actual: item.checksum)
    }

    /// The history row, written in the migration's transaction; `applied_at` is the database's clock.
    private var insertStatement: String {
        let appliedAt: String
        let success: String
        switch database.dialect {
        case .sqlite:
            appliedAt = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            success = "1"
        case .postgres:
            appliedAt = "now()"
            success = "true"
        }
        let p = database.dialect.placeholder
        return """
            INSERT INTO \(SchemaHistoryTable.name) (version, description, checksum, applied_at, execution_ms, success)
            VALUES (\(p(1)), \(p(2)), \(p(3)), \(appliedAt), \(p(4)), \(success)) RETURNING applied_at
            """
    }

    /// Opens the migration's transaction. SQLite's `BEGIN IMMEDIATE` waits 5 seconds for another
    /// writer; this keeps trying until `lockTimeout`.
    private func beginWriting(_ migration: Migration) throws(MigrationError) {
        let deadline = clock.deadline(after: lockTimeout)
        var pause = Duration.milliseconds(10)
        while true {
            do throws(DatabaseError) {
                try database.begin()
                return
            } catch {
                guard error.code == .busy else {
                    throw MigrationError(.failed(version: migration.version.text, file: migration.path, message: error.description))
                }
            }
            guard clock.elapsed < deadline else {
                throw MigrationError(.lockTimeout(waited: lockTimeout, what: "the write lock of \(target)", holder: nil))
            }
            clock.sleepBlocking(for: min(pause, deadline - clock.elapsed))
            pause = min(pause * 2, .milliseconds(250))
        }
    }

    // MARK: - History

    private struct HistoryRow {
        var version: String
        var checksum: String
    }

    private func createHistoryTable() throws(MigrationError) {
        do throws(DatabaseError) {
            try database.execute(SchemaHistoryTable.createStatement(database.dialect))
        } catch {
            throw MigrationError(.database(message: "cannot create \(SchemaHistoryTable.name): \(error)"))
        }
    }

    /// The successful rows by version; none when the table does not exist yet.
    private func readHistory() throws(MigrationError) -> [MigrationVersion: HistoryRow] {
        do throws(DatabaseError) {
            guard try database.tableExists(SchemaHistoryTable.name) else { return [:] }
            return try historyRows()
        } catch {
            throw MigrationError(.database(message: "cannot read \(SchemaHistoryTable.name): \(error)"))
        }
    }

    private func historyRows() throws(DatabaseError) -> [MigrationVersion: HistoryRow] {
        var rows: [MigrationVersion: HistoryRow] = [:]
        // A row with success = false (another tool's failed attempt) is not applied: it runs again, as the plan says.
        for row in try database.query(SchemaHistoryTable.selectAll) where row.bool("success") == true {
            guard let text = row.string("version"), let version = MigrationVersion(text), rows[version] == nil else { continue }
            rows[version] = HistoryRow(version: text, checksum: row.string("checksum") ?? "")
        }
        return rows
    }

    private static func checkChecksums(
        of planned: [Planned], against history: [MigrationVersion: HistoryRow]
    ) throws(MigrationError) {
        for item in planned {
            if let row = history[item.migration.version], row.checksum != item.checksum {
                throw mismatch(item.migration, recorded: row.checksum, actual: item.checksum)
            }
        }
    }

    private static func mismatch(_ migration: Migration, recorded: String, actual: String) -> MigrationError {
        MigrationError(.checksumMismatch(version: migration.version.text, file: migration.path, recorded: recorded, actual: actual))
    }

    // MARK: - Files

    /// In version order; a version given twice is refused.
    private static func ordered(_ migrations: [Planned]) throws(MigrationError) -> [Planned] {
        let sorted = migrations.sorted { $0.migration.version < $1.migration.version }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.migration.version == later.migration.version {
            throw MigrationError(.unusable(
                version: later.migration.version.text, file: later.migration.path,
                message: "the version of \(earlier.migration.path) too; each version is applied once"
            ))
        }
        return sorted
    }

    /// The file's SQL, after checking that it still has the checksum it was planned with.
    private static func script(of item: Planned) throws(MigrationError) -> String {
        let migration = item.migration
        guard let data = FileManager.default.contents(atPath: migration.path) else {
            throw MigrationError(.unusable(version: migration.version.text, file: migration.path, message: "cannot read the file"))
        }
        let checksum = SHA256.hex(data)
        guard checksum == item.checksum else {
            throw MigrationError(.fileChanged(
                version: migration.version.text, file: migration.path, planned: item.checksum, actual: checksum
            ))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw MigrationError(.unusable(version: migration.version.text, file: migration.path, message: "the file is not UTF-8 text"))
        }
        return text
    }

    // MARK: - Lock

    /// The database in messages: the PostgreSQL URL without a password, or the SQLite path.
    private var target: String {
        switch database {
        case let postgres as PostgresDatabase: postgres.redactedURL
        case let sqlite as SQLiteDatabase: sqlite.path
        default: "the \(database.dialect) database"
        }
    }

    /// PostgreSQL: takes the session advisory lock, trying again with growing pauses until `lockTimeout`.
    private func acquireLock() throws(MigrationError) {
        guard database.dialect == .postgres else { return }
        guard let postgres = database as? PostgresDatabase else {
            throw MigrationError(.database(message: "migrating PostgreSQL needs a PostgresDatabase connection, for the advisory lock"))
        }
        let deadline = clock.deadline(after: lockTimeout)
        var pause = Duration.milliseconds(5)
        while true {
            do throws(DatabaseError) {
                if try postgres.tryAdvisoryLock(Self.advisoryLockKey) { return }
            } catch {
                throw MigrationError(.database(message: "cannot take the migration lock: \(error)"))
            }
            guard clock.elapsed < deadline else {
                throw MigrationError(.lockTimeout(waited: lockTimeout, what: "the migration lock of \(target)", holder: lockHolder()))
            }
            clock.sleepBlocking(for: min(pause, deadline - clock.elapsed))
            pause = min(pause * 2, .milliseconds(250))
        }
    }

    private func releaseLock() {
        guard let postgres = database as? PostgresDatabase else { return }
        // Closing the session releases it as well, should this fail.
        try? postgres.advisoryUnlock(Self.advisoryLockKey)
    }

    /// Who holds the advisory lock, for the timeout message: best effort.
    private func lockHolder() -> String? {
        let rows = try? database.query(
            """
            SELECT a.pid, a.application_name, a.client_addr::text AS client FROM pg_catalog.pg_locks l
            JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
            """,
            [.integer(Self.advisoryLockKey)]
        )
        guard let row = rows?.first, let pid = row.int("pid") else { return nil }
        var holder = "server process \(pid)"
        if let application = row.string("application_name"), !application.isEmpty { holder += ", application \(application)" }
        if let client = row.string("client") { holder += ", client \(client)" }
        return holder
    }
}

/// One migration applied, for progress and the journal.
public struct MigrationOutcome: Hashable, Sendable {
    public var version: String
    public var description: String
    /// From the start of its transaction to its commit.
    public var duration: Duration

    public init(version: String, description: String, duration: Duration) {
        self.version = version
        self.description = description
        self.duration = duration
    }
}

/// Why migrations were not applied: a stable `code` to branch on, the migration and file where
/// there is one, and a message for people.
public struct MigrationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case failed, lockTimeout, checksumMismatch, fileChanged, database
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A migration could not be read or the database refused it; it was rolled back and the run stopped.
        public static let failed = Code(.failed)
        /// Another runner held the lock longer than `lockTimeout` (on PostgreSQL before anything was applied).
        public static let lockTimeout = Code(.lockTimeout)
        /// An applied migration's file changed afterwards; nothing was applied.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// A file changed since its checksum was taken (between plan and apply); nothing was applied.
        public static let fileChanged = Code(.fileChanged)
        /// The history could not be read or created, or the lock not taken.
        public static let database = Code(.database)

        public var description: String { base.rawValue }
    }

    fileprivate enum Kind: Hashable, Sendable {
        case failed(version: String, file: String, message: String)
        case unusable(version: String, file: String, message: String)
        case lockTimeout(waited: Duration, what: String, holder: String?)
        case checksumMismatch(version: String, file: String, recorded: String, actual: String)
        case fileChanged(version: String, file: String, planned: String, actual: String)
        case database(message: String)
    }

    private let kind: Kind

    fileprivate init(_ kind: Kind) { self.kind = kind }

    public var code: Code {
        switch kind {
        case .failed, .unusable: .failed
        case .lockTimeout: .lockTimeout
        case .checksumMismatch: .checksumMismatch
        case .fileChanged: .fileChanged
        case .database: .database
        }
    }

    /// The version of the migration concerned, as written in its file name.
    public var version: String? {
        switch kind {
        case .failed(let version, _, _), .unusable(let version, _, _), .checksumMismatch(let version, _, _, _),
            .fileChanged(let version, _, _, _):
            version
        case .lockTimeout, .database: nil
        }
    }

    /// The absolute path of the migration's file.
    public var file: String? {
        switch kind {
        case .failed(_, let file, _), .unusable(_, let file, _), .checksumMismatch(_, let file, _, _),
            .fileChanged(_, let file, _, _):
            file
        case .lockTimeout, .database: nil
        }
    }

    public var description: String {
        switch kind {
        case .failed(let version, let file, let message):
            "migration \(version) failed (\(file)): \(message); it was rolled back and no later migration ran"
        case .unusable(let version, let file, let message):
            "cannot apply migration \(version) (\(file)): \(message); nothing was applied"
        case .lockTimeout(let waited, let what, let holder):
            "gave up after waiting \(waited) for \(what)" + (holder.map { ", held by \($0)" } ?? "")
                + ": another migration run is in progress"
        case .checksumMismatch(let version, let file, let recorded, let actual):
            "migration \(version) (\(file)) changed after it was applied: checksum \(recorded.prefix(12)) recorded, "
                + "\(actual.prefix(12)) now; restore the file, a changed migration is never run again"
        case .fileChanged(let version, let file, let planned, let actual):
            "migration \(version) (\(file)) changed since it was planned: checksum \(planned.prefix(12)) planned, "
                + "\(actual.prefix(12)) now; plan again; nothing was applied"
        case .database(let message):
            message
        }
    }
}

