import BerthApply
import BerthCore
import BerthDatabase
import BerthModel
import BerthSession
import BerthTestSupport
import Foundation
import Testing

/// An apply that migrates backs the database up first, and `berth restore` puts it back: the sessions
/// with the host's backup driver, on real SQLite and (when `BERTH_TEST_POSTGRES_URL` is set) real
/// PostgreSQL; the engine and the state store are the doubles.
@Suite struct BackupSessionLiveTests {
    static let v2 = """
        ALTER TABLE orders ADD COLUMN note TEXT;
        CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders (id));
        """

    func apply(_ world: SessionWorld) async throws -> ApplySession.Applied {
        let outcome = try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev"))
        guard case .applied(let applied) = outcome else { throw SessionError("not applied: \(outcome)") }
        #expect(applied.succeeded, "\(applied.report)")
        return applied
    }

    /// The schema, the applied versions and the orders, as a migration and a restore change them.
    func snapshot(_ location: DatabaseLocation, _ secrets: [String: String]) throws -> [String] {
        let database = try DatabaseConnector.open(location, secrets: secrets)
        defer { database.close() }
        let schema: String =
            switch location {
            case .sqlite: "SELECT name || ':' || coalesce(sql, '') AS item FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1"
            case .postgres:
                """
                SELECT table_name || '.' || column_name || ':' || data_type AS item FROM information_schema.columns
                WHERE table_schema = 'public' ORDER BY 1
                """
            }
        return try database.query(schema).compactMap { $0.string("item") }
            + database.query("SELECT version AS item FROM berth_schema_history ORDER BY installed_rank").compactMap { $0.string("item") }
            + database.query("SELECT id AS item FROM orders ORDER BY id").compactMap { $0.string("item") }
    }

    /// Applies V1, adds orders, applies V2 (backed up first), then restores the backup; checks every step.
    func exercise(_ world: SessionWorld, _ location: DatabaseLocation, _ secrets: [String: String], suffix: String) async throws {
        _ = try await apply(world)
        do {
            let database = try DatabaseConnector.open(location, secrets: secrets)
            defer { database.close() }
            for id in 1...25 { _ = try database.query("INSERT INTO orders (id) VALUES (\(id))") }
        }
        let before = try snapshot(location, secrets)
        let oldConfig = [UInt8](try Data(contentsOf: URL(fileURLWithPath: world.root + "/.berth/configs/dev/app.env")))

        try world.write("environments/migrations/V2__items.sql", Self.v2)
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: debug")
        let second = try await apply(world)
        let backups = try #require(second.release?.backups)
        #expect(backups.map(\.id) == ["r2-database", "r2-config-app"])
        let root = world.root + "/.berth/backups/dev"
        #expect(try mode(root) == 0o700)
        for backup in backups {
            #expect(try mode(backup.path) == 0o600, "\(backup.path)")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup.path)))
            #expect(backup.sha256 == SHA256.hex(bytes) && backup.size == bytes.count)
        }
        #expect(backups[0].path == "\(root)/r2-database.\(suffix)")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: backups[1].path))) == oldConfig)
        #expect(try snapshot(location, secrets) != before)

        let outcome = try await RestoreSession(world.context()).run(RestoreSession.Options(environment: "dev", backup: "r2-database"))
        guard case .restored = outcome else { Issue.record("\(outcome)"); return }
        #expect(try snapshot(location, secrets) == before)
        // The history table went back with the rest: the next plan runs V2 again, and it applies.
        let plan = try await Pipeline(world.context()).plan("dev").plan
        #expect(plan.actions.filter { $0.kind == .migrate }.map(\.resource) == ["migration:2"])
        _ = try await apply(world)
    }

    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("SQLite: an apply that migrates copies the database first (0600, hash and size right); restore brings schema and rows back")
    func sqlite() async throws {
        let world = try SessionWorld(liveBackups: true)
        try await exercise(world, .sqlite(path: world.root + "/.berth/app.sqlite"), [:], suffix: "sqlite")
    }

    @Test("PostgreSQL: the same with pg_dump before the migration and psql putting it back", .enabled(if: MigratorDatabase.hasPostgres))
    func postgres() async throws {
        let server = try #require(MigratorDatabase.server)
        let admin = try PostgresDatabase(url: try #require(server.url.string), password: server.password)
        defer { admin.close() }
        let name = "berth_bk_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try admin.execute("CREATE DATABASE \(name)")
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        var components = server.url
        components.path = "/" + name
        let url = try #require(components.string)
        let password = server.password ?? ""
        let world = try Self.postgresWorld(url: url, password: password)
        try await exercise(world, .postgres(url: url, passwordSecret: "db"), ["db": password], suffix: "dump")
    }

    /// The default world with its database at `url`, the password in the secret `db`, and the host's backups.
    static func postgresWorld(url: String, password: String) throws -> SessionWorld {
        let environment = SessionWorld.defaultEnvironment.replacingOccurrences(
            of: "  url: sqlite:.berth/app.sqlite\n", with: "  url: \(url)\n  password: { secret: db }\n"
        ).replacingOccurrences(of: "secrets:\n", with: "secrets:\n  db: { env: SESSION_DB_PASSWORD }\n")
        return try SessionWorld(
            environment: environment, variables: ["SESSION_TOKEN": SessionWorld.secret, "SESSION_DB_PASSWORD": password], liveBackups: true
        )
    }
}
