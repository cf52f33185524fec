import Foundation
import Testing
import BerthCore
import BerthModel
import BerthEngine
import BerthObserve
import BerthPlan
import BerthApply
import BerthSession
import BerthTestSupport

/// The apply's policy, on the in-memory engine, state store and probes (real SQLite and config files
/// in a temporary folder): no Podman needed.
@Suite struct ApplySessionTests {
    func apply(_ world: SessionWorld, _ options: ApplySession.Options = ApplySession.Options(environment: "dev")) async throws
        -> ApplySession.Outcome {
        try await ApplySession(world.context()).run(options)
    }

    func applied(_ outcome: ApplySession.Outcome, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ApplySession.Applied {
        guard case .applied(let applied) = outcome else {
            Issue.record("not applied: \(outcome)", sourceLocation: sourceLocation)
            throw SessionError("not applied")
        }
        return applied
    }

    @Test("a cold apply converges: migration, config, container gated on health; the journal has it; a second apply changes nothing")
    func coldThenNoChanges() async throws {
        let world = try SessionWorld()
        let first = try applied(try await apply(world))
        #expect(first.succeeded)
        // The migration and the config run side by side; the container after both, then its health wait.
        #expect(Set(first.report.done.prefix(2)) == ["migrate:migration:1", "write-config:config:app"])
        #expect(first.report.done.suffix(2) == ["create:container:web-1", "wait-healthy:container:web-1"])
        #expect(first.status == .succeeded)
        #expect(await world.engine.containers.map(\.state) == ["running"])
        let config = try String(contentsOfFile: world.root + "/.berth/configs/dev/app.env", encoding: .utf8)
        #expect(config == "LEVEL=info\nTOKEN=\(SessionWorld.secret)\n")

        let history = try world.store.history(environment: "shop/dev", limit: 10)
        #expect(history.map(\.status) == [.succeeded])
        #expect(history.first?.actions.allSatisfy { $0.status == .done } == true)
        // The journal keeps the plan as a versioned document, without the secret.
        let recorded = try #require(try world.store.plan(applyID: history[0].id))
        #expect(recorded.contains("\"format_version\" : \"1\""))
        #expect(!recorded.contains(SessionWorld.secret))
        // The lock is given back.
        #expect(world.store.storedLocks.isEmpty)

        await world.engine.clearCalls()
        guard case .noChanges = try await apply(world) else { Issue.record("expected no changes"); return }
        #expect(await world.engine.calls == ["list"])
    }

    @Test("a failure mid-apply undoes what can be undone and records each action's outcome")
    func failureMidApply() async throws {
        let world = try SessionWorld()
        await world.engine.fail(.start, with: .status(500, message: "OCI runtime error", endpoint: "memory"))
        let result = try applied(try await apply(world))
        #expect(!result.succeeded)
        #expect(result.report.failed.map(\.id) == ["create:container:web-1"])
        #expect(result.report.undone == ["write-config:config:app"])
        #expect(result.report.left == ["migrate:migration:1"])
        #expect(result.report.skipped == ["wait-healthy:container:web-1"])
        #expect(result.status == .failed)
        let record = try #require(try world.store.history(environment: "shop/dev", limit: 1).first)
        #expect(record.status == .failed)
        let statuses = Dictionary(uniqueKeysWithValues: record.actions.map { ($0.actionID, $0.status) })
        #expect(statuses == [
            "migrate:migration:1": .done, "write-config:config:app": .undone, "create:container:web-1": .failed,
            "wait-healthy:container:web-1": .skipped,
        ])
        #expect(record.actions.first { $0.status == .failed }?.detail.contains("OCI runtime error") == true)
        // The config file written first was taken back: there was none before.
        #expect(!FileManager.default.fileExists(atPath: world.root + "/.berth/configs/dev/app.env"))
        #expect(await world.engine.containers.isEmpty)
    }

    @Test("a saved plan is applied exactly; once the world changed it is refused as stale and nothing runs")
    func savedPlans() async throws {
        let world = try SessionWorld()
        let planned = try await Pipeline(world.context()).plan("dev")
        let text = Array(try PlanDocument(planned.plan).encoded())

        // The world changes: another apply converges it first.
        _ = try await apply(world)
        await world.engine.clearCalls()
        let error = await #expect(throws: SessionError.self) {
            try await apply(world, ApplySession.Options(environment: "dev", savedPlan: ("plan.json", text)))
        }
        #expect(error?.problems.first?.contains("the saved plan plan.json is stale") == true)
        #expect(await world.engine.calls.allSatisfy { $0 == "list" || $0 == "images" })

        // A fresh saved plan goes through.
        try world.edit("environments/dev.yaml", replacing: "LOG_LEVEL: info", with: "LOG_LEVEL: debug")
        let fresh = try await Pipeline(world.context()).plan("dev").plan
        let outcome = try applied(try await apply(
            world, ApplySession.Options(environment: "dev", savedPlan: ("plan.json", Array(try PlanDocument(fresh).encoded())))
        ))
        #expect(outcome.succeeded)
        #expect(outcome.plan.actions.map(\.id) == fresh.actions.map(\.id))
    }

    @Test("a saved plan that is not what Berth plans for the same state is refused, even with its fingerprint")
    func editedSavedPlan() async throws {
        let world = try SessionWorld()
        let planned = try await Pipeline(world.context()).plan("dev").plan
        // Someone edits the saved plan: the new container would run another image.
        var document = PlanDocument(planned)
        let index = try #require(document.actions.firstIndex { $0.target.newContainer != nil })
        document.actions[index].target.newContainer?.image = "localhost/other:6.6.6"
        let text = Array(try document.encoded())
        let error = await #expect(throws: SessionError.self) {
            try await apply(world, ApplySession.Options(environment: "dev", savedPlan: ("plan.json", text)))
        }
        #expect(error?.problems.first?.contains("is not the plan Berth makes for this state") == true)
        #expect(await world.engine.containers.isEmpty)
    }

    @Test("a lock held by a live apply elsewhere refuses at once, or after waiting, naming the holder")
    func lockHeld() async throws {
        let world = try SessionWorld()
        let other = LockOwner(user: "ada", host: "build-7", pid: 99)
        _ = try world.store.acquireLock(environment: "shop/dev", owner: other, lease: .seconds(600), now: world.clock.now)
        for timeout in [Duration.zero, .seconds(30)] {
            let error = await #expect(throws: SessionError.self) {
                try await apply(world, ApplySession.Options(environment: "dev", lockTimeout: timeout))
            }
            #expect(error?.problems.first?.contains("shop/dev is being applied by ada@build-7 (pid 99)") == true)
        }
        #expect(world.events.recorded.contains("notice waiting for ada@build-7 (pid 99)"))
        #expect(await world.engine.calls.isEmpty)
    }

    @Test("a lock whose holder on this host died is taken over, and the take-over is in the journal")
    func deadHolderTakenOver() async throws {
        let world = try SessionWorld()
        let dead = LockOwner(user: "tester", host: "test-host", pid: 777)
        _ = try world.store.acquireLock(environment: "shop/dev", owner: dead, lease: .seconds(600), now: world.clock.now)
        #expect(try applied(try await apply(world)).succeeded)
        #expect(world.events.recorded.contains("notice took over from tester@test-host (pid 777)"))
        #expect(try world.store.history(environment: "shop/dev", limit: 5).contains { $0.isForcedUnlock })
    }

    @Test("a lease that cannot be renewed stops the apply before its next action, and the journal says why")
    func leaseLost() async throws {
        let world = try SessionWorld()
        world.store.failNext(.renewLock, code: .unavailable, message: "connection reset")
        // Observation waits until the renewal has been tried, so the loss is known before the first action.
        let gated = RenewalGate(world)
        let context = world.context()
        var withGate = context
        withGate.engine = { _ in gated }
        let result = try applied(try await ApplySession(withGate).run(ApplySession.Options(environment: "dev")))
        #expect(result.report.halted?.contains("the lock of shop/dev could not be renewed") == true)
        #expect(result.report.done.isEmpty)
        #expect(result.status == .failed)
        let record = try #require(try world.store.history(environment: "shop/dev", limit: 1).first)
        #expect(record.status == .failed)
        #expect(record.actions.allSatisfy { $0.status == .skipped && $0.detail.hasPrefix("not started: the lock of shop/dev could not be renewed") })
    }

    @Test("an apply left running by a killed process is marked interrupted, and this apply converges")
    func recovery() async throws {
        let world = try SessionWorld()
        let id = try world.store.beginApply(
            environment: "shop/dev", owner: LockOwner(user: "x", host: "y", pid: 1), fingerprint: "f", plan: "{}",
            actions: [], now: world.clock.now
        )
        #expect(try applied(try await apply(world)).succeeded)
        let statuses = try world.store.history(environment: "shop/dev", limit: 5).map { ($0.id, $0.status) }
        #expect(statuses.contains { $0 == (id, .interrupted) })
        #expect(world.events.recorded.contains("notice interrupted \(id)"))
    }

    @Test("an image the engine does not have, or a taken host port, refuses the plan and changes nothing")
    func neverRemoveWhatCannotBeReplaced() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        let before = await world.engine.containers
        try world.edit("environments/dev.yaml", replacing: "image: localhost/web:1.0.0", with: "image: localhost/web:9.9.9")
        let missing = await #expect(throws: SessionError.self) { try await apply(world) }
        #expect(missing?.problems == [
            "container:web-1: the image localhost/web:9.9.9 is not in the container engine; Berth never pulls: build or load it on the engine's host first (podman load, docker load)",
        ])
        #expect(await world.engine.containers == before)

        // The image exists, but the new port is held by another process.
        await world.engine.seedImage(reference: "localhost/web:9.9.9")
        try world.edit("environments/dev.yaml", replacing: "127.0.0.1:18080:80", with: "127.0.0.1:18090:80")
        world.ports.take(HostPort(hostIP: "127.0.0.1", port: 18090))
        let taken = await #expect(throws: SessionError.self) { try await apply(world) }
        #expect(taken?.problems == ["container:web-1: host port 127.0.0.1:18090/tcp is taken by another process"])
        #expect(await world.engine.containers == before)
    }

    @Test("a replacement whose new container fails its health check leaves the old one running")
    func failedReplacementKeepsOld() async throws {
        let world = try SessionWorld()
        _ = try await apply(world)
        let old = try #require(await world.engine.containers.first)
        await world.engine.seedImage(reference: "localhost/web:1.1.0")
        try world.edit("environments/dev.yaml", replacing: "image: localhost/web:1.0.0", with: "image: localhost/web:1.1.0")
        await world.health.script("127.0.0.1:18080", [.unhealthy(status: 503)])
        let result = try applied(try await apply(world))
        #expect(result.report.failed.map(\.id) == ["wait-healthy:container:web-1"])
        #expect(result.report.undone == ["create:container:web-1", "stop:container:web-1"])
        #expect(await world.engine.containers.map(\.id) == [old.id])
        #expect(await world.engine.containers.first?.state == "running")
        #expect(world.events.recorded.contains { $0.contains("waiting for health of") && $0.hasSuffix("HTTP 503") })
    }
}

/// Lists only once the session's lease renewal has been tried.
actor RenewalGate: ContainerEngine {
    let world: SessionWorld

    init(_ world: SessionWorld) { self.world = world }

    func version() async throws(EngineError) -> EngineVersion { try await world.engine.version() }
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] {
        while !world.store.calls.contains(.renewLock) { try? await Task.sleep(for: .milliseconds(2)) }
        return try await world.engine.listContainers(labels: labels)
    }
    func listImages() async throws(EngineError) -> [ImageSummary] { try await world.engine.listImages() }
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        try await world.engine.createContainer(name: name, spec: spec)
    }
    func startContainer(id: String) async throws(EngineError) { try await world.engine.startContainer(id: id) }
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) {
        try await world.engine.stopContainer(id: id, timeoutSeconds: timeoutSeconds)
    }
    func removeContainer(id: String, force: Bool) async throws(EngineError) { try await world.engine.removeContainer(id: id, force: force) }
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { try await world.engine.logs(id: id, since: since) }
    func inspect(id: String) async throws(EngineError) -> ContainerInspection { try await world.engine.inspect(id: id) }
}
