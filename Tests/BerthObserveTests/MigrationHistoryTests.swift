import BerthDatabase
import BerthEngine
import BerthLoading
import BerthModel
import BerthObserve
import BerthPlan
import BerthTestSupport
import Foundation
import Testing

/// The migration history as `SQLMigrationHistory` reads it through the observer, from a real SQLite
/// file and (with `BERTH_TEST_POSTGRES_URL`) a fresh PostgreSQL database. The engine is the in-memory one.
@Suite struct MigrationHistoryTests {
    struct NoHealth: HealthProbe {
        func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult { .healthy(status: 200) }
    }

    func observer() -> Observer { Observer(engine: InMemoryEngine(), health: NoHealth()) }

    func pendingLines(_ resolution: DesiredStateResolver.Resolution, _ observed: ObservedState) -> [String] {
        Planner.plan(desired: resolution.desired, observed: observed).lines.filter { $0.hasPrefix("migrate ") }
    }

    @Test("a SQLite database that does not exist yet reads as nothing applied, and observing does not create it")
    func sqliteNotCreated() async throws {
        let project = try ObserveProject.make(ObserveProject.Options(engine: "unix:///nonexistent/berth.sock"))
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let resolution = try project.resolve()
        #expect(resolution.desired.environment.database?.location == .sqlite(path: project.path("state/app.sqlite")))

        let observed = try await observer().observe(resolution.desired, secrets: resolution.secrets)
        #expect(observed.migrations == [])
        #expect(pendingLines(resolution, observed) == [
            "migrate migration:1: V1__create_orders.sql is pending",
            "migrate migration:2 after [migrate:migration:1]: V2__create_customers.sql is pending",
            "migrate migration:3 after [migrate:migration:2]: V3__add_order_status.sql is pending",
        ])
        #expect(!FileManager.default.fileExists(atPath: project.path("state/app.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: project.path("state")))
    }

    @Test("a SQLite history: no table reads as nothing applied; rows come back in the order applied")
    func sqliteRows() async throws {
        let project = try ObserveProject.make(ObserveProject.Options(engine: "unix:///nonexistent/berth.sock"))
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let resolution = try project.resolve()
        let path = project.path("state/app.sqlite")

        let empty = try SQLiteDatabase(path: path)
        empty.close()
        #expect(try await observer().observe(resolution.desired, secrets: resolution.secrets).migrations == [])

        try World.recordMigrations(resolution)
        let observed = try await observer().observe(resolution.desired, secrets: resolution.secrets)
        let rows = try #require(observed.migrations)
        #expect(rows.map(\.version) == ["1", "2", "3"])
        #expect(rows.map(\.description) == resolution.desired.environment.database?.migrations.map(\.description))
        #expect(rows.first?.description.contains("orders") == true)
        #expect(rows.map(\.checksum) == ["1", "2", "3"].map { resolution.desired.migrationChecksums[$0] ?? "?" })
        #expect(rows.allSatisfy { $0.success && $0.appliedAt == "2026-11-22T10:00:00Z" })
        #expect(Drift.detect(desired: resolution.desired, observed: observed).filter { $0.resource.hasPrefix("migration:") } == [])
    }
}

/// A fresh PostgreSQL database per test (`berth_obs_<hex>`, made with the berth role and dropped at the end).
@Suite(.enabled(if: LiveServices.postgresURL != nil, "needs BERTH_TEST_POSTGRES_URL"))
struct PostgresMigrationHistoryTests {
    struct Server {
        /// Without the password, as Berth's URLs are.
        var url: String
        var password: String?
        var user: String
        var hostAndPort: String
    }

    static func server() throws -> Server {
        let text = try #require(LiveServices.postgresURL)
        var components = try #require(URLComponents(string: text))
        let password = components.password
        components.password = nil
        let host = try #require(components.host)
        return Server(
            url: try #require(components.string), password: password, user: components.user ?? "berth",
            hostAndPort: host + (components.port.map { ":\($0)" } ?? "")
        )
    }

    /// Runs `body` with the URL of a new, empty database; drops it afterwards, also when `body` fails.
    func withFreshDatabase(_ body: (Server, String) async throws -> Void) async throws {
        let server = try Self.server()
        let name = "berth_obs_" + ObserveProject.randomHex(8)
        let admin = try PostgresDatabase(url: server.url, password: server.password)
        try admin.execute("CREATE DATABASE \(name)")
        defer {
            try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            admin.close()
        }
        try await body(server, "postgres://\(server.user)@\(server.hostAndPort)/\(name)")
    }

