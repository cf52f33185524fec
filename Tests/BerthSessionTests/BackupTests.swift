import Foundation
import Testing
import BerthCore
import BerthModel
import BerthApply
import BerthSession
import BerthTestSupport

/// Backups before an apply changes something, and `berth restore`, on the doubles: the in-memory
/// backup driver (with faults), engine and state store; config files and SQLite in a temporary folder.
@Suite struct BackupTests {
    static let key = "shop/dev"

    func apply(_ world: SessionWorld) async throws -> ApplySession.Applied {
        let outcome = try await ApplySession(world.context()).run(ApplySession.Options(environment: "dev"))
        guard case .applied(let applied) = outcome else { throw SessionError("not applied: \(outcome)") }
        return applied
    }

    func root(_ world: SessionWorld) -> String { world.root + "/.berth/backups/dev" }
    func database(_ world: SessionWorld) -> DatabaseLocation { .sqlite(path: world.root + "/.berth/app.sqlite") }
    func configFile(_ world: SessionWorld) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: world.root + "/.berth/configs/dev/app.env")))
    }

    /// A second apply that runs a migration and rewrites the config.
    func changeMigrationAndConfig(_ world: SessionWorld, version: Int = 2) throws {
        try world.write("environments/migrations/V\(version)__more.sql", "CREATE TABLE t\(version) (id INTEGER PRIMARY KEY);\n")
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: debug")
    }

    @Test("a database backup that fails stops the apply before anything changes")
    func failingDatabaseBackup() async throws {
        let world = try SessionWorld()
        world.backups.fail(.backupDatabase, reason: "No space left on device")
        let error = await #expect(throws: SessionError.self) { try await apply(world) }
        #expect(error?.problems == ["cannot back up the sqlite database before the apply: No space left on device; nothing was changed"])
        let calls = await world.engine.calls
        #expect(calls.allSatisfy { $0 == "list" || $0 == "images" }, "\(calls)")
        #expect(await world.engine.containers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: world.root + "/.berth/configs/dev/app.env"))
        #expect(!FileManager.default.fileExists(atPath: world.root + "/.berth/app.sqlite"), "no migration ran")
        #expect(try world.store.history(environment: Self.key, limit: 10).isEmpty)
        #expect(try world.store.releases(environment: Self.key, limit: 10).isEmpty)
        #expect(world.store.storedLocks.isEmpty)
    }

    @Test("a config backup that fails stops the apply too, and the database copy taken for it goes")
    func failingConfigBackup() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        let before = try configFile(world)
        try changeMigrationAndConfig(world)
        world.backups.fail(.store, reason: "Read-only file system")
        let error = await #expect(throws: SessionError.self) { try await apply(world) }
        let target = world.root + "/.berth/configs/dev/app.env"
        #expect(error?.problems == ["cannot back up config app (\(target)) before the apply: Read-only file system; nothing was changed"])
        #expect(world.backups.calls.suffix(3) == [
            "backupDatabase \(root(world))/r2-database.sqlite", "store \(root(world))/configs/\(SHA256.hex(before))",
            "remove \(root(world))/r2-database.sqlite",
        ])
        #expect(try configFile(world) == before)
        #expect(try world.store.history(environment: Self.key, limit: 10).count == 1)
        #expect(try world.store.releases(environment: Self.key, limit: 10).count == 1)
    }

    @Test("the release records its backups: the database before a migration, a config's previous bytes by their hash")
    func releaseRecordsBackups() async throws {
        let world = try SessionWorld()
        world.backups.setDatabase(database(world), Array("state 1".utf8))
        let first = try await apply(world)
        // A migration runs: the database is copied; the config file did not exist, so there is nothing to keep.
        #expect(first.release?.backups.map(\.id) == ["r1-database"])
        let old = try configFile(world)

        try changeMigrationAndConfig(world)
        let second = try await apply(world)
        #expect(second.succeeded)
        let release = try #require(second.release)
        #expect(release.number == 2)
        #expect(release.backups.map(\.id) == ["r2-database", "r2-config-app"])
        let config = release.backups[1]
        #expect(config.kind == .config && config.resource == "app")
        #expect(config.sha256 == SHA256.hex(old) && config.size == old.count)
        #expect(config.path == root(world) + "/configs/" + config.sha256)
        #expect(world.backups.files[config.path] == old)
        #expect(release.backups[0] == Backup(
            id: "r2-database", kind: .database, resource: "sqlite", path: root(world) + "/r2-database.sqlite",
            sha256: SHA256.hex(Array("state 1".utf8)), size: 7
        ))
        #expect(world.events.recorded.contains("notice backup r2-config-app"))

        // Stored as taken; release 1's config bytes are found by the hash its manifest records.
        let releases = try world.store.releases(environment: Self.key, limit: 10)
        #expect(releases.first?.backups == release.backups)
        let hash = try #require(releases.last?.manifest.configs.first?.sha256)
        #expect(hash == SHA256.hex(old))
        #expect(Backups.findConfig(sha256: hash, in: releases)?.id == "r2-config-app")
        #expect(Backups.findConfig(sha256: hash, in: releases, where: { _ in false }) == nil)
        // The file holds the secret (mode 0600 on a host); the record holds hashes only.
        #expect(String(decoding: old, as: UTF8.self).contains(SessionWorld.secret))
        #expect(!String(decoding: try JSONEncoder().encode(release.backups), as: UTF8.self).contains(SessionWorld.secret))
    }

    @Test("a plan that runs no migration and rewrites no existing file takes no backup")
    func noBackupNeeded() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        try world.edit("environments/dev.yaml", replacing: "LOG_LEVEL: info", with: "LOG_LEVEL: debug")
        let applied = try await apply(world)
        #expect(applied.succeeded)
        #expect(applied.release?.backups == [])
        #expect(world.backups.calls.filter { !$0.hasPrefix("prepare") }.count == 2, "\(world.backups.calls)")
    }

    @Test("backups.keep: the files of older releases are deleted, their records stay; a file a kept release holds stays")
    func pruning() async throws {
        let world = try SessionWorld(environment: SessionWorld.defaultEnvironment + "\nbackups:\n  keep: 2\n")
        for version in 1...4 {
            if version > 1 { try world.write("environments/migrations/V\(version)__more.sql", "CREATE TABLE t\(version) (id INTEGER);\n") }
            _ = try await apply(world)
        }
        let releases = try world.store.releases(environment: Self.key, limit: 10)
        #expect(releases.map { $0.backups.map(\.id) } == [["r4-database"], ["r3-database"], ["r2-database"], ["r1-database"]])
        let kept = world.backups.files.keys.filter { $0.hasSuffix(".sqlite") }.sorted()
        #expect(kept == [root(world) + "/r3-database.sqlite", root(world) + "/r4-database.sqlite"])

        // A config's bytes are stored once: a kept release that holds the same file keeps it.
        func release(_ number: Int, _ paths: [String]) -> Release {
            Release(
                number: number, digest: "", createdAt: Date(timeIntervalSince1970: 0), by: "", status: .superseded,
                manifest: ReleaseManifest(services: [], configs: [], migrations: []),
                backups: paths.map { Backup(id: "r\(number)-\($0)", kind: .config, resource: "app", path: $0, sha256: "", size: 0) }
            )
        }
        let history = [release(4, []), release(3, ["/b/configs/a"]), release(2, ["/b/r2", "/b/configs/a"]), release(1, ["/b/r1", "/elsewhere/r1"])]
        #expect(Backups.stale(history, keep: 1, root: "/b") == ["/b/r2", "/b/r1"])
        #expect(Backups.stale(history, keep: 3, root: "/b") == [])
    }

    @Test("a backup root that holds another environment's backups is refused before anything changes")
    func rootOfAnotherEnvironment() async throws {
        let world = try SessionWorld()
        _ = try world.backups.store(Array("shop/staging\n".utf8), at: root(world) + "/.berth-backups")
        let error = await #expect(throws: SessionError.self) { try await apply(world) }
        #expect(error?.problems.first?.hasPrefix("backups.root \(root(world)) holds the backups of shop/staging") == true)
        #expect(await world.engine.containers.isEmpty)
        #expect(try world.store.history(environment: Self.key, limit: 10).isEmpty)
    }

    @Test("a database backup left by an apply that recorded no release is moved aside, never overwritten")
    func unrecordedBackup() async throws {
        let world = try SessionWorld()
        let path = root(world) + "/r1-database.sqlite"
        _ = try world.backups.store(Array("from a killed apply".utf8), at: path)
        let applied = try await apply(world)
        #expect(applied.release?.backups.map(\.id) == ["r1-database"])
        let aside = world.backups.files.first { $0.value == Array("from a killed apply".utf8) }?.key
        #expect(aside?.hasPrefix(root(world) + "/r1-database.unrecorded-") == true, "\(world.backups.files.keys)")
        #expect(world.events.recorded.contains { $0.hasPrefix("notice warning \(path) was left by an apply that recorded no release") })
    }

    // MARK: - Restore

    /// Two releases whose database backups hold "state 1" and "state 2"; the database holds "state 3".
    func worldWithBackups() async throws -> SessionWorld {
        let world = try SessionWorld()
        world.backups.setDatabase(database(world), Array("state 1".utf8))
        _ = try await apply(world)
        world.backups.setDatabase(database(world), Array("state 2".utf8))
        try changeMigrationAndConfig(world)
        _ = try await apply(world)
        world.backups.setDatabase(database(world), Array("state 3".utf8))
        return world
    }

    func restore(_ world: SessionWorld, _ id: String, confirm: (@Sendable (RestoreSession.Target) async -> String?)? = nil) async throws
        -> RestoreSession.Outcome {
        try await RestoreSession(world.context()).run(RestoreSession.Options(environment: "dev", backup: id, confirm: confirm))
    }

    @Test("restore puts a database backup back under the lock and records it in the history")
    func restores() async throws {
        let world = try await worldWithBackups()
        let outcome = try await restore(world, "r1-database")
        guard case .restored(let target, let id) = outcome else { Issue.record("\(outcome)"); return }
        #expect(target.backup.id == "r1-database" && target.release == 1)
        #expect(world.backups.database(database(world)) == Array("state 1".utf8))
        let entry = try #require(try world.store.history(environment: Self.key, limit: 1).first)
        #expect(entry.id == id && entry.status == .succeeded)
        #expect(entry.actions.map { "\($0.type) \($0.resource) \($0.status)" } == ["restore database:r1-database done"])
        #expect(world.store.storedLocks.isEmpty)
    }

    @Test("restore asks first; a refusal changes nothing and records nothing")
    func declined() async throws {
        let world = try await worldWithBackups()
        let outcome = try await restore(world, "r2-database", confirm: { _ in "not confirmed" })
        guard case .declined(let target, let reason) = outcome else { Issue.record("\(outcome)"); return }
        #expect(target.release == 2 && reason == "not confirmed")
        #expect(world.backups.database(database(world)) == Array("state 3".utf8))
        #expect(try world.store.history(environment: Self.key, limit: 1).first?.actions.first?.type == "migrate")
    }

    @Test("restore refuses an unknown id, a config backup, a deleted file and a changed one")
    func refusals() async throws {
        let world = try await worldWithBackups()
        func problem(_ id: String) async -> String? {
            let error = await #expect(throws: SessionError.self) { try await restore(world, id) }
            return error?.problems.first
        }
        #expect(await problem("r9-database") == "no backup r9-database in the releases of shop/dev; database backups: r2-database, r1-database")
        #expect(await problem("r2-config-app")?.hasPrefix("r2-config-app is a backup of config app") == true)
        world.backups.remove(root(world) + "/r1-database.sqlite")
        #expect(await problem("r1-database")?.hasPrefix("the file of r1-database is gone") == true)
        _ = try world.backups.store(Array("tampered".utf8), at: root(world) + "/r2-database.sqlite")
        #expect(await problem("r2-database")?.contains("is not the file r2-database recorded") == true)
        #expect(world.backups.database(database(world)) == Array("state 3".utf8))
        #expect(world.store.storedLocks.isEmpty)
    }

    @Test("a restore that fails is recorded as failed, with why")
    func failedRestore() async throws {
        let world = try await worldWithBackups()
        world.backups.fail(.restoreDatabase, reason: "psql exited with 3: ERROR: permission denied")
        let error = await #expect(throws: SessionError.self) { try await restore(world, "r1-database") }
        #expect(error?.problems == ["cannot restore r1-database: psql exited with 3: ERROR: permission denied"])
        let entry = try #require(try world.store.history(environment: Self.key, limit: 1).first)
        #expect(entry.status == .failed)
        #expect(entry.actions.first?.status == .failed)
        #expect(entry.actions.first?.detail == "psql exited with 3: ERROR: permission denied")
    }
}
