import Foundation
import Testing
import BerthApply
import BerthModel
import BerthTestSupport

/// `berth parity` and `berth refresh-data` on the doubles.
extension CommandsOnDoublesTests {
    /// dev applied; staging, which extends it, declares a newer image, another log level and its own database.
    func worldWithStaging(_ extra: String = "") async throws -> SessionWorld {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try world.write("environments/staging.yaml", """
            extends: dev
            services:
              web:
                image: localhost/web:1.1.0
            configs:
              files:
                app:
                  values:
                    level: debug
            database:
              url: sqlite:.berth/staging.sqlite
            \(extra)
            """)
        return world
    }

    @Test("parity tells the image, the config and the migration that differ, exits 2, and prints the contract's JSON")
    func parityDifferences() async throws {
        let world = try await worldWithStaging()
        let text = await berth(["parity", "--env", "staging", "--with", "dev", "--no-color"], world)
        #expect(text.status == 2, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("staging and dev differ in 3 ways:\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  service:web  image: image differs: staging localhost/web:1.1.0 (not running), dev localhost/web:1.0.0 ("))
        #expect(text.stdout.contains("  config:app   config: content differs: staging sha256:"))
        #expect(text.stdout.contains("  migration:1  migration: applied in dev, not in staging\n"))
        #expect(!text.stdout.contains(SessionWorld.secret) && !text.stderr.contains(SessionWorld.secret))

        let output = await berth(["parity", "--env", "staging", "--with", "dev", "--json"], world)
        #expect(output.status == 2)
        let json = try json(output.stdout)
        #expect(json["format_version"] as? String == "1")
        #expect(json["environment"] as? String == "staging" && json["with"] as? String == "dev")
        #expect(json["in_parity"] as? Bool == false)
        let differences = try #require(json["differences"] as? [[String: String]])
        #expect(differences.map { $0["resource"] ?? "" } == ["service:web", "config:app", "migration:1"])
        #expect(differences.map { $0["kind"] ?? "" } == ["image", "config", "migration"])
        #expect(!output.stdout.contains(SessionWorld.secret))
    }

    @Test("parity.ignore leaves expected differences out; in parity exits 0; an unknown environment exits 1")
    func parityIgnored() async throws {
        let world = try await worldWithStaging("parity: { ignore: [image, config:app, migration] }")
        let same = await berth(["parity", "--env", "dev", "--with", "staging"], world)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout == "dev and staging are in parity.\n")
        let json = try json(await berth(["parity", "--env", "dev", "--with", "staging", "--json"], world).stdout)
        #expect(json["in_parity"] as? Bool == true && (json["differences"] as? [Any])?.isEmpty == true)
        #expect(await berth(["parity", "--env", "dev", "--with", "nowhere"], world).status == 1)
        #expect(await berth(["parity", "--env", "dev", "--with", "dev"], world).status == 1)
    }

    @Test("refresh-data restores the source's newest database backup into the destination with its mask, and both histories tell it")
    func refreshData() async throws {
        let world = try await worldWithBackups()
        try world.write("environments/mask.sql", "UPDATE customers SET email = 'masked';\n")
        try world.write("environments/staging.yaml", """
            extends: dev
            database:
              url: sqlite:.berth/staging.sqlite
              refresh: { mask: mask.sql }
            """)
        let staging = DatabaseLocation.sqlite(path: world.root + "/.berth/staging.sqlite")
        world.backups.setDatabase(staging, Array("staging".utf8))

        let refused = await berth(["refresh-data", "--env", "staging", "--from", "dev", "--no-color"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: nothing refreshed: refusing to refresh without --yes: standard input is not a terminal\n")
        #expect(world.backups.database(staging) == Array("staging".utf8))

        let refreshed = await berth(["refresh-data", "--env", "staging", "--from", "dev", "--yes"], world)
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        #expect(refreshed.stdout.hasPrefix("Refreshed staging from dev: r2-database (sqlite, "), "\(refreshed.stdout)")
        #expect(refreshed.stdout.contains("into \(world.root)/.berth/staging.sqlite, masked (history entry "))
        let backup = try #require(world.backups.files.first { $0.key.hasSuffix("/r2-database.sqlite") }?.value, "\(world.backups.files.keys)")
        #expect(world.backups.database(staging) == backup + Array("\nmasked by \(world.root)/environments/mask.sql".utf8))

        let chosen = await berth(["refresh-data", "--env", "staging", "--from", "dev", "--backup", "r1-database", "--yes"], world)
        #expect(chosen.stdout.hasPrefix("Refreshed staging from dev: r1-database (sqlite, "), "\(chosen.stderr)")
        for environment in ["staging", "dev"] {
            let history = await berth(["history", "--env", environment], world)
            #expect(history.stdout.contains("refresh-data database:r2-database"), "\(environment): \(history.stdout)")
        }
    }

    @Test("refresh-data refuses production, the same environment, another kind of database, and an environment without backups")
    func refreshRefusals() async throws {
        let world = try await worldWithBackups()
        try world.write("environments/production.yaml", "extends: dev\ndatabase:\n  url: sqlite:.berth/production.sqlite\n")
        let production = await berth(["refresh-data", "--env", "production", "--from", "dev", "--yes", "--no-color"], world)
        #expect(production.status == 1)
        #expect(production.stderr.contains("production is a production environment: refresh-data never replaces a production database"))
        #expect(!world.backups.calls.contains { $0.hasPrefix("restoreDatabase") })

        #expect(await berth(["refresh-data", "--env", "dev", "--from", "dev", "--yes"], world).stderr.contains("would be refreshed from itself"))

        try world.write("environments/pg.yaml", "extends: dev\ndatabase:\n  url: postgres://shop@127.0.0.1:1/shop\n")
        let kinds = await berth(["refresh-data", "--env", "pg", "--from", "dev", "--yes"], world)
        #expect(kinds.status == 1)
        #expect(kinds.stderr.contains("the database of dev is sqlite and the one of pg is postgres: refresh-data copies between databases of the same kind"))

        try world.write("environments/qa.yaml", "extends: dev\ndatabase:\n  url: sqlite:.berth/qa.sqlite\n")
        let none = await berth(["refresh-data", "--env", "dev", "--from", "qa", "--yes"], world)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no release of qa has a database backup"), "\(none.stderr)")
        #expect(!world.backups.calls.contains { $0.hasPrefix("restoreDatabase") })
    }
}