    @Test("PostgreSQL: a fresh database reads as nothing applied; recorded rows come back in order; the password comes from a secret")
    func postgresHistory() async throws {
        try await withFreshDatabase { server, url in
            let project = try ObserveProject.make(
                ObserveProject.Options(engine: "unix:///nonexistent/berth.sock", database: .postgres(url: url))
            )
            defer { try? FileManager.default.removeItem(atPath: project.root) }
            var variables = ObserveProject.variables
            variables["OBS_DB_PASSWORD"] = server.password ?? ""
            let resolution = try project.resolve(variables: variables)
            #expect(resolution.desired.environment.database?.location == .postgres(url: url, passwordSecret: "db_password"))
            let observer = Observer(engine: InMemoryEngine(), health: MigrationHistoryTests.NoHealth())

            // No table yet: every migration is pending.
            let fresh = try await observer.observe(resolution.desired, secrets: resolution.secrets)
            #expect(fresh.migrations == [])
            #expect(Drift.detect(desired: resolution.desired, observed: fresh).filter { $0.kind == .migrationPending }.map(\.resource) == [
                "migration:1", "migration:2", "migration:3",
            ])

            // Two applied, the third failed.
            let connection = try PostgresDatabase(url: url, password: server.password)
            defer { connection.close() }
            try connection.execute(SchemaHistoryTable.createStatement(.postgres))
            for (version, success) in [("1", true), ("2", true), ("3", false)] {
                let migration = try #require(resolution.desired.environment.database?.migrations.first { $0.version.text == version })
                try World.insertRow(
                    into: connection, version: version, description: migration.description,
                    checksum: resolution.desired.migrationChecksums[version] ?? "?", success: success
                )
            }

            let observed = try await observer.observe(resolution.desired, secrets: resolution.secrets)
            let rows = try #require(observed.migrations)
            #expect(rows.map(\.version) == ["1", "2", "3"])
            #expect(rows.map(\.success) == [true, true, false])
            #expect(rows.map(\.checksum) == ["1", "2", "3"].map { resolution.desired.migrationChecksums[$0] ?? "?" })
            #expect(rows.allSatisfy { $0.appliedAt.hasPrefix("2026-11-22") })
            #expect(Drift.detect(desired: resolution.desired, observed: observed).filter { $0.resource.hasPrefix("migration:") } == [
                DriftItem(resource: "migration:3", kind: .migrationPending, detail: "the last attempt failed"),
            ])
            let plan = Planner.plan(desired: resolution.desired, observed: observed)
            #expect(plan.lines.filter { $0.hasPrefix("migrate ") } == [
                "migrate migration:3: V3__add_order_status.sql failed before; applying it again",
            ])
        }
    }

    @Test("PostgreSQL: a wrong password is an ObserveError that names the database and never the password")
    func wrongPassword() async throws {
        try await withFreshDatabase { server, url in
            let project = try ObserveProject.make(
                ObserveProject.Options(engine: "unix:///nonexistent/berth.sock", database: .postgres(url: url))
            )
            defer { try? FileManager.default.removeItem(atPath: project.root) }
            let wrong = "wrong-password-" + ObserveProject.randomHex(12)
            var variables = ObserveProject.variables
            variables["OBS_DB_PASSWORD"] = wrong
            let resolution = try project.resolve(variables: variables)
            let observer = Observer(engine: InMemoryEngine(), health: MigrationHistoryTests.NoHealth())
            let error = await #expect(throws: ObserveError.self) { try await observer.observe(resolution.desired, secrets: resolution.secrets) }
            let message = error?.message ?? ""
            #expect(message.contains(url.split(separator: "/").last.map(String.init) ?? "?"), "\(message)")
            #expect(!message.contains(wrong), "\(message)")
        }
    }
}

/// A writer killed in the middle of a transaction leaves a hot journal behind; the next observation
/// must read the history as it was before that transaction (SQLite rolls the journal back on open).
@Suite struct InterruptedWriterTests {
    @Test("a SQLite history with a hot journal from a killed writer is read as before that writer")
    func hotJournal() async throws {
        let folder = TemporaryDirectory.make(prefix: "berth-hot-journal")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/app.sqlite"
        let script = """
            sqlite3 "$1" "\(SchemaHistoryTable.createStatement(.sqlite).replacingOccurrences(of: "\n", with: " "));
              INSERT INTO berth_schema_history VALUES (1, '1', 'init', 'abc', '2026-11-22T00:00:00Z', 1, 1);"
            printf 'PRAGMA cache_size=1;\\nBEGIN;\\nCREATE TABLE filler(a TEXT);\\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<20000) INSERT INTO filler SELECT hex(randomblob(100)) FROM n;\\nINSERT INTO berth_schema_history VALUES (2, %s2%s, %sx%s, %sdef%s, %snow%s, 1, 1);\\n.system kill -9 $PPID\\n' "'" "'" "'" "'" "'" "'" "'" "'" | sqlite3 "$1"
            test -e "$1-journal"
            """
        let setUp = try await BerthProcess.run(executable: "/bin/sh", ["-c", script, "sh", path])
        #expect(setUp.status == 0, "no hot journal was left: \(setUp.stderr)")

        let rows = try await SQLMigrationHistory().appliedMigrations(of: .sqlite(path: path), secrets: [:])
        #expect(rows.map(\.version) == ["1"])
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
    }
}
