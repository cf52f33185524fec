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

            // A migration the repository gains after staging's release: staging would apply it, production
            // (bound by migrate_to) does not. Production's host-specific settings point at this machine here
            // (the engine, staging's database, secrets from the environment, its own ports and folders).
            try staging.write(
                "environments/migrations/V5__add_order_notes.sql", "ALTER TABLE orders ADD COLUMN notes TEXT;\n"
            )
            let ports = try FreePorts.range(count: 3)
            let stagingFile = try String(contentsOfFile: staging.root + "/environments/staging.yaml", encoding: .utf8)
            let database = try #require(stagingFile.split(separator: "\n").first { $0.contains("url: postgres://") })
            try staging.edit("environments/production.yaml") {
                $0.replacingOccurrences(of: "8080-8082:80", with: "127.0.0.1:\(ports.lowerBound)-\(ports.upperBound):80")
                    .replacingOccurrences(of: "  root: /srv/shop/configs", with: "  root: .berth/configs/production")
                    .replacingOccurrences(of: "  url: postgres://shop@db.internal:5432/shop", with: String(database))
                    .replacingOccurrences(of: "{ file: /run/secrets/shop_api_token }", with: "{ env: SHOP_STAGING_API_TOKEN }")
                    .replacingOccurrences(of: "{ file: /run/secrets/shop_db_password }", with: "{ env: SHOP_STAGING_DB_PASSWORD }")
                    + "\nengine:\n  host: \(ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? "")\n"
            }
            let stagingPlan = try await staging.run(["plan", "--env", "staging"])
            #expect(stagingPlan.stdout.contains("migration:5"), "\(stagingPlan.stdout)\(stagingPlan.stderr)")
            let productionPlan = try await staging.run(["plan", "--env", "production", "--json"])
            #expect(productionPlan.status == 2, "\(productionPlan.stderr)")
            #expect(!productionPlan.stdout.contains("migration:"), "\(productionPlan.stdout)")
            #expect(productionPlan.stdout.contains(web), "\(productionPlan.stdout)")
            #expect(!productionPlan.stdout.contains(staging.token))
        }
    }
}
