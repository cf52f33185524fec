import BerthApply
import BerthEngine
import BerthLoading
import BerthModel
import BerthObserve
import BerthPlan
import Foundation
import Testing

/// Observation, drift and planning against the real engine (`BERTH_ENGINE`): each test makes its
/// own project (`obs-<hex>`), brings the world to the desired state as an apply would, disturbs it by
/// hand, and checks what `Observer`, `Drift.detect` and `Planner.plan` make of it.
@Suite(.enabled(if: LiveServices.engine != nil, "needs BERTH_ENGINE"))
struct LiveObservationTests {
    struct Snapshot {
        var resolution: DesiredStateResolver.Resolution
        var observed: ObservedState
        var plan: Plan
        var drift: [DriftItem]
    }

    /// Observe once, then plan and detect drift from that one observation.
    func look(_ project: ObserveProject, engine: any ContainerEngine) async throws -> Snapshot {
        let resolution = try project.resolve()
        let observed = try await Observer(engine: engine).observe(resolution.desired, secrets: resolution.secrets) { name, content in
            resolution.masked(config: name, content: content)
        }
        return Snapshot(
            resolution: resolution, observed: observed,
            plan: Planner.plan(desired: resolution.desired, observed: observed),
            drift: Drift.detect(desired: resolution.desired, observed: observed)
        )
    }

    /// `kind resource` per action, in plan order.
    func steps(_ plan: Plan) -> [String] { plan.actions.map { "\($0.kind.rawValue) \($0.resource)" } }

    func container(_ service: String, _ replica: Int, in observed: ObservedState) throws -> ObservedContainer {
        try #require(observed.containers.first { $0.service == service && $0.replica == replica }, "no \(service)-\(replica) observed")
    }

