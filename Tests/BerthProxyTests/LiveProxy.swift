import BerthCore
import BerthModel
import BerthProxy
import BerthTestSupport
import Foundation
import Glibc
import Synchronization

/// A real HAProxy for one test: a root and a listen port of its own, web servers (busybox httpd) on
/// free loopback ports, and a cleanup that stops all of them whatever the test did.
final class LiveProxy: Sendable {
    static let busybox = "/bin/busybox"
    /// Whether this machine can run the live tests.
    static let isAvailable = HAProxyDriver.findExecutable() != nil && FileManager.default.isExecutableFile(atPath: busybox)

    let root: String
    let settings: ProxySettings
    let driver: HAProxyDriver
    private let webServers = Mutex<[Process]>([])

    private init(processTimeout: Duration) throws {
        root = TemporaryDirectory.make(prefix: "berth-proxy")
        settings = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: try FreePorts.range(count: 1).lowerBound), root: root + "/proxy")
        driver = HAProxyDriver(timeout: .seconds(2), processTimeout: processTimeout)
    }

    /// Runs `body` with a proxy of its own, then stops the proxy and the web servers and removes the root.
    static func with(processTimeout: Duration = .seconds(5), _ body: (LiveProxy) async throws -> Void) async throws {
        let live = try LiveProxy(processTimeout: processTimeout)
        do {
            try await body(live)
        } catch {
            await live.close()
            throw error
        }
        await live.close()
    }

    private func close() async {
        try? await driver.stop(settings)
        for server in webServers.withLock({ $0 }) {
            // SIGKILL: the test runner's threads block SIGTERM, and a child inherits that.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    func layout(_ backends: [ProxyLayout.Backend], listen: HostPort? = nil) -> ProxyLayout {
        var settings = self.settings
        if let listen { settings.listen = listen }
        return ProxyLayout(environment: "live", settings: settings, backends: backends)
    }

    /// Starts a web server whose files are `files` (path -> text); its port, once it accepts connections.
    func webServer(_ files: [String: String]) throws -> Int {
        let port = try FreePorts.range(count: 1).lowerBound
        let folder = root + "/www-\(port)"
        for (path, text) in files {
            let file = folder + "/" + path
            try FileManager.default.createDirectory(atPath: Paths.directory(of: file), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.busybox)
        process.arguments = ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", folder]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        webServers.withLock { $0.append(process) }
        for _ in 0..<200 {
            if LoopbackHTTP.accepts(port: port) { return port }
            usleep(10_000)
        }
        throw FixtureError("busybox httpd did not listen on \(port)")
    }

    /// A GET through the proxy; nil when it got no response.
    func get(_ path: String, host: String = "localhost") -> LoopbackHTTP.Response? {
        LoopbackHTTP.get(port: settings.listen.port, path: path, host: host)
    }

    func server(_ name: String, port: Int, admin: ProxyServer.Admin, weight: Int = 100) -> ServerSetting {
        ServerSetting(slot: name, container: nil, address: "127.0.0.1", port: port, admin: admin, weight: weight)
    }
}
