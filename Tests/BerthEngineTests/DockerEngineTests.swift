import Testing
@testable import BerthEngine

/// ``DockerEngine`` over a scripted transport: which requests it sends, how it reads answers.
@Suite struct DockerEngineTests {
    actor ScriptedTransport: HTTPTransport {
        private(set) var requests: [HTTPRequest] = []
        private(set) var timeouts: [Duration] = []
        private var responses: [HTTPResponse]

        init(_ responses: [HTTPResponse]) {
            self.responses = responses
        }

        func send(_ request: HTTPRequest, timeout: Duration) async throws(EngineError) -> HTTPResponse {
            requests.append(request)
            timeouts.append(timeout)
            guard !responses.isEmpty else { throw .unreachable(endpoint: "script", reason: "no more responses") }
            return responses.removeFirst()
        }
    }

    static let endpoint = EngineEndpoint.unix(path: "/run/test.sock")

    static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: Array(body.utf8))
    }

    static let podmanList = """
        [{"Id":"a1e4","Names":["/dev-web-1"],"Image":"localhost/berth-example-web:1.0.0","Command":"sh","Created":1795316186,
          "Ports":[{"IP":"127.0.0.1","PrivatePort":80,"PublicPort":18931,"Type":"tcp"}],
          "Labels":{"berth.environment":"dev","org.opencontainers.image.version":"1.0.0"},"State":"running","Status":"Up 1 second",
          "Mounts":[],"Config":null},
         {"Id":"b2f5","Names":["/other"],"Image":"x","Created":1,"Ports":null,"Labels":null,"State":"exited","Status":"Exited (0) 1 hour ago"}]
        """

    @Test("the list is decoded: names lose their slash, null labels and ports become empty")
    func decodesList() async throws {
        let transport = ScriptedTransport([Self.json(200, Self.podmanList)])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport, timeout: .seconds(5))
        let containers = try await engine.listContainers(labels: ["berth.environment": "dev"])
        #expect(containers == [
            ContainerSummary(
                id: "a1e4", name: "dev-web-1", image: "localhost/berth-example-web:1.0.0", state: "running", status: "Up 1 second",
                labels: ["berth.environment": "dev", "org.opencontainers.image.version": "1.0.0"],
                ports: [PortSummary(ip: "127.0.0.1", privatePort: 80, publicPort: 18931, type: "tcp")], created: 1_795_316_186
            ),
            ContainerSummary(id: "b2f5", name: "other", image: "x", state: "exited", status: "Exited (0) 1 hour ago", created: 1),
        ])
        #expect(await transport.requests == [EngineRequests.listContainers(labels: ["berth.environment": "dev"])])
        #expect(await transport.timeouts == [.seconds(5)])
    }

    /// As Docker 24 answers: an untagged image with "<none>" names, one with null digests.
    static let dockerImages = """
        [{"Containers":-1,"Created":1700000000,"Id":"sha256:aa11","Labels":null,"ParentId":"",
          "RepoDigests":["nginx@sha256:bb22"],"RepoTags":["nginx:1.27","nginx:latest"],"SharedSize":-1,"Size":187000000},
         {"Containers":-1,"Created":1600000000,"Id":"sha256:cc33","Labels":{},"ParentId":"",
          "RepoDigests":["<none>@<none>"],"RepoTags":["<none>:<none>"],"SharedSize":-1,"Size":5},
         {"Id":"sha256:dd44","RepoDigests":null,"RepoTags":["busybox:1"],"Size":4}]
        """

    /// As Podman 4 answers: extra fields, and null tags for an image built without a name.
    static let podmanImages = """
        [{"Id":"sha256:cc97e837","ParentId":"","RepoTags":["localhost/berth-example-web:1.0.0"],
          "RepoDigests":["localhost/berth-example-web@sha256:cc23d614"],"Created":1796074166,"Size":2131193,
          "Labels":{"org.opencontainers.image.version":"1.0.0"},"Containers":0,"Names":["localhost/berth-example-web:1.0.0"],
          "Digest":"sha256:cc23d614","History":["localhost/berth-example-web:1.0.0"]},
         {"Id":"sha256:ee55","ParentId":"","RepoTags":null,"RepoDigests":null,"Created":1,"Size":1,"Containers":0}]
        """

    @Test("the image list is decoded from Docker's shape: <none> names and null digests become empty")
    func decodesDockerImages() async throws {
        let transport = ScriptedTransport([Self.json(200, Self.dockerImages)])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.listImages() == [
            ImageSummary(id: "sha256:aa11", repoTags: ["nginx:1.27", "nginx:latest"], repoDigests: ["nginx@sha256:bb22"]),
            ImageSummary(id: "sha256:cc33"),
            ImageSummary(id: "sha256:dd44", repoTags: ["busybox:1"]),
        ])
        #expect(await transport.requests == [EngineRequests.listImages()])
    }

    @Test("the image list is decoded from Podman's shape: localhost tags, null tags become empty")
    func decodesPodmanImages() async throws {
        let transport = ScriptedTransport([Self.json(200, Self.podmanImages)])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.listImages() == [
            ImageSummary(
                id: "sha256:cc97e837", repoTags: ["localhost/berth-example-web:1.0.0"],
                repoDigests: ["localhost/berth-example-web@sha256:cc23d614"]
            ),
            ImageSummary(id: "sha256:ee55"),
        ])
    }

    @Test("an image list entry without an id is a malformed response naming the image list")
    func malformedImages() async throws {
        let transport = ScriptedTransport([Self.json(200, #"[{"RepoTags":["x:1"]}]"#)])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        let error = await #expect(throws: EngineError.self) { try await engine.listImages() }
        #expect(error?.code == .malformedResponse)
        #expect(error?.description.contains("cannot read the image list: missing \"Id\" at [0]") == true, "\(String(describing: error))")
    }

    @Test("version and create read their JSON answers")
    func decodesVersionAndCreate() async throws {
        let transport = ScriptedTransport([
            Self.json(200, #"{"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","Os":"linux"}"#),
            Self.json(201, #"{"Id":"cb2ae8af","Warnings":[]}"#),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.version() == EngineVersion(version: "4.3.1", apiVersion: "1.41", minAPIVersion: "1.24"))
        #expect(try await engine.createContainer(name: "web-1", spec: ContainerSpec(image: "img")) == "cb2ae8af")
    }

    @Test("an error answer carries the engine's own message and names the endpoint")
    func statusErrors() async throws {
        let transport = ScriptedTransport([
            Self.json(404, #"{"cause":"no such container","message":"no container with name or ID \"nope\" found: no such container","response":404}"#),
            Self.json(500, #"{"cause":"that name is already in use","message":"the container name \"web-1\" is already in use by a1. You have to remove that container to be able to reuse that name: that name is already in use","response":500}"#),
            HTTPResponse(status: 502, body: Array("Bad Gateway\n".utf8)),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        let notFound = await #expect(throws: EngineError.self) { try await engine.stopContainer(id: "nope", timeoutSeconds: 1) }
        #expect(notFound?.code == .status && notFound?.status == 404 && notFound?.isNotFound == true)
        #expect(
            notFound?.description
                == #"the engine at unix:///run/test.sock answered 404: no container with name or ID "nope" found: no such container"#
        )
        let conflict = await #expect(throws: EngineError.self) { try await engine.createContainer(name: "web-1", spec: ContainerSpec(image: "i")) }
        #expect(conflict?.isNameConflict == true)
        let gateway = await #expect(throws: EngineError.self) { try await engine.version() }
        #expect(gateway?.description == "the engine at unix:///run/test.sock answered 502: Bad Gateway")
    }

    @Test("304 on start and stop and 404 on remove are fine; stop waits its timeout on top")
    func acceptedAnswers() async throws {
        let transport = ScriptedTransport([
            HTTPResponse(status: 304), HTTPResponse(status: 304), Self.json(404, #"{"message":"no such container"}"#),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport, timeout: .seconds(10))
        try await engine.startContainer(id: "a")
        try await engine.stopContainer(id: "a", timeoutSeconds: 7)
        try await engine.removeContainer(id: "a", force: true)
        #expect(await transport.timeouts == [.seconds(10), .seconds(17), .seconds(10)])
        #expect(await transport.requests.map(\.path) == ["/v1.41/containers/a/start", "/v1.41/containers/a/stop?t=7", "/v1.41/containers/a?force=1"])
    }

    @Test("an answer that is not the expected JSON is a malformed response")
    func malformed() async throws {
        let transport = ScriptedTransport([Self.json(200, "<html>"), Self.json(200, #"[{"Names":["/x"]}]"#)])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        let notJSON = await #expect(throws: EngineError.self) { try await engine.version() }
        #expect(notJSON?.code == .malformedResponse)
        #expect(notJSON?.description.hasPrefix("the engine at unix:///run/test.sock sent a malformed response: cannot read the version") == true)
        let missingID = await #expect(throws: EngineError.self) { try await engine.listContainers(labels: [:]) }
        #expect(missingID?.description.contains("missing \"Id\" at [0]") == true, "\(String(describing: missingID))")
    }

    /// Podman 4.3's answer for a running container (fields Berth does not read trimmed).
    static let podmanInspect = """
        {"Id":"410d8511","Created":"2026-12-01T02:34:48.1Z","Path":"sh","Args":["-c","sleep 30"],
         "State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,
                  "Pid":16633,"ExitCode":0,"Error":"","StartedAt":"2026-12-01T02:34:48.440015079Z",
                  "FinishedAt":"0001-01-01T00:00:00Z","Health":{"Status":"","FailingStreak":0,"Log":null}},
         "Image":"sha256:cc97e837","Name":"/web-1","RestartCount":2,"Mounts":[],"HostConfig":{"RestartPolicy":{"Name":"on-failure"}}}
        """

    @Test("inspect reads state, restart count, out-of-memory kill, exit code and start time; Podman's \"stopped\" is exited")
    func decodesInspection() async throws {
        let transport = ScriptedTransport([
            Self.json(200, Self.podmanInspect),
            Self.json(200, #"{"State":{"Status":"exited","OOMKilled":true,"ExitCode":137,"StartedAt":"2026-01-02T03:04:05Z"},"RestartCount":0}"#),
            Self.json(200, #"{"State":{"Status":"created"}}"#),
            // Podman, for a moment after the process ended.
            Self.json(200, #"{"State":{"Status":"stopped","ExitCode":3,"StartedAt":"2026-12-01T02:46:09.515084068Z"},"RestartCount":0}"#),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.inspect(id: "web-1") == ContainerInspection(
            state: "running", restartCount: 2, oomKilled: false, exitCode: 0, startedAt: "2026-12-01T02:34:48.440015079Z"
        ))
        #expect(try await engine.inspect(id: "web-2") == ContainerInspection(
            state: "exited", restartCount: 0, oomKilled: true, exitCode: 137, startedAt: "2026-01-02T03:04:05Z"
        ))
        #expect(try await engine.inspect(id: "web-3") == ContainerInspection(state: "created"))
        #expect(try await engine.inspect(id: "web-4") == ContainerInspection(
            state: "exited", exitCode: 3, startedAt: "2026-12-01T02:46:09.515084068Z"
        ))
        #expect(await transport.requests.map(\.path) == (1...4).map { "/v1.41/containers/web-\($0)/json" })
    }

    @Test("inspect of an unknown container is the engine's 404; an answer without State is malformed")
    func inspectErrors() async throws {
        let transport = ScriptedTransport([
            Self.json(404, #"{"cause":"no such container","message":"no container with name or ID \"x\" found: no such container","response":404}"#),
            Self.json(200, #"{"Id":"a","RestartCount":0}"#),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        let missing = await #expect(throws: EngineError.self) { try await engine.inspect(id: "x") }
        #expect(missing?.isNotFound == true)
        let malformed = await #expect(throws: EngineError.self) { try await engine.inspect(id: "a") }
        #expect(malformed?.code == .malformedResponse)
        #expect(malformed?.reason == "cannot read the container's state: missing \"State\"", "\(String(describing: malformed))")
    }

    /// Podman's answer to a logs request: chunked, with chunk boundaries that cut through frames.
    static func chunkedLogs(_ stream: [UInt8], chunkSize: Int, contentType: String) -> [UInt8] {
        var wire = Array("HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var index = 0
        while index < stream.count {
            let piece = stream[index..<min(index + chunkSize, stream.count)]
            wire += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
            index += piece.count
        }
        return wire + Array("0\r\n\r\n".utf8)
    }

    @Test("logs: a chunked multiplexed answer is unchunked by the parser, then demultiplexed", arguments: [1, 3, 8, 4096])
    func logsThroughParser(chunkSize: Int) async throws {
        let stream = ContainerLogsTests.frame(1, "hello\n") + ContainerLogsTests.frame(2, "oops\n") + ContainerLogsTests.frame(1, "done\n")
        let wire = Self.chunkedLogs(stream, chunkSize: chunkSize, contentType: "application/octet-stream")
        let response = try #require(try HTTPResponseParser.parse(wire, endOfStream: false))
        let transport = ScriptedTransport([response])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.logs(id: "web-1", since: 1_795_316_186) == Array("hello\noops\ndone\n".utf8))
        #expect(await transport.requests == [EngineRequests.containerLogs(id: "web-1", since: 1_795_316_186)])
    }

    @Test("logs: a TTY container's raw answer, an empty one, an unknown container and a broken stream")
    func logsAnswers() async throws {
        let tty = try #require(try HTTPResponseParser.parse(
            Self.chunkedLogs(Array("hello\r\noops\r\n".utf8), chunkSize: 5, contentType: "text/plain; charset=utf-8"), endOfStream: false
        ))
        let transport = ScriptedTransport([
            tty,
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Length", value: "0")]),
            Self.json(404, #"{"message":"no container with name or ID \"x\" found: no such container","response":404}"#),
            HTTPResponse(status: 200, body: [1, 0, 0, 0, 0, 0, 0, 9, 0x61]),
        ])
        let engine = DockerEngine(endpoint: Self.endpoint, transport: transport)
        #expect(try await engine.logs(id: "tty", since: 0) == Array("hello\r\noops\r\n".utf8))
        #expect(try await engine.logs(id: "quiet", since: 0) == [])
        let missing = await #expect(throws: EngineError.self) { try await engine.logs(id: "x", since: 0) }
        #expect(missing?.isNotFound == true)
        let broken = await #expect(throws: EngineError.self) { try await engine.logs(id: "b", since: 0) }
        #expect(broken?.code == .malformedResponse)
        #expect(broken?.reason == "cannot read the logs: the log stream ends inside a frame of 9 bytes at byte 0")
    }

    @Test("the reason is the failure in a few words, without the endpoint")
    func reasons() {
        #expect(EngineError.unreachable(endpoint: "tcp://h:1", reason: "Connection refused").reason == "Connection refused")
        #expect(EngineError.timeout(endpoint: "tcp://h:1", after: .seconds(2)).reason == "no answer within 2s")
        #expect(EngineError.status(404, message: "No such image: x", endpoint: "e").reason == "No such image: x")
        #expect(EngineError.cancelled(endpoint: "e").reason == "cancelled")
    }

    @Test("durations in messages read as people write them")
    func durations() {
        #expect(EngineError.timeout(endpoint: "e", after: .seconds(30)).description == "timed out after 30s waiting for the engine at e")
        #expect(EngineError.timeout(endpoint: "e", after: .milliseconds(250)).description == "timed out after 250ms waiting for the engine at e")
        #expect(EngineError.timeout(endpoint: "e", after: .milliseconds(1500)).description == "timed out after 1.5s waiting for the engine at e")
    }
}
