import Foundation
import Testing
import BerthCore
import BerthModel
import BerthEngine
import BerthPlan
import BerthApply
import BerthDatabase
import BerthSession
import BerthTestSupport

/// Releases and the way back, on the doubles (real SQLite and config files in a temporary folder).
@Suite struct RollbackSessionTests {
    static let secondImageID = "sha256:2"

    func apply(_ world: SessionWorld, rollForward: Bool = false) async throws -> ApplySession.Outcome {
        try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev", rollForward: rollForward))
    }

    func rollback(_ world: SessionWorld, to: Int? = nil) async throws -> ApplySession.Outcome {
        try await RollbackSession(world.context()).run(RollbackSession.Options(environment: "dev", to: to, apply: ApplySession.Options(environment: "dev")))
    }

    /// Release 1 as the world starts; release 2 with another image (by a new ID), another config value and
    /// a migration that has an undo file.
    func twoReleases() async throws -> SessionWorld {
        let world = try SessionWorld()
        guard case .applied(let first) = try await apply(world), first.succeeded else { throw SessionError("release 1 failed") }
        try await Self.secondRelease(world)
        return world
    }

    func schema(_ world: SessionWorld) throws -> [String] {
        let database = try SQLiteDatabase(path: world.root + "/.berth/app.sqlite")
        defer { database.close() }
        return try database.query("SELECT sql FROM sqlite_master WHERE name = 'orders'").compactMap { $0.string("sql") }
            + database.query("SELECT version FROM berth_schema_history ORDER BY version").compactMap { $0.string("version") }
    }

    @Test("every apply that changes something is a release: numbers, parent, status, image IDs, config hash, migrations, no secret")
    func releasesRecorded() async throws {
        let world = try await twoReleases()
        let releases = try world.store.releases(environment: "shop/dev", limit: 10)
        #expect(releases.map(\.number) == [2, 1])
        #expect(releases.map(\.status) == [.current, .superseded])
        #expect(releases[0].parent == 1 && releases[1].parent == nil)
        #expect(releases[0].manifest.services.map(\.image) == ["localhost/web:2.0.0"])
        #expect(releases[0].manifest.services.map(\.imageID) == [Self.secondImageID])
        #expect(releases[1].manifest.services.map(\.imageID) == ["sha256:1"])
        #expect(releases[0].manifest.migrations.map(\.version) == ["1", "2"])
        let config = try [UInt8](Data(contentsOf: URL(fileURLWithPath: world.root + "/.berth/configs/dev/app.env")))
        #expect(releases[0].manifest.configs.map(\.sha256) == [SHA256.hex(config)])
        #expect(releases[0].digest == releases[0].manifest.digest)
        for release in releases {
            let text = String(decoding: try JSONEncoder().encode(release.manifest), as: UTF8.self) + String(decoding: release.environment ?? Data(), as: UTF8.self)
            #expect(!text.contains(SessionWorld.secret))
        }
    }

    @Test("rollback returns the image by its recorded ID, the config bytes and the schema of release 1, and pins the environment")
    func rollbackToPrevious() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        let schemaOne = try schema(world)
        let configPath = world.root + "/.berth/configs/dev/app.env"
        let configOne = try Data(contentsOf: URL(fileURLWithPath: configPath))
        try await Self.secondRelease(world)
        #expect(try schema(world) != schemaOne)

        guard case .applied(let back) = try await rollback(world) else { Issue.record("nothing rolled back"); return }
        #expect(back.succeeded)
        #expect(back.plan.actions.last?.id == "undo-migration:migration:2")
        #expect(await world.engine.containers.map(\.image) == ["sha256:1"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: configPath)) == configOne)
        #expect(try schema(world) == schemaOne)

        let releases = try world.store.releases(environment: "shop/dev", limit: 10)
        #expect(releases.map(\.status) == [.current, .rolledBack, .superseded])
        #expect(releases[0].summary == "rollback of 2 to 1" && releases[0].rollbackTarget == 1)
        #expect(releases[0].manifest.services.map(\.image) == ["localhost/web:1.0.0"])
        #expect(releases[0].manifest.services.map(\.imageID) == ["sha256:1"])

