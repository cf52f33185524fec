import Testing
import Foundation
import BerthEngine
import BerthTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Releases and rollback for real: Podman for the containers, PostgreSQL for the schema.
@Suite(.enabled(if: LiveStaging.isEnabled, "needs BERTH_ENGINE and BERTH_TEST_POSTGRES_URL"))
struct ReleaseRollbackTests {
    /// What a release left running: each container's image ID, the config file's bytes, the schema.
    struct World: Equatable {
        var imageIDs: [String: String]
        var config: Data
        var schema: String
    }

    func world(_ staging: LiveStaging, config: String) async throws -> World {
        let containers = try await staging.containers()
        return World(
            imageIDs: Dictionary(containers.map { ($0.labels["berth.service"] ?? $0.name, $0.imageID) }, uniquingKeysWith: { first, _ in first }),
            config: try Data(contentsOf: URL(fileURLWithPath: config)),
            schema: try await staging.schema()
        )
    }

    @Test("release 1, release 2 (image, config, migration with undo), rollback to exactly release 1, pinned, forward again; a killed rollback converges")
    func rollback() async throws {
        try await LiveStaging.with("rel") { staging in
            let first = try await staging.run(["apply", "--env", "staging", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let listed = try await staging.run(["releases", "--env", "staging", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
            let releases = try #require(document["releases"] as? [[String: Any]])
            let config = try #require(((releases.first?["configs"] as? [[String: Any]])?.first?["target"]) as? String)
            let one = try await world(staging, config: config)

            try staging.edit("environments/base.yaml") {
                $0.replacingOccurrences(of: "berth-example-web:1.0.0", with: "berth-example-web:1.1.0")
                    .replacingOccurrences(of: "log_level: info", with: "log_level: debug")
            }
            try staging.write("environments/migrations/V5__add_order_note.sql", "ALTER TABLE orders ADD COLUMN note TEXT;\n")
            try staging.write("environments/migrations/U5__add_order_note.sql", "ALTER TABLE orders DROP COLUMN note;\n")
            let second = try await staging.run(["apply", "--env", "staging", "--yes"])
            try #require(second.status == 0, "\(second.stderr)")
            let two = try await world(staging, config: config)
            #expect(two.imageIDs["web"] != one.imageIDs["web"] && two.config != one.config && two.schema != one.schema)

            let back = try await staging.run(["rollback", "--env", "staging", "--yes"])
            #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
            #expect(try await world(staging, config: config) == one)
            let statuses = try await staging.run(["releases", "--env", "staging"])
            #expect(statuses.stdout.contains("#3  ") && statuses.stdout.contains("rollback of 2 to 1"))
            #expect(statuses.stdout.contains("rolled-back"))

            // Pinned: unchanged files do not roll forward by accident.
            let pinned = try await staging.run(["apply", "--env", "staging", "--yes"])
            #expect(pinned.status == 1 && pinned.stderr.contains("pinned to release 1"), "\(pinned.stderr)")
            let forward = try await staging.run(["apply", "--env", "staging", "--yes", "--roll-forward"])
            #expect(forward.status == 0, "\(forward.stderr)")
            #expect(try await world(staging, config: config) == two)

            // A rollback killed mid-way: the next one finishes the way back.
            let killed = try await runKilled(staging, ["rollback", "--env", "staging", "--to", "1", "--yes"], when: "done stop")
            #expect(killed, "the rollback finished before it could be killed")
            let again = try await staging.run(["rollback", "--env", "staging", "--to", "1", "--yes"])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            #expect(try await world(staging, config: config) == one)

            // A migration without an undo file: refused, then the database backup taken before it is restored.
            let forwardAgain = try await staging.run(["apply", "--env", "staging", "--yes", "--roll-forward"])
            try #require(forwardAgain.status == 0, "\(forwardAgain.stderr)")
            let database = try staging.connect()
            defer { database.close() }
            try database.execute("INSERT INTO orders (id, customer, total_cents, created_at) VALUES (1, 'ada', 1250, '2026-11-30')")
            let rowsBefore = try database.query("SELECT * FROM orders ORDER BY id").map { "\($0)" }
            let schemaBefore = try await staging.schema()
            try staging.write("environments/migrations/V6__drop_note.sql", "ALTER TABLE orders DROP COLUMN note;\nDELETE FROM orders;\n")
            let lossy = try await staging.run(["apply", "--env", "staging", "--yes"])
            try #require(lossy.status == 0, "\(lossy.stderr)")
            #expect(try database.query("SELECT count(*) AS n FROM orders").first?.int("n") == 0)
            let refused = try await staging.run(["rollback", "--env", "staging", "--yes"])
            #expect(refused.status == 1 && refused.stderr.contains("migration 6 (drop note)") && refused.stderr.contains("--restore-database"))
            let restored = try await staging.run(["rollback", "--env", "staging", "--yes", "--restore-database"])
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            #expect(restored.stderr.contains("will be lost"))
            #expect(try await staging.schema() == schemaBefore)
            #expect(try database.query("SELECT * FROM orders ORDER BY id").map { "\($0)" } == rowsBefore)

            for output in [first, listed, second, back, statuses, pinned, forward, again, forwardAgain, lossy, refused, restored] {
                #expect(!output.stdout.contains(staging.token) && !output.stderr.contains(staging.token))
            }
            let all = try await staging.run(["releases", "--env", "staging", "--json"])
            #expect(!all.stdout.contains(staging.token))
        }
    }

    /// Starts `berth ARGUMENTS` and kills it (SIGKILL) once its standard error contains `marker`; false when it ended first.
    func runKilled(_ staging: LiveStaging, _ arguments: [String], when marker: String) async throws -> Bool {
        let scratch = TemporaryDirectory.make(prefix: "berth-killed")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let errors = scratch + "/stderr"
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthProcess.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: staging.root)
        process.environment = ProcessInfo.processInfo.environment.merging(staging.secrets) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: errors, encoding: .utf8), text.contains(marker) {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return true
            }
            guard process.isRunning else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }
}
