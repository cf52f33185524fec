import Synchronization
import Testing
import BerthCore
import BerthModel
import BerthEngine
import BerthObserve
import BerthPlan
import BerthApply
import BerthProxy
import BerthTestSupport

/// Releases behind the proxy double, carried out by the executor: switches, drains, verification and
/// hooks, and what a failure at each leaves (traffic back on the old version, the new containers gone).
@Suite struct ExecutorTrafficTests {
    final class World: Sendable {
        let engine = InMemoryEngine()
        let proxy = InMemoryProxy()
        let clock = TestClock()
        let health = InMemoryHealthProbe(unscripted: .healthy(status: 200))
        let hooks = ScriptedHooks()

        var executor: Executor {
            Executor(
                drivers: Executor.Drivers(
                    engine: engine, health: health, clock: clock, migrate: { _ in }, proxy: proxy, hooks: hooks
                ),
                parallelism: 4, stopTimeout: 1
            )
        }

        func observe(_ desired: DesiredState) async throws -> ObservedState {
            try await Observer(engine: engine, health: health, proxy: proxy, clock: clock).observe(desired, secrets: [:])
        }

        /// Plans `environment` against what runs, and carries the plan out.
        func apply(_ environment: Environment) async throws -> (Plan, ExecutionReport, RecordingObserver) {
            let desired = TrafficFixtures.desired(environment)
            let plan = Planner.plan(desired: desired, observed: try await observe(desired))
            let observer = RecordingObserver()
            return (plan, await executor.execute(plan, inputs: Executor.Inputs(), observer: observer), observer)
        }

        var table: [String] {
            (proxy.snapshot.servers[TrafficFixtures.proxy.root] ?? []).filter { $0.admin != .maint }
                .map { "\($0.name)=\($0.endpoint)/\($0.admin.rawValue)/\($0.weight)" }
        }

        func images() async -> [String] { await engine.containers.map(\.image).sorted() }
    }

    static let steps = [CanaryStep(weight: 10, pause: TimeSpan(milliseconds: 2_000)), CanaryStep(weight: 100, pause: nil)]

    @Test func aFirstReleaseStartsTheProxyAndVerifiesWithItsOwnRequests() async throws {
        let world = World()
        let (plan, report, observer) = try await world.apply(TrafficFixtures.environment(strategy: .canary, canary: Self.steps))
        #expect(report.succeeded, "\(report.failed)")
        #expect(plan.actions.map(\.kind) == [.configureProxy, .create, .waitHealthy, .switch, .verify])
        #expect(world.table == ["s1=127.0.0.1:20000/ready/100"])
        #expect(world.proxy.snapshot.starts == 1)
        #expect(observer.progress.contains { $0.contains("Berth's own") })
        // Nothing moves the second time.
        let (again, _, _) = try await world.apply(TrafficFixtures.environment(strategy: .canary, canary: Self.steps))
        #expect(again.actions.isEmpty)
    }

    @Test func aCanaryThatAnswers5xxStopsAtItsFirstStepAndIsTakenBack() async throws {
        let world = World()
        _ = try await world.apply(TrafficFixtures.environment(strategy: .canary, canary: Self.steps))
        let old = await world.engine.containers.map(\.name)
        world.proxy.update { snapshot in
            snapshot.trafficPerLook["web"] = [
                "s1": ServerCounters(backend: "web", slot: "s1", responses2xx: 90, responseTimeMilliseconds: 5),
                "s2": ServerCounters(backend: "web", slot: "s2", responses2xx: 2, responses5xx: 8, responseTimeMilliseconds: 5),
            ]
        }
        let (plan, report, _) = try await world.apply(TrafficFixtures.environment(image: "localhost/web:1.1.0", strategy: .canary, canary: Self.steps))
        #expect(plan.actions.map(\.id).contains("verify:route:web@10%"))
        #expect(report.failed.map(\.id) == ["verify:route:web@10%"])
        #expect(report.failed.first?.error.contains("5xx") == true)
        #expect(report.undone.contains("switch:route:web@10%") && report.undone.contains("create:container:web-1"))
        #expect(report.skipped.contains("switch:route:web"))
        #expect(world.table == ["s1=127.0.0.1:20000/ready/100"])
        #expect(await world.engine.containers.map(\.name) == old)
    }

