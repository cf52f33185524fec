import BerthEngine
import BerthLoading
import BerthModel
import BerthObserve
import BerthPlan
import Foundation
import Testing

/// Fast tests, no real engine: `InMemoryEngine`, `InMemoryMigrationHistory` and a temporary project.
@Suite struct ObserverTests {
    /// A project whose engine endpoint is a socket that does not exist; these tests never reach it.
    func withProject(_ body: (ObserveProject) async throws -> Void) async throws {
        let placeholder = "unix:///nonexistent/berth-observe-tests.sock"
        let project = try ObserveProject.make(ObserveProject.Options(engine: placeholder))
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        try await body(project)
    }

    /// Answers every HTTP health check with `answer`, without a network.
    struct FixedHealth: HealthProbe {
        var answer: Bool
        func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult {
            answer ? .healthy(status: 200) : .unhealthy(status: 503)
        }
    }

    @Test("a fault injected into the engine's list surfaces as an ObserveError naming the engine")
    func listFault() async throws {
        try await withProject { project in
            let resolution = try project.resolve()
            let engine = InMemoryEngine()
            await engine.fail(.list, with: .unreachable(endpoint: InMemoryEngine.endpointName, reason: "injected fault"))
            let observer = Observer(engine: engine, history: InMemoryMigrationHistory(), health: FixedHealth(answer: true))
            let error = await #expect(throws: ObserveError.self) { try await observer.observe(resolution.desired, secrets: resolution.secrets) }
            #expect(error?.message.hasPrefix("cannot list containers: ") == true)
            #expect(error?.message.contains(InMemoryEngine.endpointName) == true)
            #expect(error?.message.contains("injected fault") == true)
            #expect(await engine.calls == ["list"])
            // The fault is spent: the next observation works.
            #expect(try await observer.observe(resolution.desired, secrets: resolution.secrets).containers == [])
        }
    }

    @Test("a migration history that cannot be read surfaces as its ObserveError")
    func historyFault() async throws {
        try await withProject { project in
            let resolution = try project.resolve()
            let failure = ObserveError("cannot open the database to read its migration history: injected")
            let observer = Observer(
                engine: InMemoryEngine(), history: InMemoryMigrationHistory(failure: failure), health: FixedHealth(answer: true)
            )
            let error = await #expect(throws: ObserveError.self) { try await observer.observe(resolution.desired, secrets: resolution.secrets) }
            #expect(error == failure)
        }
    }

