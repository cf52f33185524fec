/// What the traffic actions of a plan carry: the executor only does what these say.

/// A server of a backend named in a drain or a verification: its slot, the container it points at.
public struct ServerReference: Hashable, Sendable, Codable {
    public var slot: String
    public var container: String
    public var endpoint: String

    public init(slot: String, container: String, endpoint: String) {
        self.slot = slot
        self.container = container
        self.endpoint = endpoint
    }
}

/// A change of a backend's server table, and the table it replaces (what undo puts back).
public struct TrafficSwitch: Hashable, Sendable, Codable {
    public var proxy: ProxySettings
    public var backend: String
    /// Every slot, as it is to be.
    public var servers: [ServerSetting]
    /// Every slot, as it was observed (or as the previous switch of the plan left it).
    public var previous: [ServerSetting]
    /// `10% to the new version`, `all traffic to the new version`, `repair`.
    public var summary: String

    public init(proxy: ProxySettings, backend: String, servers: [ServerSetting], previous: [ServerSetting], summary: String) {
        self.proxy = proxy
        self.backend = backend
        self.servers = servers
        self.previous = previous
        self.summary = summary
    }
}

/// Old servers in `drain`: their open sessions are awaited (bounded), then they are taken out of rotation.
public struct DrainGate: Hashable, Sendable, Codable {
    public var proxy: ProxySettings
    public var backend: String
    public var servers: [ServerReference]
    public var timeoutMilliseconds: Int
    /// The drained slots as they are left: out of rotation, their address kept.
    public var after: [ServerSetting]

    public init(proxy: ProxySettings, backend: String, servers: [ServerReference], timeoutMilliseconds: Int, after: [ServerSetting]) {
        self.proxy = proxy
        self.backend = backend
        self.servers = servers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.after = after
    }
}

/// The analysis of a new version once traffic reaches it.
public struct VerifyGate: Hashable, Sendable, Codable {
    public enum WhenInconclusive: Hashable, Sendable, Codable {
        /// Keep watching until enough requests came, up to this long in all; then the release fails.
        case wait(maxMilliseconds: Int)
        /// Send requests of Berth's own to each new server (GET of `path` with `host`), and judge those.
        case synthetic(path: String, host: String?, count: Int)
    }

    public var proxy: ProxySettings
    public var service: String
    public var backend: String
    /// `canary 10%`, `after the switch`.
    public var stage: String
    public var newServers: [ServerReference]
    public var oldServers: [ServerReference]
    public var settings: VerifySettings
    /// How long this stage is watched (the verification window, or a canary step's pause).
    public var windowMilliseconds: Int
    public var whenInconclusive: WhenInconclusive
    /// The engine's labels of the service's containers, for one list call per look.
    public var labels: [String: String]

    public init(
        proxy: ProxySettings, service: String, backend: String, stage: String, newServers: [ServerReference],
        oldServers: [ServerReference], settings: VerifySettings, windowMilliseconds: Int, whenInconclusive: WhenInconclusive,
        labels: [String: String]
    ) {
        self.proxy = proxy
        self.service = service
        self.backend = backend
        self.stage = stage
        self.newServers = newServers
        self.oldServers = oldServers
        self.settings = settings
        self.windowMilliseconds = windowMilliseconds
        self.whenInconclusive = whenInconclusive
        self.labels = labels
    }
}

/// A command run around a switch.
public struct HookRun: Hashable, Sendable, Codable {
    public enum Phase: String, Hashable, Sendable, Codable {
        case beforeSwitch = "before_switch"
        case afterSwitch = "after_switch"
    }

    public var phase: Phase
    public var argv: [String]
    /// `BERTH_ENVIRONMENT`, `BERTH_SERVICE`, `BERTH_IMAGE`, `BERTH_PREVIOUS_IMAGE`, `BERTH_STRATEGY`, ...
    public var environment: [String: String]
    public var timeoutMilliseconds: Int

    public init(phase: Phase, argv: [String], environment: [String: String], timeoutMilliseconds: Int = 60_000) {
        self.phase = phase
        self.argv = argv
        self.environment = environment
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// A failing `before_switch` hook stops the release; an `after_switch` one is reported.
    public var mustSucceed: Bool { phase == .beforeSwitch }
}
