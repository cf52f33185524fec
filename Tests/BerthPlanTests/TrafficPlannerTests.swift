import BerthModel
@testable import BerthPlan
import Testing

/// Plans of routed services: replicas on loopback ports, traffic moved in the proxy, per strategy.
@Suite struct TrafficPlannerTests {
    static let proxy = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p/.berth/proxy/dev", ports: 20000...20099)

    static func environment(
        image: String = "localhost/web:1.0.0", replicas: Int = 1, strategy: DeployStrategy = .rolling,
        canary: [CanaryStep] = CanarySettings.defaultSteps, hooks: SwitchHooks = SwitchHooks()
    ) -> Environment {
        let web = Service(
            name: "web", image: try! ImageReference(parsing: image),
            healthcheck: HealthCheck(
                check: .http(HTTPCheck(url: "http://localhost:80/health", containerPort: 80, path: "/health")),
                interval: TimeSpan(milliseconds: 500), timeout: TimeSpan(milliseconds: 500), retries: 3, startPeriod: TimeSpan(milliseconds: 0)
            ),
            replicas: replicas, strategy: strategy,
            traffic: Traffic(
                route: Route(port: 80, drainTimeout: TimeSpan(milliseconds: 5_000)), canary: CanarySettings(steps: canary),
                verify: VerifySettings(window: TimeSpan(milliseconds: 3_000)), hooks: hooks
            )
        )
        return Environment(
            name: "dev", project: "shop", engine: EngineSettings(host: "unix:///run/e.sock", isDefault: false),
            state: StateSettings(store: .sqlite(path: "/p/.berth/state.sqlite")), services: [web],
            configs: ConfigSettings(root: "/p/.berth/configs/dev", files: []), proxy: proxy
        )
    }

    static func desired(_ environment: Environment) -> DesiredState {
        var specs: [String: ServiceSpec] = [:]
        for service in environment.services { specs[service.name] = ServiceSpec(service: service, configHashes: [:], secretHashes: [:]) }
        return DesiredState(environment: environment, configHashes: [:], migrationChecksums: [:], specs: specs)
    }

    /// What carrying out `plan` leaves, as the proxy and the engine would report it.
    static func simulate(_ plan: Plan, on observed: ObservedState, at time: Int = 1_000) -> ObservedState {
        var observed = observed
        observed.observedAt = time
        for action in plan.actions {
            switch action.target {
            case .proxy(let layout):
                var servers: [ProxyServer] = []
                for backend in layout.backends {
                    for slot in backend.slotNames {
                        servers.append(observed.proxy?.servers.first { $0.backend == backend.name && $0.name == slot }
                            ?? ProxyServer(backend: backend.name, name: slot, address: "127.0.0.1", port: 1, admin: .maint, up: false, weight: 1))
                    }
                }
                observed.proxy = ObservedProxy(configSHA256: layout.sha256, servers: servers)
            case .newContainer(let blueprint):
                observed.containers.append(ObservedContainer(
                    id: "id-\(blueprint.name)", name: blueprint.name, image: blueprint.image, state: "running",
                    labels: blueprint.labels.filter { $0.key.hasPrefix("berth.") },
                    ports: blueprint.ports.compactMap { port in port.hostPort.map { HostPort(hostIP: port.hostIP, port: $0) } },
                    created: time
                ))
            case .trafficSwitch(let change):
                set(change.servers, backend: change.backend, in: &observed)
            case .drain(let gate):
                set(gate.after, backend: gate.backend, in: &observed)
            case .container(let id, _) where action.kind == .remove:
                observed.containers.removeAll { $0.id == id }
            default:
                continue
            }
        }
        observed.containers.sort { $0.name < $1.name }
        return observed
    }

    static func set(_ settings: [ServerSetting], backend: String, in observed: inout ObservedState) {
        for setting in settings {
            guard let index = observed.proxy?.servers.firstIndex(where: { $0.backend == backend && $0.name == setting.slot }) else { continue }
            observed.proxy?.servers[index] = ProxyServer(
                backend: backend, name: setting.slot, address: setting.address, port: setting.port, admin: setting.admin,
                up: setting.admin != .maint, weight: setting.weight
            )
        }
    }

    static func ready(_ observed: ObservedState) -> [String] {
        (observed.proxy?.servers ?? []).filter { $0.admin == .ready }.map { "\($0.name)=\($0.endpoint)/\($0.weight)" }
    }

