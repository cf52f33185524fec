import BerthApply
import BerthDatabase
import BerthEngine
import BerthLoading
import BerthModel
import BerthObserve
import BerthPlan
import BerthTestSupport
import Foundation
import Testing
import BerthCore

/// The real services `scripts/test.sh` exports; the live suites run only when they are set.
enum LiveServices {
    static var engine: String? { value("BERTH_ENGINE") }
    static var postgresURL: String? { value("BERTH_TEST_POSTGRES_URL") }

    private static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A throwaway copy of `Tests/Fixtures/projects/observe` (a config template, three migrations)
/// with an `environments/dev.yaml` of its own: a unique project name, so no two tests ever see
/// each other's containers, free loopback ports, and config root and SQLite database inside the folder.
struct ObserveProject: Sendable {
    static let webImage = "localhost/berth-example-web:1.0.0"
    static let otherWebImage = "localhost/berth-example-web:1.1.0"
    static let workerImage = "localhost/berth-example-worker:1.0.0"
    /// What the resolver reads secrets from, instead of the process environment.
    static let variables = ["OBS_API_TOKEN": "token-of-the-observe-tests", "OBS_DB_PASSWORD": "unused"]

    static var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/projects/observe").path
    }

    enum DatabaseChoice: Sendable {
        /// `sqlite:state/app.sqlite`, inside the project.
        case sqlite
        /// `URL` (no password) with `password: { secret: db_password }`, the secret from `OBS_DB_PASSWORD`.
        case postgres(url: String)
    }

    struct Options: Sendable {
        var engine: String
        var database: DatabaseChoice = .sqlite
        /// Adds `admin`: the web image once more, whose health check asks for a path it does not serve.
        var withAdmin = false
        /// `web`'s image as the file writes it.
        var webImage = ObserveProject.webImage
    }

    /// The folder holding `environments/`.
    let root: String
    /// `obs-` and 8 random hex digits: the `berth.project` label of everything the test makes.
    let name: String
    let environmentName = "dev"
    /// `web`'s two host ports, on 127.0.0.1.
    let webPorts: ClosedRange<Int>
    let adminPort: Int?

    static func make(_ options: Options) throws -> ObserveProject {
        let root = TemporaryDirectory.make(prefix: "berth-observe")
        try FileManager.default.removeItem(atPath: root)
        try FileManager.default.copyItem(atPath: fixture, toPath: root)
        let name = "obs-" + randomHex(8)
        let web = try FreePorts.range(count: 2)
        let admin = options.withAdmin ? try FreePorts.range(count: 1).lowerBound : nil
        let project = ObserveProject(root: root, name: name, webPorts: web, adminPort: admin)
        try project.write("environments/dev.yaml", project.environmentYAML(options))
        return project
    }

