import Testing
import BerthModel
import BerthPlan

/// The golden one-line-per-action form of the plan is the oracle for every ordering rule.
@Suite struct PlannerTests {
    func lines(_ desired: DesiredState, _ observed: ObservedState) -> [String] {
        Planner.plan(desired: desired, observed: observed).lines
    }

    @Test("a fresh environment plans everything: migrations in order, the config, then containers in dependency order")
    func fresh() {
        let desired = PlanFixtures.desired()
        let plan = Planner.plan(desired: desired, observed: ObservedState(migrations: []))
        #expect(plan.lines == [
            "migrate migration:1: V1__init.sql is pending",
            "migrate migration:2 after [migrate:migration:1]: V2__more.sql is pending",
            "write-config config:app-env: config app-env is missing at /p/.berth/configs/dev/app.env",
            "create container:web-1 after [migrate:migration:2, write-config:config:app-env]: container web-1 is missing",
            "create container:web-2 after [migrate:migration:2, write-config:config:app-env, create:container:web-1]: container web-2 is missing",
            "create container:worker-1 after [create:container:web-1, create:container:web-2]: container worker-1 is missing",
        ])
        #expect(plan.summary == Plan.Summary(create: 6, update: 0, delete: 0))
        #expect(plan.problems.isEmpty)
    }

    @Test("a converged environment plans nothing")
    func converged() {
        let desired = PlanFixtures.desired()
        let plan = Planner.plan(desired: desired, observed: PlanFixtures.converged(desired))
        #expect(plan.isEmpty)
        #expect(plan.summary == Plan.Summary())
    }

    @Test("an image bump replaces only that service, start-first: new before old, one replica after the other")
    func imageBumpStartFirst() {
        let before = PlanFixtures.desired()
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0"))
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let name = "shop-dev-web-%d-\(after.specs["web"]!.hash.prefix(8))"
        #expect(plan.lines == [
            "create container:web-1: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-1 after [create:container:web-1]: replaced by \(name.replacingOccurrences(of: "%d", with: "1"))",
            "create container:web-2 after [remove:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-2 after [create:container:web-2]: replaced by \(name.replacingOccurrences(of: "%d", with: "2"))",
        ])
        #expect(plan.summary == Plan.Summary(create: 0, update: 2, delete: 0))
        let change = plan.actions[0].changes.first { $0.field == "image" }
        #expect(change == FieldChange(field: "image", before: "localhost/web:1.0.0", after: "localhost/web:1.1.0"))
        #expect(plan.actions.map(\.undo) == [.removeCreated, .none, .removeCreated, .none])
    }

    @Test("start-first on a fixed host port: the old replica stops (freeing the port), the new one starts, then the old one goes")
    func startFirstOnFixedPort() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webPort: "127.0.0.1:8080-8081:80"))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0", webPort: "127.0.0.1:8080-8081:80"))
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let old = before.specs["web"]!.hash.prefix(8), new = after.specs["web"]!.hash.prefix(8)
        let why = "kept until its replacement runs (its host port must be free for the new container)"
        #expect(plan.lines == [
            "stop container:web-1: shop-dev-web-1-\(old) stops, \(why)",
            "create container:web-1 after [stop:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-1 after [create:container:web-1]: replaced by shop-dev-web-1-\(new)",
            "stop container:web-2 after [remove:container:web-1]: shop-dev-web-2-\(old) stops, \(why)",
            "create container:web-2 after [stop:container:web-2]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-2 after [create:container:web-2]: replaced by shop-dev-web-2-\(new)",
        ])
        // Undo of a failed replacement: the new container goes, the old one starts again.
        #expect(plan.actions.map(\.undo) == [.startAgain, .removeCreated, .none, .startAgain, .removeCreated, .none])
    }

    @Test("recreate: the old container stops before the new one starts, and is removed only after it")
    func recreate() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webStrategy: .recreate))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:2.0.0", webStrategy: .recreate))
        #expect(lines(after, PlanFixtures.converged(before)).map { $0.prefix { $0 != ":" } + ($0.contains("after") ? " ..." : "") } == [
            "stop container", "create container ...", "remove container ...", "stop container ...", "create container ...",
            "remove container ...",
        ])
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        #expect(plan.actions.map(\.id) == [
            "stop:container:web-1", "create:container:web-1", "remove:container:web-1",
            "stop:container:web-2", "create:container:web-2", "remove:container:web-2",
        ])
        #expect(plan.actions[0].cause.hasSuffix("(recreate: the old container stops first)"))
    }

    @Test("a new container with an HTTP health check on a fixed port is waited for before the old one goes")
    func healthGate() {
        let check = HealthCheck(
            check: .http(HTTPCheck(url: "http://localhost:80/health", containerPort: 80, path: "/health")),
            interval: TimeSpan(milliseconds: 2000), timeout: TimeSpan(milliseconds: 1000), retries: 3,
            startPeriod: TimeSpan(milliseconds: 0)
        )
        let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webPort: "127.0.0.1:8080:80", webHealth: check))
        let after = PlanFixtures.desired(PlanFixtures.environment(
            webImage: "localhost/web:1.1.0", webReplicas: 1, webPort: "127.0.0.1:8080:80", webHealth: check
        ))
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        #expect(plan.actions.map(\.id) == [
            "stop:container:web-1", "create:container:web-1", "wait-healthy:container:web-1", "remove:container:web-1",
        ])
        guard case .health(let gate) = plan.actions[2].target else { Issue.record("no health gate"); return }
        #expect(gate.host == "127.0.0.1" && gate.port == 8080 && gate.path == "/health" && gate.retries == 3)
        #expect(gate.container == plan.actions[1].blueprintName)
        #expect(plan.summary == Plan.Summary(create: 0, update: 1, delete: 0))
    }

    @Test("start-first on a port the engine picks waits for the new container's health, found by its labels, before the old one goes")
    func startFirstHealthGate() {
        let check = HealthCheck(
            check: .http(HTTPCheck(url: "http://localhost:80/health", containerPort: 80, path: "/health")),
            interval: TimeSpan(milliseconds: 2000), timeout: TimeSpan(milliseconds: 1000), retries: 3,
            startPeriod: TimeSpan(milliseconds: 0)
        )
        let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webHealth: check))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0", webReplicas: 1, webHealth: check))
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        #expect(plan.actions.map(\.id) == ["create:container:web-1", "wait-healthy:container:web-1", "remove:container:web-1"])
        guard case .health(let gate) = plan.actions[1].target else { Issue.record("no health gate"); return }
        #expect(gate.port == nil && gate.containerPort == 80)
        #expect(gate.labels == ["berth.project": "shop", "berth.environment": "dev", "berth.service": "web", "berth.replica": "1"])
        #expect(plan.actions[1].cause.hasSuffix("(the port the engine picks for 80)"))
        #expect(plan.actions[2].commits == ["create:container:web-1", "wait-healthy:container:web-1"])
    }

    @Test("a config change writes the file first and replaces only the services that mount it")
    func configChange() {
        let before = PlanFixtures.desired()
        let after = PlanFixtures.desired(configHash: "d00d")
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        #expect(plan.lines.map { String($0.prefix { $0 != ":" }) + ":" + $0.split(separator: ":").last! } == [
            "write-config config: config app-env content changed",
            "create container: config app-env content changed",
            "remove container: replaced by shop-dev-web-1-\(after.specs["web"]!.hash.prefix(8))",
            "create container: config app-env content changed",
            "remove container: replaced by shop-dev-web-2-\(after.specs["web"]!.hash.prefix(8))",
        ])
        #expect(plan.actions[1].dependsOn == ["write-config:config:app-env"])
        #expect(plan.actions[0].undo == .restoreConfig)
    }

    @Test("a config edited by hand is written back, and its containers replaced to drop the old file")
    func configEditedByHand() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.configs[0].sha256 = "edited"
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines.first == "write-config config:app-env: config app-env content changed")
        #expect(plan.actions.filter { $0.kind == .create }.allSatisfy { $0.cause == "config app-env rewritten" })
        #expect(plan.actions.count == 5)
        // The replacement gets a name of its own: the spec is the same, the file is not.
        guard let create = plan.actions.first(where: { $0.kind == .create }),
              case .newContainer(let blueprint) = create.target else { Issue.record("no create"); return }
        #expect(blueprint.name.hasSuffix("-2"))
    }

    @Test("an environment variable change names the variable and both values; a secret's only as (sensitive)")
    func environmentChange() {
        let old = [
            EnvironmentVariable(name: "LOG_LEVEL", value: .literal("info")),
            EnvironmentVariable(name: "TOKEN", value: .secret("token")),
        ]
        let new = [
            EnvironmentVariable(name: "LOG_LEVEL", value: .literal("debug")),
            EnvironmentVariable(name: "TOKEN", value: .secret("token")),
            EnvironmentVariable(name: "REGION", value: .literal("eu")),
        ]
        let before = PlanFixtures.desired(PlanFixtures.environment(webEnvironment: old), secretHashes: ["token": "aaaa"])
        let after = PlanFixtures.desired(PlanFixtures.environment(webEnvironment: new), secretHashes: ["token": "bbbb"])
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let create = plan.actions[0]
        #expect(create.cause == "environment LOG_LEVEL info -> debug, REGION (unset) -> eu, TOKEN (sensitive) -> (sensitive)")
        #expect(create.changes.filter { $0.field.hasPrefix("environment.") } == [
            FieldChange(field: "environment.LOG_LEVEL", before: "info", after: "debug"),
            FieldChange(field: "environment.REGION", before: nil, after: "eu"),
            FieldChange(field: "environment.TOKEN", before: "(sensitive)", after: "(sensitive)"),
        ])
    }

    @Test("a port change shows the ports before and after")
    func portsChange() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webPort: "127.0.0.1:8080:80"))
        let after = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webPort: "127.0.0.1:9090:80"))
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let create = plan.actions.first { $0.kind == .create }
        #expect(create?.cause == "ports 127.0.0.1:8080:80 -> 127.0.0.1:9090:80")
        #expect(create?.changes.first == FieldChange(field: "ports", before: "127.0.0.1:8080:80", after: "127.0.0.1:9090:80"))
    }

    @Test("a config change shows its changed lines as a unified diff of masked texts")
    func configDiff() {
        let before = PlanFixtures.desired()
        let after = PlanFixtures.desired(configHash: "d00d", maskedConfig: "LOG_LEVEL=debug\nTOKEN=(sensitive)\n")
        var observed = PlanFixtures.converged(before)
        observed.configs[0].maskedContent = "LOG_LEVEL=info\nTOKEN=(sensitive)\n"
        let plan = Planner.plan(desired: after, observed: observed)
        #expect(plan.actions[0].diff == ["@@ -1,2 +1,2 @@", "-LOG_LEVEL=info", "+LOG_LEVEL=debug", " TOKEN=(sensitive)"])

        // A file on disk that could not be shown (not UTF-8, too large) is compared by hash only: no diff
        // that would pretend it was empty.
        observed.configs[0].maskedContent = nil
        #expect(Planner.plan(desired: after, observed: observed).actions[0].diff.isEmpty)
        // A missing file shows the whole new content.
        observed.configs[0] = ObservedConfig(name: "app-env", target: observed.configs[0].target, sha256: nil, mode: nil)
        #expect(Planner.plan(desired: after, observed: observed).actions[0].diff.first == "@@ -0,0 +1,2 @@")
    }

    @Test("a config whose mode changed is rewritten with the mode as the change")
    func configMode() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.configs[0].mode = 0o644
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines.first == "write-config config:app-env: config app-env mode 0644 -> 0640 changed")
        #expect(plan.actions.first?.changes == [FieldChange(field: "mode", before: "0644", after: "0640")])
    }

    @Test("a container stopped by hand is started, after what it depends on")
    func stopped() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        let index = observed.containers.firstIndex { $0.service == "worker" }!
        observed.containers[index].state = "exited"
        #expect(lines(desired, observed) == ["start container:worker-1: container worker-1 is exited"])
    }

    @Test("a removed container is created again; one replaced by hand with another image is replaced")
    func removedAndReplacedByHand() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.containers.removeAll { $0.service == "worker" }
        observed.containers[0].image = "localhost/web:6.6.6"
        let name = "shop-dev-web-1-\(desired.specs["web"]!.hash.prefix(8))"
        #expect(lines(desired, observed) == [
            "create container:web-1: image changed localhost/web:6.6.6 -> localhost/web:1.0.0",
            "remove container:web-1 after [create:container:web-1]: replaced by \(name)-2",
            "create container:worker-1 after [create:container:web-1, remove:container:web-1]: container worker-1 is missing",
        ])
    }

    @Test("containers of removed services, extra replicas and duplicates are removed last")
    func unexpected() {
        let desired = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1))
        var observed = PlanFixtures.converged(PlanFixtures.desired())
        let spec = desired.specs["web"]!
        observed.containers.append(PlanFixtures.container(service: "web", replica: 1, image: "localhost/web:1.0.0", spec: spec, state: "exited", id: "dup"))
        observed.containers.append(PlanFixtures.container(service: "cron", replica: 1, image: "localhost/cron:1", spec: spec))
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines == [
            "remove container:shop-dev-cron-1-\(spec.hash.prefix(8)): not desired: service cron is not in the desired state",
            "remove container:shop-dev-web-1-\(spec.hash.prefix(8)): not desired: a second container for web replica 1",
            "remove container:shop-dev-web-2-\(spec.hash.prefix(8)): not desired: replica 2 is beyond replicas: 1",
        ])
        #expect(plan.summary == Plan.Summary(create: 0, update: 0, delete: 3))
    }

    @Test("a migration changed after it was applied is a problem, never an action")
    func checksumMismatch() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.migrations?[0].checksum = "tampered"
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.isEmpty)
        #expect(plan.problems.count == 1)
        #expect(plan.problems.first?.hasPrefix("migration 1 (V1__init.sql) changed after it was applied") == true)
    }

    @Test("an applied migration whose file was deleted is a problem of the plan and drift, never 'in sync'")
    func migrationFileDeleted() {
        var environment = PlanFixtures.environment()
        environment.database?.migrations.removeLast()
        let desired = PlanFixtures.desired(environment)
        let observed = PlanFixtures.converged(PlanFixtures.desired())
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.problems == [
            "migration 2 () was applied, but its file is no longer in the migrations folder; restore it: the history must stay whole",
        ])
        #expect(Drift.detect(desired: desired, observed: observed) == [
            DriftItem(resource: "migration:2", kind: .migrationMissing, detail: "applied () but its file is no longer in the migrations folder"),
        ])
    }

    @Test("a failed migration is applied again; the later one waits for it")
    func failedMigration() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.migrations = [AppliedMigration(version: "1", description: "init", checksum: "aaa", appliedAt: "", success: false)]
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines == [
            "migrate migration:1: V1__init.sql failed before; applying it again",
            "migrate migration:2 after [migrate:migration:1]: V2__more.sql is pending",
        ])
    }

    @Test("with migrate_to, a migration above it is neither planned nor drift; those up to it are")
    func migrateTo() {
        var environment = PlanFixtures.environment()
        environment.database?.migrateTo = MigrationVersion("1")
        let desired = PlanFixtures.desired(environment)
        var observed = PlanFixtures.converged(desired)
        observed.migrations = []
        #expect(lines(desired, observed) == ["migrate migration:1: V1__init.sql is pending"])

        observed = PlanFixtures.converged(desired)
        observed.migrations?.removeAll { $0.version == "2" }
        #expect(lines(desired, observed).isEmpty)
        #expect(Drift.detect(desired: desired, observed: observed).isEmpty)

        observed.migrations?.append(AppliedMigration(version: "2", description: "more", checksum: "x", appliedAt: "", success: false))
        #expect(lines(desired, observed).isEmpty, "a failed migration above migrate_to waits too")
    }

    @Test("neither the plan nor its fingerprint depends on the order the engine listed containers in")
    func deterministic() {
        let before = PlanFixtures.desired()
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0"), configHash: "new")
        var observed = PlanFixtures.converged(before)
        let first = Planner.plan(desired: after, observed: observed)
        observed.containers.reverse()
        let second = Planner.plan(desired: after, observed: observed)
        #expect(first.actions == second.actions)
        #expect(Fingerprint.of(desired: after, observed: observed) == Fingerprint.of(desired: after, observed: PlanFixtures.converged(before)))
    }

    @Test("the fingerprint changes with the observed and the desired state")
    func fingerprint() {
        let desired = PlanFixtures.desired()
        let observed = PlanFixtures.converged(desired)
        let base = Fingerprint.of(desired: desired, observed: observed)
        var stopped = observed
        stopped.containers[0].state = "exited"
        #expect(Fingerprint.of(desired: desired, observed: stopped) != base)
        #expect(Fingerprint.of(desired: PlanFixtures.desired(configHash: "x"), observed: observed) != base)
        var unhealthy = observed
        unhealthy.containers[0].health = .unhealthy
        #expect(Fingerprint.of(desired: desired, observed: unhealthy) == base)
    }

    @Test("every action's dependencies come before it")
    func topological() {
        let desired = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:3.0.0", webReplicas: 3))
        let plan = Planner.plan(desired: desired, observed: ObservedState(migrations: []))
        var seen: Set<String> = []
        for action in plan.actions {
            #expect(action.dependsOn.allSatisfy(seen.contains), "\(action.id)")
            seen.insert(action.id)
        }
        #expect(Set(plan.actions.map(\.id)).count == plan.actions.count)
    }
}