    @Test("an unreachable engine endpoint is an ObserveError whose message names the endpoint")
    func unreachableEngine() async throws {
        try await withProject { project in
            let socket = "unix://\(project.root)/no-engine-here.sock"
            try project.write(
                "environments/dev.yaml",
                project.environmentYAML(ObserveProject.Options(engine: socket))
            )
            let resolution = try project.resolve()
            #expect(resolution.desired.environment.engine.host == socket)
            let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: resolution.desired.environment.engine.host), timeout: .seconds(5))
            let error = await #expect(throws: ObserveError.self) { try await Observer(engine: engine).observe(resolution.desired, secrets: resolution.secrets) }
            #expect(error?.message.contains(socket) == true, "\(error?.message ?? "")")
        }
    }

    @Test("a converged environment in the in-memory engine: one list call, no drift, an empty plan")
    func convergedInMemory() async throws {
        try await withProject { project in
            let resolution = try project.resolve()
            let engine = InMemoryEngine()
            try await World.converge(resolution, engine: engine, waitForHTTP: false)
            await engine.clearCalls()
            let rows = resolution.desired.environment.database?.migrations.map {
                AppliedMigration(
                    version: $0.version.text, description: $0.description,
                    checksum: resolution.desired.migrationChecksums[$0.version.text] ?? "", appliedAt: "2026-11-22T10:00:00Z",
                    success: true
                )
            } ?? []
            let observer = Observer(engine: engine, history: InMemoryMigrationHistory(rows: rows), health: FixedHealth(answer: true))
            let observed = try await observer.observe(resolution.desired, secrets: resolution.secrets)
            #expect(await engine.calls == ["list"])
            #expect(observed.containers.count == 3)
            #expect(Drift.detect(desired: resolution.desired, observed: observed) == [])
            #expect(Planner.plan(desired: resolution.desired, observed: observed).isEmpty)

            // The HTTP check decides the health of the web replicas; the worker has none.
            let failing = Observer(engine: engine, history: InMemoryMigrationHistory(rows: rows), health: FixedHealth(answer: false))
            let unhealthy = try await failing.observe(resolution.desired, secrets: resolution.secrets)
            #expect(unhealthy.containers.map(\.health) == [.unhealthy, .unhealthy, .unknown])
            // Status shows what the last check got, and how long each has been up in the engine's words.
            #expect(observed.containers.map(\.healthResult) == ["HTTP 200", "HTTP 200", nil])
            #expect(unhealthy.containers.map(\.healthResult) == ["HTTP 503", "HTTP 503", nil])
            #expect(observed.containers.map(\.uptime) == ["Less than a second", "Less than a second", "Less than a second"])
            #expect(Drift.detect(desired: resolution.desired, observed: unhealthy).map(\.kind) == [.unhealthy, .unhealthy])
        }
    }

    static let digest = String(repeating: "ab", count: 32)

    @Test(
        "the image an engine reports matches the one asked for when it only qualifies a short name or tags a digest",
        arguments: [
            ("berth-example-web:1.0.0", "berth-example-web:1.0.0", true),
            ("localhost/berth-example-web:1.0.0", "berth-example-web:1.0.0", true),
            ("docker.io/library/berth-example-web:1.0.0", "berth-example-web:1.0.0", true),
            ("docker.io/example/web:1.0.0", "example/web:1.0.0", true),
            ("localhost/berth-example-web:1.0.0", "localhost/berth-example-web:1.0.0", true),
            ("localhost/berth-example-web:1.1.0", "berth-example-web:1.0.0", false),
            ("quay.io/other/berth-example-web:1.0.0", "berth-example-web:1.0.0", false),
            ("registry.example.com/berth-example-web:1.0.0", "localhost/berth-example-web:1.0.0", false),
            ("docker.io/library/example/web:1.0.0", "example/web:1.0.0", false),
            ("my-berth-example-web:1.0.0", "berth-example-web:1.0.0", false),
            ("localhost/berth-example-web:1.0.0", "localhost/berth-example-web@sha256:\(ObserverTests.digest)", true),
            ("localhost/berth-example-web@sha256:\(ObserverTests.digest)", "localhost/berth-example-web@sha256:\(ObserverTests.digest)", true),
            ("localhost/berth-example-web:1.0.0", "berth-example-web:1.0.0@sha256:\(ObserverTests.digest)", true),
            ("localhost/berth-example-worker:1.0.0", "localhost/berth-example-web@sha256:\(ObserverTests.digest)", false),
        ]
    )
    func reportedImage(reported: String, wanted: String, same: Bool) async throws {
        try await withProject { project in
            try project.write(
                "environments/dev.yaml",
                project.environmentYAML(ObserveProject.Options(engine: "unix:///nonexistent/berth.sock", webImage: wanted))
            )
            let resolution = try project.resolve()
            let engine = InMemoryEngine()
            try await World.converge(resolution, engine: engine, waitForHTTP: false)
            let rows = resolution.desired.environment.database?.migrations.map {
                AppliedMigration(
                    version: $0.version.text, description: $0.description,
                    checksum: resolution.desired.migrationChecksums[$0.version.text] ?? "", appliedAt: "", success: true
                )
            }
            var observed = try await Observer(engine: engine, history: InMemoryMigrationHistory(rows: rows ?? []), health: FixedHealth(answer: true))
                .observe(resolution.desired, secrets: resolution.secrets)
            let index = try #require(observed.containers.firstIndex { $0.service == "web" && $0.replica == 1 })
            observed.containers[index].image = reported

            let drift = Drift.detect(desired: resolution.desired, observed: observed)
            let plan = Planner.plan(desired: resolution.desired, observed: observed)
            if same {
                #expect(drift == [])
                #expect(plan.isEmpty)
            } else {
                #expect(drift.map { "\($0.kind.rawValue) \($0.resource)" } == ["changed container:web-1"])
                // Its host port is fixed: the old one stops, the new one starts and passes its check, the old one goes.
                #expect(plan.actions.map(\.kind) == [.stop, .create, .waitHealthy, .remove])
                let create = try #require(plan.actions.first { $0.kind == .create })
                #expect(create.cause == "image changed \(reported) -> \(wanted)")
                #expect(create.changes.contains(FieldChange(field: "image", before: reported, after: wanted)))
            }
        }
    }

    @Test("a secret whose variable is unset: ResolveError names the variable, never any secret's value")
    func unsetSecretVariable() async throws {
        try await withProject { project in
            let unset = "OBS_UNSET_" + ObserveProject.randomHex(8).uppercased()
            let literal = "literal-seed-" + ObserveProject.randomHex(12)
            let fromVariable = "variable-token-" + ObserveProject.randomHex(12)
            try project.write(
                "environments/dev.yaml",
                """
                project: \(project.name)
                engine:
                  host: unix:///nonexistent/berth-observe-tests.sock
                services:
                  web:
                    image: \(ObserveProject.webImage)
                    environment:
                      TOKEN: { secret: api_token }
                      SEED: { secret: seed }
                      OTHER: { secret: missing }
                configs:
                  root: state/configs
                  files:
                    app-env:
                      template: configs/app.env.tmpl
                      target: app.env
                      values:
                        greeting: { secret: seed }
                        api_token: { secret: missing }
                secrets:
                  api_token: { env: OBS_API_TOKEN }
                  seed: { value: \(literal) }
                  missing: { env: \(unset) }

                """
            )
            let environment = try project.load()
            let resolver = DesiredStateResolver(variables: ["OBS_API_TOKEN": fromVariable])
            let error = #expect(throws: ResolveError.self) { try resolver.resolve(environment) }
            let text = error.map { "\($0)" } ?? ""
            #expect(error?.problems.count == 1)
            #expect(text.contains(unset), "\(text)")
            #expect(text.contains("secret missing"), "\(text)")
            #expect(!text.contains(literal) && !text.contains(fromVariable), "\(text)")

            // With the variable set, it resolves; the values stay in `secrets`, the desired state keeps hashes.
            let resolved = try DesiredStateResolver(variables: ["OBS_API_TOKEN": fromVariable, unset: "now-set"]).resolve(environment)
            #expect(resolved.secrets["missing"] == "now-set" && resolved.secrets["seed"] == literal)
            #expect(!"\(resolved.desired.configHashes)".contains(fromVariable) && !"\(resolved.desired.specs)".contains(fromVariable))
            let plan = Planner.plan(desired: resolved.desired, observed: ObservedState(configs: [], migrations: nil))
            let saved = String(decoding: try PlanDocument(plan).encoded(), as: UTF8.self)
            #expect(!saved.contains(literal) && !saved.contains(fromVariable) && !saved.contains("now-set"))
        }
    }
}
