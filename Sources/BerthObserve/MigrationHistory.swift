public import BerthModel
public import BerthDatabase
import BerthCore

/// Reads the `berth_schema_history` table: what has been applied to a database.
public protocol MigrationHistory: Sendable {
    /// The rows in the order they were applied; none when the table (or a SQLite file) does not exist yet.
    func appliedMigrations(of location: DatabaseLocation, secrets: [String: String]) async throws(ObserveError) -> [AppliedMigration]
}

/// The history table as Berth writes it. One definition, shared by the reader here and the migrator.
public enum SchemaHistoryTable {
    public static let name = "berth_schema_history"

    /// The table, created before the first migration is recorded.
    public static func createStatement(_ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite:
            """
            CREATE TABLE IF NOT EXISTS berth_schema_history (
                installed_rank INTEGER PRIMARY KEY, version TEXT NOT NULL, description TEXT NOT NULL,
                checksum TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL, success INTEGER NOT NULL
            )
            """
        case .postgres:
            """
            CREATE TABLE IF NOT EXISTS berth_schema_history (
                installed_rank SERIAL PRIMARY KEY, version TEXT NOT NULL, description TEXT NOT NULL,
                checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms INTEGER NOT NULL,
                success BOOLEAN NOT NULL
            )
            """
        }
    }

    public static let selectAll = """
        SELECT version, description, checksum, applied_at, success FROM berth_schema_history ORDER BY installed_rank
        """
}

/// The real reader: SQLite (never creating a file) or PostgreSQL.
public struct SQLMigrationHistory: MigrationHistory {
    public init() {}

    public func appliedMigrations(of location: DatabaseLocation, secrets: [String: String]) async throws(ObserveError) -> [AppliedMigration] {
        // Blocking database calls run on a thread of their own (`Blocking`), never on the cooperative pool.
        try await Blocking.run("berth-history") { () throws(ObserveError) -> [AppliedMigration] in
            try Self.read(location, secrets: secrets)
        }
    }

    private static func read(_ location: DatabaseLocation, secrets: [String: String]) throws(ObserveError) -> [AppliedMigration] {
        let database: any SQLDatabase
        do throws(DatabaseError) {
            switch location {
            case .sqlite(let path):
                // A database file that does not exist yet has no history, and observing never creates it. One that
                // exists is opened for writing: a writer killed mid-transaction leaves a journal that SQLite rolls back
                // on the next open, which a read-only connection cannot do.
                guard LocalFileSystem().fileExists(atPath: path) else { return [] }
                database = try SQLiteDatabase(path: path, readOnly: false)
            case .postgres(let url, let passwordSecret):
                database = try PostgresDatabase(url: url, password: passwordSecret.flatMap { secrets[$0] })
            }
        } catch {
            // A SQLite file that does not exist yet has no history; observing never creates it.
            if error.code == .notFound { return [] }
            throw ObserveError("cannot open the database to read its migration history: \(error)")
        }
        defer { database.close() }
        do throws(DatabaseError) {
            guard try database.tableExists(SchemaHistoryTable.name) else { return [] }
            return try database.query(SchemaHistoryTable.selectAll).map { row in
                AppliedMigration(
                    version: row.string("version") ?? "", description: row.string("description") ?? "",
                    checksum: row.string("checksum") ?? "", appliedAt: row.string("applied_at") ?? "",
                    success: row.bool("success") ?? false
                )
            }
        } catch {
            throw ObserveError("cannot read \(SchemaHistoryTable.name): \(error)")
        }
    }
}

/// A history held in memory, for tests; can be told to fail.
public struct InMemoryMigrationHistory: MigrationHistory {
    public var rows: [AppliedMigration]
    public var failure: ObserveError?

    public init(rows: [AppliedMigration] = [], failure: ObserveError? = nil) {
        self.rows = rows
        self.failure = failure
    }

    public func appliedMigrations(of location: DatabaseLocation, secrets: [String: String]) async throws(ObserveError) -> [AppliedMigration] {
        if let failure { throw failure }
        return rows
    }
}

/// Why the world could not be observed; the message names what could not be reached.
public struct ObserveError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
