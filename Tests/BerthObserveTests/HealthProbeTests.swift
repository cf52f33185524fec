import BerthObserve
import BerthTestSupport
import Testing

@Suite struct HealthProbeTests {
    let probe = HTTPHealthProbe()

    @Test("a 200 answer is healthy and says HTTP 200; the probe asked for the path")
    func healthy() async throws {
        let server = try LoopbackServer(pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"])
        let result = await probe.check(host: "127.0.0.1", port: server.port, path: "/health", timeout: .seconds(5))
        #expect(result == .healthy(status: 200))
        #expect(result.isHealthy && result.description == "HTTP 200")
        #expect(server.receivedRequest?.hasPrefix("GET /health HTTP/1.1\r\n") == true)
    }

    @Test("a 404 answer is unhealthy and says HTTP 404; isHealthy says false")
    func notFound() async throws {
        let server = try LoopbackServer(pieces: ["HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"])
        let result = await probe.check(host: "127.0.0.1", port: server.port, path: "/health", timeout: .seconds(5))
        #expect(result == .unhealthy(status: 404))
        #expect(!result.isHealthy && result.description == "HTTP 404")
        let again = try LoopbackServer(pieces: ["HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"])
        #expect(await probe.isHealthy(host: "127.0.0.1", port: again.port, path: "/health", timeout: .seconds(5)) == false)
    }

    @Test("a closed port is unreachable with the system's reason: connection refused")
    func refused() async throws {
        let port = try LoopbackServer.freePort()
        let result = await probe.check(host: "127.0.0.1", port: port, path: "/health", timeout: .seconds(5))
        #expect(result == .unreachable(reason: "connection refused"), "\(result)")
        #expect(result.description.contains("refused") && !result.isHealthy)
    }

    @Test("a listener that never answers is unreachable: no answer within the timeout")
    func silent() async throws {
        let server = try LoopbackServer(serving: false)
        let result = await probe.check(host: "127.0.0.1", port: server.port, path: "/health", timeout: .milliseconds(300))
        #expect(result == .unreachable(reason: "no answer within 300ms"))
    }

    @Test("the in-memory probe takes each address's results in order, repeats the last, and records every check")
    func inMemory() async {
        let probe = InMemoryHealthProbe([
            "127.0.0.1:8080": [.unreachable(reason: "connection refused"), .unhealthy(status: 503), .healthy(status: 200)],
            "127.0.0.1:8081": [.healthy(status: 204)],
        ])
        var results: [HealthCheckResult] = []
        for _ in 0..<4 {
            results.append(await probe.check(host: "127.0.0.1", port: 8080, path: "/health", timeout: .seconds(1)))
        }
        #expect(results == [
            .unreachable(reason: "connection refused"), .unhealthy(status: 503), .healthy(status: 200), .healthy(status: 200),
        ])
        #expect(await probe.isHealthy(host: "127.0.0.1", port: 8081, path: "/", timeout: .seconds(1)))
        #expect(await probe.check(host: "127.0.0.1", port: 9999, path: "/up", timeout: .seconds(1)) == .unreachable(reason: "connection refused"))
        await probe.script("127.0.0.1:9999", [.unhealthy(status: 500)])
        #expect(await probe.check(host: "127.0.0.1", port: 9999, path: "/up", timeout: .seconds(1)) == .unhealthy(status: 500))
        #expect(await probe.calls == [
            "127.0.0.1:8080/health", "127.0.0.1:8080/health", "127.0.0.1:8080/health", "127.0.0.1:8080/health",
            "127.0.0.1:8081/", "127.0.0.1:9999/up", "127.0.0.1:9999/up",
        ])
    }
}