    @Test("a fresh environment plans every replica, the config and the migrations in order, and drifts everywhere")
    func freshEnvironment() async throws {
        try await LiveProject.with { project, engine in
            let now = try await look(project, engine: engine)
            let target = project.path("state/configs/app.env")
            #expect(now.observed.containers.isEmpty)
            #expect(now.observed.configs == [ObservedConfig(name: "app-env", target: target, sha256: nil, mode: nil)])
            #expect(now.observed.migrations == [])

            #expect(Array(now.plan.lines.prefix(5)) == [
                "migrate migration:1: V1__create_orders.sql is pending",
                "migrate migration:2 after [migrate:migration:1]: V2__create_customers.sql is pending",
                "migrate migration:3 after [migrate:migration:2]: V3__add_order_status.sql is pending",
                "write-config config:app-env: config app-env is missing at \(target)",
                "create container:web-1 after [migrate:migration:3, write-config:config:app-env]: container web-1 is missing",
            ])
            // Each web replica is waited for on its health check before the next one, and the worker after both.
            #expect(steps(now.plan).dropFirst(4) == [
                "create container:web-1", "wait-healthy container:web-1", "create container:web-2", "wait-healthy container:web-2",
                "create container:worker-1",
            ])
            #expect(now.plan.actions[6].dependsOn == ["migrate:migration:3", "write-config:config:app-env", "wait-healthy:container:web-1"])
            #expect(now.plan.summary == Plan.Summary(create: 7))
            #expect(now.plan.problems.isEmpty)
            let names = now.plan.actions.compactMap { action -> String? in
                guard case .newContainer(let blueprint) = action.target else { return nil }
                return blueprint.name
            }
            #expect(names == [
                ObserveProject.containerName("web", replica: 1, now.resolution),
                ObserveProject.containerName("web", replica: 2, now.resolution),
                ObserveProject.containerName("worker", replica: 1, now.resolution),
            ])
            #expect(names.allSatisfy { $0.hasPrefix("\(project.name)-dev-") })

            #expect(now.drift.map { "\($0.kind.rawValue) \($0.resource)" } == [
                "config-missing config:app-env",
                "missing container:web-1",
                "missing container:web-2",
                "missing container:worker-1",
                "migration-pending migration:1",
                "migration-pending migration:2",
                "migration-pending migration:3",
            ])
            #expect(now.drift.first?.detail == "no file at \(target)")
            // Observing wrote nothing: no SQLite file, no config folder.
            #expect(!FileManager.default.fileExists(atPath: project.path("state")))
        }
    }

    @Test("after a converge nothing drifts and the plan is empty")
    func converged() async throws {
        try await LiveProject.with { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let now = try await look(project, engine: engine)
            #expect(now.drift == [])
            #expect(now.plan.lines == [])
            #expect(now.plan.isEmpty && now.plan.problems.isEmpty)

            #expect(now.observed.containers.map(\.name) == [
                ObserveProject.containerName("web", replica: 1, now.resolution),
                ObserveProject.containerName("web", replica: 2, now.resolution),
                ObserveProject.containerName("worker", replica: 1, now.resolution),
            ])
            #expect(now.observed.containers.allSatisfy { $0.isRunning })
            #expect(now.observed.containers.map(\.health) == [.healthy, .healthy, .unknown])
            #expect(now.observed.containers.allSatisfy { Set($0.labels.keys).allSatisfy { $0.hasPrefix("berth.") } })
            let web = try container("web", 1, in: now.observed)
            #expect(web.image == ObserveProject.webImage)
            #expect(web.specHash == now.resolution.desired.specs["web"]?.hash)
            #expect(web.labels[BerthLabel.project] == project.name && web.labels[BerthLabel.environment] == "dev")
            let config = try #require(now.observed.configs.first)
            #expect(config.sha256 == now.resolution.desired.configHashes["app-env"] && config.mode == 0o640)
            #expect(now.observed.migrations?.map(\.version) == ["1", "2", "3"])
            #expect(now.observed.migrations?.allSatisfy(\.success) == true)
        }
    }

    @Test("a container stopped by hand drifts as stopped and is started again")
    func stoppedByHand() async throws {
        try await LiveProject.with { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let before = try await look(project, engine: engine)
            let web1 = try container("web", 1, in: before.observed)
            try await engine.stopContainer(id: web1.id, timeoutSeconds: 2)

            let now = try await look(project, engine: engine)
            #expect(now.drift == [DriftItem(resource: "container:web-1", kind: .stopped, detail: "\(web1.name) is exited")])
            #expect(now.plan.lines == ["start container:web-1: container web-1 is exited"])
            #expect(now.plan.actions.first?.target == .container(id: web1.id, name: web1.name))
        }
    }

    @Test("a container removed by hand drifts as missing and is created again")
    func removedByHand() async throws {
        try await LiveProject.with { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let before = try await look(project, engine: engine)
            try await engine.removeContainer(id: try container("web", 2, in: before.observed).id, force: true)

            let now = try await look(project, engine: engine)
            #expect(now.drift == [DriftItem(resource: "container:web-2", kind: .missing, detail: "no container for web replica 2")])
            #expect(steps(now.plan) == ["create container:web-2", "wait-healthy container:web-2"])
            #expect(now.plan.lines.first == "create container:web-2: container web-2 is missing")
            #expect(now.plan.actions.first?.blueprintName == ObserveProject.containerName("web", replica: 2, now.resolution))
        }
    }

    @Test("a container replaced by hand with another image drifts as changed and is replaced")
    func replacedByHand() async throws {
        try await LiveProject.with { project, engine in
            let resolution = try project.resolve()
            try await World.converge(resolution, engine: engine)
            let before = try await look(project, engine: engine)
            let web1 = try container("web", 1, in: before.observed)
            try await engine.removeContainer(id: web1.id, force: true)
            let web = try #require(resolution.desired.environment.service(named: "web"))
            var spec = ObserveProject.spec(for: web, replica: 1, resolution: resolution)
            spec.image = ObserveProject.otherWebImage
            let id = try await engine.createContainer(name: web1.name, spec: spec)
            try await engine.startContainer(id: id)

            let now = try await look(project, engine: engine)
            #expect(now.drift == [
                DriftItem(
                    resource: "container:web-1", kind: .changed,
                    detail: "\(web1.name) differs from the desired spec: image (running \(ObserveProject.otherWebImage))"
                ),
            ])
            let cause = "image changed \(ObserveProject.otherWebImage) -> \(ObserveProject.webImage)"
            // web is `recreate`: the hand-made container stops first, the desired one comes under a name of its own
            // and passes its health check, and only then is the hand-made one removed.
            #expect(steps(now.plan) == [
                "stop container:web-1", "create container:web-1", "wait-healthy container:web-1", "remove container:web-1",
            ])
            let create = try #require(now.plan.actions.first { $0.kind == .create })
            #expect(create.cause == cause)
            #expect(now.plan.actions.first?.target == .container(id: id, name: web1.name))
            #expect(now.plan.actions.last?.target == .container(id: id, name: web1.name))
            #expect(create.blueprintName == web1.name + "-2")
            #expect(create.changes.first == FieldChange(field: "image", before: ObserveProject.otherWebImage, after: ObserveProject.webImage))
            #expect(now.plan.summary == Plan.Summary(update: 1))
        }
    }

    @Test("an image written as a short name converges, though the engine reports it fully qualified")
    func shortImageName() async throws {
        let shortName = "berth-example-web:1.0.0"
        try await LiveProject.with(webImage: shortName) { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let now = try await look(project, engine: engine)
            // Podman resolves the short name to the local image and lists it under its full name.
            #expect(try container("web", 1, in: now.observed).image == ObserveProject.webImage)
            #expect(now.drift == [])
            #expect(now.plan.lines == [])

            // Another image under the same labels is still a change.
            let web2 = try container("web", 2, in: now.observed)
            try await engine.removeContainer(id: web2.id, force: true)
            let web = try #require(now.resolution.desired.environment.service(named: "web"))
            var spec = ObserveProject.spec(for: web, replica: 2, resolution: now.resolution)
            spec.image = ObserveProject.otherWebImage
            _ = try await engine.createContainer(name: web2.name, spec: spec)
            let replaced = try await look(project, engine: engine)
            #expect(replaced.drift.map(\.kind) == [.changed])
            #expect(
                replaced.plan.actions.first { $0.kind == .create }?.cause
                    == "image changed \(ObserveProject.otherWebImage) -> \(shortName)"
            )
        }
    }

    @Test("an image pinned by digest converges, though the engine lists it under its tag")
    func digestPinnedImage() async throws {
        let pinned = try await World.repoDigest(of: ObserveProject.webImage, engine: LiveProject.engine())
        #expect(pinned.hasPrefix("localhost/berth-example-web@sha256:"))
        try await LiveProject.with(webImage: pinned) { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let now = try await look(project, engine: engine)
            #expect(try container("web", 1, in: now.observed).image == ObserveProject.webImage)
            #expect(now.drift == [])
            #expect(now.plan.lines == [])
        }
    }

    @Test("a config file edited on the host is written back first, then its containers are replaced; a deleted one is missing")
    func configEditedAndDeleted() async throws {
        try await LiveProject.with { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let target = project.path("state/configs/app.env")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("DEBUG=1\n".utf8))
            try handle.close()

            let edited = try await look(project, engine: engine)
            #expect(edited.drift == [
                DriftItem(resource: "config:app-env", kind: .configEdited, detail: "\(target): content differs from the desired"),
            ])
            let rewritten = "config app-env rewritten"
            #expect(edited.plan.lines.first == "write-config config:app-env: config app-env content changed")
            #expect(steps(edited.plan).dropFirst() == [
                "stop container:web-1", "create container:web-1", "wait-healthy container:web-1", "remove container:web-1",
                "stop container:web-2", "create container:web-2", "wait-healthy container:web-2", "remove container:web-2",
                "stop container:worker-1", "create container:worker-1", "remove container:worker-1",
            ])
            #expect(edited.plan.actions.filter { $0.kind == .create }.allSatisfy { $0.cause == rewritten })
            // The diff shows the line added by hand going away.
            // A line nobody's template wrote is masked whole: it could be anything, a secret too.
            #expect(edited.plan.actions[0].diff.filter { $0.hasPrefix("+") || $0.hasPrefix("-") } == ["-(sensitive)"])

            try FileManager.default.removeItem(atPath: target)
            let deleted = try await look(project, engine: engine)
            #expect(deleted.drift == [DriftItem(resource: "config:app-env", kind: .configMissing, detail: "no file at \(target)")])
            #expect(deleted.plan.lines.first == "write-config config:app-env: config app-env is missing at \(target)")
            #expect(deleted.plan.actions.filter { $0.kind == .create }.allSatisfy { $0.cause == rewritten })
            #expect(deleted.plan.actions.count == 12)
        }
    }

    @Test("a migration edited after it was applied is a checksum drift and a plan problem, never run again")
    func migrationEditedAfterApply() async throws {
        try await LiveProject.with { project, engine in
            let before = try project.resolve()
            try await World.converge(before, engine: engine)
            try project.write(
                "environments/migrations/V2__create_customers.sql",
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n"
            )

            let now = try await look(project, engine: engine)
            let recorded = try #require(before.desired.migrationChecksums["2"])
            let actual = try #require(now.resolution.desired.migrationChecksums["2"])
            #expect(recorded != actual)
            #expect(now.drift == [
                DriftItem(
                    resource: "migration:2", kind: .migrationChecksum,
                    detail: "the file changed after it was applied (checksum \(recorded.prefix(12)) recorded, \(actual.prefix(12)) now)"
                ),
            ])
            #expect(now.plan.problems.count == 1)
            #expect(now.plan.problems.first?.hasPrefix("migration 2 (V2__create_customers.sql) changed after it was applied") == true)
            #expect(!now.plan.actions.contains { $0.kind == .migrate })
            #expect(now.plan.lines == [])
        }
    }

    @Test("a container with the environment's labels but an unknown service, or a replica too many, is unexpected and removed")
    func unexpectedContainers() async throws {
        try await LiveProject.with { project, engine in
            let resolution = try project.resolve()
            try await World.converge(resolution, engine: engine)
            let ghostName = "\(project.name)-dev-ghost-1"
            let ghost = try await engine.createContainer(
                name: ghostName,
                spec: ContainerSpec(
                    image: ObserveProject.webImage,
                    labels: [
                        BerthLabel.project: project.name, BerthLabel.environment: "dev", BerthLabel.service: "ghost",
                        BerthLabel.replica: "1",
                    ]
                )
            )
            try await engine.startContainer(id: ghost)
            let web = try #require(resolution.desired.environment.service(named: "web"))
            var third = ObserveProject.spec(for: web, replica: 3, resolution: resolution)
            third.ports = []
            let thirdName = ObserveProject.containerName("web", replica: 3, resolution)
            let thirdID = try await engine.createContainer(name: thirdName, spec: third)

            let now = try await look(project, engine: engine)
            #expect(now.drift == [
                DriftItem(resource: "container:\(ghostName)", kind: .unexpected, detail: "service ghost is not in the desired state"),
                DriftItem(resource: "container:\(thirdName)", kind: .unexpected, detail: "replica 3 is beyond replicas: 2"),
            ])
            #expect(now.plan.lines == [
                "remove container:\(ghostName): not desired: service ghost is not in the desired state",
                "remove container:\(thirdName): not desired: replica 3 is beyond replicas: 2",
            ])
            #expect(now.plan.actions.map(\.target) == [
                .container(id: ghost, name: ghostName), .container(id: thirdID, name: thirdName),
            ])
            #expect(now.plan.summary == Plan.Summary(delete: 2))
        }
    }

    @Test("containers without this environment's labels are never observed, reported or planned")
    func foreignContainersIgnored() async throws {
        try await LiveProject.with { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let owner = [LiveProject.ownerLabel: project.name]
            let foreign: [(String, [String: String])] = [
                ("\(project.name)-plain", [:]),
                ("\(project.name)-staging-web-1", [
                    BerthLabel.project: project.name, BerthLabel.environment: "staging", BerthLabel.service: "web", BerthLabel.replica: "1",
                ]),
                ("\(project.name)-other-project-web-1", [
                    BerthLabel.project: "other-\(project.name)", BerthLabel.environment: "dev", BerthLabel.service: "web",
                    BerthLabel.replica: "1",
                ]),
                ("\(project.name)-no-project-ghost-1", [BerthLabel.environment: "dev", BerthLabel.service: "ghost"]),
            ]
            for (name, labels) in foreign {
                let id = try await engine.createContainer(
                    name: name, spec: ContainerSpec(image: ObserveProject.webImage, labels: labels.merging(owner) { a, _ in a })
                )
                try await engine.startContainer(id: id)
            }
            // They are there, in the same engine ...
            #expect(try await engine.listContainers(labels: owner).count == foreign.count)

            // ... and Berth does not see them.
            let now = try await look(project, engine: engine)
            #expect(now.observed.containers.count == 3)
            #expect(!now.observed.containers.contains { $0.name.hasPrefix("\(project.name)-plain") || $0.name.contains("staging") || $0.name.contains("other") || $0.name.contains("no-project") })
            #expect(now.drift == [])
            #expect(now.plan.isEmpty)
        }
    }

    @Test("an HTTP health check: a replica whose url answers is healthy, one answering 404 is unhealthy and drifts")
    func httpHealth() async throws {
        try await LiveProject.with(withAdmin: true) { project, engine in
            try await World.converge(try project.resolve(), engine: engine)
            let now = try await look(project, engine: engine)
            #expect(try container("web", 1, in: now.observed).health == .healthy)
            #expect(try container("web", 2, in: now.observed).health == .healthy)
            let admin = try container("admin", 1, in: now.observed)
            #expect(admin.isRunning)
            #expect(admin.health == .unhealthy)
            #expect(now.drift == [DriftItem(resource: "container:admin-1", kind: .unhealthy, detail: "\(admin.name) fails its health check")])
        }
    }

    @Test("observing a converged environment of several services is ONE container list call and no other engine call")
    func oneListCall() async throws {
        try await LiveProject.with(withAdmin: true) { project, engine in
            let resolution = try project.resolve()
            try await World.converge(resolution, engine: engine)
            let counting = CountingEngine(engine)
            let observed = try await Observer(engine: counting).observe(resolution.desired, secrets: resolution.secrets)
            #expect(observed.containers.count == 4)
            #expect(await counting.calls == ["list berth.environment=dev,berth.project=\(project.name)"])
        }
    }
}
