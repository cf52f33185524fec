import Foundation
import Testing
import BerthApply
import BerthModel
import BerthTestSupport

/// `berth restore` and the backups `berth releases` lists, on the doubles.
extension CommandsOnDoublesTests {
    /// Two applies that migrate: backups r1-database and r2-database (the second also r2-config-app).
    func worldWithBackups() async throws -> SessionWorld {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try world.write("environments/migrations/V2__more.sql", "CREATE TABLE t2 (id INTEGER);\n")
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: debug")
        let second = await berth(["apply", "--env", "dev", "--yes", "--no-color"], world)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("  backup r2-database: database sqlite, "), "\(second.stderr)")
        return world
    }

    @Test("restore refuses without --yes when standard input is not a terminal, and restores with it")
    func restoreCommand() async throws {
        let world = try await worldWithBackups()
        let database = DatabaseLocation.sqlite(path: world.root + "/.berth/app.sqlite")
        world.backups.setDatabase(database, Array("now".utf8))

        let refused = await berth(["restore", "--env", "dev", "--backup", "r1-database", "--no-color"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: nothing restored: refusing to restore without --yes: standard input is not a terminal\n")
        #expect(world.backups.database(database) == Array("now".utf8))

        let restored = await berth(["restore", "--env", "dev", "--backup", "r1-database", "--yes"], world)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.hasPrefix("Restored r1-database (sqlite, "), "\(restored.stdout)")
        #expect(restored.stdout.contains("before release 1) into \(world.root)/.berth/app.sqlite (history entry 3).\n"))
        #expect(world.backups.database(database) != Array("now".utf8))

        let unknown = await berth(["restore", "--env", "dev", "--backup", "r7-database", "--yes", "--no-color"], world)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no backup r7-database in the releases of shop/dev"))
        let history = await berth(["history", "--env", "dev"], world)
        #expect(history.stdout.contains("done     restore database:r1-database"), "\(history.stdout)")
    }

    @Test("releases lists each backup, and says when its file was deleted")
    func releasesMarkDeletedBackups() async throws {
        let world = try await worldWithBackups()
        world.backups.remove(world.root + "/.berth/backups/dev/r1-database.sqlite")
        let text = await berth(["releases", "--env", "dev"], world)
        #expect(text.stdout.contains("backup r1-database: database sqlite, "), "\(text.stdout)")
        #expect(text.stdout.contains("/r1-database.sqlite (file deleted)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("/r2-database.sqlite\n"), "\(text.stdout)")
        let document = try json(await berth(["releases", "--env", "dev", "--json"], world).stdout)
        let releases = try #require(document["releases"] as? [[String: Any]])
        let backups = releases.flatMap { ($0["backups"] as? [[String: Any]]) ?? [] }
        #expect(backups.map { $0["id"] as? String } == ["r2-database", "r2-config-app", "r1-database"])
        #expect(backups.map { $0["present"] as? Bool } == [true, true, false])
    }
}
