import Foundation
import Testing
@testable import BerthCLI
import BerthTestSupport

/// `plan --target` and `apply --target`, on the doubles.
extension CommandsOnDoublesTests {
    /// The default world with other services: web (2 replicas) mounts the config and needs no migration;
    /// worker waits for the migrations.
    static var targetsEnvironment: String {
        let services = """
            services:
              web:
                image: localhost/web:1.0.0
                replicas: 2
                configs:
                  - source: app
                    target: /etc/app.env
              worker:
                image: localhost/web:1.0.0
                depends_on:
                  database: { condition: migrations_applied }

            """
        let base = SessionWorld.defaultEnvironment
        guard let start = base.range(of: "services:\n"), let end = base.range(of: "\nconfigs:\n") else { return base }
        return base.replacingCharacters(in: start.lowerBound..<end.upperBound, with: services + "configs:\n")
    }

    @Test("plan --target lists the target's actions and what they need, says it is partial, and exits 2")
    func planTarget() async throws {
        let world = try SessionWorld(environment: Self.targetsEnvironment)
        let plan = await berth(["plan", "--env", "dev", "--target", "container:web-1", "--no-color"], world)
        #expect(plan.status == 2, "\(plan.stderr)")
        #expect(plan.stdout.contains("+ write-config config:app"), "\(plan.stdout)")
        #expect(plan.stdout.contains("+ create       container:web-1"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("web-2") && !plan.stdout.contains("worker") && !plan.stdout.contains("migration"), "\(plan.stdout)")
        #expect(plan.stdout.contains("Partial plan, limited to container:web-1 and what it needs."))
        #expect(plan.stdout.contains("warning: the rest of dev is not planned"))
        #expect(!plan.stdout.contains(SessionWorld.secret))

        let json = try self.json(await berth(["plan", "--env", "dev", "--target", "service:worker", "--json"], world).stdout)
        #expect(json["partial"] as? Bool == true)
        #expect(json["targets"] as? [String] == ["service:worker"])
        let ids = (json["actions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == ["migrate:migration:1", "create:container:worker-1"])

        let graph = await berth(["plan", "--env", "dev", "--target", "container:web-1", "--graph", "mermaid"], world)
        #expect(graph.stdout.contains("create container:web-1") && !graph.stdout.contains("worker"), "\(graph.stdout)")
        #expect(await world.engine.containers.isEmpty)
    }

    @Test("an unknown target is an error naming the closest resource; nothing is planned, saved or applied")
    func unknownTarget() async throws {
        let world = try SessionWorld(environment: Self.targetsEnvironment)
        let planFile = world.root + "/plan.json"
        let plan = await berth(["plan", "--env", "dev", "--target", "container:web-3", "--out", planFile], world)
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("--target container:web-3: dev has no such resource; did you mean 'container:web-1'?"), "\(plan.stderr)")
        #expect(plan.stderr.contains("container:web-1, container:web-2, container:worker-1"), "\(plan.stderr)")
        #expect(plan.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: planFile))

        let apply = await berth(["apply", "--env", "dev", "--target", "config:app", "--target", "migraton:1", "--yes"], world)
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("--target migraton:1: 'migraton' is no kind of resource; did you mean 'migration'?"), "\(apply.stderr)")
        #expect(await world.engine.containers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: world.root + "/.berth/configs/dev/app.env"))
        #expect(try world.store.history(environment: "shop/dev", limit: 5).isEmpty)
        #expect(await berth(["plan", "--env", "dev", "--target", "web"], world).stderr.contains("a target is KIND:NAME"))
    }

    @Test("a saved partial plan is applied as such; the journal and release note its targets; a full plan still sees the rest")
    func savedPartialPlan() async throws {
        let world = try SessionWorld(environment: Self.targetsEnvironment)
        let planFile = world.root + "/plan.json"
        #expect(await berth(["plan", "--env", "dev", "--target", "container:web-1", "--out", planFile], world).status == 2)
        let saved = try String(contentsOfFile: planFile, encoding: .utf8)
        #expect(saved.contains("\"targets\" : [\n    \"container:web-1\"\n  ]"), "\(saved)")
        #expect(await berth(["apply", "--env", "dev", "--plan", planFile, "--target", "container:web-2", "--yes"], world).status == 64)

        let applied = await berth(["apply", "--env", "dev", "--plan", planFile, "--yes"], world)
        #expect(applied.status == 0, "\(applied.stderr)")
        let names = await world.engine.containers.map(\.name)
        #expect(names.count == 1 && names.allSatisfy { $0.hasPrefix("shop-dev-web-1-") }, "\(names)")
        let record = try #require(try world.store.history(environment: "shop/dev", limit: 5).first)
        #expect(record.actions.map(\.actionID) == ["write-config:config:app", "create:container:web-1"])
        #expect(try world.store.plan(applyID: record.id)?.contains("\"container:web-1\"") == true)
        let release = try #require(try world.store.releases(environment: "shop/dev", limit: 5).first)
        #expect(release.summary == "apply --target container:web-1")
        #expect(release.manifest.services.map { "\($0.name) \($0.replicas)" } == ["web 1", "worker 0"])

        // The target has nothing left to do; the rest of the environment still has.
        let again = await berth(["plan", "--env", "dev", "--target", "container:web-1"], world)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("No changes for container:web-1: it matches the desired state of dev, with what it needs.\n"), "\(again.stdout)")
        let full = await berth(["plan", "--env", "dev", "--no-color"], world)
        #expect(full.status == 2)
        #expect(full.stdout.contains("container:web-2") && full.stdout.contains("container:worker-1") && full.stdout.contains("migration:1"))
        #expect(!full.stdout.contains("container:web-1 ") && !full.stdout.contains("Partial"), "\(full.stdout)")
        #expect(await berth(["drift", "--env", "dev"], world).status == 2)

        // apply --target without a saved plan plans and applies the partial plan.
        let worker = await berth(["apply", "--env", "dev", "--target", "service:worker", "--yes", "--json"], world)
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(try json(worker.stdout)["targets"] as? [String] == ["service:worker"])
        #expect(await world.engine.containers.count == 2)
        let nothing = await berth(["apply", "--env", "dev", "--target", "service:worker", "--yes"], world)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.hasPrefix("No changes for service:worker: it matches"), "\(nothing.stdout)")
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        #expect(await world.engine.containers.count == 3)
    }

    @Test("a saved partial plan goes stale like a full one, and is refused without changing anything")
    func stalePartialPlan() async throws {
        let world = try SessionWorld(environment: Self.targetsEnvironment)
        let planFile = world.root + "/plan.json"
        #expect(await berth(["plan", "--env", "dev", "--target", "container:web-1", "--out", planFile], world).status == 2)
        // Another target is applied in between: the observed state changed.
        #expect(await berth(["apply", "--env", "dev", "--target", "service:worker", "--yes"], world).status == 0)
        let containers = await world.engine.containers
        let stale = await berth(["apply", "--env", "dev", "--plan", planFile, "--yes"], world)
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("is stale"), "\(stale.stderr)")
        #expect(await world.engine.containers == containers)
        #expect(try world.store.history(environment: "shop/dev", limit: 5).count == 1)
    }
}