    func environmentYAML(_ options: Options) -> String {
        var yaml = """
            project: \(name)
            engine:
              host: \(options.engine)
            services:
              web:
                image: \(options.webImage)
                replicas: 2
                strategy: recreate
                ports:
                  - "127.0.0.1:\(webPorts.lowerBound)-\(webPorts.upperBound):80"
                environment:
                  LOG_LEVEL: debug
                configs:
                  - source: app-env
                    target: /etc/shop/app.env
                healthcheck:
                  url: http://localhost:80/health
                  timeout: 2s
                depends_on:
                  database:
                    condition: migrations_applied
              worker:
                image: \(Self.workerImage)
                configs:
                  - source: app-env
                    target: /etc/shop/app.env
                depends_on:
                  web:
                    condition: service_started

            """
        if let adminPort {
            yaml += """
                  admin:
                    image: \(Self.webImage)
                    ports:
                      - "127.0.0.1:\(adminPort):80"
                    healthcheck:
                      url: http://localhost:80/no-such-page
                      timeout: 2s

                """
        }
        yaml += """
            configs:
              root: state/configs
              files:
                app-env:
                  template: configs/app.env.tmpl
                  target: app.env
                  mode: "0640"
                  values:
                    greeting: hello from \(name)
                    api_token: { secret: api_token }

            """
        switch options.database {
        case .sqlite:
            yaml += """
                database:
                  url: sqlite:state/app.sqlite
                  migrations: migrations
                secrets:
                  api_token: { env: OBS_API_TOKEN }

                """
        case .postgres(let url):
            yaml += """
                database:
                  url: \(url)
                  password: { secret: db_password }
                  migrations: migrations
                secrets:
                  api_token: { env: OBS_API_TOKEN }
                  db_password: { env: OBS_DB_PASSWORD }

                """
        }
        return yaml
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func load(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Environment {
        let result = try ProjectLoader(project: root, currentDirectory: "/").load(environmentName)
        let messages = result.diagnostics.map { "\($0)" }.joined(separator: "\n")
        return try #require(result.environment, "dev.yaml does not load:\n\(messages)", sourceLocation: sourceLocation)
    }

    func resolve(
        variables: [String: String] = ObserveProject.variables, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> DesiredStateResolver.Resolution {
        try DesiredStateResolver(variables: variables).resolve(load(sourceLocation: sourceLocation))
    }

    /// The name the planner gives a new replica: `<project>-<env>-<service>-<replica>-<first 8 of spec hash>`.
    /// The spec Berth would send for a replica, secrets filled in, under the name a plan gives it.
    static func spec(for service: Service, replica: Int, resolution: DesiredStateResolver.Resolution) -> ContainerSpec {
        let name = containerName(service.name, replica: replica, resolution)
        let blueprint = Blueprints.container(for: service, replica: replica, name: name, desired: resolution.desired)
        // Every secret the environment names is resolved, so this cannot fail.
        return (try? ContainerSpec(blueprint, secrets: resolution.secrets)) ?? ContainerSpec(image: blueprint.image)
    }

    static func containerName(_ service: String, replica: Int, _ resolution: DesiredStateResolver.Resolution) -> String {
        let environment = resolution.desired.environment
        let hash = resolution.desired.specs[service]?.hash ?? ""
        return "\(environment.project)-\(environment.name)-\(service)-\(replica)-\(hash.prefix(8))"
    }

    static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }
}

/// Makes the world match a resolved desired state as an apply would, without the executor:
/// config files written with their modes, the migration history recorded, every replica created and
/// started from its blueprint, and the HTTP-checked replicas given time to answer.
enum World {
    static func converge(
        _ resolution: DesiredStateResolver.Resolution, engine: any ContainerEngine, waitForHTTP: Bool = true
    ) async throws {
        let environment = resolution.desired.environment
        for file in environment.configs.files {
            try writeConfig(file, resolution)
        }
        try recordMigrations(resolution)
        for service in environment.services {
            for replica in 1...max(service.replicas, 1) where replica <= service.replicas {
                let spec = ObserveProject.spec(for: service, replica: replica, resolution: resolution)
                let id = try await engine.createContainer(
                    name: ObserveProject.containerName(service.name, replica: replica, resolution), spec: spec
                )
                try await engine.startContainer(id: id)
            }
        }
        if waitForHTTP { try await waitUntilServing(environment) }
    }

    static func writeConfig(_ file: ConfigFile, _ resolution: DesiredStateResolver.Resolution) throws {
        let content = try #require(resolution.renderedConfigs[file.name])
        let url = URL(fileURLWithPath: file.target)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: file.mode], ofItemAtPath: file.target)
    }

    /// The history table with one successful row per migration, with the resolver's checksum.
    static func recordMigrations(_ resolution: DesiredStateResolver.Resolution) throws {
        guard let database = resolution.desired.environment.database else { return }
        let connection = try open(database.location, secrets: resolution.secrets)
        defer { connection.close() }
        try connection.execute(SchemaHistoryTable.createStatement(connection.dialect))
        for migration in database.migrations {
            let checksum = try #require(resolution.desired.migrationChecksums[migration.version.text])
            try insertRow(
                into: connection, version: migration.version.text, description: migration.description, checksum: checksum
            )
        }
    }

    static func insertRow(into connection: any SQLDatabase, version: String, description: String, checksum: String, success: Bool = true) throws {
        let p = connection.dialect.placeholder
        let sql = """
            INSERT INTO \(SchemaHistoryTable.name) (version, description, checksum, applied_at, execution_ms, success)
            VALUES (\(p(1)), \(p(2)), \(p(3)), \(p(4)), \(p(5)), \(p(6)))
            """
        let flag: SQLValue = connection.dialect == .sqlite ? .integer(success ? 1 : 0) : .text(success ? "true" : "false")
        _ = try connection.query(sql, [.text(version), .text(description), .text(checksum), "2026-11-22T10:00:00Z", 7, flag])
    }

    static func open(_ location: DatabaseLocation, secrets: [String: String]) throws -> any SQLDatabase {
        switch location {
        case .sqlite(let path): try SQLiteDatabase(path: path)
        case .postgres(let url, let secret): try PostgresDatabase(url: url, password: secret.flatMap { secrets[$0] })
        }
    }

