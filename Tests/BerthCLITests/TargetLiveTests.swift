import Foundation
import Testing
import BerthTestSupport

/// `--target` on the real engine: the example's dev, fresh, planned and applied one replica at a time.
@Suite(.enabled(if: LiveDev.isEnabled, "needs BERTH_ENGINE"))
struct TargetLiveTests {
    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    func actionIDs(_ output: BerthProcess.Output) throws -> [String] {
        (try object(output.stdout)["actions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("apply --target container:web-1 creates only web-1 and what it needs; a full plan then shows the rest")
    func oneReplica() async throws {
        try await LiveDev.with("berth-target") { dev in
            // As the example stands, web waits for the migrations: web-1 needs them.
            let needing = try actionIDs(await dev.run(["plan", "--env", "dev", "--target", "container:web-1", "--json"]))
            #expect(needing.contains("migrate:migration:4") && needing.contains("create:container:web-1"), "\(needing)")
            #expect(!needing.contains { $0.contains("web-2") || $0.contains("worker") }, "\(needing)")

            // Without that dependency (web's comes first in base.yaml), web-1 needs only the config it mounts.
            try dev.edit("environments/base.yaml") { text in
                guard let range = text.range(of: "    depends_on:\n      database:\n        condition: migrations_applied\n") else { return text }
                return text.replacingCharacters(in: range, with: "")
            }
            let plan = try await dev.run(["plan", "--env", "dev", "--target", "container:web-1", "--json"])
            #expect(plan.status == 2, "\(plan.stderr)")
            let document = try object(plan.stdout)
            #expect(document["partial"] as? Bool == true && document["targets"] as? [String] == ["container:web-1"])
            #expect(try actionIDs(plan) == ["write-config:config:app-env", "create:container:web-1", "wait-healthy:container:web-1"])
            let text = try await dev.run(["plan", "--env", "dev", "--target", "container:web-1", "--no-color"])
            #expect(text.stdout.contains("warning: the rest of dev is not planned"), "\(text.stdout)")

            let applied = try await dev.run(["apply", "--env", "dev", "--target", "container:web-1", "--yes", "--no-color"])
            #expect(applied.status == 0, "\(applied.stderr)")
            let containers = try await dev.containers()
            #expect(containers.map { "\($0.labels["berth.service"] ?? "") \($0.labels["berth.replica"] ?? "")" } == ["web 1"], "\(containers.map(\.name))")
            #expect(containers.first?.state == "running")

            let again = try await dev.run(["plan", "--env", "dev", "--target", "container:web-1"])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            let full = try await dev.run(["plan", "--env", "dev", "--json"])
            #expect(full.status == 2, "\(full.stderr)")
            let rest = try actionIDs(full)
            #expect(try object(full.stdout)["partial"] as? Bool == false)
            #expect(rest.contains("migrate:migration:1") && rest.contains("create:container:web-2") && rest.contains("create:container:worker-1"), "\(rest)")
            #expect(!rest.contains { $0.hasSuffix("container:web-1") || $0.contains("config:app-env") }, "\(rest)")
        }
    }
}
