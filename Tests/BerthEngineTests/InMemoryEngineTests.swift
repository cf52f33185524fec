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

    @Test("images given at init and seeded later are listed; listing is recorded and can fail")
    func images() async throws {
        let given = ImageSummary(id: "sha256:aa11", repoTags: ["localhost/web:1.0.0"], repoDigests: ["localhost/web@sha256:bb22"])
        let engine = InMemoryEngine(images: [given])
        await engine.seedImage(reference: "localhost/worker:1.0.0", id: "sha256:cc33")
        await engine.seedImage(reference: "localhost/web:latest", id: "sha256:aa11")  // a second tag on the same image
        #expect(try await engine.listImages() == [
            ImageSummary(id: "sha256:aa11", repoTags: ["localhost/web:1.0.0", "localhost/web:latest"], repoDigests: ["localhost/web@sha256:bb22"]),
            ImageSummary(id: "sha256:cc33", repoTags: ["localhost/worker:1.0.0"]),
        ])
        await engine.seedImage(reference: "localhost/web:latest")  // the tag moves to a new image
        let moved = try await engine.listImages()
        #expect(moved.count == 3)
        #expect(moved[0].repoTags == ["localhost/web:1.0.0"])
        #expect(moved[2].repoTags == ["localhost/web:latest"] && moved[2].id.hasPrefix("sha256:") && moved[2].id != "sha256:aa11")

        let down = EngineError.unreachable(endpoint: InMemoryEngine.endpointName, reason: "Connection refused")
        await engine.fail(.images, with: down)
        let error = await #expect(throws: EngineError.self) { try await engine.listImages() }
        #expect(error == down)
        #expect(await engine.calls == ["images", "images", "images"])
    }

    @Test("with images registered, creating from any other image is Docker's 404 naming it")
    func missingImage() async throws {
        let engine = InMemoryEngine()
        await engine.seedImage(reference: "localhost/web:1.0.0", id: "sha256:aa11")
        let error = await #expect(throws: EngineError.self) {
            try await engine.createContainer(name: "web-1", spec: ContainerSpec(image: "localhost/web:9.9.9"))
        }
        #expect(error?.isNotFound == true && error?.engineMessage == "No such image: localhost/web:9.9.9")
        #expect(await engine.containers.isEmpty)
        // By tag, by id and by short id all name it.
        _ = try await engine.createContainer(name: "web-1", spec: web)
        _ = try await engine.createContainer(name: "web-2", spec: ContainerSpec(image: "sha256:aa11"))
        _ = try await engine.createContainer(name: "web-3", spec: ContainerSpec(image: "aa11"))
        #expect(await engine.containers.map(\.name) == ["web-1", "web-2", "web-3"])
    }

    @Test("a reference without a tag means :latest")
    func latestTag() async throws {
        let engine = InMemoryEngine(images: [ImageSummary(id: "sha256:aa11", repoTags: ["localhost/web:latest"])])
        _ = try await engine.createContainer(name: "web-1", spec: ContainerSpec(image: "localhost/web"))
        let error = await #expect(throws: EngineError.self) {
            try await engine.createContainer(name: "web-2", spec: ContainerSpec(image: "localhost/web:1.0.0"))
        }
        #expect(error?.status == 404)
    }

    @Test("with no images registered (image labels alone do not count), any image will do")
    func noImagesAnyImage() async throws {
        let engine = InMemoryEngine(imageLabels: ["localhost/other:1": ["a": "b"]])
        _ = try await engine.createContainer(name: "web-1", spec: web)
        #expect(try await engine.listImages().isEmpty)
    }

    @Test("logs are what the test appended, from a time on, and a 404 for an unknown container")
    func logs() async throws {
        let engine = InMemoryEngine(clockStart: 1_700_000_000)
        let id = try await engine.createContainer(name: "web-1", spec: web)
        await engine.appendLog(ofContainerNamed: "web-1", "starting\n")  // at the clock: the container's creation
        await engine.appendLog(ofContainerNamed: "web-1", "listening\n", at: 1_700_000_100)
        await engine.appendLog(ofContainerNamed: "web-1", "oops\n", at: 1_700_000_200)
        #expect(try await engine.logs(id: id, since: 0) == Array("starting\nlistening\noops\n".utf8))
        #expect(try await engine.logs(id: "web-1", since: 1_700_000_100) == Array("listening\noops\n".utf8))
        #expect(try await engine.logs(id: id, since: 1_700_000_201) == [])
        let missing = await #expect(throws: EngineError.self) { try await engine.logs(id: "nope", since: 0) }
        #expect(missing?.isNotFound == true)
        #expect(await engine.calls == ["create web-1", "logs web-1", "logs web-1", "logs web-1", "logs nope"])
    }

    @Test("logs keep only the last MiB")
    func logsBounded() async throws {
        let engine = InMemoryEngine()
        let id = await engine.seed(name: "web-1", spec: web)
        let line = String(repeating: "x", count: 1023) + "\n"
        for _ in 0..<1500 { await engine.appendLog(ofContainerNamed: "web-1", line) }
        await engine.appendLog(ofContainerNamed: "web-1", "last\n")
        let output = try await engine.logs(id: id, since: 0)
        #expect(output.count == ContainerLogs.maximumBytes)
        #expect(output.suffix(5) == Array("last\n".utf8)[...])
    }

    @Test("inspect answers from the stored container: created, started, crashed, restarted, killed for memory")
    func inspect() async throws {
        let engine = InMemoryEngine(clockStart: 1_700_000_000)
        let id = try await engine.createContainer(name: "web-1", spec: web)
        #expect(try await engine.inspect(id: id) == ContainerInspection(state: "created", startedAt: InMemoryEngine.neverStarted))
        try await engine.startContainer(id: id)
        let started = try await engine.inspect(id: "web-1")
        #expect(started == ContainerInspection(state: "running", startedAt: "2023-11-14T22:13:21Z"))
        #expect(started.isRunning)

        await engine.setExited(ofContainerNamed: "web-1", exitCode: 3)
        await engine.setRestartCount(ofContainerNamed: "web-1", 4)
        #expect(try await engine.inspect(id: id) == ContainerInspection(state: "exited", restartCount: 4, exitCode: 3, startedAt: started.startedAt))
        #expect(await engine.container(named: "web-1")?.status == "Exited (3) Less than a second ago")
        await engine.setExited(ofContainerNamed: "web-1", exitCode: 137, oomKilled: true)
        #expect(try await engine.inspect(id: id).oomKilled)

        // A container seeded as running started when it was created.
        await engine.seed(name: "web-2", spec: web)
        #expect(try await engine.inspect(id: "web-2").startedAt == "2023-11-14T22:13:21Z")
        let missing = await #expect(throws: EngineError.self) { try await engine.inspect(id: "nope") }
        #expect(missing?.isNotFound == true)
    }

    @Test("logs and inspect fail when told to, after being recorded")
    func logsAndInspectFaults() async throws {
        let engine = InMemoryEngine()
        let id = await engine.seed(name: "web-1", spec: web)
        let down = EngineError.unreachable(endpoint: InMemoryEngine.endpointName, reason: "Connection refused")
        await engine.fail(.logs, with: down)
        await engine.fail(.inspect, with: down, times: 2)
        await #expect(throws: down) { try await engine.logs(id: id, since: 0) }
        #expect(try await engine.logs(id: id, since: 0) == [])
        for _ in 0..<2 { await #expect(throws: down) { try await engine.inspect(id: id) } }
        #expect(try await engine.inspect(id: id).state == "running")
        #expect(await engine.calls == ["logs web-1", "logs web-1", "inspect web-1", "inspect web-1", "inspect web-1"])
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
