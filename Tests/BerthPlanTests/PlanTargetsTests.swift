import Foundation
import Testing
import BerthModel
import BerthPlan

/// `--target`: the plan limited to the targets and, transitively, what they depend on; nothing else.
@Suite struct PlanTargetsTests {
    func limited(_ targets: [String], _ desired: DesiredState = PlanFixtures.desired(), _ observed: ObservedState = ObservedState(migrations: [])) -> Plan {
        Planner.plan(desired: desired, observed: observed).limited(to: targets, observed: observed)
    }

    @Test("a replica keeps what it depends on (migrations, the config it mounts) and drops its siblings and other services")
    func replicaKeepsItsDependencies() {
        let plan = limited(["container:web-1"])
        #expect(plan.lines == [
            "migrate migration:1: V1__init.sql is pending",
            "migrate migration:2 after [migrate:migration:1]: V2__more.sql is pending",
            "write-config config:app-env: config app-env is missing at /p/.berth/configs/dev/app.env",
            "create container:web-1 after [migrate:migration:2, write-config:config:app-env]: container web-1 is missing",
        ])
        #expect(plan.isPartial && plan.targets == ["container:web-1"])
        #expect(plan.summary == Plan.Summary(create: 4))
    }

    @Test("dependencies are kept transitively: the second replica needs the first, and the first what it needs")
    func transitive() {
        let plan = limited(["container:web-2"])
        #expect(plan.actions.map(\.id) == [
            "migrate:migration:1", "migrate:migration:2", "write-config:config:app-env", "create:container:web-1", "create:container:web-2",
        ])
        // Every dependency of a kept action is kept.
        let kept = Set(plan.actions.map(\.id))
        #expect(plan.actions.allSatisfy { $0.dependsOn.allSatisfy(kept.contains) })
    }

    @Test("a service that needs nothing else plans alone")
    func siblingsDropped() {
        let desired = PlanFixtures.desired(PlanFixtures.environment(workerDependsOnWeb: false))
        #expect(limited(["container:worker-1"], desired).lines == ["create container:worker-1: container worker-1 is missing"])
        #expect(limited(["config:app-env"], desired).lines == [
            "write-config config:app-env: config app-env is missing at /p/.berth/configs/dev/app.env",
        ])
    }

    @Test("a target with nothing to do gives an empty partial plan; the targets are recorded once, sorted")
    func targetWithoutAction() {
        let desired = PlanFixtures.desired()
        let converged = PlanFixtures.converged(desired)
        let plan = limited(["config:app-env", "container:web-1", "config:app-env"], desired, converged)
        #expect(plan.isEmpty)
        #expect(plan.targets == ["config:app-env", "container:web-1"])
        // Without targets the plan is the full one, unchanged.
        let full = Planner.plan(desired: desired, observed: ObservedState(migrations: []))
        #expect(full.limited(to: [], observed: ObservedState(migrations: [])) == full)
    }

    @Test("service:NAME is every replica of the service, with the containers of it no longer desired, and no other service")
    func serviceExpansion() throws {
        let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 3))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0", webReplicas: 2))
        var observed = PlanFixtures.converged(before)
        observed.containers.append(PlanFixtures.container(service: "worker", replica: 2, image: "localhost/worker:1.0.0", spec: before.specs["worker"]!))
        let full = Planner.plan(desired: after, observed: observed)
        let plan = full.limited(to: ["service:web"], observed: observed)
        let resources = Set(plan.actions.map(\.resource))
        let third = try #require(observed.containers.first { $0.service == "web" && $0.replica == 3 })
        #expect(resources == ["container:web-1", "container:web-2", "container:\(third.name)"], "\(plan.lines)")
        // The full plan also replaces the worker (it depends on web) and removes its second container.
        #expect(full.actions.contains { $0.resource.contains("worker") })
        // A replacement's remove commits only steps that are kept.
        let kept = Set(plan.actions.map(\.id))
        #expect(plan.actions.allSatisfy { $0.commits.allSatisfy(kept.contains) })
        #expect(plan.actions.contains { !$0.commits.isEmpty })
    }

    @Test("a replica's name covers its container after a scale-down: container:web-3 is the removal of web-3's container")
    func scaledDownReplica() throws {
        let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 3))
        let after = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 2))
        let observed = PlanFixtures.converged(before)
        let third = try #require(observed.containers.first { $0.service == "web" && $0.replica == 3 })
        let plan = Planner.plan(desired: after, observed: observed).limited(to: ["container:web-3"], observed: observed)
        #expect(plan.actions.map(\.resource) == ["container:\(third.name)"], "\(plan.lines)")
        #expect(plan.actions.map(\.kind) == [.remove])
    }

    @Test("route:NAME covers every step of the route; service:NAME does not cover a service whose name it begins")
    func routeSteps() {
        let plan = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [
            PlanAction(kind: .switch, resource: "route:web@25%", cause: "c", effect: .update, target: .container(id: "1", name: "a")),
            PlanAction(kind: .verify, resource: "route:web", cause: "c", effect: .update, dependsOn: ["switch:route:web@25%"], target: .container(id: "1", name: "a")),
            PlanAction(kind: .switch, resource: "route:webhook", cause: "c", effect: .update, target: .container(id: "2", name: "b")),
            PlanAction(kind: .start, resource: "container:web-admin-1", cause: "c", effect: .update, target: .container(id: "3", name: "c")),
            PlanAction(kind: .hook, resource: "hook:web/before_switch/1", cause: "c", effect: .update, target: .container(id: "4", name: "d")),
        ], problems: [])
        #expect(plan.limited(to: ["route:web"], observed: ObservedState()).actions.map(\.resource) == ["route:web@25%", "route:web"])
        #expect(plan.limited(to: ["service:web"], observed: ObservedState()).actions.map(\.resource) == [
            "route:web@25%", "route:web", "hook:web/before_switch/1",
        ])
    }

    @Test("the fingerprint covers the targets, whatever their order")
    func fingerprint() {
        let full = Planner.plan(desired: PlanFixtures.desired(), observed: ObservedState(migrations: []))
        let one = limited(["container:web-1"]).fingerprint
        #expect(one != full.fingerprint)
        #expect(one != limited(["container:web-2"]).fingerprint)
        #expect(limited(["container:web-1", "config:app-env"]).fingerprint == limited(["config:app-env", "container:web-1"]).fingerprint)
        #expect(one == PlanTargets.fingerprint(full.fingerprint, targets: ["container:web-1"]))
    }

    @Test("a target names a declared or an observed resource; the rest are unknown")
    func knownResources() {
        let desired = PlanFixtures.desired()
        var observed = PlanFixtures.converged(desired)
        observed.containers.append(PlanFixtures.container(service: "old", replica: 1, image: "localhost/old:1", spec: desired.specs["worker"]!))
        let plan = Planner.plan(desired: desired, observed: observed)
        let resources = PlanTargets.resources(desired: desired, observed: observed, plan: plan)
        for known in ["service:web", "container:web-1", "container:web-2", "container:worker-1", "config:app-env", "migration:1", "migration:2",
                      "service:old", "container:old-1"] {
            #expect(resources.contains(known), "\(known)")
        }
        #expect(PlanTargets.unknown(["container:web-3", "config:app-env", "web"], resources: resources) == ["container:web-3", "web"])
    }

    @Test("a saved partial plan records its targets; a full one has no targets key")
    func document() throws {
        let partial = limited(["container:web-1"])
        let restored = try PlanDocument.decode(try PlanDocument(partial).encoded()).plan()
        #expect(restored == partial)
        let full = Planner.plan(desired: PlanFixtures.desired(), observed: ObservedState(migrations: []))
        let text = String(decoding: try PlanDocument(full).encoded(), as: UTF8.self)
        #expect(!text.contains("\"targets\""))
        #expect(try PlanDocument.decode(Data(text.utf8)).plan() == full)
    }
}