@Suite struct DriftTests {
    @Test("each kind of drift is named")
    func kinds() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.containers[0].state = "exited"                       // web-1 stopped
        observed.containers[1].image = "localhost/web:6.6.6"           // web-2 changed by hand
        observed.containers.removeAll { $0.service == "worker" }       // worker missing
        observed.containers.append(ObservedContainer(
            id: "x", name: "stray", image: "localhost/x:1", state: "running",
            labels: [BerthLabel.environment: "dev", BerthLabel.service: "ghost"]
        ))
        observed.configs[0].sha256 = "edited"
        observed.migrations = [AppliedMigration(version: "1", description: "init", checksum: "tampered", appliedAt: "", success: true)]
        let items = Drift.detect(desired: desired, observed: observed)
        #expect(items.map { "\($0.resource) \($0.kind.rawValue)" } == [
            "config:app-env config-edited",
            "container:stray unexpected",
            "container:web-1 stopped",
            "container:web-2 changed",
            "container:worker-1 missing",
            "migration:1 migration-checksum",
            "migration:2 migration-pending",
        ])
        #expect(items.first { $0.kind == .changed }?.detail.contains("running localhost/web:6.6.6") == true)
    }

    @Test("a missing config file and an unhealthy container are drift; a converged state is not")
    func missingAndUnhealthy() {
        let desired = PlanFixtures.desired()
        #expect(Drift.detect(desired: desired, observed: PlanFixtures.converged(desired)).isEmpty)
        var observed = PlanFixtures.converged(desired)
        observed.configs[0].sha256 = nil
        observed.containers[0].health = .unhealthy
        #expect(Drift.detect(desired: desired, observed: observed).map(\.kind) == [.configMissing, .unhealthy])
    }
}