    @Test func aHealthyCanaryGoesThroughEveryStepAndTheOldContainerGoes() async throws {
        let world = World()
        _ = try await world.apply(TrafficFixtures.environment(strategy: .canary, canary: Self.steps))
        world.proxy.update { snapshot in
            snapshot.trafficPerLook["web"] = [
                "s1": ServerCounters(backend: "web", slot: "s1", responses2xx: 90, responseTimeMilliseconds: 5),
                "s2": ServerCounters(backend: "web", slot: "s2", responses2xx: 30, responseTimeMilliseconds: 6),
            ]
        }
        let (_, report, _) = try await world.apply(TrafficFixtures.environment(image: "localhost/web:1.1.0", strategy: .canary, canary: Self.steps))
        #expect(report.succeeded, "\(report.failed)")
        #expect(world.table == ["s2=127.0.0.1:20001/ready/100"])
        #expect(await world.images() == ["localhost/web:1.1.0"])
        // The first step gave the new version a tenth of the weight.
        #expect(world.proxy.snapshot.calls.contains { $0.hasPrefix("set web") && $0.contains("s2=127.0.0.1:20001/ready/1") })
    }

    @Test func aFailingBeforeSwitchHookStopsTheReleaseBeforeTrafficMoves() async throws {
        let world = World()
        let hooks = SwitchHooks(beforeSwitch: [["notify", "starting"]], afterSwitch: [["notify", "live"]])
        _ = try await world.apply(TrafficFixtures.environment(hooks: hooks))
        world.hooks.fail(["notify", "starting"], with: "exited 3")
        let sets = world.proxy.snapshot.calls.filter { $0.hasPrefix("set") }.count
        let (_, report, _) = try await world.apply(TrafficFixtures.environment(image: "localhost/web:1.1.0", hooks: hooks))
        #expect(report.failed.map(\.id) == ["hook:hook:web/before_switch/1"])
        #expect(world.proxy.snapshot.calls.filter { $0.hasPrefix("set") }.count == sets)
        #expect(await world.images() == ["localhost/web:1.0.0"])
        #expect(world.hooks.calls.last?.environment["BERTH_IMAGE"] == "localhost/web:1.1.0")
    }

    @Test func aDrainWaitsForOpenSessionsUpToItsTimeout() async throws {
        let world = World()
        _ = try await world.apply(TrafficFixtures.environment())
        world.proxy.update { snapshot in
            snapshot.trafficPerLook["web"] = [
                "s1": ServerCounters(backend: "web", slot: "s1", currentSessions: 3, responses2xx: 10),
                "s2": ServerCounters(backend: "web", slot: "s2", responses2xx: 30),
            ]
        }
        let (_, report, observer) = try await world.apply(TrafficFixtures.environment(image: "localhost/web:1.1.0"))
        #expect(report.succeeded, "\(report.failed)")
        #expect(observer.progress.contains { $0.contains("3 sessions still open after 5s") })
        #expect(world.table == ["s2=127.0.0.1:20001/ready/100"])
    }

    @Test func aSwitchWhoseNewServerNeverComesUpIsTakenBack() async throws {
        let world = World()
        _ = try await world.apply(TrafficFixtures.environment())
        world.proxy.update { snapshot in
            snapshot.counters[TrafficFixtures.proxy.root, default: [:]]["web", default: [:]]["s2"] = ServerCounters(backend: "web", slot: "s2", status: "DOWN 0/2")
        }
        let (_, report, _) = try await world.apply(TrafficFixtures.environment(image: "localhost/web:1.1.0"))
        #expect(report.failed.map(\.id) == ["switch:route:web"], "\(report)")
        #expect(world.table == ["s1=127.0.0.1:20000/ready/100"])
        #expect(await world.images() == ["localhost/web:1.0.0"])
    }
}

/// Hooks that succeed unless told otherwise, recording each call.
final class ScriptedHooks: HookRunner, Sendable {
    struct Call: Sendable {
        var argv: [String]
        var environment: [String: String]
    }

    private let state = Mutex<(calls: [Call], failures: [[String]: String])>(([], [:]))

    var calls: [Call] { state.withLock { $0.calls } }

    func fail(_ argv: [String], with message: String) { state.withLock { $0.failures[argv] = message } }

    func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome {
        state.withLock { state in
            state.calls.append(Call(argv: argv, environment: environment))
            let failure = state.failures[argv]
            return HookOutcome(exitCode: failure == nil ? 0 : 3, output: "", failure: failure)
        }
    }
}

/// Progress messages, as the executor reports them.
final class RecordingObserver: ExecutionObserver, Sendable {
    private let messages = Mutex<[String]>([])

    var progress: [String] { messages.withLock { $0 } }

    func started(_ action: PlanAction) {}
    func progress(_ action: PlanAction, _ message: String) { messages.withLock { $0.append("\(action.id): \(message)") } }
    func finished(_ action: PlanAction, error: String?, duration: Duration) {}
    func undone(_ actionID: String, succeeded: Bool) {}
}
