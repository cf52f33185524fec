import BerthModel
import BerthProxy
import Testing

@Suite struct InMemoryProxyTests {
    @Test func configureKeepsTheServerTableAndSetMovesTraffic() async throws {
        let proxy = InMemoryProxy()
        let settings = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p")
        var layout = ProxyLayout(environment: "dev", settings: settings, backends: [
            .init(name: "web", host: nil, path: "/", slots: 2, checkPath: nil, checkIntervalMilliseconds: 1000, sticky: nil),
        ])
        #expect(await proxy.observe(settings).isRunning == false)
        try await proxy.configure(layout)
        try await proxy.set(settings, backend: "web", servers: [
            ServerSetting(slot: "s1", container: "web-1", address: "127.0.0.1", port: 20000, admin: .ready, weight: 100),
        ])
        layout.backends[0].slots = 4
        try await proxy.configure(layout)
        let observed = await proxy.observe(settings)
        #expect(observed.configSHA256 == layout.sha256)
        #expect(observed.servers(of: "web").map(\.name) == ["s1", "s2", "s3", "s4"])
        #expect(observed.servers(of: "web")[0].endpoint == "127.0.0.1:20000")
        #expect(observed.servers(of: "web")[0].admin == .ready)
        #expect(proxy.snapshot.starts == 1 && proxy.snapshot.reloads == 1)
    }
}
