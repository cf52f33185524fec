import Testing
import BerthEngine

@Suite struct InMemoryEngineTests {
    let web = ContainerSpec(
        image: "localhost/web:1.0.0",
        labels: ["berth.environment": "dev", "berth.service": "web"],
        ports: [PublishedPort(containerPort: 80, hostIP: "127.0.0.1", hostPort: 8080)]
    )

    @Test("every call is recorded in order, by container name")
    func callsRecorded() async throws {
        let engine = InMemoryEngine()
        _ = try await engine.version()
        let id = try await engine.createContainer(name: "web-1", spec: web)
        try await engine.startContainer(id: id)
        _ = try await engine.listContainers(labels: ["berth.environment": "dev"])
        try await engine.stopContainer(id: id, timeoutSeconds: 2)
        try await engine.removeContainer(id: id, force: false)
        try await engine.removeContainer(id: "gone", force: false)
        #expect(await engine.calls == ["version", "create web-1", "start web-1", "list", "stop web-1", "remove web-1", "remove gone"])
    }

    @Test("containers go created -> running -> exited -> removed, as the list shows")
    func lifecycle() async throws {
        let engine = InMemoryEngine(imageLabels: ["localhost/web:1.0.0": ["org.opencontainers.image.version": "1.0.0", "berth.service": "image"]])
        let id = try await engine.createContainer(name: "web-1", spec: web)
        #expect(id.count == 64)
        var listed = try await engine.listContainers(labels: ["berth.environment": "dev"])
        #expect(listed.map(\.state) == ["created"])
        try await engine.startContainer(id: id)
        listed = try await engine.listContainers(labels: ["berth.environment": "dev"])
        let container = try #require(listed.first)
        #expect(container.id == id && container.name == "web-1" && container.state == "running" && container.image == "localhost/web:1.0.0")
        // Image labels merge in; the container's own win.
        #expect(container.labels == ["berth.environment": "dev", "berth.service": "web", "org.opencontainers.image.version": "1.0.0"])
        #expect(container.ports == [PortSummary(ip: "127.0.0.1", privatePort: 80, publicPort: 8080, type: "tcp")])
        try await engine.stopContainer(id: id, timeoutSeconds: 1)
        try await engine.stopContainer(id: id, timeoutSeconds: 1)  // already stopped: fine
        #expect(try await engine.listContainers(labels: [:]).map(\.state) == ["exited"])
        try await engine.removeContainer(id: id, force: false)
        #expect(try await engine.listContainers(labels: [:]).isEmpty)
    }

    @Test("the list keeps only containers carrying every label asked for")
    func labelFilter() async throws {
        let engine = InMemoryEngine()
        await engine.seed(name: "dev-web", spec: web)
        await engine.seed(name: "prod-web", spec: ContainerSpec(image: "x", labels: ["berth.environment": "production", "berth.service": "web"]))
        await engine.seed(name: "stray", spec: ContainerSpec(image: "x"), state: "exited")
        #expect(try await engine.listContainers(labels: ["berth.environment": "dev"]).map(\.name) == ["dev-web"])
        #expect(try await engine.listContainers(labels: ["berth.service": "web"]).map(\.name) == ["dev-web", "prod-web"])
        #expect(try await engine.listContainers(labels: ["berth.service": "web", "berth.environment": "qa"]).isEmpty)
        #expect(try await engine.listContainers(labels: [:]).count == 3)
        #expect(await engine.calls == ["list", "list", "list", "list"])  // seeding records nothing
    }

    @Test("an injected fault is thrown once, then the operation works again")
    func faultOnce() async throws {
        let engine = InMemoryEngine()
        let refused = EngineError.status(500, message: "boom", endpoint: InMemoryEngine.endpointName)
        await engine.fail(.create, with: refused)
        let error = await #expect(throws: EngineError.self) { try await engine.createContainer(name: "web-1", spec: web) }
        #expect(error == refused)
        #expect(await engine.containers.isEmpty)  // the failed call changed nothing
        _ = try await engine.createContainer(name: "web-1", spec: web)
        #expect(await engine.calls == ["create web-1", "create web-1"])
        #expect(await engine.container(named: "web-1")?.state == "created")
    }

    @Test("faults can repeat, queue up per operation, and be cleared")
    func faultTimes() async throws {
        let engine = InMemoryEngine()
        let down = EngineError.unreachable(endpoint: InMemoryEngine.endpointName, reason: "Connection refused")
        let slow = EngineError.timeout(endpoint: InMemoryEngine.endpointName, after: .seconds(30))
        await engine.fail(.list, with: down, times: 2)
        await engine.fail(.list, with: slow)
        var codes: [EngineError.Code] = []
        for _ in 0..<4 {
            do {
                _ = try await engine.listContainers(labels: [:])
            } catch {
                codes.append(error.code)
            }
        }
        #expect(codes == [.unreachable, .unreachable, .timeout])
        await engine.fail(.version, with: down, times: 5)
        await engine.clearFaults()
        _ = try await engine.version()
        _ = try await engine.listContainers(labels: [:])  // other operations were never affected
    }

    @Test("a taken name, an unknown container and removing a running one fail as Docker does")
    func engineErrors() async throws {
        let engine = InMemoryEngine()
        let id = await engine.seed(name: "web-1", spec: web)
        let conflict = await #expect(throws: EngineError.self) { try await engine.createContainer(name: "web-1", spec: web) }
        #expect(conflict?.isNameConflict == true && conflict?.status == 409)
        let unknown = await #expect(throws: EngineError.self) { try await engine.stopContainer(id: "nope", timeoutSeconds: 1) }
        #expect(unknown?.isNotFound == true)
        let running = await #expect(throws: EngineError.self) { try await engine.removeContainer(id: id, force: false) }
        #expect(running?.status == 409)
        try await engine.removeContainer(id: "web-1", force: true)  // by name, forced
        #expect(await engine.containers.isEmpty)
    }

    @Test("seeded state can change behind Berth's back")
    func setState() async throws {
        let engine = InMemoryEngine()
        await engine.seed(name: "web-1", spec: web)
        await engine.setState(ofContainerNamed: "web-1", to: "exited", status: "Exited (137) 5 seconds ago")
        let container = try #require(await engine.container(named: "web-1"))
        #expect(container.state == "exited" && container.status == "Exited (137) 5 seconds ago")
        #expect(await engine.spec(ofContainerNamed: "web-1") == web)
    }
}
