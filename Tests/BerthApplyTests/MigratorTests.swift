import BerthApply
import BerthDatabase
import BerthModel
import BerthObserve
import BerthTestSupport
import Foundation
import Testing

@Suite struct MigratorTests {
    typealias Planned = (migration: Migration, checksum: String)

    static let customers = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO customers (id, name) VALUES (1, 'Ada'), (2, 'Grace');
        """
    static let email = """
        ALTER TABLE customers ADD COLUMN email TEXT;
        CREATE INDEX customers_email ON customers (email);
        """
    static let orders = """
        -- Orders belong to customers.
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id),
            total_cents INTEGER NOT NULL
        );
        INSERT INTO orders (id, customer_id, total_cents) VALUES (1, 1, 1250);
        """

    @Test("a fresh database gets every migration in version order, one history row each", arguments: MigratorDatabase.backends)
    func freshDatabase(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            let v2 = try files.write("2", "add_email", Self.email)
            let v10 = try files.write("10", "create_orders", Self.orders)

            let database = try target.connect()
            defer { database.close() }
            var reported: [MigrationOutcome] = []
            let applied = try Migrator(database: database).apply([v10, v1, v2]) { reported.append($0) }

            #expect(applied.map(\.version) == ["1", "2", "10"])
            #expect(applied.map(\.description) == ["create customers", "add email", "create orders"])
            #expect(reported.map(\.version) == ["1", "2", "10"])
            #expect(reported.map(\.description) == ["create customers", "add email", "create orders"])
            let checksums = try [v1, v2, v10].map { SHA256.hex(try files.bytes(of: $0.migration)) }
            #expect(applied.map(\.checksum) == checksums)
            #expect(applied.allSatisfy { $0.success && !$0.appliedAt.isEmpty })
            if backend == .sqlite {
                let iso = ISO8601DateFormatter()
                iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                #expect(applied.allSatisfy { $0.appliedAt.hasSuffix("Z") && iso.date(from: $0.appliedAt) != nil })
            }

            // The reader of the observe stage sees exactly what the migrator returned.
            #expect(try await target.history() == applied)
            let rows = try database.query("SELECT version, execution_ms FROM berth_schema_history ORDER BY installed_rank")
            #expect(rows.map { $0.string("version") } == ["1", "2", "10"])
            #expect(rows.allSatisfy { ($0.int("execution_ms") ?? -1) >= 0 })

            // The schema is there: the added column, and the rows inserted.
            try database.execute("INSERT INTO customers (id, name, email) VALUES (3, 'Linus', 'l@example.org')")
            #expect(try database.query("SELECT count(*) AS n FROM customers").first?.int("n") == 3)
            #expect(try database.query("SELECT total_cents FROM orders WHERE id = 1").first?.int("total_cents") == 1250)
        }
    }

    @Test("undo runs the U file and removes the history row, so the schema is the one before; undoing what is not applied does nothing",
          arguments: MigratorDatabase.backends)
    func undo(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            let v2 = try files.write("2", "add_email", Self.email)
            let undoPath = files.folder + "/U2__add_email.sql"
            try Data("DROP INDEX customers_email;\nALTER TABLE customers DROP COLUMN email;\n".utf8).write(to: URL(fileURLWithPath: undoPath))
            let database = try target.connect()
            defer { database.close() }
            _ = try Migrator(database: database).apply([v1])
            let before = try target.schema(database)
            _ = try Migrator(database: database).apply([v2])
            #expect(try target.schema(database) != before)

            #expect(try Migrator(database: database).undo(v2.migration, undoPath: undoPath) == true)
            #expect(try target.schema(database) == before)
            #expect(try await target.history().map(\.version) == ["1"])
            #expect(try Migrator(database: database).undo(v2.migration, undoPath: undoPath) == false)
            // Applied again after the undo: the row comes back.
            #expect(try Migrator(database: database).apply([v1, v2]).map(\.version) == ["2"])
        }
    }

    @Test("a second run applies nothing", arguments: MigratorDatabase.backends)
    func secondRun(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let migrations = [
                try files.write("1", "create_customers", Self.customers),
                try files.write("2", "add_email", Self.email),
            ]
            let first = try target.connect()
            #expect(try Migrator(database: first).apply(migrations).count == 2)
            first.close()
            let history = try await target.history()

            let second = try target.connect()
            defer { second.close() }
            var reported = 0
            #expect(try Migrator(database: second).apply(migrations) { _ in reported += 1 }.isEmpty)
            #expect(reported == 0)
            #expect(try await target.history() == history)
        }
    }

    @Test(
        "a failing migration is rolled back whole and stops the run",
        arguments: MigratorDatabase.backends, [FailingStatement.missingTable, .syntaxError]
    )
    func failingMigration(backend: MigratorDatabase.Backend, failure: FailingStatement) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            // Its first statements succeed before the bad one; they must be undone with it.
            let v2 = try files.write("2", "audit_log", """
                CREATE TABLE audit_log (id INTEGER PRIMARY KEY, entry TEXT);
                INSERT INTO audit_log (id, entry) VALUES (1, 'created');
                ALTER TABLE customers ADD COLUMN email TEXT;
                \(failure.sql);
                """)
            let v3 = try files.write("3", "create_orders", Self.orders)

            let database = try target.connect()
            defer { database.close() }
            _ = try Migrator(database: database).apply([v1])
            let schemaBefore = try target.schema(database)
            let historyBefore = try await target.history()

            var reported: [String] = []
            let error = #expect(throws: MigrationError.self) {
                try Migrator(database: database).apply([v1, v2, v3]) { reported.append($0.version) }
            }
            #expect(error?.code == .failed)
            #expect(error?.version == "2")
            #expect(error?.file == v2.migration.path)
            let text = error?.description ?? ""
            #expect(text.hasPrefix("migration 2 failed (\(v2.migration.path)): "))
            #expect(text.contains(failure.databaseMessage(backend)), "\(text)")
            #expect(reported.isEmpty)

            #expect(try database.tableExists("audit_log") == false)
            #expect(try database.tableExists("orders") == false)
            #expect(try target.schema(database) == schemaBefore)
            #expect(try await target.history() == historyBefore)
            #expect(try database.query("SELECT count(*) AS n FROM customers").first?.int("n") == 2)
            // The connection is usable afterwards: no transaction was left open.
            try database.begin()
            try database.rollback()
        }
    }

    @Test("a changed applied migration is refused before anything runs", arguments: MigratorDatabase.backends)
    func checksumMismatch(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            let v3 = try files.write("3", "add_email", Self.email)
            let database = try target.connect()
            defer { database.close() }
            _ = try Migrator(database: database).apply([v1, v3])
            let history = try await target.history()

            // A new migration that sorts before the changed one: refusing must come before running it.
            let v2 = try files.write("2", "create_orders", Self.orders)
            let changed = try files.write("3", "add_email", Self.email + "\nCREATE INDEX customers_name ON customers (name);\n")
            let error = #expect(throws: MigrationError.self) {
                try Migrator(database: database).apply([v1, v2, changed])
            }
            #expect(error?.code == .checksumMismatch)
            #expect(error?.version == "3")
            #expect(error?.file == changed.migration.path)
            #expect(error?.description.contains("changed after it was applied") == true)
            #expect(error?.description.contains(String(v3.checksum.prefix(12))) == true)
            #expect(try database.tableExists("orders") == false)
            #expect(try await target.history() == history)
        }
    }

    @Test("a history row of a failed attempt does not count as applied", arguments: MigratorDatabase.backends)
    func failedRowRunsAgain(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            let database = try target.connect()
            defer { database.close() }
            // Written by another tool, on a database that could not roll back its DDL.
            try database.execute(SchemaHistoryTable.createStatement(database.dialect))
            let p = database.dialect.placeholder
            _ = try database.query(
                """
                INSERT INTO berth_schema_history (version, description, checksum, applied_at, execution_ms, success)
                VALUES ('1', 'create customers', \(p(1)), '2024-01-01T00:00:00Z', 3, \(backend == .sqlite ? "0" : "false"))
                """,
                [.text(v1.checksum)]
            )

            #expect(try Migrator(database: database).apply([v1]).map(\.version) == ["1"])
            #expect(try await target.history().map(\.success) == [false, true])
            #expect(try database.tableExists("customers"))
        }
    }

    @Test(
        "a file that changed since its checksum was taken is refused before anything runs",
        arguments: MigratorDatabase.backends
    )
    func fileChanged(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let v1 = try files.write("1", "create_customers", Self.customers)
            let v2 = try files.write("2", "add_email", Self.email)
            try Data("ALTER TABLE customers ADD COLUMN phone TEXT;".utf8).write(to: URL(fileURLWithPath: v2.migration.path))
            let database = try target.connect()
            defer { database.close() }
            let error = #expect(throws: MigrationError.self) { try Migrator(database: database).apply([v1, v2]) }
            #expect(error?.code == .fileChanged)
            #expect(error?.version == "2")
            #expect(try database.tableExists("customers") == false)
            #expect(try await target.history().isEmpty)
        }
    }

    @Test("two runners at once apply each migration exactly once", arguments: MigratorDatabase.backends)
    func concurrentRunners(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            var migrations: [Planned] = [try files.write("1", "create_customers", Self.customers)]
            for index in 2...30 {
                migrations.append(try files.write(String(index), "table_\(index)", """
                    CREATE TABLE table_\(index) (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
                    INSERT INTO table_\(index) (id, label) VALUES (1, 'one'), (2, 'two');
                    CREATE INDEX table_\(index)_label ON table_\(index) (label);
                    """))
            }
            let run: @Sendable () throws -> [String] = { [migrations] in
                let database = try target.connect()
                defer { database.close() }
                return try Migrator(database: database).apply(migrations).map(\.version)
            }
            async let first = onThread(run)
            async let second = onThread(run)
            let outcomes = try await [first, second]

            let all = outcomes.flatMap { $0 }
            #expect(all.sorted { Int($0) ?? 0 < Int($1) ?? 0 } == (1...30).map(String.init))
            #expect(Set(outcomes[0]).isDisjoint(with: outcomes[1]))
            let history = try await target.history()
            #expect(history.count == 30)
            #expect(Set(history.map(\.version)).count == 30)
        }
    }

    @Test("a lock held by another session makes the runner give up after lockTimeout", .enabled(if: MigratorDatabase.hasPostgres))
    func heldLock() async throws {
        try await MigratorDatabase.withFresh(.postgres) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let migrations = [try files.write("1", "create_customers", Self.customers)]
            let holder = try #require(try target.connect() as? PostgresDatabase)
            defer { holder.close() }
            #expect(try holder.tryAdvisoryLock(Migrator.advisoryLockKey))

            let database = try target.connect()
            defer { database.close() }
            let error = #expect(throws: MigrationError.self) {
                try Migrator(database: database, lockTimeout: .milliseconds(300)).apply(migrations)
            }
            #expect(error?.code == .lockTimeout)
            let text = error?.description ?? ""
            #expect(text.contains("waiting 0.3 seconds for the migration lock of \(target.redactedURL ?? "?")"), "\(text)")
            #expect(text.contains("held by server process"), "\(text)")
            #expect(try database.tableExists("customers") == false)

            try holder.advisoryUnlock(Migrator.advisoryLockKey)
            #expect(try Migrator(database: database, lockTimeout: .milliseconds(300)).apply(migrations).count == 1)
            // The run released its lock: another session can take it.
            #expect(try holder.tryAdvisoryLock(Migrator.advisoryLockKey))
        }
    }

    @Test("nothing to apply takes no lock", .enabled(if: MigratorDatabase.hasPostgres))
    func upToDateTakesNoLock() async throws {
        try await MigratorDatabase.withFresh(.postgres) { target in
            let files = MigrationFiles()
            defer { files.remove() }
            let migrations = [try files.write("1", "create_customers", Self.customers)]
            let database = try target.connect()
            defer { database.close() }
            _ = try Migrator(database: database).apply(migrations)

            let holder = try #require(try target.connect() as? PostgresDatabase)
            defer { holder.close() }
            #expect(try holder.tryAdvisoryLock(Migrator.advisoryLockKey))
            #expect(try Migrator(database: database, lockTimeout: .zero).apply(migrations).isEmpty)
        }
    }

    @Test("opening read-only never creates a SQLite file")
    func readOnlySQLite() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-migrator")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/data/app.sqlite"
        let error = #expect(throws: DatabaseError.self) {
            try DatabaseConnector.open(.sqlite(path: path), secrets: [:], readOnly: true)
        }
        #expect(error?.code == .notFound)
        #expect(!FileManager.default.fileExists(atPath: folder + "/data"))

        let database = try DatabaseConnector.open(.sqlite(path: path), secrets: [:])
        database.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("opening PostgreSQL read-only refuses writes", .enabled(if: MigratorDatabase.hasPostgres))
    func readOnlyPostgres() async throws {
        try await MigratorDatabase.withFresh(.postgres) { target in
            let database = try DatabaseConnector.open(target.location, secrets: target.secrets, readOnly: true)
            defer { database.close() }
            #expect(try database.query("SELECT 1 AS one").first?.int("one") == 1)
            let error = #expect(throws: DatabaseError.self) { try database.execute("CREATE TABLE t (id INTEGER)") }
            #expect(error?.message.contains("read-only") == true)
        }
    }
}

/// A statement that fails when it runs (a missing table) or when it is parsed (a syntax error).
enum FailingStatement: String, Sendable, CustomTestStringConvertible {
    case missingTable
    case syntaxError

    var sql: String {
        switch self {
        case .missingTable: "INSERT INTO missing_table (id) VALUES (1)"
        case .syntaxError: "CREATE TABLEX broken (id INTEGER)"
        }
    }

    func databaseMessage(_ backend: MigratorDatabase.Backend) -> String {
        switch (self, backend) {
        case (.missingTable, .sqlite): "no such table: missing_table"
        case (.missingTable, .postgres): #"relation "missing_table" does not exist"#
        case (.syntaxError, .sqlite): #"near "TABLEX": syntax error"#
        case (.syntaxError, .postgres): #"syntax error at or near "TABLEX""#
        }
    }

    var testDescription: String { rawValue }
}

/// Migration files in a new temporary folder, named as the loader expects them.
struct MigrationFiles {
    let folder = TemporaryDirectory.make(prefix: "berth-migrations")

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Writes `V<version>__<name>.sql` (replacing one there) and returns it with its checksum.
    func write(_ version: String, _ name: String, _ sql: String) throws -> (migration: Migration, checksum: String) {
        let path = folder + "/V\(version)__\(name).sql"
        try Data(sql.utf8).write(to: URL(fileURLWithPath: path))
        let migration = Migration(
            version: try #require(MigrationVersion(version)), description: name.replacingOccurrences(of: "_", with: " "),
            path: path
        )
        return (migration, SHA256.hex(try bytes(of: migration)))
    }

    func bytes(of migration: Migration) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: migration.path)))
    }
}

/// A fresh, empty database per test: a SQLite file in a new temporary folder, or (when
/// `BERTH_TEST_POSTGRES_URL` is set) a new PostgreSQL database `berth_mig_<random>`, dropped afterwards.
struct MigratorDatabase: Sendable {
    enum Backend: String, Sendable, CustomTestStringConvertible {
        case sqlite
        case postgres

        var testDescription: String { rawValue }
    }

    /// The test server's URL without its password, and the password, from `BERTH_TEST_POSTGRES_URL`.
    static let server: (url: URLComponents, password: String?)? = {
        guard let text = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"], !text.isEmpty,
            var components = URLComponents(string: text)
        else { return nil }
        let password = components.password
        components.password = nil
        return (components, password)
    }()

    static var hasPostgres: Bool { server != nil }
    static var backends: [Backend] { hasPostgres ? [.sqlite, .postgres] : [.sqlite] }

    let backend: Backend
    let location: DatabaseLocation
    let secrets: [String: String]

    var redactedURL: String? {
        if case .postgres(let url, _) = location { url } else { nil }
    }

    func connect() throws -> any SQLDatabase {
        try DatabaseConnector.open(location, secrets: secrets)
    }

    /// What `berth plan` would observe.
    func history() async throws -> [AppliedMigration] {
        try await SQLMigrationHistory().appliedMigrations(of: location, secrets: secrets)
    }

    /// Tables, indexes and columns, sorted: equal snapshots mean an equal schema.
    func schema(_ database: any SQLDatabase) throws -> [String] {
        let sql =
            switch backend {
            case .sqlite:
                "SELECT type || ':' || name || ':' || coalesce(sql, '') AS item FROM sqlite_master ORDER BY 1"
            case .postgres:
                """
                SELECT 'table:' || tablename AS item FROM pg_catalog.pg_tables WHERE schemaname = 'public'
                UNION ALL SELECT 'index:' || indexdef FROM pg_catalog.pg_indexes WHERE schemaname = 'public'
                UNION ALL SELECT 'column:' || table_name || '.' || column_name || ':' || data_type
                    FROM information_schema.columns WHERE table_schema = 'public'
                ORDER BY 1
                """
            }
        return try database.query(sql).compactMap { $0.string("item") }
    }

    static func withFresh<T>(_ backend: Backend, _ body: (MigratorDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let folder = TemporaryDirectory.make(prefix: "berth-migrator")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let location = DatabaseLocation.sqlite(path: folder + "/db/app.sqlite")
            return try await body(MigratorDatabase(backend: .sqlite, location: location, secrets: [:]))
        case .postgres:
            let (name, admin, target) = try createPostgres()
            defer { dropPostgres(name, admin) }
            return try await body(target)
        }
    }

    private static func createPostgres() throws -> (String, PostgresDatabase, MigratorDatabase) {
        let server = try #require(server, "BERTH_TEST_POSTGRES_URL is not set")
        let admin = try PostgresDatabase(url: try #require(server.url.string), password: server.password)
        let name = "berth_mig_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.execute("CREATE DATABASE \(name)")
        var components = server.url
        components.path = "/" + name
        let location = DatabaseLocation.postgres(url: try #require(components.string), passwordSecret: "database-password")
        let secrets = server.password.map { ["database-password": $0] } ?? [:]
        return (name, admin, MigratorDatabase(backend: .postgres, location: location, secrets: secrets))
    }

    private static func dropPostgres(_ name: String, _ admin: PostgresDatabase) {
        try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}

/// Runs blocking work on a thread of its own, so two runners really run at once.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
