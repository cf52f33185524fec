import Testing
import BerthModel
import BerthLoading
import BerthCore

/// `proxy`, and per service `route`, the routed strategies, `canary`, `verify`, `hooks` and `blue_green`.
@Suite struct TrafficTests {
    func load(_ files: [String: String], env: String = "dev") throws -> LoadResult {
        var all: [String: String] = [:]
        for (name, text) in files { all["/p/environments/" + name] = text }
        return try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: InMemoryFileSystem(files: all)).load(env)
    }

    func environment(_ files: [String: String], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Environment {
        let result = try load(files)
        #expect(result.diagnostics.isEmpty, Comment(rawValue: "\(result.diagnostics)"), sourceLocation: sourceLocation)
        return try #require(result.environment, sourceLocation: sourceLocation)
    }

    @Test("every key written: the proxy, a route, canary steps, verification, hooks, blue-green")
    func everyKey() throws {
        let env = try environment(["dev.yaml": """
            proxy:
              kind: haproxy
              listen: "[::1]:18000"
              root: /srv/shop/proxy
              ports: 30000-30099
            services:
              web:
                image: localhost/web:1.0.0
                replicas: 2
                ports: ["127.0.0.1:9100-9101:9100", 8000]
                healthcheck: { url: "http://localhost:8000/health" }
                route: { host: Shop.Example.COM, path: /shop, port: 8000, drain_timeout: 5s }
                strategy: canary
                canary:
                  steps:
                    - { weight: 5, pause: 30s }
                    - { weight: 25, pause: 1m }
                    - { weight: 100 }
                  sticky: source
                verify:
                  window: 30s
                  min_requests: 50
                  max_error_percent: 0.5
                  max_latency_ratio: 2.5
                  log_patterns: ["panic: .*", "^FATAL [0-9]+$"]
                  max_wait: 10m
                hooks:
                  before_switch: ["./scripts/check.sh --env 'dev one'", [./scripts/warm.sh, "a b"]]
                  after_switch: [./scripts/notify.sh]
              admin:
                image: localhost/admin:1.0.0
                route: { host: admin.example.com, port: 9000 }
                strategy: blue-green
                blue_green: { keep: 2h }
            """])
        #expect(env.proxy == ProxySettings(kind: .haproxy, listen: HostPort(hostIP: "::1", port: 18000), root: "/srv/shop/proxy", ports: 30000...30099))
        let web = try #require(env.service(named: "web"))
        #expect(web.strategy == .canary)
        #expect(web.traffic == Traffic(
            route: Route(host: "shop.example.com", path: "/shop", port: 8000, drainTimeout: TimeSpan(milliseconds: 5_000)),
            canary: CanarySettings(
                steps: [
                    CanaryStep(weight: 5, pause: TimeSpan(milliseconds: 30_000)),
                    CanaryStep(weight: 25, pause: TimeSpan(milliseconds: 60_000)),
                    CanaryStep(weight: 100, pause: nil),
                ],
                sticky: .source
            ),
            verify: VerifySettings(
                window: TimeSpan(milliseconds: 30_000), minRequests: 50, maxErrorPercent: 0.5, maxLatencyRatio: 2.5,
                logPatterns: ["panic: .*", "^FATAL [0-9]+$"], maxWait: TimeSpan(milliseconds: 600_000)
            ),
            hooks: SwitchHooks(
                beforeSwitch: [["./scripts/check.sh", "--env", "dev one"], ["./scripts/warm.sh", "a b"]],
                afterSwitch: [["./scripts/notify.sh"]]
            )
        ))
        let admin = try #require(env.service(named: "admin"))
        #expect(admin.strategy == .blueGreen)
        #expect(admin.traffic?.blueGreen == BlueGreenSettings(keep: TimeSpan(milliseconds: 7_200_000)))
        let layout = try #require(ProxyLayout.of(env))
        #expect(layout.backends.map(\.name) == ["admin", "web"])
        #expect(layout.backends.last?.checkPath == "/health")
    }

    @Test("defaults: the proxy's root under .berth/proxy/ENV and ports 20000-29999; a route to /, 30s of drain; rolling")
    func defaults() throws {
        let env = try environment(["dev.yaml": """
            proxy: { listen: 127.0.0.1:18000 }
            services:
              web: { image: localhost/web:1.0.0, route: { port: 8000 } }
              worker: { image: localhost/worker:1.0.0 }
            """])
        #expect(env.proxy == ProxySettings(kind: .haproxy, listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p/.berth/proxy/dev"))
        #expect(env.proxy?.ports == 20000...29999)
        let web = try #require(env.service(named: "web"))
        #expect(web.strategy == .rolling)
        #expect(web.traffic == Traffic(route: Route(port: 8000)))
        #expect(web.traffic?.route == Route(host: nil, path: "/", port: 8000, drainTimeout: TimeSpan(milliseconds: 30_000)))
        #expect(web.traffic?.verify.maxWait == TimeSpan(milliseconds: 300_000))
        #expect(web.traffic?.canary.steps == CanarySettings.defaultSteps)
        #expect(web.traffic?.blueGreen.keep == TimeSpan(milliseconds: 600_000))
        let worker = try #require(env.service(named: "worker"))
        #expect(worker.strategy == .recreate && worker.traffic == nil)
    }

    @Test("a window alone sets the longest wait to five times it")
    func maxWaitFollowsWindow() throws {
        let env = try environment(["dev.yaml": """
            proxy: { listen: 127.0.0.1:18000 }
            services:
              web: { image: localhost/web:1.0.0, route: { port: 8000 }, verify: { window: 2m } }
            """])
        #expect(env.service(named: "web")?.traffic?.verify.maxWait == TimeSpan(milliseconds: 600_000))
    }

    @Test("on a routed service start-first is rolling and recreate stays; elsewhere strategies stay as written")
    func routedStrategies() throws {
        let env = try environment(["dev.yaml": """
            proxy: { listen: 0.0.0.0:80 }
            services:
              a: { image: localhost/a:1, route: { port: 80, path: /a }, strategy: start-first }
              b: { image: localhost/b:1, route: { port: 80, path: /b }, strategy: recreate }
              c: { image: localhost/c:1, route: { port: 80, path: /c }, strategy: canary }
              d: { image: localhost/d:1, replicas: 2, strategy: start-first }
            """])
        #expect(env.services.map(\.strategy) == [.rolling, .recreate, .canary, .startFirst])
    }

    @Test("a base declares the proxy and routes; an overlay makes one service a canary and keeps the rest")
    func overlay() throws {
        let base = """
            proxy:
              listen: 127.0.0.1:18000
            services:
              web:
                image: localhost/web:1.0.0
                route: { port: 8000 }
                verify: { window: 30s, min_requests: 5 }
              api:
                image: localhost/api:1.0.0
                route: { port: 9000, path: /api }
            """
        let env = try environment(["base.yaml": base, "dev.yaml": """
            extends: base
            proxy:
              ports: 21000-21999
            services:
              web:
                strategy: canary
                canary: { steps: [{ weight: 50, pause: 10s }, { weight: 100 }] }
                verify: { min_requests: 10 }
            """])
        #expect(env.proxy?.listen == HostPort(hostIP: "127.0.0.1", port: 18000))
        #expect(env.proxy?.ports == 21000...21999)
        let web = try #require(env.service(named: "web"))
        #expect(web.strategy == .canary)
        #expect(web.traffic?.canary.steps.map(\.weight) == [50, 100])
        #expect(web.traffic?.verify.window == TimeSpan(milliseconds: 30_000))
        #expect(web.traffic?.verify.minRequests == 10)
        #expect(env.service(named: "api")?.strategy == .rolling)

        // A null that removes the route leaves a plain service, which a routed strategy no longer fits.
        let unrouted = try load(["base.yaml": base, "dev.yaml": "extends: base\nservices:\n  api:\n    route: null\n    strategy: blue-green\n"])
        #expect(unrouted.diagnostics.map(\.description) == [
            "environments/dev.yaml:5:15: error: services.api.strategy: blue-green moves traffic through the proxy; add route: { port: ... } with the container port the service serves on",
        ])
    }

    @Test("a health check on the route's port needs no entry in ports: the route publishes it")
    func healthcheckOnRoutePort() throws {
        let env = try environment(["dev.yaml": """
            proxy: { listen: 127.0.0.1:18000 }
            services:
              web: { image: localhost/web:1.0.0, route: { port: 8000 }, healthcheck: { url: "http://localhost:8000/up" } }
            """])
        #expect(env.service(named: "web")?.traffic?.route.port == 8000)
    }
}
