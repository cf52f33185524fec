/// The proxy in front of an environment's routed services: which one, where it listens, and where
/// Berth keeps its files (configuration, pid file, sockets, server state).
public struct ProxySettings: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case haproxy
    }

    public var kind: Kind
    /// The address and port clients reach (`127.0.0.1:18000`, `0.0.0.0:80`).
    public var listen: HostPort
    /// Absolute: `.berth/proxy/ENV` under the project by default.
    public var root: String
    /// The loopback ports routed replicas publish on, chosen by the planner from this range.
    public var ports: ClosedRange<Int>

    public init(kind: Kind = .haproxy, listen: HostPort, root: String, ports: ClosedRange<Int> = Self.defaultPorts) {
        self.kind = kind
        self.listen = listen
        self.root = root
        self.ports = ports
    }

    public static let defaultPorts = 20000...29999

    /// The runtime API's socket (admin level, mode 0600).
    public var adminSocket: String { root + "/admin.sock" }
    public var configPath: String { root + "/haproxy.cfg" }
    public var pidFile: String { root + "/haproxy.pid" }
    /// Where the server table is saved before a reload, so that the new process starts from it.
    public var serverStateFile: String { root + "/servers.state" }
}

/// How the proxy reaches a service: requests for `host` (any host when nil) whose path begins with
/// `path` go to the replicas' `port`.
public struct Route: Hashable, Sendable, Codable {
    public var host: String?
    /// Begins with `/`; `/` matches every path.
    public var path: String
    /// The container port the replicas listen on.
    public var port: Int
    /// How long a draining server's open sessions are awaited before its container is stopped.
    public var drainTimeout: TimeSpan

    public init(host: String? = nil, path: String = "/", port: Int, drainTimeout: TimeSpan = Self.defaultDrainTimeout) {
        self.host = host
        self.path = path
        self.port = port
        self.drainTimeout = drainTimeout
    }

    public static let defaultDrainTimeout = TimeSpan(milliseconds: 30_000)
}

/// A canary release: traffic moves to the new version in steps, with analysis at each.
public struct CanarySettings: Hashable, Sendable, Codable {
    public enum Stickiness: String, Hashable, Sendable, Codable, CaseIterable {
        /// A cookie the proxy sets keeps a client on the version it first reached.
        case cookie
        /// The client's address chooses the version.
        case source
    }

    /// In order; the weights grow, and the last is 100.
    public var steps: [CanaryStep]
    public var sticky: Stickiness

    public init(steps: [CanaryStep], sticky: Stickiness = .cookie) {
        self.steps = steps
        self.sticky = sticky
    }

    /// 10% for a minute, 50% for a minute, then all.
    public static let defaultSteps = [
        CanaryStep(weight: 10, pause: TimeSpan(milliseconds: 60_000)),
        CanaryStep(weight: 50, pause: TimeSpan(milliseconds: 60_000)),
        CanaryStep(weight: 100, pause: nil),
    ]
}

public struct CanaryStep: Hashable, Sendable, Codable {
    /// The percentage of new clients the new version gets, 1 to 100.
    public var weight: Int
    /// How long the step is analysed before the next; nil for the last.
    public var pause: TimeSpan?

    public init(weight: Int, pause: TimeSpan?) {
        self.weight = weight
        self.pause = pause
    }
}

/// What is checked after traffic moves, and how long.
public struct VerifySettings: Hashable, Sendable, Codable {
    public var window: TimeSpan
    /// Fewer requests than this to the new version is inconclusive, never a pass.
    public var minRequests: Int
    /// The share of 5xx responses (percent) above which the new version fails.
    public var maxErrorPercent: Double
    /// The new version fails when its mean response time is more than this many times the old one's
    /// (and at least `latencySlack` more).
    public var maxLatencyRatio: Double
    public var latencySlack: TimeSpan
    /// Regular expressions (POSIX extended) a new container's log must not match.
    public var logPatterns: [String]
    /// How long a canary step that is inconclusive waits for requests before the release fails.
    public var maxWait: TimeSpan

    public init(
        window: TimeSpan = Self.defaultWindow, minRequests: Int = 20, maxErrorPercent: Double = 1,
        maxLatencyRatio: Double = 3, latencySlack: TimeSpan = TimeSpan(milliseconds: 100), logPatterns: [String] = [],
        maxWait: TimeSpan? = nil
    ) {
        self.window = window
        self.minRequests = minRequests
        self.maxErrorPercent = maxErrorPercent
        self.maxLatencyRatio = maxLatencyRatio
        self.latencySlack = latencySlack
        self.logPatterns = logPatterns
        self.maxWait = maxWait ?? TimeSpan(milliseconds: window.milliseconds * 5)
    }

