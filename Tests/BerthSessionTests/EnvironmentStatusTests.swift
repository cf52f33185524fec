import Foundation
import Testing
import BerthModel
import BerthApply
import BerthPlan
@testable import BerthSession
import BerthTestSupport

/// `berth status` from an observation and the journal: which containers serve with what share, and
/// the verification of the newest release that had one.
@Suite struct EnvironmentStatusTests {
    static func apply(_ status: ApplyStatus, _ actions: [ActionRecord]) -> ApplyRecord {
        ApplyRecord(
            id: 1, environment: "shop/dev", startedAt: Date(timeIntervalSince1970: 0), finishedAt: nil, status: status,
            owner: LockOwner(user: "ci", host: "h", pid: 1), planFingerprint: "f", actions: actions
        )
    }

    @Test func servingSharesFollowTheWeightsOfReadyServers() throws {
        let environment = TrafficFixtures.environment(replicas: 2, strategy: .canary)
        let desired = TrafficFixtures.desired(environment)
        var observed = TrafficFixtures.simulate(Planner.plan(desired: desired, observed: ObservedState()), on: ObservedState())
        TrafficFixtures.set([
            ServerSetting(slot: "s1", container: nil, address: "127.0.0.1", port: 20000, admin: .ready, weight: 3),
            ServerSetting(slot: "s2", container: nil, address: "127.0.0.1", port: 20001, admin: .ready, weight: 1),
        ], backend: "web", in: &observed)
        let status = EnvironmentStatus.of(desired: desired, observed: observed, applies: [])
        let web = try #require(status.services.first)
        #expect(web.serving.map(\.share) == [75, 25])
        #expect(web.serving.compactMap(\.container).count == 2)
        #expect(status.proxyRunning)
    }

    @Test func theVerificationRunningNowIsShownWithItsLatestLook() throws {
        let running = Self.apply(.running, [
            ActionRecord(actionID: "verify:route:web@10%", type: "verify", resource: "route:web@10%", status: .done, detail: "passed: new: 40 requests"),
            ActionRecord(actionID: "verify:route:web", type: "verify", resource: "route:web", status: .running, detail: "new: 12 requests, 0 errors, 1 ms"),
        ])
        let verification = try #require(EnvironmentStatus.verification(of: "web", in: [running]))
        #expect(verification.state == "running")
        #expect(verification.detail == "new: 12 requests, 0 errors, 1 ms")
        let failed = Self.apply(.failed, [
            ActionRecord(actionID: "verify:route:web@10%", type: "verify", resource: "route:web@10%", status: .failed, detail: "5xx"),
            ActionRecord(actionID: "verify:route:web", type: "verify", resource: "route:web", status: .skipped),
        ])
        #expect(EnvironmentStatus.verification(of: "web", in: [failed])?.state == "failed")
        #expect(EnvironmentStatus.verification(of: "web", in: [failed])?.stage == "10%")
        #expect(EnvironmentStatus.verification(of: "api", in: [failed]) == nil)
        // A verification left running by an apply that died is not running.
        #expect(EnvironmentStatus.verification(of: "web", in: [Self.apply(.interrupted, running.actions)])?.state == "interrupted")
    }
}
