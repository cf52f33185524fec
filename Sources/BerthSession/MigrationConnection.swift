import BerthCore
import BerthModel
import BerthDatabase
import BerthApply
import BerthPlan
import Synchronization

/// The environment's database, opened at the first migration of an apply and kept for the rest;
/// migrations run one after the other (each depends on the last), on a thread of their own.
final class MigrationConnection: Sendable {
    private let location: DatabaseLocation?
    private let secrets: [String: String]
    private let open: @Sendable (DatabaseLocation, [String: String]) throws(DatabaseError) -> any SQLDatabase
    private let clock: any BerthClock
    private let database = Mutex<(any SQLDatabase)?>(nil)

    init(
        location: DatabaseLocation?, secrets: [String: String], clock: any BerthClock,
        open: @escaping @Sendable (DatabaseLocation, [String: String]) throws(DatabaseError) -> any SQLDatabase
    ) {
        self.location = location
        self.secrets = secrets
        self.clock = clock
        self.open = open
    }

    func apply(_ step: MigrationStep) async throws {
        try await withMigrator(step) { migrator, migration throws in
            _ = try migrator.apply([(migration: migration, checksum: step.checksum)])
        }
    }

    /// Undoes an applied migration with its `U` file.
    func undo(_ step: MigrationStep) async throws {
        guard let undoPath = step.undoPath else { throw ApplyError("migration \(step.version) has no undo file") }
        try await withMigrator(step) { migrator, migration throws in
            _ = try migrator.undo(migration, undoPath: undoPath)
        }
    }

    /// Drops what Berth owns in the database (`DatabaseDrop`): a SQLite file once its connection is
    /// closed, the objects of a PostgreSQL schema on the connection.
    func drop(_ location: DatabaseLocation) async throws {
        try await Blocking.run("berth-migrate") { [self] () throws -> Void in
            try database.withLock { (connection: inout (any SQLDatabase)?) throws in
                switch location {
                case .sqlite(let path):
                    connection?.close()
                    connection = nil
                    try DatabaseDrop.dropSQLite(at: path)
                case .postgres:
                    let opened = try connection ?? open(location, secrets)
                    connection = opened
                    try DatabaseDrop.dropPostgres(opened)
                }
            }
        }
    }

    /// Runs `work` with a migrator on the connection, opened at first use, on a thread of its own.
    private func withMigrator(
        _ step: MigrationStep, _ work: @escaping @Sendable (Migrator, Migration) throws -> Void
    ) async throws {
        guard let location else { throw ApplyError("the environment has no database") }
        guard let version = MigrationVersion(step.version) else { throw ApplyError("\(step.version) is not a migration version") }
        let migration = Migration(version: version, description: step.description, path: step.path, undoPath: step.undoPath)
        try await Blocking.run("berth-migrate") { [self] () throws -> Void in
            try database.withLock { (connection: inout (any SQLDatabase)?) throws in
                let opened = try connection ?? open(location, secrets)
                connection = opened
                try work(Migrator(database: opened, clock: clock), migration)
            }
        }
    }

    func close() {
        database.withLock { connection in
            connection?.close()
            connection = nil
        }
    }
}
