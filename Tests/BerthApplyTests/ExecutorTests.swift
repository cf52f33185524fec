import Foundation
import Synchronization
import Testing
import BerthCore
import BerthModel
import BerthEngine
import BerthObserve
import BerthPlan
import BerthApply

/// The executor against the in-memory engine, config files and health probe, with injected faults:
/// it only carries out what the plan says, and takes back what the plan says can be taken back.
@Suite struct ExecutorTests {
    static func blueprint(_ name: String, service: String = "web", replica: Int = 1, port: Int? = nil) -> ContainerBlueprint {
        ContainerBlueprint(
            name: name, service: service, replica: replica, image: "localhost/web:1", command: nil,
            environment: [ContainerBlueprint.Variable(name: "TOKEN", value: .secret("token"))],
            labels: [BerthLabel.environment: "dev", BerthLabel.service: service, BerthLabel.replica: "\(replica)"],
            ports: port.map { [ContainerBlueprint.Port(containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1", hostPort: $0)] } ?? [],
            binds: [], restart: "no", healthcheck: nil
        )
    }

    static func create(_ name: String, resource: String, after: [String] = []) -> PlanAction {
        PlanAction(
            kind: .create, resource: resource, cause: "missing", effect: .create, dependsOn: after, undo: .removeCreated,
            target: .newContainer(blueprint(name))
        )
    }

    static let content = Array("A=1\n".utf8)
    static func writeConfig() -> PlanAction {
        PlanAction(
            kind: .writeConfig, resource: "config:app", cause: "changed", effect: .update, undo: .restoreConfig,
            target: .config(ConfigWrite(name: "app", path: "/c/app.env", mode: 0o640, sha256: SHA256.hex(content)))
        )
    }

    static func plan(_ actions: [PlanAction]) -> Plan {
        Plan(environment: "dev", project: "shop", fingerprint: "f", actions: actions, problems: [])
    }

    let inputs = Executor.Inputs(secrets: ["token": "s3cret"], configs: ["app": ExecutorTests.content])

    func executor(
        _ engine: any ContainerEngine, configs: any ConfigFiles = InMemoryConfigFiles(), health: any HealthProbe = InMemoryHealthProbe(),
        clock: TestClock = TestClock(), nameConflicts: any NameConflictPolicy = AdoptIdenticalContainer(attempts: 2),
        parallelism: Int = 4, migrate: @escaping Executor.MigrationRunner = { _ in },
        undoMigration: @escaping Executor.MigrationRunner = { _ in }
    ) -> Executor {
        Executor(
            drivers: Executor.Drivers(
                engine: engine, configs: configs, health: health, clock: clock, nameConflicts: nameConflicts, migrate: migrate,
                undoMigration: undoMigration
            ),
            parallelism: parallelism, stopTimeout: 1
        )
    }

    @Test("a failure mid-way: done actions are undone in reverse, the rest skipped, nothing new started after it")
    func failureMidWay() async throws {
        let engine = InMemoryEngine()
        let configs = InMemoryConfigFiles(files: ["/c/app.env": (Array("A=0\n".utf8), 0o600)])
        await engine.fail(.create, with: .status(500, message: "disk full", endpoint: "memory"), times: 1)
        let plan = Self.plan([
            Self.writeConfig(),
            // web-2 fails; web-1 waits for the config; worker waits for both.
            Self.create("web-2", resource: "container:web-2"),
            Self.create("web-1", resource: "container:web-1", after: ["write-config:config:app"]),
            Self.create("worker-1", resource: "container:worker-1", after: ["create:container:web-1", "create:container:web-2"]),
        ])
        let recorder = Recorder()
        let report = await executor(engine, configs: configs, parallelism: 1).execute(plan, inputs: inputs, observer: recorder)

        #expect(report.done == ["write-config:config:app"])
        #expect(report.failed.map(\.id) == ["create:container:web-2"])
        #expect(report.failed.first?.error.contains("disk full") == true)
        #expect(report.undone == ["write-config:config:app"])
        #expect(report.skipped == ["create:container:web-1", "create:container:worker-1"])
        #expect(report.left == [])
        #expect(!report.succeeded)
        // The file has its previous content and mode back; no container was left behind.
        #expect(configs.read("/c/app.env")?.content == Array("A=0\n".utf8))
        #expect(configs.read("/c/app.env")?.mode == 0o600)
        #expect(await engine.containers.isEmpty)
        #expect(recorder.events.contains("undone write-config:config:app"))
    }

    @Test("containers created before a failure are removed; a migration cannot be undone and is left")
    func undoCreatesLeaveMigrations() async throws {
        let engine = InMemoryEngine()
        let migrated = Mutex<[String]>([])
        let migrate = PlanAction(
            kind: .migrate, resource: "migration:1", cause: "pending", effect: .create,
            target: .migration(MigrationStep(version: "1", description: "init", path: "/m/V1__init.sql", checksum: "c"))
        )
        await engine.fail(.start, with: .status(500, message: "no such image", endpoint: "memory"), times: 1)
        let plan = Self.plan([
            migrate,
            Self.create("web-1", resource: "container:web-1", after: ["migrate:migration:1"]),
            Self.create("web-2", resource: "container:web-2", after: ["create:container:web-1"]),
        ])
        let run = executor(engine, migrate: { step in migrated.withLock { $0.append(step.version) } })
        // web-1's start fails: it is removed at once; the migration stays applied.
        let report = await run.execute(plan, inputs: inputs, observer: Recorder())
        #expect(migrated.withLock { $0 } == ["1"])
        #expect(report.done == ["migrate:migration:1"])
        #expect(report.failed.map(\.id) == ["create:container:web-1"])
        #expect(report.left == ["migrate:migration:1"])
        #expect(report.skipped == ["create:container:web-2"])
        #expect(await engine.containers.isEmpty)
    }

    static func migration(_ version: String, undo: Bool, after: [String] = []) -> PlanAction {
        PlanAction(
            kind: .migrate, resource: "migration:\(version)", cause: "pending", effect: .create, dependsOn: after,
            undo: undo ? .undoMigration : .none,
            target: .migration(MigrationStep(
                version: version, description: "m\(version)", path: "/m/V\(version)__m.sql", checksum: "c",
                undoPath: undo ? "/m/U\(version)__m.sql" : nil
            ))
        )
    }

    @Test("after a failure, the migrations the apply ran are undone in reverse when every one has an undo file; else all are left",
          arguments: [true, false])
    func migrationsUndoneWhenAllCan(secondHasUndo: Bool) async throws {
        let engine = InMemoryEngine()
        let log = Mutex<[String]>([])
        await engine.fail(.start, with: .status(500, message: "no such image", endpoint: "memory"), times: 1)
        let plan = Self.plan([
            Self.migration("1", undo: true),
            Self.migration("2", undo: secondHasUndo, after: ["migrate:migration:1"]),
            Self.create("web-1", resource: "container:web-1", after: ["migrate:migration:2"]),
        ])
        let run = executor(
            engine, migrate: { step in log.withLock { $0.append("apply \(step.version)") } },
            undoMigration: { step in log.withLock { $0.append("undo \(step.version) with \(step.undoPath ?? "-")") } }
        )
        let report = await run.execute(plan, inputs: inputs, observer: Recorder())
        #expect(report.failed.map(\.id) == ["create:container:web-1"])
        if secondHasUndo {
            #expect(log.withLock { $0 } == ["apply 1", "apply 2", "undo 2 with /m/U2__m.sql", "undo 1 with /m/U1__m.sql"])
            #expect(report.undone == ["migrate:migration:2", "migrate:migration:1"])
            #expect(report.left == [])
        } else {
            #expect(log.withLock { $0 } == ["apply 1", "apply 2"])
            #expect(report.undone == [])
            #expect(report.left == ["migrate:migration:1", "migrate:migration:2"])
        }
    }

    @Test("an undo-migration action runs the undo driver, never the migration itself")
    func undoMigrationAction() async throws {
        let log = Mutex<[String]>([])
        var action = Self.migration("3", undo: true)
        action.kind = .undoMigration
        action.id = "undo-migration:migration:3"
        let run = executor(
            InMemoryEngine(), migrate: { step in log.withLock { $0.append("apply \(step.version)") } },
            undoMigration: { step in log.withLock { $0.append("undo \(step.version)") } }
        )
        let report = await run.execute(Self.plan([action]), inputs: inputs, observer: Recorder())
        #expect(report.succeeded && report.done == ["undo-migration:migration:3"])
        #expect(log.withLock { $0 } == ["undo 3"])
    }

    @Test("the spec sent carries the secret's value; the plan only its reference")
    func secretsFilledInAtSending() async throws {
        let engine = InMemoryEngine()
        let report = await executor(engine).execute(
            Self.plan([Self.create("web-1", resource: "container:web-1")]), inputs: inputs, observer: Recorder()
        )
        #expect(report.succeeded)
        #expect(await engine.spec(ofContainerNamed: "web-1")?.environment == ["TOKEN=s3cret"])
        #expect(await engine.container(named: "web-1")?.state == "running")
    }

    @Test("a name conflict with Berth's own identical container is adopted; with the refusing policy it fails")
    func nameConflict() async throws {
        let blueprint = Self.blueprint("web-1")
        for (policy, adopts) in [(AdoptIdenticalContainer(attempts: 2) as any NameConflictPolicy, true), (RefuseNameConflicts(), false)] {
            let engine = InMemoryEngine()
            var spec = try ContainerSpec(blueprint, secrets: ["token": "s3cret"])
            spec.labels.merge([BerthLabel.project: "shop", BerthLabel.specHash: "h"]) { _, new in new }
            var labelled = blueprint
            labelled.labels = spec.labels
            let id = await engine.seed(name: "web-1", spec: spec, state: "created")
            let action = PlanAction(
                kind: .create, resource: "container:web-1", cause: "missing", effect: .create, undo: .removeCreated,
                target: .newContainer(labelled)
            )
            let recorder = Recorder()
            let report = await executor(engine, nameConflicts: policy).execute(Self.plan([action]), inputs: inputs, observer: recorder)
            #expect(report.succeeded == adopts)
            if adopts {
                #expect(await engine.container(named: "web-1")?.id == id)
                #expect(await engine.container(named: "web-1")?.state == "running")
                #expect(recorder.events.contains { $0.hasPrefix("progress create:container:web-1: web-1 was already created") })
            } else {
                #expect(report.failed.first?.error.contains("cannot create web-1") == true)
            }
        }
    }

    @Test("a new container that fails its health check is removed and the old one started again")
    func failedHealthCheck() async throws {
        let engine = InMemoryEngine()
        let old = await engine.seed(name: "web-1-old", spec: ContainerSpec(image: "localhost/web:0"))
        let health = InMemoryHealthProbe(["127.0.0.1:8080": [.unreachable(reason: "connection refused"), .unhealthy(status: 404)]])
        let gate = HealthGate(
            container: "web-1-new", url: "http://localhost:80/health", host: "127.0.0.1", port: 8080, path: "/health",
            intervalMilliseconds: 1000, timeoutMilliseconds: 500, retries: 3, startPeriodMilliseconds: 0
        )
        let plan = Self.plan([
            PlanAction(kind: .stop, resource: "container:web-1", cause: "free the port", effect: .update, undo: .startAgain,
                       target: .container(id: old, name: "web-1-old")),
            PlanAction(kind: .create, resource: "container:web-1", cause: "image changed", effect: .update, dependsOn: ["stop:container:web-1"],
                       undo: .removeCreated, target: .newContainer(Self.blueprint("web-1-new", port: 8080))),
            PlanAction(kind: .waitHealthy, resource: "container:web-1", cause: "health", effect: .update, dependsOn: ["create:container:web-1"],
                       target: .health(gate)),
            PlanAction(kind: .remove, resource: "container:web-1", cause: "replaced", effect: .update, dependsOn: ["wait-healthy:container:web-1"],
                       target: .container(id: old, name: "web-1-old")),
        ])
        let clock = TestClock()
        let recorder = Recorder()
        let report = await executor(engine, health: health, clock: clock).execute(plan, inputs: inputs, observer: recorder)

        #expect(report.failed.map(\.id) == ["wait-healthy:container:web-1"])
        let error = try #require(report.failed.first?.error)
        #expect(error.contains("web-1-new did not pass its health check http://localhost:80/health (port 8080)"), "\(error)")
        #expect(error.hasSuffix("last HTTP 404"), "\(error)")
        #expect(report.undone == ["create:container:web-1", "stop:container:web-1"])
        #expect(report.skipped == ["remove:container:web-1"])
        // The old container runs again; the new one is gone.
        #expect(await engine.containers.map(\.name) == ["web-1-old"])
        #expect(await engine.container(named: "web-1-old")?.state == "running")
        // Progress once per interval, with the last result; the wait took the check's budget on the test clock.
        let progress = recorder.events.filter { $0.hasPrefix("progress wait-healthy") }
        #expect(progress.first == "progress wait-healthy:container:web-1: waiting for health of web-1-new: 1/3, connection refused")
        #expect(progress.last == "progress wait-healthy:container:web-1: waiting for health of web-1-new: 3/3, HTTP 404")
        #expect(clock.elapsed >= .milliseconds(3500))
    }

    @Test("a health check that passes lets the replacement go on at once")
    func passedHealthCheck() async throws {
        let engine = InMemoryEngine()
        let health = InMemoryHealthProbe(["127.0.0.1:8080": [.unreachable(reason: "connection refused"), .healthy(status: 200)]])
        let gate = HealthGate(
            container: "web-1", url: "http://localhost:80/", host: "127.0.0.1", port: 8080, path: "/",
            intervalMilliseconds: 5000, timeoutMilliseconds: 1000, retries: 3, startPeriodMilliseconds: 0
        )
        let plan = Self.plan([
            Self.create("web-1", resource: "container:web-1"),
            PlanAction(kind: .waitHealthy, resource: "container:web-1", cause: "health", effect: .update,
                       dependsOn: ["create:container:web-1"], target: .health(gate)),
        ])
        let clock = TestClock()
        let report = await executor(engine, health: health, clock: clock).execute(plan, inputs: inputs, observer: Recorder())
        #expect(report.succeeded)
        #expect(await health.calls.count == 2)
        #expect(clock.elapsed == .milliseconds(250))
    }

    @Test("a health gate on a port the engine picked finds it with one list call")
    func gateOnPickedPort() async throws {
        let engine = InMemoryEngine()
        var blueprint = Self.blueprint("web-1")
        blueprint.ports = [ContainerBlueprint.Port(containerPort: 80, protocol: "tcp", hostIP: nil, hostPort: nil)]
        let gate = HealthGate(
            container: "web-1", url: "http://localhost:80/", host: "127.0.0.1", port: nil, containerPort: 80,
            labels: [BerthLabel.service: "web"], path: "/", intervalMilliseconds: 1000, timeoutMilliseconds: 500, retries: 2,
            startPeriodMilliseconds: 0
        )
        let health = InMemoryHealthProbe(["127.0.0.1:40000": [.healthy(status: 200)]])
        let plan = Self.plan([
            PlanAction(kind: .create, resource: "container:web-1", cause: "missing", effect: .create, undo: .removeCreated,
                       target: .newContainer(blueprint)),
            PlanAction(kind: .waitHealthy, resource: "container:web-1", cause: "health", effect: .update,
                       dependsOn: ["create:container:web-1"], target: .health(gate)),
        ])
        let report = await executor(engine, health: health).execute(plan, inputs: inputs, observer: Recorder())
        #expect(report.succeeded, "\(report.failed)")
        #expect(await health.calls == ["127.0.0.1:40000/"])
        #expect(await engine.calls.contains("list"))
    }

    @Test("no more actions run at once than the parallelism allows", arguments: [1, 3])
    func parallelismBound(limit: Int) async throws {
        let engine = SlowEngine(InMemoryEngine())
        let actions = (1...9).map { Self.create("web-\($0)", resource: "container:web-\($0)") }
        let report = await executor(engine, parallelism: limit).execute(Self.plan(actions), inputs: inputs, observer: Recorder())
        #expect(report.succeeded)
        #expect(await engine.peak == limit)
    }

    @Test("a lost lock stops the apply before its next action, without undo")
    func halted() async throws {
        let engine = InMemoryEngine()
        let started = Mutex(0)
        let recorder = Recorder { _ in started.withLock { $0 += 1 } }
        let actions = (1...3).map { Self.create("web-\($0)", resource: "container:web-\($0)", after: $0 == 1 ? [] : ["create:container:web-\($0 - 1)"]) }
        let report = await executor(engine).execute(
            Self.plan(actions), inputs: inputs, observer: recorder,
            halt: { started.withLock { $0 } >= 1 ? "the lock of shop/dev was taken from this apply" : nil }
        )
        #expect(report.halted == "the lock of shop/dev was taken from this apply")
        #expect(report.done == ["create:container:web-1"])
        #expect(report.left == ["create:container:web-1"])
        #expect(report.undone == [])
        #expect(report.skipped == ["create:container:web-2", "create:container:web-3"])
        #expect(!report.succeeded)
        #expect(await engine.containers.map(\.name) == ["web-1"])
    }

    @Test("cancelling the apply stops new actions and still undoes what was done")
    func cancellation() async throws {
        let engine = BlockingEngine(InMemoryEngine(), blocking: "web-2")
        let plan = Self.plan([
            Self.create("web-1", resource: "container:web-1"),
            Self.create("web-2", resource: "container:web-2", after: ["create:container:web-1"]),
            Self.create("web-3", resource: "container:web-3", after: ["create:container:web-2"]),
        ])
        let run = executor(engine)
        let inputs = self.inputs
        let task = Task { await run.execute(plan, inputs: inputs, observer: Recorder()) }
        await engine.waitUntilBlocked()
        task.cancel()
        let report = await task.value
        #expect(report.done == ["create:container:web-1"])
        #expect(report.failed.map(\.id) == ["create:container:web-2"])
        #expect(report.undone == ["create:container:web-1"])
        #expect(report.skipped == ["create:container:web-3"])
        #expect(await engine.inner.containers.isEmpty)
    }

    /// stop old -> create new -> remove old (committing the two before it), for `resource`.
    static func replacement(_ replica: Int, old: String, after: [String] = []) -> [PlanAction] {
        let resource = "container:web-\(replica)"
        return [
            PlanAction(kind: .stop, resource: resource, cause: "free the port", effect: .update, dependsOn: after, undo: .startAgain,
                       target: .container(id: old, name: "web-\(replica)-old")),
            PlanAction(kind: .create, resource: resource, cause: "image changed", effect: .update, dependsOn: ["stop:\(resource)"],
                       undo: .removeCreated, target: .newContainer(blueprint("web-\(replica)-new", replica: replica))),
            PlanAction(kind: .remove, resource: resource, cause: "replaced", effect: .update, dependsOn: ["create:\(resource)"],
                       commits: ["stop:\(resource)", "create:\(resource)"], target: .container(id: old, name: "web-\(replica)-old")),
        ]
    }

    @Test("a replacement that finished is kept when a later one fails; the failed one's old container runs again")
    func finishedReplacementKept() async throws {
        let engine = InMemoryEngine()
        let old1 = await engine.seed(name: "web-1-old", spec: ContainerSpec(image: "localhost/web:0"))
        let old2 = await engine.seed(name: "web-2-old", spec: ContainerSpec(image: "localhost/web:0"))
        let plan = Self.plan(Self.replacement(1, old: old1) + Self.replacement(2, old: old2, after: ["remove:container:web-1"]))
        // web-2's new container cannot be created.
        let failing = FailingCreates(engine, failing: "web-2-new")
        let report = await executor(failing).execute(plan, inputs: inputs, observer: Recorder())
        #expect(report.failed.map(\.id) == ["create:container:web-2"])
        #expect(report.undone == ["stop:container:web-2"])
        #expect(report.left == ["stop:container:web-1", "create:container:web-1", "remove:container:web-1"])
        #expect(await engine.containers.map(\.name) == ["web-1-new", "web-2-old"])
        #expect(await engine.containers.allSatisfy { $0.state == "running" })
    }

    @Test("a start whose host port the engine is still releasing is tried again")
    func startRetriedWhilePortReleased() async throws {
        let engine = InMemoryEngine()
        await engine.fail(.start, with: .status(500, message: "cannot listen on the TCP port: listen tcp4 127.0.0.1:8080: bind: address already in use", endpoint: "memory"), times: 2)
        let clock = TestClock()
        let report = await executor(engine, clock: clock).execute(
            Self.plan([Self.create("web-1", resource: "container:web-1")]), inputs: inputs, observer: Recorder()
        )
        #expect(report.succeeded)
        #expect(clock.sleeps == [.milliseconds(250), .milliseconds(250)])
        #expect(await engine.container(named: "web-1")?.state == "running")
    }

    @Test("a stop whose answer is lost starts the container again, so the replica is not left down")
    func stopFailureRestarts() async throws {
        let engine = InMemoryEngine()
        let old = await engine.seed(name: "web-1-old", spec: ContainerSpec(image: "localhost/web:0"))
        await engine.fail(.stop, with: .timeout(endpoint: "memory", after: .seconds(30)))
        let report = await executor(engine).execute(Self.plan(Self.replacement(1, old: old)), inputs: inputs, observer: Recorder())
        #expect(report.failed.map(\.id) == ["stop:container:web-1"])
        #expect(await engine.calls.suffix(2) == ["stop web-1-old", "start web-1-old"])
        #expect(await engine.container(named: "web-1-old")?.state == "running")
    }

    @Test("a lost lock halts without undo, but a container stopped for a replacement that never started runs again")
    func haltRestartsStopped() async throws {
        let engine = InMemoryEngine()
        let old = await engine.seed(name: "web-1-old", spec: ContainerSpec(image: "localhost/web:0"))
        let started = Mutex(0)
        let recorder = Recorder { _ in started.withLock { $0 += 1 } }
        let report = await executor(engine).execute(
            Self.plan(Self.replacement(1, old: old)), inputs: inputs, observer: recorder,
            halt: { started.withLock { $0 } >= 1 ? "the lock of shop/dev was taken from this apply" : nil }
        )
        #expect(report.halted != nil)
        #expect(report.done == ["stop:container:web-1"])
        #expect(report.undone == ["stop:container:web-1"])
        #expect(await engine.container(named: "web-1-old")?.state == "running")
    }

    @Test("an action of a kind that cannot work on an existing container fails instead of removing it")
    func kindAndTargetMustAgree() async throws {
        let engine = InMemoryEngine()
        let id = await engine.seed(name: "web-1", spec: ContainerSpec(image: "localhost/web:0"))
        let wrong = PlanAction(kind: .create, resource: "container:web-1", cause: "edited", effect: .update, target: .container(id: id, name: "web-1"))
        let report = await executor(engine).execute(Self.plan([wrong]), inputs: inputs, observer: Recorder())
        #expect(report.failed.first?.error.contains("a create action cannot work on the existing container web-1") == true)
        #expect(await engine.container(named: "web-1")?.state == "running")
    }

    @Test("config content that does not hash to what the plan says is refused, and nothing is written")
    func contentChangedSincePlan() async throws {
        let configs = InMemoryConfigFiles()
        let report = await executor(InMemoryEngine(), configs: configs).execute(
            Self.plan([Self.writeConfig()]), inputs: Executor.Inputs(configs: ["app": Array("A=2\n".utf8)]), observer: Recorder()
        )
        #expect(report.failed.first?.error.contains("not the one the plan was made with") == true)
        #expect(configs.writes.isEmpty)
    }

    @Test("a config write that fails is reported with the system's reason")
    func configWriteFails() async throws {
        let configs = InMemoryConfigFiles()
        configs.failWrites(to: "/c/app.env", reason: "Read-only file system")
        let report = await executor(InMemoryEngine(), configs: configs).execute(Self.plan([Self.writeConfig()]), inputs: inputs, observer: Recorder())
        #expect(report.failed.first?.error == "cannot write /c/app.env: Read-only file system")
    }
}

/// Every event, as a line: `started ID`, `progress ID: MESSAGE`, `finished ID`, `failed ID: ERROR`, `undone ID`.
final class Recorder: ExecutionObserver, Sendable {
    private let lines = Mutex<[String]>([])
    private let onStart: @Sendable (PlanAction) -> Void

    init(onStart: @escaping @Sendable (PlanAction) -> Void = { _ in }) {
        self.onStart = onStart
    }

    var events: [String] { lines.withLock { $0 } }

    func started(_ action: PlanAction) {
        lines.withLock { $0.append("started \(action.id)") }
        onStart(action)
    }

    func progress(_ action: PlanAction, _ message: String) { lines.withLock { $0.append("progress \(action.id): \(message)") } }

    func finished(_ action: PlanAction, error: String?, duration: Duration) {
        lines.withLock { $0.append(error.map { "failed \(action.id): \($0)" } ?? "finished \(action.id)") }
    }

    func undone(_ actionID: String, succeeded: Bool) { lines.withLock { $0.append("\(succeeded ? "undone" : "not undone") \(actionID)") } }
}

/// Creates of one name fail; everything else goes to the in-memory engine.
struct FailingCreates: ContainerEngine {
    let inner: InMemoryEngine
    let failing: String

    init(_ inner: InMemoryEngine, failing: String) {
        self.inner = inner
        self.failing = failing
    }

    func version() async throws(EngineError) -> EngineVersion { try await inner.version() }
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] { try await inner.listContainers(labels: labels) }
    func listImages() async throws(EngineError) -> [ImageSummary] { try await inner.listImages() }
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        if name == failing { throw .status(500, message: "disk full", endpoint: "memory") }
        return try await inner.createContainer(name: name, spec: spec)
    }
    func startContainer(id: String) async throws(EngineError) { try await inner.startContainer(id: id) }
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) { try await inner.stopContainer(id: id, timeoutSeconds: timeoutSeconds) }
    func removeContainer(id: String, force: Bool) async throws(EngineError) { try await inner.removeContainer(id: id, force: force) }
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { try await inner.logs(id: id, since: since) }
    func inspect(id: String) async throws(EngineError) -> ContainerInspection { try await inner.inspect(id: id) }
}

