import Foundation
import Testing
@testable import BerthCLI
import BerthModel
import BerthEngine
import BerthApply
import BerthSession
import BerthTestSupport

/// `berth destroy` on the doubles: what it removes and keeps, its refusals, and a failure the next run finishes.
extension CommandsOnDoublesTests {
    func configPath(_ world: SessionWorld) -> String { world.root + "/.berth/configs/dev/app.env" }
    func databasePath(_ world: SessionWorld) -> String { world.root + "/.berth/app.sqlite" }
    func applies(_ world: SessionWorld) throws -> Int { try world.store.history(environment: "shop/dev", limit: 100).count }

    @Test("destroy removes the containers and the config file, keeps the database; a second finds nothing; rollback re-creates")
    func destroyAndRollBack() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        #expect(FileManager.default.fileExists(atPath: configPath(world)))

        let destroyed = await berth(["destroy", "--env", "dev", "--yes", "--no-color"], world)
        #expect(destroyed.status == 0, "\(destroyed.stderr)")
        #expect(destroyed.stdout.contains("- remove        container:shop-dev-web-1-"), "\(destroyed.stdout)")
        #expect(destroyed.stdout.contains("- remove-config config:app"), "\(destroyed.stdout)")
        #expect(destroyed.stdout.contains("Kept:\n  database:app.sqlite: database kept, with its data"), "\(destroyed.stdout)")
        #expect(destroyed.stdout.hasSuffix("Destroyed dev: 2 actions done. Recorded as release 2; berth rollback --env dev re-creates what ran before it.\n"), "\(destroyed.stdout)")
        #expect(await world.engine.containers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: configPath(world)))
        #expect(FileManager.default.fileExists(atPath: databasePath(world)))
        #expect(!destroyed.stdout.contains(SessionWorld.secret) && !destroyed.stderr.contains(SessionWorld.secret))
        let release = try #require(try world.store.releases(environment: "shop/dev", limit: 1).first)
        #expect(release.summary == "destroy" && release.status == .current && release.manifest.services.isEmpty)
        #expect(release.backups.map(\.kind) == [.config])
        let history = await berth(["history", "--env", "dev"], world)
        #expect(history.stdout.contains("remove-config"), "\(history.stdout)")

        let count = try applies(world)
        let again = await berth(["destroy", "--env", "dev", "--yes"], world)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("Nothing to destroy: dev has nothing of Berth's left to remove."), "\(again.stdout)")
        #expect(try applies(world) == count)

        let back = await berth(["rollback", "--env", "dev", "--yes"], world)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(await world.engine.containers.count == 1)
        #expect(FileManager.default.fileExists(atPath: configPath(world)))
        let refused = await berth(["rollback", "--env", "dev", "--to", "\(release.number)", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is the destroy of dev"), "\(refused.stderr)")
    }

    @Test("--drop-database backs the database up first, then deletes the SQLite file; --keep-configs keeps the config")
    func destroyDropsTheDatabase() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        #expect(FileManager.default.fileExists(atPath: databasePath(world)))
        let destroyed = await berth(["destroy", "--env", "dev", "--yes", "--drop-database", "--keep-configs"], world)
        #expect(destroyed.status == 0, "\(destroyed.stderr)")
        #expect(destroyed.stdout.contains("drop-database database:app.sqlite"), "\(destroyed.stdout)")
        #expect(destroyed.stdout.hasSuffix("its data comes back only with berth restore --env dev --backup r2-database.\n"), "\(destroyed.stdout)")
        #expect(!FileManager.default.fileExists(atPath: databasePath(world)))
        #expect(FileManager.default.fileExists(atPath: configPath(world)))
        let release = try #require(try world.store.releases(environment: "shop/dev", limit: 1).first)
        let backup = try #require(release.backups.first { $0.kind == .database })
        #expect(world.backups.exists(backup.path))
        #expect(release.manifest.migrations.isEmpty && release.manifest.configs.map(\.name) == ["app"])
        let again = await berth(["destroy", "--env", "dev", "--yes", "--drop-database", "--keep-configs"], world)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("Nothing to destroy"), "\(again.stdout)")
        #expect(again.stdout.contains("no migration of Berth's is recorded there"), "\(again.stdout)")
    }

    @Test("a production environment is refused without --force-production, and nothing changes")
    func destroyRefusesProduction() async throws {
        let world = try SessionWorld(environment: SessionWorld.defaultEnvironment.replacingOccurrences(of: "project: shop\n", with: "project: shop\nproduction: true\n"))
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        let count = try applies(world)
        let refused = await berth(["destroy", "--env", "dev", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("dev is a production environment: berth destroy removes it only with --force-production"), "\(refused.stderr)")
        #expect(await world.engine.containers.count == 1)
        #expect(FileManager.default.fileExists(atPath: configPath(world)))
        #expect(try applies(world) == count)
        #expect(await berth(["destroy", "--env", "dev", "--yes", "--force-production"], world).status == 0)
        #expect(await world.engine.containers.isEmpty)
    }

    @Test("without --yes and off a terminal, destroy shows the plan, refuses, and changes nothing")
    func destroyNeedsConfirmation() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        let count = try applies(world)
        let refused = await berth(["destroy", "--env", "dev"], world)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("remove-config config:app"), "\(refused.stdout)")
        #expect(refused.stderr.contains("nothing destroyed: refusing to destroy without --yes"), "\(refused.stderr)")
        #expect(await world.engine.containers.count == 1)
        #expect(FileManager.default.fileExists(atPath: configPath(world)))
        #expect(try applies(world) == count)
    }

    @Test("a remove that fails is reported, the config that waits for it stays, and the next destroy finishes")
    func destroyFailsThenFinishes() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        await world.engine.fail(.remove, with: .status(500, message: "device busy", endpoint: "memory"))
        let failed = await berth(["destroy", "--env", "dev", "--yes", "--json"], world)
        #expect(failed.status == 1)
        let document = try json(failed.stdout)
        #expect(document["status"] as? String == "failed")
        let failures = try #require(document["failed"] as? [[String: Any]])
        #expect((failures.first?["error"] as? String)?.contains("device busy") == true, "\(failed.stdout)")
        #expect((document["skipped"] as? [String])?.contains("remove-config:config:app") == true, "\(failed.stdout)")
        #expect(FileManager.default.fileExists(atPath: configPath(world)))

        let finished = await berth(["destroy", "--env", "dev", "--yes"], world)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(await world.engine.containers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: configPath(world)))
    }

    @Test("destroy is refused in a closed window, changing nothing; --override-window --reason lets it through")
    func destroyInClosedWindow() async throws {
        let world = try SessionWorld(environment: Self.fridaysClosed)
        #expect(await berth(["apply", "--env", "dev", "--yes", "--override-window", "--reason", "first setup"], world).status == 0)
        let refused = await berth(["destroy", "--env", "dev", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("berth destroy --override-window --reason TEXT"), "\(refused.stderr)")
        #expect(await world.engine.containers.count == 1)
        let overridden = await berth(["destroy", "--env", "dev", "--yes", "--override-window", "--reason", "tearing down the demo"], world)
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(await world.engine.containers.isEmpty)
    }
}
