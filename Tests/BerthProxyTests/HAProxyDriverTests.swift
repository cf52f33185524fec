import BerthCore
import BerthModel
import BerthProxy
import BerthTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// Against a real HAProxy: each test starts its own, on its own root and loopback ports, and stops it.
@Suite(.enabled(if: LiveProxy.isAvailable, "needs haproxy and busybox"))
struct HAProxyDriverTests {
    static func backend(_ name: String, host: String? = nil, path: String = "/", slots: Int = 2, checkPath: String? = nil) -> ProxyLayout.Backend {
        ProxyLayout.Backend(
            name: name, host: host, path: path, slots: slots, checkPath: checkPath, checkIntervalMilliseconds: 500, sticky: nil
        )
    }

    @Test("starts, moves traffic from s1 to s2 by drain, observes both slots and counts requests per slot")
    func switchesTraffic() async throws {
        try await LiveProxy.with { live in
            let v1 = try live.webServer(["index.html": "v1"]), v2 = try live.webServer(["index.html": "v2"])
            let layout = live.layout([Self.backend("web", checkPath: "/index.html")])
            #expect(await live.driver.observe(live.settings) == ObservedProxy(configSHA256: nil))
            try await live.driver.configure(layout)
            let started = await live.driver.observe(live.settings)
            #expect(started.configSHA256 == layout.sha256)
            #expect(started.servers.map { "\($0.name) \($0.admin) \($0.up)" } == ["s1 maint false", "s2 maint false"])
            #expect(live.get("/index.html")?.status == 503)

            try await live.driver.set(live.settings, backend: "web", servers: [live.server("s1", port: v1, admin: .ready)])
            for _ in 0..<3 { #expect(live.get("/index.html") == LoopbackHTTP.Response(status: 200, body: "v1")) }

            try await live.driver.set(live.settings, backend: "web", servers: [
                live.server("s1", port: v1, admin: .drain), live.server("s2", port: v2, admin: .ready, weight: 50),
            ])
            for _ in 0..<4 { #expect(live.get("/index.html") == LoopbackHTTP.Response(status: 200, body: "v2")) }

            let observed = await live.driver.observe(live.settings)
            #expect(observed.unreachable == nil)
            #expect(observed.servers == [
                ProxyServer(backend: "web", name: "s1", address: "127.0.0.1", port: v1, admin: .drain, up: true, weight: 100),
                ProxyServer(backend: "web", name: "s2", address: "127.0.0.1", port: v2, admin: .ready, up: true, weight: 50),
            ])
            let counters = try await live.driver.counters(live.settings, backend: "web")
            #expect(counters.map(\.slot) == ["s1", "s2"])
            #expect(counters.map(\.responses2xx) == [3, 4])
            #expect(counters.map(\.requests) == [3, 4])
            // `DRAIN 1/2` while its check has not passed twice yet.
            #expect(counters.first?.status.hasPrefix("DRAIN") == true)
            #expect(counters.last?.status.hasPrefix("UP") == true)
        }
    }

