import BerthCore
import BerthModel
import BerthProxy
import BerthTestSupport
import Foundation
import Testing

@Suite struct HAProxyConfigurationTests {
    static func layout(root: String = "/srv/berth/proxy/prod", path: String = "/v1") -> ProxyLayout {
        ProxyLayout(
            environment: "prod", settings: ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: root),
            backends: [
                .init(name: "api", host: "api.example.com", path: path, slots: 4, checkPath: "/health", checkIntervalMilliseconds: 1000, sticky: .cookie),
                .init(name: "docs", host: nil, path: "/docs", slots: 2, checkPath: nil, checkIntervalMilliseconds: 2000, sticky: .source),
                .init(name: "shop", host: "shop.example.com", path: "/", slots: 2, checkPath: nil, checkIntervalMilliseconds: 1000, sticky: nil),
                .init(name: "web", host: nil, path: "/", slots: 6, checkPath: "/", checkIntervalMilliseconds: 500, sticky: nil),
            ]
        )
    }

    @Test("the whole configuration of a layout: routes most specific first, one backend per service")
    func golden() {
        #expect(HAProxyConfiguration.text(for: Self.layout()) == """
            # Written by Berth for the environment prod; the next configure replaces it.
            global
                master-worker
                pidfile /srv/berth/proxy/prod/haproxy.pid
                stats socket /srv/berth/proxy/prod/admin.sock mode 600 level admin expose-fd listeners
                server-state-file /srv/berth/proxy/prod/servers.state
                setenv BERTH_LAYOUT 042f72ec17c1fe9d18d2695fdff825d2f03c0c9d6c07e576c2006c2cca1bd61e
                maxconn 4096

            defaults
                mode http
                timeout connect 250ms
                timeout client 30s
                timeout server 30s
                timeout http-request 10s
                timeout http-keep-alive 10s
                option redispatch
                retries 3
                load-server-state-from-file global
                default-server init-addr last,none

            frontend berth.http
                bind 127.0.0.1:18000
                acl host_api hdr(host),field(1,:) -i api.example.com
                acl path_api path_beg /v1
                acl host_shop hdr(host),field(1,:) -i shop.example.com
                acl path_docs path_beg /docs
                use_backend api if host_api path_api
                use_backend shop if host_shop
                use_backend docs if path_docs
                use_backend web
                default_backend berth.no-route

            backend api
                balance roundrobin
                cookie BERTH_API insert indirect nocache dynamic
                dynamic-cookie-key 3d8c5a01304fe91b18c8f840755d4480
                option httpchk GET /health
                http-check expect status 200-399
                server-template s 1-4 127.0.0.1:1 disabled check inter 1000ms fall 2 rise 1

            backend docs
                balance source
                hash-type consistent
                server-template s 1-2 127.0.0.1:1 disabled check inter 2000ms fall 2 rise 1

            backend shop
                balance roundrobin
                server-template s 1-2 127.0.0.1:1 disabled check inter 1000ms fall 2 rise 1

            backend web
                balance roundrobin
                option httpchk GET /
                http-check expect status 200-399
                server-template s 1-6 127.0.0.1:1 disabled check inter 500ms fall 2 rise 1

            backend berth.no-route
                http-request return status 404 content-type text/plain string "no route"

            """)
    }

    @Test("listen addresses in HAProxy's syntax", arguments: [
        (HostPort(hostIP: "127.0.0.1", port: 80), "127.0.0.1:80"),
        (HostPort(hostIP: nil, port: 80), ":80"),
        (HostPort(hostIP: "0.0.0.0", port: 80), "0.0.0.0:80"),
        (HostPort(hostIP: "::1", port: 8080), "[::1]:8080"),
        (HostPort(hostIP: "::", port: 443), "[::]:443 v4v6"),
    ])
    func bindAddresses(listen: HostPort, expected: String) {
        var layout = Self.layout()
        layout.settings.listen = listen
        #expect(HAProxyConfiguration.text(for: layout).contains("\n    bind \(expected)\n"))
    }

    @Test("a value HAProxy would read specially is quoted")
    func quoting() {
        let text = HAProxyConfiguration.text(for: Self.layout(root: "/srv/my proxy", path: "/it's #1"))
        #expect(text.contains("    pidfile '/srv/my proxy/haproxy.pid'\n"))
        #expect(text.contains("    acl path_api path_beg '/it'\\''s #1'\n"))
    }

    @Test("haproxy -c accepts the configuration, quoted values included", .enabled(if: HAProxyDriver.findExecutable() != nil))
    func haproxyAccepts() async throws {
        let root = TemporaryDirectory.make(prefix: "berth-proxy-check")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = Self.layout(root: root + "/a b", path: "/it's #1")
        try FileManager.default.createDirectory(atPath: layout.settings.root, withIntermediateDirectories: true)
        let file = layout.settings.configPath
        try Data(HAProxyConfiguration.text(for: layout).utf8).write(to: URL(fileURLWithPath: file))
        let result = try await BerthProcess.run(executable: try #require(HAProxyDriver.findExecutable()), ["-c", "-f", file])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Configuration file is valid"))
    }
}
