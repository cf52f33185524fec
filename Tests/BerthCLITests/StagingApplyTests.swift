import Testing
import Foundation
import BerthDatabase
import BerthEngine
import BerthTestSupport

/// The example's staging environment, applied for real: PostgreSQL for the migrations, the engine for the containers.
@Suite(.enabled(if: LiveStaging.isEnabled, "needs BERTH_ENGINE and BERTH_TEST_POSTGRES_URL"))
struct StagingApplyTests {
    @Test("staging on PostgreSQL: a cold apply converges; a failing migration changes no schema, no history and no container")
    func staging() async throws {
        try await LiveStaging.with("stg") { staging in
            let token = staging.token
            let cold = try await staging.run(["apply", "--env", "staging", "--yes"])
            #expect(cold.status == 0, "\(cold.stderr)")
            let again = try await staging.run(["plan", "--env", "staging"])
            #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")
            let applied = try staging.connect()
            defer { applied.close() }
            #expect(try applied.query("SELECT version FROM berth_schema_history ORDER BY installed_rank").map { $0.string("version") } == ["1", "2", "3", "4"])
            let before = try await staging.containers().map(\.id).sorted()
            #expect(before.count == 3)

            // A broken migration, and an image bump that waits for it: nothing of this apply may start.
            try staging.write("environments/migrations/V5__broken.sql", "CREATE TABLE half_done (id INTEGER);\nSELECT * FROM no_such_table;\n")
            try staging.edit("environments/base.yaml") { $0.replacingOccurrences(of: "berth-example-web:1.0.0", with: "berth-example-web:1.1.0") }
            let failing = try await staging.run(["apply", "--env", "staging", "--yes"])
            #expect(failing.status == 1)
            #expect((failing.stdout + failing.stderr).contains("no_such_table"))
            #expect((failing.stdout + failing.stderr).contains("migration:5"))
            #expect(try applied.query("SELECT count(*) AS n FROM berth_schema_history").first?.int("n") == 4)
            #expect(try !applied.tableExists("half_done"))
            let after = try await staging.containers()
            #expect(after.map(\.id).sorted() == before)
            #expect(after.allSatisfy { $0.image == "localhost/berth-example-web:1.0.0" || $0.image == "localhost/berth-example-worker:1.0.0" })

            let history = try await staging.run(["history", "--env", "staging", "--json"])
            #expect(history.stdout.contains("\"status\": \"failed\""))
            for output in [cold, again, failing, history] {
                #expect(!output.stdout.contains(token) && !output.stderr.contains(token))
            }
        }
    }
}