    @Test("a reload for more slots keeps the server table, and the listener answers every request meanwhile")
    func reloadKeepsServersAndListener() async throws {
        try await LiveProxy.with { live in
            let v1 = try live.webServer(["index.html": "v1"]), v2 = try live.webServer(["index.html": "v2"])
            let small = live.layout([Self.backend("web")])
            try await live.driver.configure(small)
            try await live.driver.set(live.settings, backend: "web", servers: [
                live.server("s1", port: v1, admin: .ready), live.server("s2", port: v2, admin: .drain, weight: 30),
            ])
            #expect(live.get("/") == LoopbackHTTP.Response(status: 200, body: "v1"))
            // The same layout again: no reload, so the counters (per process) are still there.
            try await live.driver.configure(small)
            #expect(try await live.driver.counters(live.settings, backend: "web").first?.responses2xx == 1)

            let load = RequestLoop(live: live)
            let loop = Task { await load.run() }
            await load.waitForRequests(20)
            let large = live.layout([Self.backend("web", slots: 4)])
            try await live.driver.configure(large)
            let after = load.answered
            await load.waitForRequests(after + 20)
            load.stop()
            let outcome = await loop.value
            #expect(outcome.failures == [], "requests that failed around the reload")
            #expect(outcome.answered >= 40)

            let observed = await live.driver.observe(live.settings)
            #expect(observed.configSHA256 == large.sha256)
            #expect(observed.servers.map { "\($0.name) \($0.endpoint) \($0.admin) \($0.weight)" } == [
                "s1 127.0.0.1:\(v1) ready 100", "s2 127.0.0.1:\(v2) drain 30", "s3 127.0.0.1:1 maint 1", "s4 127.0.0.1:1 maint 1",
            ])
        }
    }

    @Test("routes by host (any case, any port) and path, most specific first; no route answers 404")
    func routesByHostAndPath() async throws {
        try await LiveProxy.with { live in
            let api = try live.webServer(["api/index.html": "api", "index.html": "api-root"])
            let web = try live.webServer(["api/index.html": "web-api", "index.html": "web"])
            let layout = live.layout([Self.backend("api", host: "api.test", path: "/api"), Self.backend("web", host: "www.test")])
            try await live.driver.configure(layout)
            try await live.driver.set(live.settings, backend: "api", servers: [live.server("s1", port: api, admin: .ready)])
            try await live.driver.set(live.settings, backend: "web", servers: [live.server("s1", port: web, admin: .ready)])
            #expect(live.get("/api/index.html", host: "api.test")?.body == "api")
            #expect(live.get("/api/index.html", host: "API.Test:\(live.settings.listen.port)")?.body == "api")
            #expect(live.get("/api/index.html", host: "www.test")?.body == "web-api")
            #expect(live.get("/", host: "www.test")?.body == "web")
            #expect(live.get("/", host: "api.test")?.status == 404)
            #expect(live.get("/api/index.html", host: "unknown.test") == LoopbackHTTP.Response(status: 404, body: "no route"))
        }
    }

    @Test("a configuration haproxy -c rejects, or a listen address that cannot be bound, leaves the running proxy as it was")
    func refusedConfigurationLeavesTheProxy() async throws {
        try await LiveProxy.with { live in
            let v1 = try live.webServer(["index.html": "v1"])
            let layout = live.layout([Self.backend("web")])
            try await live.driver.configure(layout)
            try await live.driver.set(live.settings, backend: "web", servers: [live.server("s1", port: v1, admin: .ready)])
            let configuration = try String(contentsOfFile: live.settings.configPath, encoding: .utf8)

            let invalid = live.layout([Self.backend("web")], listen: HostPort(hostIP: "127.0.0.1", port: 70_000))
            let refusal = await #expect(throws: ProxyError.self) { try await live.driver.configure(invalid) }
            #expect(refusal?.message.contains("invalid port '70000'") == true)

            let unbindable = live.layout([Self.backend("web")], listen: HostPort(hostIP: "203.0.113.1", port: 1))
            let failure = await #expect(throws: ProxyError.self) { try await live.driver.configure(unbindable) }
            #expect(failure?.message.contains("cannot listen on 203.0.113.1:1") == true)

            #expect(try String(contentsOfFile: live.settings.configPath, encoding: .utf8) == configuration)
            let observed = await live.driver.observe(live.settings)
            #expect(observed.configSHA256 == layout.sha256)
            #expect(observed.servers.first?.admin == .ready)
            #expect(live.get("/") == LoopbackHTTP.Response(status: 200, body: "v1"))
        }
    }

    @Test("stop ends the process and removes its pid file, socket and configuration; a second stop does nothing")
    func stops() async throws {
        try await LiveProxy.with { live in
            try await live.driver.configure(live.layout([Self.backend("web")]))
            let pid = try #require(Int32(String(contentsOfFile: live.settings.pidFile, encoding: .utf8).split(separator: "\n").first ?? ""))
            try await live.driver.stop(live.settings)
            #expect(await live.driver.observe(live.settings) == ObservedProxy(configSHA256: nil))
            #expect(!FileManager.default.fileExists(atPath: live.settings.pidFile))
            #expect(!FileManager.default.fileExists(atPath: live.settings.adminSocket))
            #expect(!FileManager.default.fileExists(atPath: live.settings.configPath))
            #expect(live.get("/") == nil)
            #expect(kill(pid, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true)
            try await live.driver.stop(live.settings)
        }
    }

    @Test("set refuses a slot the backend does not have, with HAProxy's words")
    func setRefusesUnknownSlots() async throws {
        try await LiveProxy.with { live in
            try await live.driver.configure(live.layout([Self.backend("web")]))
            let error = await #expect(throws: ProxyError.self) {
                try await live.driver.set(live.settings, backend: "web", servers: [live.server("s9", port: 8080, admin: .ready)])
            }
            #expect(error?.message.contains("No such server.") == true)
        }
    }

    @Test("a socket that accepts and never answers is reported unreachable; a file that is no socket is no proxy")
    func unreachableSocket() async throws {
        let root = TemporaryDirectory.make(prefix: "berth-proxy")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let settings = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: root)
        let driver = HAProxyDriver(timeout: .milliseconds(200))

        #expect(FileManager.default.createFile(atPath: settings.adminSocket, contents: Data("not a socket".utf8)))
        #expect(await driver.observe(settings) == ObservedProxy(configSHA256: nil))
        try FileManager.default.removeItem(atPath: settings.adminSocket)

        let listener = try SilentUnixListener(path: settings.adminSocket)
        defer { listener.close() }
        let observed = await driver.observe(settings)
        #expect(observed.configSHA256 == nil)
        #expect(observed.unreachable?.contains("no answer") == true)
    }
}

/// GETs through the proxy, one after another on new connections, until stopped.
final class RequestLoop: Sendable {
    struct Outcome: Sendable {
        var answered = 0
        var failures: [String] = []
    }

    private let live: LiveProxy
    private let stopped = Atomic<Bool>(false)
    private let count = Atomic<Int>(0)

    init(live: LiveProxy) {
        self.live = live
    }

    var answered: Int { count.load(ordering: .relaxed) }

    func run() async -> Outcome {
        await Blocking.run("test-requests") { [self] in
            var outcome = Outcome()
            while !stopped.load(ordering: .relaxed) {
                let response = live.get("/")
                if response?.status != 200 { outcome.failures.append(response?.description ?? "no response") }
                outcome.answered += 1
                count.add(1, ordering: .relaxed)
            }
            return outcome
        }
    }

    func waitForRequests(_ target: Int) async {
        for _ in 0..<500 where answered < target { try? await Task.sleep(for: .milliseconds(5)) }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}

/// A unix socket that is listened on and never accepted from: a connect succeeds, an answer never comes.
struct SilentUnixListener {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else { throw FixtureError("cannot listen on \(path)") }
    }

    func close() { Glibc.close(descriptor) }
}
