import BerthModel
@testable import BerthPlan
import Testing
import BerthTestSupport

/// Plans of routed services: replicas on loopback ports, traffic moved in the proxy, per strategy.
@Suite struct TrafficPlannerTests {
    @Test func aFirstApplyStartsTheProxyAndRoutesTheNewReplica() throws {
        let desired = TrafficFixtures.desired(TrafficFixtures.environment())
        let plan = Planner.plan(desired: desired, observed: ObservedState())
        #expect(plan.actions.map(\.id) == [
            "configure-proxy:proxy:dev", "create:container:web-1", "wait-healthy:container:web-1", "switch:route:web", "verify:route:web",
        ])
        guard case .newContainer(let blueprint) = plan.actions[1].target else { Issue.record("no blueprint"); return }
        #expect(blueprint.ports.map { "\($0.hostIP ?? "*"):\($0.hostPort ?? 0)->\($0.containerPort)" } == ["127.0.0.1:20000->80"])
        #expect(blueprint.labels[BerthLabel.endpoint] == "127.0.0.1:20000")
        let after = TrafficFixtures.simulate(plan, on: ObservedState())
        #expect(TrafficFixtures.ready(after) == ["s1=127.0.0.1:20000/100"])
        #expect(Planner.plan(desired: desired, observed: after).actions.isEmpty)
        #expect(Drift.detect(desired: desired, observed: after).isEmpty)
    }

    @Test func rollingMovesOneReplicaAtATimeAndRemovesTheOldOnesAfterVerification() throws {
        let first = TrafficFixtures.desired(TrafficFixtures.environment(replicas: 2))
        let running = TrafficFixtures.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState())
        #expect(TrafficFixtures.ready(running) == ["s1=127.0.0.1:20000/100", "s2=127.0.0.1:20001/100"])

        let bumped = TrafficFixtures.desired(TrafficFixtures.environment(image: "localhost/web:1.1.0", replicas: 2))
        let plan = Planner.plan(desired: bumped, observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "switch:route:web@replica-1", "drain:route:web@replica-1",
            "create:container:web-2", "wait-healthy:container:web-2", "switch:route:web@replica-2", "drain:route:web@replica-2",
            "verify:route:web", "remove:container:web-1", "remove:container:web-2",
        ])
        // The first switch puts the new replica in a free slot and drains the old one; nothing is ever without a ready server.
        guard case .trafficSwitch(let change) = plan.actions[2].target else { Issue.record("no switch"); return }
        #expect(change.servers.filter { $0.admin == .ready }.map(\.endpoint) == ["127.0.0.1:20001", "127.0.0.1:20002"])
        #expect(change.servers.filter { $0.admin == .drain }.map(\.endpoint) == ["127.0.0.1:20000"])
        #expect(change.previous.filter { $0.admin == .ready }.count == 2)
        let after = TrafficFixtures.simulate(plan, on: running)
        #expect(Set(TrafficFixtures.ready(after).map { $0.split(separator: "=")[1] }) == ["127.0.0.1:20002/100", "127.0.0.1:20003/100"])
        #expect(after.containers.map(\.image) == ["localhost/web:1.1.0", "localhost/web:1.1.0"])
        #expect(Planner.plan(desired: bumped, observed: after).actions.isEmpty)
    }

    @Test func blueGreenSwitchesOnceAndKeepsTheOldSetForItsKeep() throws {
        let first = TrafficFixtures.desired(TrafficFixtures.environment(replicas: 2, strategy: .blueGreen))
        let running = TrafficFixtures.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState(), at: 1_000)
        let bumped = TrafficFixtures.desired(TrafficFixtures.environment(image: "localhost/web:1.1.0", replicas: 2, strategy: .blueGreen))
        let plan = Planner.plan(desired: bumped, observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "create:container:web-2", "wait-healthy:container:web-2",
            "switch:route:web", "drain:route:web", "verify:route:web",
        ])
        let after = TrafficFixtures.simulate(plan, on: running, at: 2_000)
        #expect(after.containers.count == 4)
        #expect(TrafficFixtures.ready(after).count == 2)
        // Within keep (10 minutes), nothing to do; after it, the old set goes.
        var soon = after
        soon.observedAt = 2_000 + 60
        #expect(Planner.plan(desired: bumped, observed: soon).actions.isEmpty)
        var later = after
        later.observedAt = 2_000 + 601
        #expect(Planner.plan(desired: bumped, observed: later).actions.map(\.kind) == [.remove, .remove])

        // Going back within keep is a switch back: nothing is created.
        let back = Planner.plan(desired: first, observed: soon)
        #expect(back.actions.map(\.kind) == [.switch, .drain, .verify])
        let restored = TrafficFixtures.simulate(back, on: soon, at: 2_100)
        #expect(Set(TrafficFixtures.ready(restored).map { $0.split(separator: "=")[1] }) == ["127.0.0.1:20000/100", "127.0.0.1:20001/100"])
    }

    @Test func aCanaryMovesTrafficInWeightedStepsWithAnAnalysisAtEach() throws {
        let steps = [CanaryStep(weight: 10, pause: TimeSpan(milliseconds: 2_000)), CanaryStep(weight: 50, pause: TimeSpan(milliseconds: 2_000)), CanaryStep(weight: 100, pause: nil)]
        let first = TrafficFixtures.desired(TrafficFixtures.environment(replicas: 2, strategy: .canary, canary: steps))
        let running = TrafficFixtures.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState())
        let bumped = TrafficFixtures.desired(TrafficFixtures.environment(image: "localhost/web:1.1.0", replicas: 2, strategy: .canary, canary: steps))
        let plan = Planner.plan(desired: bumped, observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "create:container:web-2", "wait-healthy:container:web-2",
            "switch:route:web@10%", "verify:route:web@10%", "switch:route:web@50%", "verify:route:web@50%",
            "switch:route:web", "drain:route:web", "verify:route:web", "remove:container:web-1", "remove:container:web-2",
        ])
        guard case .trafficSwitch(let ten) = plan.actions[4].target else { Issue.record("no switch"); return }
        let weights = ten.servers.filter { $0.admin == .ready }.map(\.weight)
        #expect(weights.sorted() == [1, 1, 9, 9])
        guard case .verification(let gate) = plan.actions[5].target else { Issue.record("no verification"); return }
        #expect(gate.newServers.count == 2 && gate.oldServers.count == 2)
        #expect(gate.windowMilliseconds == 2_000)
        if case .wait = gate.whenInconclusive {} else { Issue.record("a canary step waits when inconclusive") }
        let after = TrafficFixtures.simulate(plan, on: running)
        #expect(Planner.plan(desired: bumped, observed: after).actions.isEmpty)
    }

    @Test func hooksRunBeforeTheFirstSwitchAndAfterTheLast() throws {
        let hooks = SwitchHooks(beforeSwitch: [["notify", "starting"]], afterSwitch: [["notify", "live"]])
        let running = TrafficFixtures.simulate(Planner.plan(desired: TrafficFixtures.desired(TrafficFixtures.environment(hooks: hooks)), observed: ObservedState()), on: ObservedState())
        let plan = Planner.plan(desired: TrafficFixtures.desired(TrafficFixtures.environment(image: "localhost/web:1.1.0", hooks: hooks)), observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "hook:hook:web/before_switch/1", "switch:route:web",
            "drain:route:web", "hook:hook:web/after_switch/1", "verify:route:web", "remove:container:web-1",
        ])
        guard case .hook(let run) = plan.actions[2].target else { Issue.record("no hook"); return }
        #expect(run.environment["BERTH_IMAGE"] == "localhost/web:1.1.0")
        #expect(run.environment["BERTH_PREVIOUS_IMAGE"] == "localhost/web:1.0.0")
    }

    @Test func aServerChangedByHandIsDriftAndThePlanRepairsIt() throws {
        let desired = TrafficFixtures.desired(TrafficFixtures.environment())
        var running = TrafficFixtures.simulate(Planner.plan(desired: desired, observed: ObservedState()), on: ObservedState())
        TrafficFixtures.set([ServerSetting(slot: "s1", container: nil, address: "127.0.0.1", port: 20000, admin: .maint, weight: 100),
                  ServerSetting(slot: "s2", container: nil, address: "127.0.0.1", port: 9999, admin: .ready, weight: 100)],
                 backend: "web", in: &running)
        let drift = Drift.detect(desired: desired, observed: running)
        #expect(drift.map(\.kind) == [.proxy])
        #expect(drift.first?.detail.contains("127.0.0.1:9999") == true)
        let plan = Planner.plan(desired: desired, observed: running)
        #expect(plan.actions.map(\.kind) == [.switch, .drain, .verify])
        #expect(Planner.plan(desired: desired, observed: TrafficFixtures.simulate(plan, on: running)).actions.isEmpty)
    }

    @Test func aTakenLoopbackPortIsNotChosen() throws {
        var observed = ObservedState()
        observed.unavailablePorts = [20000, 20001]
        let plan = Planner.plan(desired: TrafficFixtures.desired(TrafficFixtures.environment()), observed: observed)
        guard case .newContainer(let blueprint) = plan.actions[1].target else { Issue.record("no blueprint"); return }
        #expect(blueprint.labels[BerthLabel.endpoint] == "127.0.0.1:20002")
    }
}