        // Pinned: the unchanged files would roll forward; refused until they change or --roll-forward.
        await #expect(throws: SessionError.self) { _ = try await apply(world) }
        guard case .applied(let forward) = try await apply(world, rollForward: true) else { Issue.record("not rolled forward"); return }
        #expect(forward.succeeded)
        #expect(await world.engine.containers.map(\.image) == ["localhost/web:2.0.0"])
        #expect(try world.store.releases(environment: "shop/dev", limit: 1).first?.summary == "apply")
    }

    static func secondRelease(_ world: SessionWorld) async throws {
        await world.engine.seedImage(reference: "localhost/web:2.0.0", id: secondImageID)
        try world.edit("environments/dev.yaml", replacing: "image: localhost/web:1.0.0", with: "image: localhost/web:2.0.0")
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: debug")
        try world.write("environments/migrations/V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note TEXT;\n")
        try world.write("environments/migrations/U2__add_note.sql", "ALTER TABLE orders DROP COLUMN note;\n")
        guard case .applied(let second) = try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev")),
              second.succeeded else { throw SessionError("release 2 failed") }
    }

    @Test("a migration applied since without an undo file stops the rollback before anything changes, naming it")
    func migrationWithoutUndo() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        try world.write("environments/migrations/V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note TEXT;\n")
        _ = try await apply(world)
        await world.engine.clearCalls()
        do {
            _ = try await rollback(world)
            Issue.record("the rollback went on")
        } catch {
            #expect("\(error)".contains("migration 2 (add note) was applied after release 1 and has no undo file"))
        }
        #expect(await world.engine.calls.allSatisfy { $0 == "list" || $0 == "images" })
        #expect(try world.store.releases(environment: "shop/dev", limit: 10).map(\.status) == [.current, .superseded])
    }

    func rows(_ world: SessionWorld) throws -> [String] {
        let database = try SQLiteDatabase(path: world.root + "/.berth/app.sqlite")
        defer { database.close() }
        return try database.query("SELECT * FROM orders ORDER BY id").map { "\($0)" }
    }

    func execute(_ world: SessionWorld, _ sql: String) throws {
        let database = try SQLiteDatabase(path: world.root + "/.berth/app.sqlite")
        defer { database.close() }
        try database.execute(sql)
    }

    @Test("with backups on disk: a changed template's bytes come back from the backup; a migration without undo is restored from the database backup with --restore-database")
    func restoreDatabaseAndConfigFromBackups() async throws {
        let world = try SessionWorld(liveBackups: true)
        _ = try await apply(world)
        try execute(world, "INSERT INTO orders (id) VALUES (1)")
        let configPath = world.root + "/.berth/configs/dev/app.env"
        let configOne = try Data(contentsOf: URL(fileURLWithPath: configPath))
        let schemaOne = try schema(world), rowsOne = try rows(world)

        // Release 2: the template itself changes (today's rendering can no longer give release 1's bytes),
        // and a migration without an undo file rewrites rows.
        try world.write("environments/app.tmpl", "LEVEL={{ level }}\nTOKEN={{ token }}\nMODE=fast\n")
        try world.write("environments/migrations/V2__add_note.sql", "ALTER TABLE orders ADD COLUMN note TEXT;\nUPDATE orders SET note = 'migrated';\n")
        guard case .applied(let second) = try await apply(world), second.succeeded else { Issue.record("release 2 failed"); return }
        try execute(world, "INSERT INTO orders (id, note) VALUES (2, 'written after release 2')")

        do {
            _ = try await rollback(world)
            Issue.record("the rollback went on without undo files")
        } catch {
            #expect("\(error)".contains("berth rollback --restore-database restores the database backup taken before it"))
        }
        let options = RollbackSession.Options(environment: "dev", apply: ApplySession.Options(environment: "dev"), restoreDatabase: true)
        guard case .applied(let back) = try await RollbackSession(world.context()).run(options) else { Issue.record("nothing rolled back"); return }
        #expect(back.succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: configPath)) == configOne)
        #expect(try schema(world) == schemaOne)
        #expect(try rows(world) == rowsOne)
        #expect(world.events.recorded.contains { $0.contains("data written to it since then will be lost") })
        // The database as it was before the restore was backed up first, and the restore is in the history.
        let latest = try #require(try world.store.releases(environment: "shop/dev", limit: 1).first)
        #expect(latest.summary == "rollback of 2 to 1")
        #expect(latest.backups.contains { $0.kind == .database })
        #expect(try world.store.history(environment: "shop/dev", limit: 5).contains { $0.actions.first?.type == "restore" })
    }

    @Test("rolling back with no earlier release, or to one that does not exist, is refused")
    func nothingToRollBackTo() async throws {
        let world = try SessionWorld()
        await #expect(throws: SessionError.self) { _ = try await rollback(world) }
        _ = try await apply(world)
        await #expect(throws: SessionError.self) { _ = try await rollback(world) }
        await #expect(throws: SessionError.self) { _ = try await rollback(world, to: 7) }
    }
}
