import Testing
import Foundation
import BerthDatabase
import BerthEngine
import BerthTestSupport

/// The example's staging environment, applied for real: PostgreSQL for the migrations, the engine for the containers.
@Suite(.enabled(
    if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil && ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"] != nil,
    "needs BERTH_ENGINE and BERTH_TEST_POSTGRES_URL"
))
struct StagingApplyTests {
    @Test("staging on PostgreSQL: a cold apply converges; a failing migration changes no schema, no history and no container")
    func staging() async throws {
        let server = try #require(URLComponents(string: ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"] ?? ""))
        let password = server.password ?? ""
        var adminURL = server
        adminURL.password = nil
        let admin = try PostgresDatabase(url: try #require(adminURL.string), password: password)
        defer { admin.close() }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let database = "berth_stg_\(suffix)"
        try admin.execute("CREATE DATABASE \(database)")
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }

        let root = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = "stg-\(suffix)"
        let ports = try FreePorts.range(count: 2)
        try edit(root + "/environments/base.yaml") { $0.replacingOccurrences(of: "project: shop", with: "project: \(project)") }
        try edit(root + "/environments/staging.yaml") {
            $0.replacingOccurrences(of: "18180-18181", with: "\(ports.lowerBound)-\(ports.upperBound)")
                .replacingOccurrences(of: "postgres://shop@127.0.0.1:54329/shop_staging",
                                      with: "postgres://\(server.user ?? "berth")@\(server.host ?? "127.0.0.1"):\(server.port ?? 5432)/\(database)")
        }
        let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? ""))
        do {
            try await exercise(root: root, project: project, database: database, adminURL: adminURL, password: password, engine: engine)
        } catch {
            await removeContainers(of: project, engine: engine)
            throw error
        }
        await removeContainers(of: project, engine: engine)
    }

    private func exercise(
        root: String, project: String, database: String, adminURL: URLComponents, password: String, engine: DockerEngine
    ) async throws {
        let suffix = project.dropFirst(4)
        let secrets = ["SHOP_STAGING_API_TOKEN": "staging-token-\(suffix)", "SHOP_STAGING_DB_PASSWORD": password]
        let token = secrets["SHOP_STAGING_API_TOKEN"]!
        let cold = try await BerthProcess.run(["apply", "--env", "staging", "--yes"], in: root, environment: secrets)
        #expect(cold.status == 0, "\(cold.stderr)")
        let again = try await BerthProcess.run(["plan", "--env", "staging"], in: root, environment: secrets)
        #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")
        var databaseURL = adminURL
        databaseURL.path = "/" + database
        let applied = try PostgresDatabase(url: try #require(databaseURL.string), password: password)
        defer { applied.close() }
        #expect(try applied.query("SELECT version FROM berth_schema_history ORDER BY installed_rank").map { $0.string("version") } == ["1", "2", "3", "4"])
        let before = try await engine.listContainers(labels: ["berth.project": project]).map(\.id).sorted()
        #expect(before.count == 3)

        // A broken migration, and an image bump that waits for it: nothing of this apply may start.
        try "CREATE TABLE half_done (id INTEGER);\nSELECT * FROM no_such_table;\n"
            .write(toFile: root + "/environments/migrations/V5__broken.sql", atomically: true, encoding: .utf8)
        try edit(root + "/environments/base.yaml") { $0.replacingOccurrences(of: "berth-example-web:1.0.0", with: "berth-example-web:1.1.0") }
        let failing = try await BerthProcess.run(["apply", "--env", "staging", "--yes"], in: root, environment: secrets)
        #expect(failing.status == 1)
        #expect((failing.stdout + failing.stderr).contains("no_such_table"))
        #expect((failing.stdout + failing.stderr).contains("migration:5"))
        #expect(try applied.query("SELECT count(*) AS n FROM berth_schema_history").first?.int("n") == 4)
        #expect(try !applied.tableExists("half_done"))
        let after = try await engine.listContainers(labels: ["berth.project": project])
        #expect(after.map(\.id).sorted() == before)
        #expect(after.allSatisfy { $0.image == "localhost/berth-example-web:1.0.0" || $0.image == "localhost/berth-example-worker:1.0.0" })

        let history = try await BerthProcess.run(["history", "--env", "staging", "--json"], in: root, environment: secrets)
        #expect(history.stdout.contains("\"status\": \"failed\""))
        for output in [cold, again, failing, history] {
            #expect(!output.stdout.contains(token) && !output.stderr.contains(token))
        }
    }

    private func removeContainers(of project: String, engine: DockerEngine) async {
        for container in (try? await engine.listContainers(labels: ["berth.project": project])) ?? [] {
            try? await engine.removeContainer(id: container.id, force: true)
        }
    }

    private func edit(_ path: String, _ change: (String) -> String) throws {
        try change(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
