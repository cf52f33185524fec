import Foundation
import Testing
import BerthEngine
import BerthTestSupport

/// ``DockerEngine`` against the real engine named by `BERTH_ENGINE` (scripts/test.sh exports it).
/// Every container a test makes carries a run label, and is force-removed at the end, also on failure.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil, "needs BERTH_ENGINE"))
struct DockerEngineLiveTests {
    static let image = "localhost/berth-example-web:1.0.0"

    let engine: DockerEngine
    let run = "test-" + UUID().uuidString.lowercased()

    init() throws {
        let endpoint = try EngineEndpoint(parsing: ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? "")
        engine = DockerEngine(endpoint: endpoint, timeout: .seconds(30))
    }

    /// Runs `body`, then removes every container carrying this test's run label, whatever happened.
    func withCleanup(_ body: () async throws -> Void) async throws {
        var failure: (any Error)?
        do {
            try await body()
        } catch {
            failure = error
        }
        let leftovers = try await engine.listContainers(labels: ["berth.test-run": run])
        for container in leftovers {
            // A container that its restart policy is bringing back up can refuse a kill for a moment.
            var attempts = 0
            while (try? await engine.removeContainer(id: container.id, force: true)) == nil, attempts < 10 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(300))
            }
            if attempts == 10 { try await engine.removeContainer(id: container.id, force: true) }
        }
        if let failure { throw failure }
    }

    @Test("the engine answers its version and API version")
    func version() async throws {
        let version = try await engine.version()
        #expect(!version.version.isEmpty)
        #expect(version.apiVersion.hasPrefix("1."))
    }

    @Test("the image list has the example images by their localhost tags, with ids and digests")
    func listImages() async throws {
        let images = try await engine.listImages()
        let web = try #require(images.first { $0.repoTags.contains(Self.image) }, "\(images)")
        #expect(web.id.hasPrefix("sha256:"))
        #expect(web.repoDigests.allSatisfy { $0.hasPrefix("localhost/berth-example-web@sha256:") })
        #expect(images.contains { $0.repoTags.contains("localhost/berth-example-worker:1.0.0") })
        #expect(!images.contains { $0.repoTags.contains("localhost/berth-no-such-image:0") })
    }

    @Test("a labelled container through create, start, list, serve, stop and remove")
    func lifecycle() async throws {
        let port = try LoopbackServer.freePort()
        let environment = run
        try await withCleanup {
            let spec = ContainerSpec(
                image: Self.image,
                labels: ["berth.environment": environment, "berth.service": "web", "berth.test-run": run],
                ports: [PublishedPort(containerPort: 80, hostIP: "127.0.0.1", hostPort: port)]
            )
            let id = try await engine.createContainer(name: "berth-\(run)-web-1", spec: spec)
            // A container without the environment label must not show up in that environment's list.
            _ = try await engine.createContainer(
                name: "berth-\(run)-stray", spec: ContainerSpec(image: Self.image, labels: ["berth.test-run": run])
            )
            try await engine.startContainer(id: id)
            try await engine.startContainer(id: id)  // already running: fine

            let listed = try await engine.listContainers(labels: ["berth.environment": environment])
            try #require(listed.count == 1)
            let container = listed[0]
            #expect(container.id == id)
            #expect(container.name == "berth-\(run)-web-1")
            #expect(container.image == Self.image)
            #expect(container.state == "running")
            #expect(container.status.hasPrefix("Up"))
            #expect(container.labels["berth.environment"] == environment && container.labels["berth.service"] == "web")
            #expect(container.ports.contains(PortSummary(ip: "127.0.0.1", privatePort: 80, publicPort: port, type: "tcp")))
            #expect(abs(container.created - Int(Date().timeIntervalSince1970)) < 600)

            let health = try await getHealth(port: port)
            #expect(health.status == 200)
            #expect(health.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

            try await engine.stopContainer(id: id, timeoutSeconds: 2)
            try await engine.stopContainer(id: id, timeoutSeconds: 2)  // already stopped: fine
            let stopped = try await engine.listContainers(labels: ["berth.environment": environment])
            #expect(stopped.map(\.state) == ["exited"])

            try await engine.removeContainer(id: id, force: false)
            try await engine.removeContainer(id: id, force: false)  // already gone: fine
            #expect(try await engine.listContainers(labels: ["berth.environment": environment]).isEmpty)
            #expect(try await engine.listContainers(labels: ["berth.test-run": run]).map(\.name) == ["berth-\(run)-stray"])
        }
    }

    @Test("a second container with a taken name is a name conflict")
    func nameConflict() async throws {
        try await withCleanup {
            let spec = ContainerSpec(image: Self.image, labels: ["berth.test-run": run])
            _ = try await engine.createContainer(name: "berth-\(run)-dup", spec: spec)
            let error = await #expect(throws: EngineError.self) { try await engine.createContainer(name: "berth-\(run)-dup", spec: spec) }
            #expect(error?.isNameConflict == true, "\(String(describing: error))")
        }
    }

    @Test("stopping an unknown id is a 404 error; removing one is fine")
    func unknownID() async throws {
        let missing = "berth-no-such-\(run)"
        let error = await #expect(throws: EngineError.self) { try await engine.stopContainer(id: missing, timeoutSeconds: 1) }
        #expect(error?.code == .status && error?.isNotFound == true)
        #expect(error?.description.hasPrefix("the engine at \(engine.endpoint) answered 404: ") == true)
        try await engine.removeContainer(id: missing, force: true)
    }

    @Test("creating from an image that is not there is a 404 naming the image")
    func missingImage() async throws {
        try await withCleanup {
            let error = await #expect(throws: EngineError.self) {
                try await engine.createContainer(
                    name: "berth-\(run)-noimage", spec: ContainerSpec(image: "localhost/berth-no-such-image:0", labels: ["berth.test-run": run])
                )
            }
            #expect(error?.status == 404)
            #expect(error?.description.contains("localhost/berth-no-such-image:0") == true)
        }
    }

    /// Creates and starts a container of this run running `script` under `sh -c`, with `restartPolicy`.
    func runShell(_ name: String, _ script: String, restartPolicy: String = "no") async throws -> String {
        let spec = ContainerSpec(
            image: Self.image, command: ["sh", "-c", script], labels: ["berth.test-run": run], restartPolicy: restartPolicy
        )
        let id = try await engine.createContainer(name: "berth-\(run)-\(name)", spec: spec)
        try await engine.startContainer(id: id)
        return id
    }

    /// Inspects the container every 100 ms until `done` holds (or 15 s have passed: the last answer).
    func inspect(_ id: String, until done: (ContainerInspection) -> Bool) async throws -> ContainerInspection {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let inspection = try await engine.inspect(id: id)
            if done(inspection) || ContinuousClock.now > deadline { return inspection }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("logs hold stdout and stderr; a time in the future gives nothing; inspect says running, never restarted")
    func logsAndInspectRunning() async throws {
        try await withCleanup {
            let before = Int(Date().timeIntervalSince1970) - 5
            let id = try await runShell("talker", "echo hello; echo oops >&2; sleep 30")
            // The shell writes at once, but the engine may need a moment to have it in its log.
            let deadline = ContinuousClock.now + .seconds(10)
            var output = ""
            while !(output.contains("oops") && output.contains("hello")) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                output = String(decoding: try await engine.logs(id: id, since: 0), as: UTF8.self)
            }
            #expect(output == "hello\noops\n")
            #expect(try await engine.logs(id: id, since: before) == Array("hello\noops\n".utf8))
            #expect(try await engine.logs(id: id, since: Int(Date().timeIntervalSince1970) + 3600) == [])

            let inspection = try await engine.inspect(id: id)
            #expect(inspection.state == "running" && inspection.isRunning)
            #expect(inspection.restartCount == 0 && inspection.exitCode == 0 && !inspection.oomKilled)
            let year = Calendar(identifier: .gregorian).component(.year, from: Date())
            #expect(inspection.startedAt.hasPrefix("\(year)-") || inspection.startedAt.hasPrefix("\(year - 1)-"), "\(inspection)")
        }
    }

    @Test("a container whose process exits 3 is exited with exit code 3, and its output stays readable")
    func exitedContainer() async throws {
        try await withCleanup {
            let id = try await runShell("crasher", "echo bye; exit 3")
            let inspection = try await inspect(id) { $0.state != "running" && $0.state != "created" }
            #expect(inspection.state == "exited" && !inspection.isRunning, "\(inspection)")
            #expect(inspection.exitCode == 3 && inspection.restartCount == 0 && !inspection.oomKilled, "\(inspection)")
            #expect(try await engine.logs(id: id, since: 0) == Array("bye\n".utf8))
        }
    }

    @Test("a container restarted by its on-failure policy counts its restarts")
    func restartedContainer() async throws {
        try await withCleanup {
            let id = try await runShell("restarter", "echo up; sleep 0.2; exit 3", restartPolicy: "on-failure")
            let inspection = try await inspect(id) { $0.restartCount >= 1 }
            #expect(inspection.restartCount >= 1, "\(inspection)")
            #expect(String(decoding: try await engine.logs(id: id, since: 0), as: UTF8.self).hasPrefix("up\nup\n"))
        }
    }

    @Test("logs and inspect of an unknown container are the engine's 404")
    func unknownLogsAndInspect() async throws {
        let missing = "berth-no-such-\(run)"
        let logs = await #expect(throws: EngineError.self) { try await engine.logs(id: missing, since: 0) }
        #expect(logs?.isNotFound == true, "\(String(describing: logs))")
        let inspection = await #expect(throws: EngineError.self) { try await engine.inspect(id: missing) }
        #expect(inspection?.isNotFound == true, "\(String(describing: inspection))")
    }

    /// GET /health on the published port; the server may need a moment after start.
    func getHealth(port: Int) async throws -> HTTPResponse {
        let transport = SocketTransport(endpoint: .tcp(host: "127.0.0.1", port: port))
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            // Until the deadline, an error means the server is not listening yet.
            var response: HTTPResponse?
            do {
                response = try await transport.send(HTTPRequest(method: "GET", path: "/health"), timeout: .seconds(2))
            } catch {
                if ContinuousClock.now > deadline { throw error }
            }
            if let response, response.status == 200 || ContinuousClock.now > deadline { return response }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
