public import BerthCore
public import BerthModel
public import BerthEngine
public import BerthObserve
public import BerthProxy
import Glibc

/// Watches a new version once traffic reaches it, as a `verify` action says: once a second, the proxy's
/// counters of the new and old servers, the new containers' state (restarts, OOM kills, exits) and their
/// logs against the patterns. It fails at the first sign; it passes only once enough requests reached the
/// new version during the window. Too few is inconclusive, never a pass: it waits for more (a canary
/// step), or sends requests of its own to each new server (a rolling or blue-green switch).
public struct TrafficVerifier: Sendable {
    let proxy: any ProxyDriver
    let engine: any ContainerEngine
    let health: any HealthProbe
    let clock: any BerthClock

    public init(proxy: any ProxyDriver, engine: any ContainerEngine, health: any HealthProbe, clock: any BerthClock) {
        self.proxy = proxy
        self.engine = engine
        self.health = health
        self.clock = clock
    }

    /// Nil when the new version passed; else the evidence of its failure.
    public func verify(_ gate: VerifyGate, progress: (String) -> Void) async -> String? {
        let patterns: [LogPattern]
        do throws(ApplyError) {
            patterns = try gate.settings.logPatterns.map { pattern throws(ApplyError) in try LogPattern(pattern) }
        } catch {
            return error.message
        }
        let baseline: [ServerCounters]
        do {
            baseline = try await proxy.counters(gate.proxy, backend: gate.backend)
        } catch {
            return "cannot read the proxy's counters: \(error)"
        }
        let started = clock.elapsed
        let since = Int(clock.now.timeIntervalSince1970) - 1
        let window = Duration.milliseconds(gate.windowMilliseconds)
        var lastLook = VerificationJudge.Look(newRequests: 0, oldRequests: 0, summary: "no look yet")
        var looks = 0
        while true {
            looks += 1
            if let failure = await containerFailure(gate, patterns: patterns, since: since, checkLogs: looks % 2 == 1) { return failure }
            let now: [ServerCounters]
            do {
                now = try await proxy.counters(gate.proxy, backend: gate.backend)
            } catch {
                return "cannot read the proxy's counters: \(error)"
            }
            switch VerificationJudge.judge(gate: gate, baseline: baseline, now: now) {
            case .failed(let evidence):
                return evidence
            case .looking(let look):
                lastLook = look
            }
            let elapsed = clock.elapsed - started
            if elapsed >= window {
                if lastLook.newRequests >= gate.settings.minRequests {
                    progress("passed: \(lastLook.summary)")
                    return nil
                }
                switch gate.whenInconclusive {
                case .wait(let maxMilliseconds):
                    if elapsed >= .milliseconds(maxMilliseconds) {
                        return "inconclusive after \(TimeSpan(milliseconds: maxMilliseconds)): only \(lastLook.newRequests) requests reached the new version (\(gate.settings.minRequests) needed); a verification without evidence is not a pass"
                    }
                    if looks % 5 == 0 { progress("waiting for requests: \(lastLook.summary)") }
                case .synthetic(let path, let host, let count):
                    progress("only \(lastLook.newRequests) requests reached the new version: sending \(count) of Berth's own to each new server")
                    if let failure = await synthetic(gate, path: path, host: host, count: count) { return failure }
                    if let failure = await containerFailure(gate, patterns: patterns, since: since, checkLogs: true) { return failure }
                    progress("passed on Berth's own requests: \(count) to each of \(gate.newServers.count) new servers answered")
                    return nil
                }
            } else if looks % 5 == 0 {
                progress(lastLook.summary)
            }
            do { try await clock.sleep(for: .seconds(1)) } catch { return "the verification was cancelled" }
        }
    }

    /// A new container that stopped, restarted, was killed for memory, or logged a pattern.
    private func containerFailure(_ gate: VerifyGate, patterns: [LogPattern], since: Int, checkLogs: Bool) async -> String? {
        for server in gate.newServers {
            let inspection: ContainerInspection
            do {
                inspection = try await engine.inspect(id: server.container)
            } catch {
                return "\(server.container): cannot inspect it: \(error)"
            }
            if inspection.oomKilled { return "\(server.container) was killed for lack of memory" }
            if inspection.state != "running" {
                return "\(server.container) is \(inspection.state) (exit code \(inspection.exitCode))"
            }
            if inspection.restartCount > 0 { return "\(server.container) restarted \(inspection.restartCount) time(s)" }
            guard checkLogs, !patterns.isEmpty else { continue }
            let bytes: [UInt8]
            do {
                bytes = try await engine.logs(id: server.container, since: since)
            } catch {
                return "\(server.container): cannot read its logs: \(error)"
            }
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                if let pattern = patterns.first(where: { $0.matches(String(line)) }) {
                    return "\(server.container) logged a line matching '\(pattern.source)': \(line.prefix(200))"
                }
            }
        }
        return nil
    }

    /// `count` GETs to each new server, straight to its endpoint; any error or 5xx fails.
    private func synthetic(_ gate: VerifyGate, path: String, host: String?, count: Int) async -> String? {
        for server in gate.newServers {
            let parts = server.endpoint.split(separator: ":")
            guard let address = parts.first, let port = parts.last.flatMap({ Int($0) }) else { continue }
            var failures: [String] = []
            for _ in 0..<max(count, 1) {
                let result = await health.check(host: String(address), port: port, path: path, timeout: .seconds(5))
                switch result {
                case .unreachable, .unhealthy(status: 500...):
                    failures.append(result.description)
                default:
                    continue
                }
            }
            if !failures.isEmpty {
                return "\(server.container): \(failures.count) of \(max(count, 1)) of Berth's own requests failed (\(Set(failures).sorted().joined(separator: ", ")))"
            }
        }
        return nil
    }
}

