import BerthCore
import Foundation
import BerthModel
import BerthPlan
import BerthProxy

/// The traffic actions: the proxy's configuration, switches, drains, verifications and hooks, each
/// exactly as the plan says.
extension Executor {
    func runTraffic(_ action: PlanAction, observer: any ExecutionObserver) async throws(ApplyError) -> Reversal {
        if case .hook(let run) = action.target { return try await hook(run, action, observer: observer) }
        guard let proxy = drivers.proxy else { throw ApplyError("\(action.resource): no proxy driver was given") }
        switch action.target {
        case .proxy(let layout) where action.kind == .stopProxy:
            do {
                try await proxy.stop(layout.settings)
            } catch {
                throw ApplyError("\(action.resource): \(error)")
            }
            return .none

        case .proxy(let layout):
            do {
                try await proxy.configure(layout)
            } catch {
                throw ApplyError("\(action.resource): \(error)")
            }
            return .none

        case .trafficSwitch(let change):
            try await switchTraffic(change, proxy: proxy, action, observer: observer)
            return .setServers(change.proxy, backend: change.backend, change.previous)

        case .drain(let gate):
            try await drain(gate, proxy: proxy, action, observer: observer)
            return .none

        case .verification(let gate):
            let verifier = TrafficVerifier(proxy: proxy, engine: drivers.engine, health: drivers.health, clock: drivers.clock)
            if let failure = await verifier.verify(gate, progress: { observer.progress(action, $0) }) {
                throw ApplyError("\(action.resource): verification failed (\(gate.stage)): \(failure)")
            }
            return .none

        default:
            throw ApplyError("\(action.resource): not a traffic action")
        }
    }

    /// In two steps, so that traffic always has somewhere to go: the servers to be ready are set and
    /// awaited until the proxy's check finds them up (ten seconds at most), and only then do the
    /// others drain or leave.
    private func switchTraffic(_ change: TrafficSwitch, proxy: any ProxyDriver, _ action: PlanAction, observer: any ExecutionObserver) async throws(ApplyError) {
        let previous = Dictionary(change.previous.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
        let incoming = change.servers.filter { $0.admin == .ready && previous[$0.slot] != $0 }
        let rest = change.servers.filter { $0.admin != .ready && previous[$0.slot] != $0 }
        do {
            if !incoming.isEmpty {
                try await proxy.set(change.proxy, backend: change.backend, servers: incoming)
                let deadline = drivers.clock.deadline(after: .seconds(10))
                let slots = Set(incoming.map(\.slot))
                while true {
                    let counters = try await proxy.counters(change.proxy, backend: change.backend).filter { slots.contains($0.slot) }
                    let down = counters.filter { !($0.status.hasPrefix("UP") || $0.status == "no check") }
                    if down.isEmpty { break }
                    guard drivers.clock.elapsed < deadline else {
                        throw ApplyError("\(action.resource): \(down.map { "\($0.slot) is \($0.status)" }.joined(separator: ", ")) in the proxy 10s after it was set ready")
                    }
                    do { try await drivers.clock.sleep(for: .milliseconds(100)) } catch { throw ApplyError("\(action.resource): cancelled") }
                }
            }
            if !rest.isEmpty { try await proxy.set(change.proxy, backend: change.backend, servers: rest) }
        } catch {
            // A failed switch has no undo of its own: the slots it set are put back before it reports.
            let changed = Set((incoming + rest).map(\.slot))
            try? await proxy.set(change.proxy, backend: change.backend, servers: change.previous.filter { changed.contains($0.slot) })
            if let error = error as? ApplyError { throw error }
            throw ApplyError("\(action.resource): \(error)")
        }
        observer.progress(action, change.summary)
    }

    /// Awaits the open sessions of the draining servers (bounded by the gate's timeout), then takes them out of rotation.
    private func drain(_ gate: DrainGate, proxy: any ProxyDriver, _ action: PlanAction, observer: any ExecutionObserver) async throws(ApplyError) {
        let slots = Set(gate.servers.map(\.slot))
        let deadline = drivers.clock.deadline(after: .milliseconds(gate.timeoutMilliseconds))
        var reported = -1
        do {
            while true {
                let open = try await proxy.counters(gate.proxy, backend: gate.backend)
                    .filter { slots.contains($0.slot) }.map(\.currentSessions).reduce(0, +)
                if open == 0 { break }
                if drivers.clock.elapsed >= deadline {
                    observer.progress(action, "\(open) sessions still open after \(TimeSpan(milliseconds: gate.timeoutMilliseconds)): the servers leave anyway")
                    break
                }
                if open != reported {
                    observer.progress(action, "\(open) sessions still open")
                    reported = open
                }
                do { try await drivers.clock.sleep(for: .milliseconds(200)) } catch { throw ApplyError("\(action.resource): cancelled") }
            }
            try await proxy.set(gate.proxy, backend: gate.backend, servers: gate.after)
        } catch let error as ApplyError {
            throw error
        } catch {
            throw ApplyError("\(action.resource): \(error)")
        }
    }

    private func hook(_ run: HookRun, _ action: PlanAction, observer: any ExecutionObserver) async throws(ApplyError) -> Reversal {
        let outcome = await drivers.hooks.run(run.argv, environment: run.environment, timeout: .milliseconds(run.timeoutMilliseconds))
        if let failure = outcome.failure {
            let output = outcome.output.isEmpty ? "" : ": \(outcome.output.suffix(500))"
            guard !run.mustSucceed else { throw ApplyError("\(action.resource): \(run.argv.joined(separator: " ")) \(failure)\(output)") }
            observer.progress(action, "\(run.argv.joined(separator: " ")) \(failure)\(output) (after the switch: the release stands)")
        } else if !outcome.output.isEmpty {
            observer.progress(action, String(outcome.output.suffix(500)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return .none
    }
}
