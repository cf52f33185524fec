import Foundation
import Testing
@testable import BerthCLI
import BerthModel
import BerthApply
import BerthSession
import BerthTestSupport

/// Deployment windows and approvals on the doubles. The test clock starts on Friday 15 January 2027,
/// 08:00 UTC (09:00 in Paris).
extension CommandsOnDoublesTests {
    static let fridaysClosed = SessionWorld.defaultEnvironment + """

        policy:
          timezone: Europe/Paris
          windows:
            - name: no-fridays
              deny: { days: [fri] }
        """

    @Test("berth window: closed exits 2 naming the window and the next opening, in local time and UTC; open exits 0")
    func windowCommand() async throws {
        let world = try SessionWorld(environment: Self.fridaysClosed)
        let closed = await berth(["window", "--env", "dev"], world)
        #expect(closed.status == 2, "\(closed.stderr)")
        #expect(closed.stdout == """
            At 2027-01-15 09:00 Europe/Paris (08:00 UTC), dev is closed for changes: the deny window no-fridays.
            Changes are next allowed at 2027-01-16 00:00 Europe/Paris (2027-01-15 23:00 UTC).

            """)
        let json = try json(await berth(["window", "--env", "dev", "--json"], world).stdout)
        #expect(json["format_version"] as? String == "1")
        #expect(json["environment"] as? String == "dev")
        #expect(json["at"] as? String == "2027-01-15T08:00:00Z")
        #expect(json["open"] as? Bool == false)
        #expect(json["window"] as? String == "no-fridays")
        #expect(json["until"] as? String == "2027-01-15T23:00:00Z")
        #expect(json["next_open"] as? String == "2027-01-15T23:00:00Z")

        let monday = await berth(["window", "--env", "dev", "--at", "2027-01-18T10:00:00+01:00", "--json"], world)
        #expect(monday.status == 0, "\(monday.stderr)")
        let open = try self.json(monday.stdout)
        #expect(open["open"] as? Bool == true)
        #expect(open["window"] is NSNull)
        #expect(open["until"] as? String == "2027-01-21T23:00:00Z")
        #expect(open["next_open"] is NSNull)
        #expect(await berth(["window", "--env", "dev", "--at", "next friday"], world).status == 64)
        #expect(await berth(["window", "--env", "nowhere"], world).status == 1)

        let unrestricted = await berth(["window", "--env", "dev"], try SessionWorld())
        #expect(unrestricted.status == 0)
        #expect(unrestricted.stdout == "At 2027-01-15 08:00 UTC, dev is open for changes: no window restricts changes.\nIt stays open for at least a year.\n")
    }

    @Test("apply is refused in a closed window; --override-window needs --reason and is recorded in the history")
    func applyInClosedWindow() async throws {
        let world = try SessionWorld(environment: Self.fridaysClosed)
        let refused = await berth(["apply", "--env", "dev", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("dev is closed for changes: the deny window no-fridays; changes are next allowed at 2027-01-16 00:00 Europe/Paris (2027-01-15 23:00 UTC)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("berth apply --override-window --reason TEXT"), "\(refused.stderr)")
        #expect(await world.engine.containers.isEmpty)
        #expect(try world.store.history(environment: "shop/dev", limit: 10).isEmpty)

        #expect(await berth(["apply", "--env", "dev", "--yes", "--override-window"], world).status == 64)
        #expect(await berth(["apply", "--env", "dev", "--yes", "--reason", "why"], world).status == 64)

        let reason = "hotfix for the checkout"
        let overridden = await berth(["apply", "--env", "dev", "--yes", "--override-window", "--reason", reason], world)
        #expect(overridden.status == 0, "\(overridden.stderr)")
        let history = try world.store.history(environment: "shop/dev", limit: 10)
        let event = try #require(history.first { $0.isEvent && $0.actions.first?.type == "override-window" })
        #expect(event.owner == world.owner)
        let detail = try #require(event.actions.first?.detail)
        #expect(detail == "apply in a closed window (the deny window no-fridays) by tester@test-host: \(reason)")
        #expect(event.actions.first?.resource == "window:no-fridays")

        let shown = await berth(["history", "--env", "dev"], world)
        #expect(shown.stdout.contains("override-window  by tester@test-host"), "\(shown.stdout)")
        #expect(shown.stdout.contains(reason))
        #expect(!shown.stdout.contains(SessionWorld.secret))
        #expect(!(await berth(["history", "--env", "dev", "--json"], world)).stdout.contains(SessionWorld.secret))
    }

    @Test("with rollback: denied, rollback in a closed window needs --override-window, and is recorded")
    func rollbackDenied() async throws {
        let world = try SessionWorld(environment: Self.fridaysClosed + "\n  rollback: denied\n")
        let override = ["--override-window", "--reason", "release day"]
        #expect(await berth(["apply", "--env", "dev", "--yes"] + override, world).status == 0)
        try await secondRelease(world, undo: true)
        #expect(await berth(["apply", "--env", "dev", "--yes"] + override, world).status == 0)

        let refused = await berth(["rollback", "--env", "dev", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("dev is closed for changes: the deny window no-fridays"), "\(refused.stderr)")
        #expect(refused.stderr.contains("berth rollback --override-window --reason TEXT"), "\(refused.stderr)")
        #expect(await berth(["rollback", "--env", "dev", "--yes", "--override-window"], world).status == 64)

        let back = await berth(["rollback", "--env", "dev", "--yes", "--override-window", "--reason", "checkout broken"], world)
        #expect(back.status == 0, "\(back.stderr)")
        let details = try world.store.history(environment: "shop/dev", limit: 20).filter(\.isEvent).compactMap(\.actions.first?.detail)
        #expect(details.first == "rollback in a closed window (the deny window no-fridays) by tester@test-host: checkout broken")
        #expect(details.count == 3)
    }

    @Test("rollback runs in a closed window unless rollback: denied; the gate is one call for every command")
    func rollbackGate() throws {
        let policy = DeploymentPolicy(windows: [DeploymentWindow(name: "never", kind: .deny, days: Weekday.allCases, startMinute: 0, endMinute: 1440)])
        var environment = Environment(
            name: "prod", project: "shop", engine: EngineSettings(host: "unix:///x", isDefault: true),
            state: StateSettings(store: .sqlite(path: "/x")), configs: ConfigSettings(root: "/x"), policy: policy
        )
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throws: SessionError.self) { try WindowGate.check(environment: environment, at: now, operation: .apply, override: nil) }
        let rollback = try WindowGate.check(environment: environment, at: now, operation: .rollback, override: nil)
        #expect(!rollback.open && !WindowGate.isOverridden(rollback, environment: environment, operation: .rollback))
        environment.policy?.rollbackWhenClosed = false
        #expect(throws: SessionError.self) { try WindowGate.check(environment: environment, at: now, operation: .rollback, override: nil) }
        let overridden = try WindowGate.check(environment: environment, at: now, operation: .promote, override: WindowOverride(reason: "r"))
        #expect(WindowGate.isOverridden(overridden, environment: environment, operation: .promote))
        environment.policy = nil
        #expect(try WindowGate.check(environment: environment, at: now, override: nil).open)
    }

    @Test("with approval: required, apply takes only a saved plan that berth approve approved; the approval is in the history")
    func approvals() async throws {
        let literal = "literal-approval-secret-4711"
        let environment = SessionWorld.defaultEnvironment.replacingOccurrences(of: "token: { env: SESSION_TOKEN }", with: "token: { value: \(literal) }")
        let world = try SessionWorld(environment: environment + "\npolicy:\n  approval: required\n")
        let bare = await berth(["apply", "--env", "dev", "--yes"], world)
        #expect(bare.status == 1)
        #expect(bare.stderr.contains("dev requires an approved plan: run berth plan --env dev --out FILE"), "\(bare.stderr)")

        let file = world.root + "/dev.plan.json"
        #expect(await berth(["plan", "--env", "dev", "--out", file], world).status == 2)
        let unapproved = await berth(["apply", "--env", "dev", "--yes", "--plan", file], world)
        #expect(unapproved.status == 1)
        #expect(unapproved.stderr.contains("is not approved; dev requires an approval: have it approved with berth approve --env dev PLANFILE"), "\(unapproved.stderr)")
        #expect(await world.engine.containers.isEmpty)

        let approved = await berth(["approve", "--env", "dev", file], world)
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(approved.stdout.hasPrefix("Approved plan "), "\(approved.stdout)")
        let applied = await berth(["apply", "--env", "dev", "--yes", "--plan", file], world)
        #expect(applied.status == 0, "\(applied.stderr)")

        // The release names who approved the plan it was applied from.
        let releases = try json(await berth(["releases", "--env", "dev", "--json"], world).stdout)
        let newest = try #require((releases["releases"] as? [[String: Any]])?.first)
        #expect(newest["approved_by"] as? [String] == ["tester@test-host"])
        #expect(await berth(["releases", "--env", "dev"], world).stdout.contains("    approved by tester@test-host\n"))

        let history = await berth(["history", "--env", "dev"], world)
        #expect(history.stdout.contains("approve  by tester@test-host"), "\(history.stdout)")
        #expect(history.stdout.contains("approved by tester@test-host"))
        #expect(!history.stdout.contains(literal))
        #expect(!(await berth(["history", "--env", "dev", "--json"], world)).stdout.contains(literal))
        #expect(!approved.stdout.contains(literal))
        #expect(try world.store.history(environment: "shop/dev", limit: 10).allSatisfy { record in
            record.actions.allSatisfy { !$0.detail.contains(literal) && !$0.resource.contains(literal) }
        })
        #expect(await berth(["approve", "--env", "dev", world.root + "/missing.json"], world).status == 1)
    }

    @Test("with approval: { distinct: true }, the one who applies cannot approve alone")
    func distinctApproval() async throws {
        let world = try SessionWorld(environment: SessionWorld.defaultEnvironment + "\npolicy:\n  approval: { distinct: true }\n")
        let file = world.root + "/dev.plan.json"
        #expect(await berth(["plan", "--env", "dev", "--out", file], world).status == 2)
        #expect(await berth(["approve", "--env", "dev", file], world).status == 0)
        let alone = await berth(["apply", "--env", "dev", "--yes", "--plan", file], world)
        #expect(alone.status == 1)
        #expect(alone.stderr.contains("is approved only by tester, who applies it; dev requires another user's approval"), "\(alone.stderr)")

        var reviewer = world.context()
        reviewer.owner = LockOwner(user: "reviewer", host: "desk-2", pid: 7)
        let text = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let approval = try Approvals.approve(environment: "dev", plan: file, text: text, context: reviewer)
        #expect(approval.approver.user == "reviewer")
        let applied = await berth(["apply", "--env", "dev", "--yes", "--plan", file], world)
        #expect(applied.status == 0, "\(applied.stderr)")
    }
}
