public import BerthCore
public import BerthModel
public import BerthObserve

/// Waits for a new container to answer its HTTP health check, as a plan's `wait-healthy` step asks:
/// the start period plus `retries` intervals (and one timeout), probing often at first since a fresh
/// replica usually answers within a second. Progress is reported once per interval, with the last result.
public struct HealthWait: Sendable {
    let probe: any HealthProbe
    let clock: any BerthClock

    public init(probe: any HealthProbe, clock: any BerthClock) {
        self.probe = probe
        self.clock = clock
    }

    /// Nil once the container answers 2xx or 3xx; otherwise why not, with the last result. The gate's
    /// port must be known (`Executor` finds one the engine picked).
    public func wait(for gate: HealthGate, progress: (String) -> Void) async -> String? {
        guard let port = gate.port else { return "\(gate.container): no host port to probe its health check through" }
        let interval = Duration.milliseconds(max(gate.intervalMilliseconds, 1))
        let timeout = Duration.milliseconds(max(gate.timeoutMilliseconds, 1))
        let budget = Duration.milliseconds(gate.startPeriodMilliseconds) + interval * gate.retries + timeout
        let start = clock.elapsed
        let total = gate.attempts
        let pause = min(.milliseconds(250), interval)
        var reported = 0
        var last: HealthCheckResult?
        while true {
            let result = await probe.check(host: gate.host, port: port, path: gate.path, timeout: timeout)
            if result.isHealthy { return nil }
            last = result
            let spent = clock.elapsed - start
            let attempt = min(total, 1 + Int(spent / interval))
            if attempt > reported {
                progress("waiting for health of \(gate.container): \(attempt)/\(total), \(result)")
                reported = attempt
            }
            if spent >= budget { break }
            do { try await clock.sleep(for: pause) } catch { return "health wait of \(gate.container) cancelled" }
        }
        let seconds = (clock.elapsed - start).shortDescription
        return "\(gate.container) did not pass its health check \(gate.url) (port \(port)) within \(seconds): last \(last.map { "\($0)" } ?? "no answer")"
    }
}