    public static let defaultWindow = TimeSpan(milliseconds: 60_000)
}

/// Commands run on the host around the switch, with the release's facts in `BERTH_*` variables.
public struct SwitchHooks: Hashable, Sendable, Codable {
    /// Each an argument vector; a failure stops the release before traffic moves.
    public var beforeSwitch: [[String]]
    /// Each an argument vector; a failure is reported, traffic stays on the new version.
    public var afterSwitch: [[String]]

    public init(beforeSwitch: [[String]] = [], afterSwitch: [[String]] = []) {
        self.beforeSwitch = beforeSwitch
        self.afterSwitch = afterSwitch
    }

    public var isEmpty: Bool { beforeSwitch.isEmpty && afterSwitch.isEmpty }
}

/// A blue-green release keeps the old set, out of rotation, for `keep`: a rollback within it is a switch back.
public struct BlueGreenSettings: Hashable, Sendable, Codable {
    public var keep: TimeSpan

    public init(keep: TimeSpan = Self.defaultKeep) {
        self.keep = keep
    }

    public static let defaultKeep = TimeSpan(milliseconds: 600_000)
}

/// What a routed service adds to its service: route, strategy settings, verification, hooks.
public struct Traffic: Hashable, Sendable, Codable {
    public var route: Route
    public var canary: CanarySettings
    public var verify: VerifySettings
    public var hooks: SwitchHooks
    public var blueGreen: BlueGreenSettings

    public init(
        route: Route, canary: CanarySettings = CanarySettings(steps: CanarySettings.defaultSteps),
        verify: VerifySettings = VerifySettings(), hooks: SwitchHooks = SwitchHooks(), blueGreen: BlueGreenSettings = BlueGreenSettings()
    ) {
        self.route = route
        self.canary = canary
        self.verify = verify
        self.hooks = hooks
        self.blueGreen = blueGreen
    }
}

// MARK: - Observed

/// The proxy as its runtime API reports it: whether it runs, which configuration it loaded, and every
/// server slot of every backend.
public struct ObservedProxy: Hashable, Sendable, Codable {
    /// The SHA-256 of the configuration the running process loaded; nil when no proxy runs.
    public var configSHA256: String?
    public var servers: [ProxyServer]
    /// Why the proxy could not be asked (not running is not an error: `configSHA256` is nil).
    public var unreachable: String?

    public init(configSHA256: String?, servers: [ProxyServer] = [], unreachable: String? = nil) {
        self.configSHA256 = configSHA256
        self.servers = servers
        self.unreachable = unreachable
    }

    public var isRunning: Bool { configSHA256 != nil }

    public func servers(of backend: String) -> [ProxyServer] { servers.filter { $0.backend == backend } }
}

/// One server slot of a backend.
public struct ProxyServer: Hashable, Sendable, Codable {
    public enum Admin: String, Hashable, Sendable, Codable, CaseIterable {
        /// Takes new traffic.
        case ready
        /// Finishes what it has, takes no new clients.
        case drain
        /// Out of rotation.
        case maint
    }

    public var backend: String
    /// The slot's name: `s1`, `s2`, ...
    public var name: String
    public var address: String
    public var port: Int
    public var admin: Admin
    /// Whether its health check passes (true without a check).
    public var up: Bool
    public var weight: Int

    public init(backend: String, name: String, address: String, port: Int, admin: Admin, up: Bool, weight: Int) {
        self.backend = backend
        self.name = name
        self.address = address
        self.port = port
        self.admin = admin
        self.up = up
        self.weight = weight
    }

    public var endpoint: String { "\(address):\(port)" }
}

/// A server slot as a switch sets it: where it points and how much traffic it takes.
public struct ServerSetting: Hashable, Sendable, Codable {
    public var slot: String
    /// The container it points at, for the report; nil for an empty slot.
    public var container: String?
    public var address: String
    public var port: Int
    public var admin: ProxyServer.Admin
    public var weight: Int

    public init(slot: String, container: String?, address: String, port: Int, admin: ProxyServer.Admin, weight: Int) {
        self.slot = slot
        self.container = container
        self.address = address
        self.port = port
        self.admin = admin
        self.weight = weight
    }

    public var endpoint: String { "\(address):\(port)" }
}

/// A server's counters, as the runtime API's statistics give them (cumulative since the process started).
public struct ServerCounters: Hashable, Sendable, Codable {
    public var backend: String
    public var slot: String
    /// Open sessions now.
    public var currentSessions: Int
    /// Responses by class.
    public var responses2xx: Int
    public var responses3xx: Int
    public var responses4xx: Int
    public var responses5xx: Int
    /// Responses of other classes, and requests that got none (connection errors, timeouts).
    public var otherResponses: Int
    public var connectionErrors: Int
    /// Mean response time over the last requests, milliseconds.
    public var responseTimeMilliseconds: Int
    /// The health check's state: `UP`, `DOWN`, `MAINT`, `no check`, ...
    public var status: String

