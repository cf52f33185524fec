import Testing
import Foundation
import BerthTestSupport

/// `berth promote` after a real release of staging: Podman for the containers, PostgreSQL for the migrations.
@Suite(.enabled(if: LiveStaging.isEnabled, "needs BERTH_ENGINE and BERTH_TEST_POSTGRES_URL"))
struct PromoteLiveTests {
    @Test("staging applied with a new web image, promoted into production's file: only the override and migrate_to are added, and it validates")
    func promote() async throws {
        try await LiveStaging.with("promote") { staging in
            let web = "localhost/berth-example-web:1.1.0"
            try staging.edit("environments/staging.yaml") { $0.replacingOccurrences(of: "  web:\n", with: "  web:\n    image: \(web)\n") }
            let applied = try await staging.run(["apply", "--env", "staging", "--yes"])
            try #require(applied.status == 0, "\(applied.stderr)")
            let production = staging.root + "/environments/production.yaml"
            let before = try String(contentsOfFile: production, encoding: .utf8)

            let early = try await staging.run(["promote", "--from", "staging", "--to", "production"])
            #expect(early.status == 1 && early.stderr.contains("gate soak"), "\(early.stderr)")
            let forced = try await staging.run([
                "promote", "--from", "staging", "--to", "production", "--write", "--force", "--reason", "the live test does not wait an hour",
            ])
            #expect(forced.status == 2, "\(forced.stdout)\(forced.stderr)")
            let after = try String(contentsOfFile: production, encoding: .utf8)
            #expect(after == before
                .replacingOccurrences(of: "  web:\n", with: "  web:\n    image: \(web)\n")
                .replacingOccurrences(of: "\ndatabase:\n", with: "\ndatabase:\n  migrate_to: 4\n"))
            let validated = try await staging.run(["validate"])
            #expect(validated.status == 0, "\(validated.stderr)")
            let history = try await staging.run(["history", "--env", "production"])
            #expect(history.stdout.contains("the live test does not wait an hour"), "\(history.stdout)")
        }
    }
}
