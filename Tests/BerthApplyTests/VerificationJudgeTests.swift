import Testing
import BerthModel
import BerthApply

/// The verdict on one look at the proxy's counters: numbers in, failure or progress out.
@Suite struct VerificationJudgeTests {
    static let proxy = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p")

    static func gate(minRequests: Int = 20, maxErrorPercent: Double = 1, ratio: Double = 3) -> VerifyGate {
        VerifyGate(
            proxy: proxy, service: "web", backend: "web", stage: "after the switch",
            newServers: [ServerReference(slot: "s2", container: "web-new", endpoint: "127.0.0.1:20001")],
            oldServers: [ServerReference(slot: "s1", container: "web-old", endpoint: "127.0.0.1:20000")],
            settings: VerifySettings(window: TimeSpan(milliseconds: 1_000), minRequests: minRequests, maxErrorPercent: maxErrorPercent, maxLatencyRatio: ratio),
            windowMilliseconds: 1_000, whenInconclusive: .wait(maxMilliseconds: 5_000), labels: [:]
        )
    }

    static func counters(_ slot: String, ok: Int = 0, errors: Int = 0, refused: Int = 0, ms: Int = 0, status: String = "UP 2/2") -> ServerCounters {
        ServerCounters(backend: "web", slot: slot, responses2xx: ok, responses5xx: errors, connectionErrors: refused, responseTimeMilliseconds: ms, status: status)
    }

    @Test func errorsCountOnlyOnceEnoughRequestsCame() {
        let baseline = [Self.counters("s1", ok: 500), Self.counters("s2")]
        // 3 errors of 10: too few requests to judge yet.
        guard case .looking(let look) = VerificationJudge.judge(gate: Self.gate(), baseline: baseline, now: [Self.counters("s1", ok: 600), Self.counters("s2", ok: 7, errors: 3)]) else {
            Issue.record("judged on 10 requests"); return
        }
        #expect(look.newRequests == 10)
        // 3 of 30, 10%: over 1%.
        guard case .failed(let evidence) = VerificationJudge.judge(gate: Self.gate(), baseline: baseline, now: [Self.counters("s1", ok: 600), Self.counters("s2", ok: 25, errors: 2, refused: 3)]) else {
            Issue.record("5xx and refused connections passed"); return
        }
        #expect(evidence.contains("5 of 30 requests"))
    }

    @Test func theNewVersionFailsWhenFarSlowerThanTheOld() {
        let baseline = [Self.counters("s1"), Self.counters("s2")]
        let slow = VerificationJudge.judge(gate: Self.gate(), baseline: baseline, now: [Self.counters("s1", ok: 100, ms: 20), Self.counters("s2", ok: 100, ms: 400)])
        if case .failed(let evidence) = slow { #expect(evidence.contains("400 ms")) } else { Issue.record("400 ms against 20 ms passed") }
        // Three times as slow but within the slack (100 ms more) is fine.
        let close = VerificationJudge.judge(gate: Self.gate(), baseline: baseline, now: [Self.counters("s1", ok: 100, ms: 20), Self.counters("s2", ok: 100, ms: 90)])
        if case .failed(let evidence) = close { Issue.record("failed within the slack: \(evidence)") }
    }

    @Test func aCheckTheProxyFindsDownFailsAtOnce() {
        let verdict = VerificationJudge.judge(gate: Self.gate(), baseline: [], now: [Self.counters("s2", status: "DOWN 0/2")])
        if case .failed(let evidence) = verdict { #expect(evidence.contains("health check")) } else { Issue.record("a down server passed") }
    }

    @Test func countersThatWentDownAfterAReloadCountFromZero() {
        let baseline = [Self.counters("s2", ok: 1_000)]
        guard case .looking(let look) = VerificationJudge.judge(gate: Self.gate(), baseline: baseline, now: [Self.counters("s2", ok: 40)]) else {
            Issue.record("failed"); return
        }
        #expect(look.newRequests == 40)
    }
}
