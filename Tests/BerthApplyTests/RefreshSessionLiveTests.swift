import BerthApply
import BerthCore
import BerthDatabase
import BerthModel
import BerthSession
import BerthTestSupport
import Foundation
import Testing

/// `berth refresh-data` with the host's backup driver: dev's backup restored into staging's own
/// database and masked there, on real SQLite files and (when `BERTH_TEST_POSTGRES_URL` is set) real
/// PostgreSQL databases; the engine and the state store are the doubles.
@Suite struct RefreshSessionLiveTests {
    static let mask = "UPDATE customers SET email = 'masked';\n"

    func rows(_ location: DatabaseLocation, _ secrets: [String: String], _ sql: String) throws -> [String] {
        let database = try DatabaseConnector.open(location, secrets: secrets)
        defer { database.close() }
        return try database.query(sql).compactMap { $0.string("item") }
    }

    func execute(_ location: DatabaseLocation, _ secrets: [String: String], _ statements: [String]) throws {
        let database = try DatabaseConnector.open(location, secrets: secrets)
        defer { database.close() }
        for statement in statements { _ = try database.query(statement) }
    }

    func customers(_ location: DatabaseLocation, _ secrets: [String: String]) throws -> [String] {
        try rows(location, secrets, "SELECT CAST(id AS TEXT) || ':' || email AS item FROM customers ORDER BY id")
    }

    func refresh(_ world: SessionWorld, into environment: String = "staging") async throws -> RefreshSession.Outcome {
        try await RefreshSession(world.context()).run(RefreshSession.Options(environment: environment, source: "dev"))
    }

    /// dev: V1, customers and orders, then V2 (backed up first as r2-database). staging: its own database
    /// holding something else, refreshed from dev and masked; production refused; a failing mask changes nothing.
    func exercise(
        _ world: SessionWorld, dev: DatabaseLocation, staging: DatabaseLocation, stagingURL: String, _ secrets: [String: String]
    ) async throws {
        let applied = try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev"))
        guard case .applied = applied else { Issue.record("\(applied)"); return }
        try execute(dev, secrets, [
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL)",
            "INSERT INTO customers (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com')",
            "INSERT INTO orders (id) VALUES (10), (11), (12)",
        ])
        try world.write("environments/migrations/V2__items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);\n")
        let second = try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev"))
        guard case .applied(let release) = second else { Issue.record("\(second)"); return }
        #expect(release.release?.backups.map(\.id) == ["r2-database"])

        try world.write("environments/mask.sql", Self.mask)
        try world.write("environments/staging.yaml", """
            extends: dev
            database:
              url: \(stagingURL)
              refresh: { mask: mask.sql }
            """)
        try execute(staging, secrets, ["CREATE TABLE leftover (id INTEGER)"])

        let outcome = try await refresh(world)
        guard case .refreshed(let target, let source, let mask, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(target.backup.id == "r2-database" && source == "dev" && mask == world.root + "/environments/mask.sql")
        #expect(try customers(staging, secrets) == ["1:masked", "2:masked"])
        #expect(try customers(dev, secrets) == ["1:ada@example.com", "2:grace@example.com"])
        #expect(try rows(staging, secrets, "SELECT CAST(id AS TEXT) AS item FROM orders ORDER BY id") == ["10", "11", "12"])
        let tables = "SELECT version AS item FROM berth_schema_history ORDER BY installed_rank"
        #expect(try rows(staging, secrets, tables) == ["1"], "the backup was taken before V2")
        #expect(throws: (any Error).self) { try rows(staging, secrets, "SELECT CAST(id AS TEXT) AS item FROM leftover") }

        // A mask that fails leaves the database as it was: nothing restored, nothing masked.
        try execute(staging, secrets, ["INSERT INTO customers (id, email) VALUES (3, 'kept@example.com')"])
        try world.write("environments/mask.sql", "UPDATE customers SET email = 'masked';\nUPDATE nowhere SET x = 1;\n")
        await #expect(throws: SessionError.self) { _ = try await refresh(world) }
        #expect(try customers(staging, secrets) == ["1:masked", "2:masked", "3:kept@example.com"])

        try world.write("environments/production.yaml", "extends: dev\ndatabase:\n  url: \(stagingURL)\n")
        do {
            _ = try await refresh(world, into: "production")
            Issue.record("a production environment was refreshed")
        } catch {
            #expect("\(error)".contains("production is a production environment: refresh-data never replaces a production database"))
        }
        #expect(try customers(staging, secrets).count == 3)
        let events = try world.store.history(environment: "shop/dev", limit: 1).first?.actions.map { "\($0.type) \($0.resource)" }
        #expect(events == ["refresh-data database:r2-database"])
    }

    @Test("SQLite: refresh-data copies dev's backup into staging's file, schema and rows, masks it, and refuses production")
    func sqlite() async throws {
        let world = try SessionWorld(liveBackups: true)
        try await exercise(
            world, dev: .sqlite(path: world.root + "/.berth/app.sqlite"), staging: .sqlite(path: world.root + "/.berth/staging.sqlite"),
            stagingURL: "sqlite:.berth/staging.sqlite", [:]
        )
    }

    @Test("PostgreSQL: the same between two databases, the mask in the restore's transaction", .enabled(if: MigratorDatabase.hasPostgres))
    func postgres() async throws {
        let server = try #require(MigratorDatabase.server)
        let admin = try PostgresDatabase(url: try #require(server.url.string), password: server.password)
        defer { admin.close() }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        var urls: [String] = []
        for name in ["berth_rf_\(suffix)", "berth_rs_\(suffix)"] {
            try admin.execute("CREATE DATABASE \(name)")
            var components = server.url
            components.path = "/" + name
            urls.append(try #require(components.string))
        }
        defer {
            for name in ["berth_rf_\(suffix)", "berth_rs_\(suffix)"] { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        }
        let password = server.password ?? ""
        let world = try BackupSessionLiveTests.postgresWorld(url: urls[0], password: password)
        try await exercise(
            world, dev: .postgres(url: urls[0], passwordSecret: "db"), staging: .postgres(url: urls[1], passwordSecret: "db"),
            stagingURL: urls[1], ["db": password]
        )
    }
}
