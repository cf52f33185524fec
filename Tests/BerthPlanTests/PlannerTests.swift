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
        #expect(plan.lines == [
            "create container:web-1: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-1 after [create:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "create container:web-2 after [remove:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
            "remove container:web-2 after [create:container:web-2]: image changed localhost/web:1.0.0 -> localhost/web:1.1.0",
        ])
        #expect(plan.summary == Plan.Summary(create: 0, update: 2, delete: 0))
        let change = plan.actions[0].changes.first { $0.field == "image" }
        #expect(change == FieldChange(field: "image", before: "localhost/web:1.0.0", after: "localhost/web:1.1.0"))
    }

    @Test("start-first on a fixed host port replaces one replica at a time, old before new")
    func startFirstOnFixedPort() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webPort: "127.0.0.1:8080-8081:80"))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0", webPort: "127.0.0.1:8080-8081:80"))
        let cause = "image changed localhost/web:1.0.0 -> localhost/web:1.1.0 (one replica at a time: its host port is fixed)"
        #expect(Planner.plan(desired: after, observed: PlanFixtures.converged(before)).lines == [
            "remove container:web-1: \(cause)",
            "create container:web-1 after [remove:container:web-1]: \(cause)",
            "remove container:web-2 after [create:container:web-1]: \(cause)",
            "create container:web-2 after [remove:container:web-2]: \(cause)",
        ])
    }

    @Test("recreate: the old container goes before the new one starts")
    func recreate() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webStrategy: .recreate))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:2.0.0", webStrategy: .recreate))
        #expect(lines(after, PlanFixtures.converged(before)) == [
            "remove container:web-1: image changed localhost/web:1.0.0 -> localhost/web:2.0.0",
            "create container:web-1 after [remove:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:2.0.0",
            "remove container:web-2 after [create:container:web-1]: image changed localhost/web:1.0.0 -> localhost/web:2.0.0",
            "create container:web-2 after [remove:container:web-2]: image changed localhost/web:1.0.0 -> localhost/web:2.0.0",
        ])
    }

    @Test("a config change writes the file first and replaces only the services that mount it")
    func configChange() {
        let before = PlanFixtures.desired()
        let after = PlanFixtures.desired(configHash: "d00d")
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        #expect(plan.lines == [
            "write-config config:app-env: config app-env content changed",
            "create container:web-1 after [write-config:config:app-env]: config app-env content changed",
            "remove container:web-1 after [create:container:web-1]: config app-env content changed",
            "create container:web-2 after [write-config:config:app-env, remove:container:web-1]: config app-env content changed",
            "remove container:web-2 after [create:container:web-2]: config app-env content changed",
        ])
    }

    @Test("a config edited by hand is written back, and its containers replaced to drop the old file")
    func configEditedByHand() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.configs[0].sha256 = "edited"
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines.first == "write-config config:app-env: config app-env content changed")
        #expect(plan.lines.dropFirst().allSatisfy { $0.hasSuffix(": config app-env rewritten") && $0.contains("container:web-") })
        #expect(plan.actions.count == 5)
        // The replacement gets a fresh name: the spec is the same, the file is not.
        guard let create = plan.actions.first(where: { $0.kind == .create }),
              case .newContainer(let blueprint) = create.target else { Issue.record("no create"); return }
        #expect(blueprint.name.hasSuffix("-2"))
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
        #expect(lines(desired, observed) == [
            "create container:web-1: image changed localhost/web:6.6.6 -> localhost/web:1.0.0",
            "remove container:web-1 after [create:container:web-1]: image changed localhost/web:6.6.6 -> localhost/web:1.0.0",
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
