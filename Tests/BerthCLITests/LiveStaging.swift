import Testing
import Foundation
import BerthDatabase
import BerthEngine
import BerthTestSupport

/// A copy of the example project whose staging environment runs for real: a fresh PostgreSQL database,
/// a project name and host ports of its own, its containers removed at the end.
struct LiveStaging {
    static let isEnabled = ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil
        && ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"] != nil

    let root: String
    let project: String
    let database: String
    /// The server's URL without a password or a database.
    let adminURL: URLComponents
    let password: String
    let engine: DockerEngine
    /// The variables the staging environment reads its secrets from.
    let secrets: [String: String]

    var token: String { secrets["SHOP_STAGING_API_TOKEN"] ?? "" }

    static func with(_ prefix: String, _ body: (LiveStaging) async throws -> Void) async throws {
        let server = try #require(URLComponents(string: ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"] ?? ""))
        let password = server.password ?? ""
        var adminURL = server
        adminURL.password = nil
        let admin = try PostgresDatabase(url: try #require(adminURL.string), password: password)
        defer { admin.close() }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let database = "berth_\(prefix)_\(suffix)"
        try admin.execute("CREATE DATABASE \(database)")
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }

        let root = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = "\(prefix)-\(suffix)"
        let ports = try FreePorts.range(count: 2)
        let staging = LiveStaging(
            root: root, project: project, database: database, adminURL: adminURL, password: password,
            engine: DockerEngine(endpoint: try EngineEndpoint(parsing: ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? "")),
            secrets: ["SHOP_STAGING_API_TOKEN": "staging-token-\(suffix)", "SHOP_STAGING_DB_PASSWORD": password]
        )
        try staging.edit("environments/base.yaml") { $0.replacingOccurrences(of: "project: shop", with: "project: \(project)") }
        try staging.edit("environments/staging.yaml") {
            $0.replacingOccurrences(of: "18180-18181", with: "\(ports.lowerBound)-\(ports.upperBound)")
                .replacingOccurrences(of: "postgres://shop@127.0.0.1:54329/shop_staging",
                                      with: "postgres://\(server.user ?? "berth")@\(server.host ?? "127.0.0.1"):\(server.port ?? 5432)/\(database)")
        }
        do {
            try await body(staging)
        } catch {
            await staging.removeContainers()
            throw error
        }
        await staging.removeContainers()
    }

    /// `berth ARGUMENTS` in the project, with the staging secrets set.
    func run(_ arguments: [String]) async throws -> BerthProcess.Output {
        try await BerthProcess.run(arguments, in: root, environment: secrets)
    }

    /// A connection to the environment's database.
    func connect() throws -> PostgresDatabase {
        var url = adminURL
        url.path = "/" + database
        return try PostgresDatabase(url: try #require(url.string), password: password)
    }

    /// `pg_dump --schema-only` of the environment's database: equal text means an equal schema.
    func schema() async throws -> String {
        var url = adminURL
        url.path = "/" + database
        let dump = try await BerthProcess.run(
            executable: "/usr/bin/pg_dump", ["--schema-only", "--no-owner", "--dbname", try #require(url.string)],
            environment: ["PGPASSWORD": password]
        )
        try #require(dump.status == 0, "\(dump.stderr)")
        // The dump's header names the server and client versions and a random restrict key.
        return dump.stdout.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    func containers() async throws -> [ContainerSummary] {
        try await engine.listContainers(labels: ["berth.project": project]).sorted { $0.name < $1.name }
    }

    func edit(_ path: String, _ change: (String) -> String) throws {
        let full = root + "/" + path
        try change(try String(contentsOfFile: full, encoding: .utf8)).write(toFile: full, atomically: true, encoding: .utf8)
    }

    func write(_ path: String, _ text: String) throws {
        try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
    }

    func removeContainers() async {
        for container in (try? await engine.listContainers(labels: ["berth.project": project])) ?? [] {
            try? await engine.removeContainer(id: container.id, force: true)
        }
    }
}