    public init(
        backend: String, slot: String, currentSessions: Int = 0, responses2xx: Int = 0, responses3xx: Int = 0,
        responses4xx: Int = 0, responses5xx: Int = 0, otherResponses: Int = 0, connectionErrors: Int = 0,
        responseTimeMilliseconds: Int = 0, status: String = "UP"
    ) {
        self.backend = backend
        self.slot = slot
        self.currentSessions = currentSessions
        self.responses2xx = responses2xx
        self.responses3xx = responses3xx
        self.responses4xx = responses4xx
        self.responses5xx = responses5xx
        self.otherResponses = otherResponses
        self.connectionErrors = connectionErrors
        self.responseTimeMilliseconds = responseTimeMilliseconds
        self.status = status
    }

    public var requests: Int { responses2xx + responses3xx + responses4xx + responses5xx + otherResponses }
}

// MARK: - The proxy's layout

/// What the proxy's configuration must express for an environment: where it listens, and per routed
/// service its route, its number of server slots, its health check and its stickiness. A pure
/// function of the environment; a proxy driver turns it into its own configuration text, and a
/// change of it (a route, a listener, a replica count) is the only thing that reloads the proxy.
public struct ProxyLayout: Hashable, Sendable, Codable {
    public var environment: String
    public var settings: ProxySettings
    /// By name.
    public var backends: [Backend]

    public struct Backend: Hashable, Sendable, Codable {
        /// The service's name.
        public var name: String
        public var host: String?
        public var path: String
        /// Server slots `s1` ... `sN`: twice the replicas, so that a whole new set fits beside the old.
        public var slots: Int
        /// The HTTP path the proxy checks each server with; nil for a connection check.
        public var checkPath: String?
        public var checkIntervalMilliseconds: Int
        /// Set for a canary service: how a client stays on the version it first reached.
        public var sticky: CanarySettings.Stickiness?

        public init(
            name: String, host: String?, path: String, slots: Int, checkPath: String?, checkIntervalMilliseconds: Int,
            sticky: CanarySettings.Stickiness?
        ) {
            self.name = name
            self.host = host
            self.path = path
            self.slots = slots
            self.checkPath = checkPath
            self.checkIntervalMilliseconds = checkIntervalMilliseconds
            self.sticky = sticky
        }

        public var slotNames: [String] { Self.slotNames(count: slots) }

        /// Twice the replicas: a whole new set fits beside the old.
        public static func slots(forReplicas replicas: Int) -> Int { 2 * max(replicas, 1) }

        public static func slotNames(count: Int) -> [String] { (1...max(count, 1)).map { "s\($0)" } }
    }

    public init(environment: String, settings: ProxySettings, backends: [Backend]) {
        self.environment = environment
        self.settings = settings
        self.backends = backends
    }

    /// The layout of an environment's proxy; nil without one.
    public static func of(_ environment: Environment) -> ProxyLayout? {
        guard let settings = environment.proxy else { return nil }
        let backends = environment.services.compactMap { service -> Backend? in
            guard let traffic = service.traffic else { return nil }
            var checkPath: String?
            var interval = 1_000
            if let check = service.healthcheck, case .http(let http) = check.check, http.containerPort == traffic.route.port {
                checkPath = http.path
                interval = min(max(check.interval.milliseconds, 200), 2_000)
            }
            return Backend(
                name: service.name, host: traffic.route.host, path: traffic.route.path, slots: Backend.slots(forReplicas: service.replicas),
                checkPath: checkPath, checkIntervalMilliseconds: interval,
                sticky: service.strategy == .canary ? traffic.canary.sticky : nil
            )
        }.sorted { $0.name < $1.name }
        return ProxyLayout(environment: environment.name, settings: settings, backends: backends)
    }

    /// Identifies the layout: the running proxy reports the hash of the one it loaded.
    public var sha256: String {
        // Not the root: the same folder reached by another path (a copy of the project that links its
        // `.berth`) is the same proxy, and a proxy moved to another root is started there anew.
        var lines = ["environment=\(environment)", "kind=\(settings.kind.rawValue)", "listen=\(settings.listen)"]
        for backend in backends {
            lines.append([
                "backend=\(backend.name)", "host=\(backend.host ?? "*")", "path=\(backend.path)", "slots=\(backend.slots)",
                "check=\(backend.checkPath ?? "tcp")", "interval=\(backend.checkIntervalMilliseconds)",
                "sticky=\(backend.sticky?.rawValue ?? "none")",
            ].joined(separator: " "))
        }
        return SHA256.hex(lines.joined(separator: "\n"))
    }
}
