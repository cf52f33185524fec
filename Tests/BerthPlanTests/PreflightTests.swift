import Foundation
import Testing
import BerthModel
import BerthPlan

/// The checks made before anything changes: an image the engine lacks, a host port something else holds.
@Suite struct PreflightTests {
    let before = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webPort: "127.0.0.1:8080:80"))
    let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:1.1.0", webReplicas: 1, webPort: "127.0.0.1:8080:80"))
    let images = ["localhost/web:1.0.0", "localhost/web:1.1.0", "localhost/worker:1.0.0"]

    @Test("what a plan needs: the images and the fixed host ports of the containers it creates")
    func needs() {
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let needs = Preflight.needs(plan)
        #expect(needs.images == ["localhost/web:1.1.0"])
        #expect(needs.ports == [HostPort(hostIP: "127.0.0.1", port: 8080)])
    }

    @Test("an image the engine does not have is a problem naming it and saying Berth never pulls")
    func missingImage() {
        let plan = Planner.plan(desired: after, observed: PlanFixtures.converged(before))
        let checked = Preflight(images: ["localhost/web:1.0.0"], takenPorts: []).check(plan, observed: PlanFixtures.converged(before))
        #expect(checked.problems == [
            "container:web-1: the image localhost/web:1.1.0 is not in the container engine; Berth never pulls: build or load it on the engine's host first (podman load, docker load)",
        ])
        // An engine that lists the short name fully qualified has it.
        let qualified = Preflight(images: ["docker.io/library/redis:7", "localhost/web:1.1.0"], takenPorts: [])
        #expect(qualified.check(plan, observed: PlanFixtures.converged(before)).problems.isEmpty)
    }

    @Test("a host port held by the container the plan stops first is fine; held by anything else it is a problem")
    func ports() {
        let observed = PlanFixtures.converged(before)
        let plan = Planner.plan(desired: after, observed: observed)
        let port = HostPort(hostIP: "127.0.0.1", port: 8080)
        // The old web-1 holds it, and the plan stops web-1 before creating its successor.
        #expect(Preflight(images: images, takenPorts: [port]).check(plan, observed: observed).problems.isEmpty)

        // Nothing of Berth's holds it: another process does.
        var elsewhere = observed
        elsewhere.containers[0].ports = []
        let refused = Preflight(images: images, takenPorts: [port]).check(plan, observed: elsewhere)
        #expect(refused.problems == ["container:web-1: host port 127.0.0.1:8080/tcp is taken by another process"])

        // A port taken on every address is taken on 127.0.0.1 too.
        let all = Preflight(images: images, takenPorts: [HostPort(hostIP: nil, port: 8080)]).check(plan, observed: elsewhere)
        #expect(all.problems.count == 1)
    }

    @Test("a new replica whose port a running container of another service holds is refused, naming that container")
    func heldByAnotherContainer() {
        let fresh = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1, webPort: "127.0.0.1:8080:80"))
        var observed = PlanFixtures.converged(fresh)
        observed.containers.removeAll { $0.service == "web" }
        observed.containers[0].ports = [HostPort(hostIP: "127.0.0.1", port: 8080)]
        let plan = Planner.plan(desired: fresh, observed: observed)
        let port = HostPort(hostIP: "127.0.0.1", port: 8080)
        let checked = Preflight(images: images, takenPorts: [port]).check(plan, observed: observed)
        #expect(checked.problems == [
            "container:web-1: host port 127.0.0.1:8080/tcp is taken by the container \(observed.containers[0].name), which this plan does not stop first",
        ])
    }
}

@Suite struct PlanDocumentTests {
    @Test("a plan survives its document: every action, target, undo and diff")
    func roundTrip() throws {
        let before = PlanFixtures.desired(PlanFixtures.environment(webPort: "127.0.0.1:8080-8081:80"))
        let after = PlanFixtures.desired(
            PlanFixtures.environment(webImage: "localhost/web:1.1.0", webPort: "127.0.0.1:8080-8081:80"), configHash: "d00d",
            maskedConfig: "A=2\n"
        )
        var observed = PlanFixtures.converged(before)
        observed.configs[0].maskedContent = "A=1\n"
        observed.migrations = []
        let plan = Planner.plan(desired: after, observed: observed)
        let data = try PlanDocument(plan).encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"format_version\" : \"1\""))
        #expect(text.contains("\"depends_on\""))
        #expect(try PlanDocument.decode(data).plan() == plan)
    }

    @Test("a document of another format version is refused")
    func otherVersion() throws {
        var document = PlanDocument(Planner.plan(desired: PlanFixtures.desired(), observed: ObservedState(migrations: [])))
        document.formatVersion = "9"
        #expect(throws: PlanDocumentError.self) { try document.plan() }
    }
}