    /// Waits (up to 30 s each) until every replica with an HTTP health check answers HTTP at all on its
    /// published port, whatever the status: busybox httpd needs a moment after the start.
    static func waitUntilServing(_ environment: Environment) async throws {
        for service in environment.services {
            guard let check = service.healthcheck, case .http(let http) = check.check,
                  let mapping = service.ports.first(where: { $0.containerPort == http.containerPort }) else { continue }
            for replica in 0..<service.replicas {
                guard let port = mapping.hostPort(forReplica: replica) else { continue }
                try await waitForHTTP(port: port)
            }
        }
    }

    static func waitForHTTP(port: Int, within limit: Duration = .seconds(30)) async throws {
        let transport = SocketTransport(endpoint: .tcp(host: "127.0.0.1", port: port))
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                _ = try await transport.send(HTTPRequest(method: "GET", path: "/"), timeout: .seconds(1))
                return
            } catch {
                if ContinuousClock.now > deadline { throw FixtureError("nothing answered HTTP on 127.0.0.1:\(port): \(error)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// `REPOSITORY@sha256:...` of a local image, from the engine's image inspect (`RepoDigests`).
    static func repoDigest(of image: String, engine: DockerEngine) async throws -> String {
        let transport = SocketTransport(endpoint: engine.endpoint)
        let response = try await transport.send(
            HTTPRequest(method: "GET", path: "/v\(EngineRequests.apiVersion)/images/\(image)/json"), timeout: .seconds(10)
        )
        #expect(response.isSuccess, "\(response.bodyText)")
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let digests = json?["RepoDigests"] as? [String] ?? []
        return try #require(digests.first, "\(image) has no RepoDigests")
    }

    /// Force-removes every container carrying `label`, whatever state it is in.
    static func removeContainers(labelled label: [String: String], engine: any ContainerEngine) async throws {
        for container in try await engine.listContainers(labels: label) {
            try await engine.removeContainer(id: container.id, force: true)
        }
    }
}

/// The live engine from `BERTH_ENGINE`, and a project whose containers are removed afterwards, also
/// when the test fails: every container labelled with the project (Berth's `berth.project`, or the
/// tests' own `observe-test.owner` for the containers made without Berth's labels).
enum LiveProject {
    static let ownerLabel = "observe-test.owner"

    static func engine() throws -> DockerEngine {
        let text = try #require(LiveServices.engine, "BERTH_ENGINE is not set")
        return DockerEngine(endpoint: try EngineEndpoint(parsing: text), timeout: .seconds(30))
    }

    static func with(
        database: ObserveProject.DatabaseChoice = .sqlite, withAdmin: Bool = false, webImage: String = ObserveProject.webImage,
        _ body: (ObserveProject, DockerEngine) async throws -> Void
    ) async throws {
        let engine = try engine()
        let project = try ObserveProject.make(
            ObserveProject.Options(engine: LiveServices.engine ?? "", database: database, withAdmin: withAdmin, webImage: webImage)
        )
        var failure: (any Error)?
        do {
            try await body(project, engine)
        } catch {
            failure = error
        }
        do {
            try await World.removeContainers(labelled: [BerthLabel.project: project.name], engine: engine)
            try await World.removeContainers(labelled: [ownerLabel: project.name], engine: engine)
        } catch {
            if failure == nil { failure = error }
        }
        try? FileManager.default.removeItem(atPath: project.root)
        if let failure { throw failure }
    }
}

/// A ``ContainerEngine`` that passes every call on and writes it down, to count what the observer asks.
actor CountingEngine: ContainerEngine {
    let inner: any ContainerEngine
    private(set) var calls: [String] = []

    init(_ inner: any ContainerEngine) {
        self.inner = inner
    }

    func version() async throws(EngineError) -> EngineVersion {
        calls.append("version")
        return try await inner.version()
    }

    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] {
        calls.append("list " + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        return try await inner.listContainers(labels: labels)
    }

    func listImages() async throws(EngineError) -> [ImageSummary] {
        calls.append("images")
        return try await inner.listImages()
    }

    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        calls.append("create \(name)")
        return try await inner.createContainer(name: name, spec: spec)
    }

    func startContainer(id: String) async throws(EngineError) {
        calls.append("start \(id)")
        try await inner.startContainer(id: id)
    }

    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) {
        calls.append("stop \(id)")
        try await inner.stopContainer(id: id, timeoutSeconds: timeoutSeconds)
    }

    func removeContainer(id: String, force: Bool) async throws(EngineError) {
        calls.append("remove \(id)")
        try await inner.removeContainer(id: id, force: force)
    }

    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] {
        calls.append("logs \(id)")
        return try await inner.logs(id: id, since: since)
    }

    func inspect(id: String) async throws(EngineError) -> ContainerInspection {
        calls.append("inspect \(id)")
        return try await inner.inspect(id: id)
    }
}