/// Counts creates in flight: each takes a few milliseconds, so overlapping ones are seen.
actor SlowEngine: ContainerEngine {
    let inner: InMemoryEngine
    private var running = 0
    private(set) var peak = 0

    init(_ inner: InMemoryEngine) { self.inner = inner }

    func version() async throws(EngineError) -> EngineVersion { try await inner.version() }
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] { try await inner.listContainers(labels: labels) }
    func listImages() async throws(EngineError) -> [ImageSummary] { try await inner.listImages() }
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        running += 1
        peak = max(peak, running)
        try? await Task.sleep(for: .milliseconds(20))
        running -= 1
        return try await inner.createContainer(name: name, spec: spec)
    }
    func startContainer(id: String) async throws(EngineError) { try await inner.startContainer(id: id) }
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) { try await inner.stopContainer(id: id, timeoutSeconds: timeoutSeconds) }
    func removeContainer(id: String, force: Bool) async throws(EngineError) { try await inner.removeContainer(id: id, force: force) }
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { try await inner.logs(id: id, since: since) }
    func inspect(id: String) async throws(EngineError) -> ContainerInspection { try await inner.inspect(id: id) }
}

/// A create of one name hangs until its task is cancelled, as a real call waiting on a slow engine does.
actor BlockingEngine: ContainerEngine {
    let inner: InMemoryEngine
    let blocking: String
    private var blocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ inner: InMemoryEngine, blocking: String) {
        self.inner = inner
        self.blocking = blocking
    }

    func waitUntilBlocked() async {
        if blocked { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func version() async throws(EngineError) -> EngineVersion { try await inner.version() }
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] { try await inner.listContainers(labels: labels) }
    func listImages() async throws(EngineError) -> [ImageSummary] { try await inner.listImages() }
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        if name == blocking {
            blocked = true
            for waiter in waiters { waiter.resume() }
            waiters = []
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            throw .cancelled(endpoint: "memory")
        }
        return try await inner.createContainer(name: name, spec: spec)
    }
    func startContainer(id: String) async throws(EngineError) { try await inner.startContainer(id: id) }
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) { try await inner.stopContainer(id: id, timeoutSeconds: timeoutSeconds) }
    func removeContainer(id: String, force: Bool) async throws(EngineError) { try await inner.removeContainer(id: id, force: force) }
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { try await inner.logs(id: id, since: since) }
    func inspect(id: String) async throws(EngineError) -> ContainerInspection { try await inner.inspect(id: id) }
}