/// The verdict on one look at the counters: pure, so that it is tested on numbers.
public enum VerificationJudge {
    public struct Look: Hashable, Sendable {
        public var newRequests: Int
        public var oldRequests: Int
        public var summary: String
    }

    public enum Verdict: Hashable, Sendable {
        case failed(String)
        case looking(Look)
    }

    public static func judge(gate: VerifyGate, baseline: [ServerCounters], now: [ServerCounters]) -> Verdict {
        let newSlots = Set(gate.newServers.map(\.slot))
        let oldSlots = Set(gate.oldServers.map(\.slot))
        for server in gate.newServers {
            if let counters = now.first(where: { $0.slot == server.slot }), counters.status.hasPrefix("DOWN") {
                return .failed("\(server.container) fails the proxy's health check (\(counters.status))")
            }
        }
        let new = delta(baseline, now, slots: newSlots)
        let old = delta(baseline, now, slots: oldSlots)
        let newErrors = new.responses5xx + new.connectionErrors
        let newTotal = new.requests + new.connectionErrors
        let settings = gate.settings
        var summary = "new: \(newTotal) requests, \(newErrors) errors, \(new.responseTimeMilliseconds) ms"
        if !oldSlots.isEmpty { summary += "; old: \(old.requests + old.connectionErrors) requests, \(old.responses5xx + old.connectionErrors) errors, \(old.responseTimeMilliseconds) ms" }
        if newTotal >= settings.minRequests {
            let percent = Double(newErrors) * 100 / Double(newTotal)
            if percent > settings.maxErrorPercent {
                return .failed(
                    "the new version answered \(newErrors) of \(newTotal) requests with 5xx or no answer (\(formatted(percent))%, at most \(formatted(settings.maxErrorPercent))% allowed); \(summary)"
                )
            }
            let oldTotal = old.requests
            if oldTotal >= settings.minRequests, old.responseTimeMilliseconds > 0 {
                let limit = max(Double(old.responseTimeMilliseconds) * settings.maxLatencyRatio, Double(old.responseTimeMilliseconds + settings.latencySlack.milliseconds))
                if Double(new.responseTimeMilliseconds) > limit {
                    return .failed("the new version answers in \(new.responseTimeMilliseconds) ms on average, the old in \(old.responseTimeMilliseconds) ms (at most \(formatted(settings.maxLatencyRatio))x allowed); \(summary)")
                }
            }
        }
        return .looking(Look(newRequests: newTotal, oldRequests: old.requests, summary: summary))
    }

    /// Counters gained since the baseline, summed over `slots`; the response time is the mean of theirs.
    static func delta(_ baseline: [ServerCounters], _ now: [ServerCounters], slots: Set<String>) -> ServerCounters {
        var sum = ServerCounters(backend: "", slot: "")
        var times: [Int] = []
        for counters in now where slots.contains(counters.slot) {
            let before = baseline.first { $0.slot == counters.slot } ?? ServerCounters(backend: counters.backend, slot: counters.slot)
            // A reload resets counters: a counter that went down counts from zero.
            func gained(_ path: KeyPath<ServerCounters, Int>) -> Int {
                counters[keyPath: path] >= before[keyPath: path] ? counters[keyPath: path] - before[keyPath: path] : counters[keyPath: path]
            }
            sum.responses2xx += gained(\.responses2xx)
            sum.responses3xx += gained(\.responses3xx)
            sum.responses4xx += gained(\.responses4xx)
            sum.responses5xx += gained(\.responses5xx)
            sum.otherResponses += gained(\.otherResponses)
            sum.connectionErrors += gained(\.connectionErrors)
            if counters.responseTimeMilliseconds > 0 { times.append(counters.responseTimeMilliseconds) }
        }
        sum.responseTimeMilliseconds = times.isEmpty ? 0 : times.reduce(0, +) / times.count
        return sum
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(Double(Int(value * 10)) / 10)
    }
}

/// A POSIX extended regular expression, matched against log lines.
final class LogPattern: @unchecked Sendable {
    let source: String
    private var regex = regex_t()

    init(_ source: String) throws(ApplyError) {
        self.source = source
        let code = regcomp(&regex, source, REG_EXTENDED | REG_NOSUB)
        guard code == 0 else { throw ApplyError("log pattern '\(source)' is not a regular expression (error \(code))") }
    }

    deinit { regfree(&regex) }

    func matches(_ line: String) -> Bool { regexec(&regex, line, 0, nil, 0) == 0 }
}