    @Test func aFirstApplyStartsTheProxyAndRoutesTheNewReplica() throws {
        let desired = Self.desired(Self.environment())
        let plan = Planner.plan(desired: desired, observed: ObservedState())
        #expect(plan.actions.map(\.id) == [
            "configure-proxy:proxy:dev", "create:container:web-1", "wait-healthy:container:web-1", "switch:route:web", "verify:route:web",
        ])
        guard case .newContainer(let blueprint) = plan.actions[1].target else { Issue.record("no blueprint"); return }
        #expect(blueprint.ports.map { "\($0.hostIP ?? "*"):\($0.hostPort ?? 0)->\($0.containerPort)" } == ["127.0.0.1:20000->80"])
        #expect(blueprint.labels[BerthLabel.endpoint] == "127.0.0.1:20000")
        let after = Self.simulate(plan, on: ObservedState())
        #expect(Self.ready(after) == ["s1=127.0.0.1:20000/100"])
        #expect(Planner.plan(desired: desired, observed: after).actions.isEmpty)
        #expect(Drift.detect(desired: desired, observed: after).isEmpty)
    }

    @Test func rollingMovesOneReplicaAtATimeAndRemovesTheOldOnesAfterVerification() throws {
        let first = Self.desired(Self.environment(replicas: 2))
        let running = Self.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState())
        #expect(Self.ready(running) == ["s1=127.0.0.1:20000/100", "s2=127.0.0.1:20001/100"])

        let bumped = Self.desired(Self.environment(image: "localhost/web:1.1.0", replicas: 2))
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
        let after = Self.simulate(plan, on: running)
        #expect(Set(Self.ready(after).map { $0.split(separator: "=")[1] }) == ["127.0.0.1:20002/100", "127.0.0.1:20003/100"])
        #expect(after.containers.map(\.image) == ["localhost/web:1.1.0", "localhost/web:1.1.0"])
        #expect(Planner.plan(desired: bumped, observed: after).actions.isEmpty)
    }

    @Test func blueGreenSwitchesOnceAndKeepsTheOldSetForItsKeep() throws {
        let first = Self.desired(Self.environment(replicas: 2, strategy: .blueGreen))
        let running = Self.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState(), at: 1_000)
        let bumped = Self.desired(Self.environment(image: "localhost/web:1.1.0", replicas: 2, strategy: .blueGreen))
        let plan = Planner.plan(desired: bumped, observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "create:container:web-2", "wait-healthy:container:web-2",
            "switch:route:web", "drain:route:web", "verify:route:web",
        ])
        let after = Self.simulate(plan, on: running, at: 2_000)
        #expect(after.containers.count == 4)
        #expect(Self.ready(after).count == 2)
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
        let restored = Self.simulate(back, on: soon, at: 2_100)
        #expect(Set(Self.ready(restored).map { $0.split(separator: "=")[1] }) == ["127.0.0.1:20000/100", "127.0.0.1:20001/100"])
    }

    @Test func aCanaryMovesTrafficInWeightedStepsWithAnAnalysisAtEach() throws {
        let steps = [CanaryStep(weight: 10, pause: TimeSpan(milliseconds: 2_000)), CanaryStep(weight: 50, pause: TimeSpan(milliseconds: 2_000)), CanaryStep(weight: 100, pause: nil)]
        let first = Self.desired(Self.environment(replicas: 2, strategy: .canary, canary: steps))
        let running = Self.simulate(Planner.plan(desired: first, observed: ObservedState()), on: ObservedState())
        let bumped = Self.desired(Self.environment(image: "localhost/web:1.1.0", replicas: 2, strategy: .canary, canary: steps))
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
        let after = Self.simulate(plan, on: running)
        #expect(Planner.plan(desired: bumped, observed: after).actions.isEmpty)
    }

    @Test func hooksRunBeforeTheFirstSwitchAndAfterTheLast() throws {
        let hooks = SwitchHooks(beforeSwitch: [["notify", "starting"]], afterSwitch: [["notify", "live"]])
        let running = Self.simulate(Planner.plan(desired: Self.desired(Self.environment(hooks: hooks)), observed: ObservedState()), on: ObservedState())
        let plan = Planner.plan(desired: Self.desired(Self.environment(image: "localhost/web:1.1.0", hooks: hooks)), observed: running)
        #expect(plan.actions.map(\.id) == [
            "create:container:web-1", "wait-healthy:container:web-1", "hook:hook:web/before_switch/1", "switch:route:web",
            "drain:route:web", "hook:hook:web/after_switch/1", "verify:route:web", "remove:container:web-1",
        ])
        guard case .hook(let run) = plan.actions[2].target else { Issue.record("no hook"); return }
        #expect(run.environment["BERTH_IMAGE"] == "localhost/web:1.1.0")
        #expect(run.environment["BERTH_PREVIOUS_IMAGE"] == "localhost/web:1.0.0")
    }

    @Test func aServerChangedByHandIsDriftAndThePlanRepairsIt() throws {
        let desired = Self.desired(Self.environment())
        var running = Self.simulate(Planner.plan(desired: desired, observed: ObservedState()), on: ObservedState())
        Self.set([ServerSetting(slot: "s1", container: nil, address: "127.0.0.1", port: 20000, admin: .maint, weight: 100),
                  ServerSetting(slot: "s2", container: nil, address: "127.0.0.1", port: 9999, admin: .ready, weight: 100)],
                 backend: "web", in: &running)
        let drift = Drift.detect(desired: desired, observed: running)
        #expect(drift.map(\.kind) == [.proxy])
        #expect(drift.first?.detail.contains("127.0.0.1:9999") == true)
        let plan = Planner.plan(desired: desired, observed: running)
        #expect(plan.actions.map(\.kind) == [.switch, .drain, .verify])
        #expect(Planner.plan(desired: desired, observed: Self.simulate(plan, on: running)).actions.isEmpty)
    }

    @Test func aTakenLoopbackPortIsNotChosen() throws {
        var observed = ObservedState()
        observed.unavailablePorts = [20000, 20001]
        let plan = Planner.plan(desired: Self.desired(Self.environment()), observed: observed)
        guard case .newContainer(let blueprint) = plan.actions[1].target else { Issue.record("no blueprint"); return }
        #expect(blueprint.labels[BerthLabel.endpoint] == "127.0.0.1:20002")
    }
}
