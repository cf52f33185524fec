import Foundation
import Testing
@testable import BerthEngine
import BerthTestSupport

/// ``SocketTransport`` against small local listeners: no container engine needed.
@Suite struct SocketTransportTests {
    @Test("a request goes out with Host, Content-Length and Connection: close; a chunked answer in pieces comes back whole")
    func exchange() async throws {
        let server = try LoopbackServer(pieces: [
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n",
            "Content-Type: application/json\r\n\r\n4\r\n{\"Id",
            "\r\n6\r\n\":\"a\"}\r\n0\r\n\r\n",
        ])
        let transport = SocketTransport(endpoint: .tcp(host: "127.0.0.1", port: server.port))
        let request = HTTPRequest(method: "POST", path: "/v1.41/containers/create?name=x", body: Array("{}".utf8))
        let response = try await transport.send(request, timeout: .seconds(5))
        #expect(response.status == 201)
        #expect(response.bodyText == #"{"Id":"a"}"#)
        #expect(response.headers.value(of: "Content-Type") == "application/json")
        #expect(
            server.receivedRequest
                == "POST /v1.41/containers/create?name=x HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
    }

    @Test("a body that ends with the connection is read to the close")
    func readToClose() async throws {
        let server = try LoopbackServer(pieces: ["HTTP/1.0 200 OK\r\n\r\nfirst ", "second"])
        let response = try await SocketTransport(endpoint: .tcp(host: "localhost", port: server.port))
            .send(HTTPRequest(method: "GET", path: "/"), timeout: .seconds(5))
        #expect(response.bodyText == "first second")
    }

    @Test("an answer that is not HTTP is a malformed response naming the endpoint")
    func notHTTP() async throws {
        let server = try LoopbackServer(pieces: ["SSH-2.0-OpenSSH_9.2\r\n"])
        let endpoint = EngineEndpoint.tcp(host: "127.0.0.1", port: server.port)
        let error = await #expect(throws: EngineError.self) {
            try await SocketTransport(endpoint: endpoint).send(HTTPRequest(method: "GET", path: "/"), timeout: .seconds(5))
        }
        #expect(error?.code == .malformedResponse)
        #expect(error?.description.hasPrefix("the engine at \(endpoint) sent a malformed response: malformed status line") == true)
    }

    @Test("a listener that never answers runs into the timeout, which the message gives")
    func timeout() async throws {
        let server = try LoopbackServer(serving: false)
        let endpoint = EngineEndpoint.tcp(host: "127.0.0.1", port: server.port)
        let error = await #expect(throws: EngineError.self) {
            try await SocketTransport(endpoint: endpoint).send(HTTPRequest(method: "GET", path: "/"), timeout: .milliseconds(300))
        }
        #expect(error?.code == .timeout)
        #expect(error?.description == "timed out after 300ms waiting for the engine at \(endpoint)")
    }

    @Test("cancelling the waiting task ends the exchange as cancelled")
    func cancellation() async throws {
        let server = try LoopbackServer(serving: false)
        let transport = SocketTransport(endpoint: .tcp(host: "127.0.0.1", port: server.port))
        let task = Task { try await transport.send(HTTPRequest(method: "GET", path: "/"), timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        // Cancelled, not timed out: the 30-second timeout was not waited for.
        let result = await task.result
        #expect(throws: EngineError.cancelled(endpoint: "tcp://127.0.0.1:\(server.port)")) { try result.get() }
    }

    @Test("a socket path that does not exist is unreachable, and the error names the endpoint")
    func missingSocket() async throws {
        let endpoint = try EngineEndpoint(parsing: "unix:///tmp/berth-no-such-\(UUID().uuidString.prefix(8)).sock")
        let error = await #expect(throws: EngineError.self) { try await DockerEngine(endpoint: endpoint).version() }
        #expect(error?.code == .unreachable)
        #expect(error?.description == "cannot reach the container engine at \(endpoint): No such file or directory (is it running?)")
    }

    @Test("a TCP port nothing listens on is unreachable")
    func refusedPort() async throws {
        let endpoint = EngineEndpoint.tcp(host: "127.0.0.1", port: try LoopbackServer.freePort())
        let error = await #expect(throws: EngineError.self) {
            try await DockerEngine(endpoint: endpoint, timeout: .seconds(5)).version()
        }
        #expect(error?.code == .unreachable)
        #expect(error?.description == "cannot reach the container engine at \(endpoint): Connection refused (is it running?)")
    }

    @Test("a host that does not resolve is unreachable")
    func unresolvable() async throws {
        let endpoint = EngineEndpoint.tcp(host: "no-such-host.invalid", port: 2375)
        let error = await #expect(throws: EngineError.self) {
            try await SocketTransport(endpoint: endpoint).send(HTTPRequest(method: "GET", path: "/"), timeout: .seconds(5))
        }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("cannot resolve no-such-host.invalid") == true)
    }
}
