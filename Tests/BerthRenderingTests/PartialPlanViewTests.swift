import Foundation
import Testing
import BerthModel
import BerthPlan
import BerthRendering

/// A plan limited by `--target` says so: the text names the targets and warns, the JSON carries them.
@Suite struct PartialPlanViewTests {
    static let full = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [
        PlanAction(kind: .writeConfig, resource: "config:app-env", cause: "config app-env is missing", effect: .create,
                   target: .config(ConfigWrite(name: "app-env", path: "/c/app.env", mode: 0o640, sha256: "aa"))),
        PlanAction(kind: .start, resource: "container:web-1", cause: "container web-1 is exited", effect: .update,
                   dependsOn: ["write-config:config:app-env"], target: .container(id: "1", name: "web-1")),
        PlanAction(kind: .start, resource: "container:worker-1", cause: "container worker-1 is exited", effect: .update,
                   target: .container(id: "2", name: "worker-1")),
    ], problems: [])

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("the text of a partial plan lists only the kept actions, names the targets and warns about the rest")
    func text() {
        let plan = Self.full.limited(to: ["container:web-1"], observed: ObservedState())
        let text = PlanView(plan).text()
        #expect(text.hasPrefix("""
            + write-config config:app-env   config app-env is missing
            ~ start        container:web-1  container web-1 is exited

            Partial plan, limited to container:web-1 and what it needs.
            warning: the rest of dev is not planned and may differ from its files; run berth plan without --target to see everything that differs.

            Plan for dev: 1 to create, 1 to change, 0 to delete.

            """), "\(text)")
        #expect(!text.contains("worker"))
        // A full plan has no such lines.
        #expect(!PlanView(Self.full).text().contains("Partial plan") && !PlanView(Self.full).text().contains("warning:"))
    }

    @Test("a partial plan with nothing to do says so for its targets, with the warning")
    func noChanges() {
        let plan = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [], problems: [], targets: ["config:app-env", "container:web-1"])
        #expect(PlanView(plan).text() == """
            No changes for config:app-env, container:web-1: they match the desired state of dev, with what they need.
            warning: the rest of dev is not planned and may differ from its files; run berth plan without --target to see everything that differs.

            """)
    }

    @Test("the JSON carries partial and targets, and only the kept actions and their rollback")
    func json() throws {
        let plan = Self.full.limited(to: ["container:web-1"], observed: ObservedState())
        let document = try object(PlanView(plan, rollback: RollbackPlan.of(plan, observed: ObservedState())).json().jsonText())
        #expect(document["partial"] as? Bool == true)
        #expect(document["targets"] as? [String] == ["container:web-1"])
        #expect(document["fingerprint"] as? String == plan.fingerprint && plan.fingerprint != "f")
        let actions = try #require(document["actions"] as? [[String: Any]])
        #expect(actions.compactMap { $0["id"] as? String } == ["write-config:config:app-env", "start:container:web-1"])
        let rollback = try #require(document["rollback"] as? [[String: Any]])
        #expect(Set(rollback.compactMap { $0["resource"] as? String }) == ["config:app-env", "container:web-1"])

        let full = try object(PlanView(Self.full).json().jsonText())
        #expect(full["partial"] as? Bool == false)
        #expect(full["targets"] as? [String] == [])
    }
}
