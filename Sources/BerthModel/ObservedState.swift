/// The world as the probes saw it, taken once before planning. Planning reads nothing else.
public struct ObservedState: Hashable, Sendable, Codable {
    /// Every container carrying this environment's `berth.environment` label, in name order.
    public var containers: [ObservedContainer]
    /// One entry per desired config file, in name order.
    public var configs: [ObservedConfig]
    /// The migration history; nil when the environment has no database.
    public var migrations: [AppliedMigration]?
    /// Why containers were not observed, for an environment without services whose engine could not be
    /// reached; nil when they were.
    public var containersUnobserved: String?
    /// The proxy's server table; nil when the environment has no proxy.
    public var proxy: ObservedProxy?
    /// When the observation was taken, seconds since 1970: how long a blue-green release's old set has
    /// been kept is measured against it.
    public var observedAt: Int
    /// Loopback ports the planner must not choose for a routed replica: found taken by another process.
    public var unavailablePorts: Set<Int>

    public init(
        containers: [ObservedContainer] = [], configs: [ObservedConfig] = [], migrations: [AppliedMigration]? = nil,
        proxy: ObservedProxy? = nil, observedAt: Int = 0, unavailablePorts: Set<Int> = []
    ) {
        self.containers = containers
        self.configs = configs
        self.migrations = migrations
        self.proxy = proxy
        self.observedAt = observedAt
        self.unavailablePorts = unavailablePorts
    }
}

public struct ObservedContainer: Hashable, Sendable, Codable {
    public enum Health: String, Hashable, Sendable, Codable {
        /// No health check, not running, or not probed.
        case unknown
        case starting
        case healthy
        case unhealthy
    }

    public var id: String
    public var name: String
    /// The image the container runs, as the engine reports it.
    public var image: String
    /// The ID of that image (`sha256:...`); empty when the engine does not say.
    public var imageID: String
    /// The engine's state: running, exited, created, paused, ...
    public var state: String
    /// Berth's labels (`berth.*`), as the container carries them.
    public var labels: [String: String]
    public var health: Health
    /// The host ports it publishes (while it runs, its engine holds them).
    public var ports: [HostPort]
    /// Creation time, seconds since 1970 (0 when unknown).
    public var created: Int
    /// The engine's own line for it: "Up 39 minutes (healthy)", "Exited (0) 2 minutes ago"; empty when not said.
    public var status: String
    /// What the last health check got, for an HTTP check that was probed: "HTTP 200", "connection refused".
    public var healthResult: String?

    public init(
        id: String, name: String, image: String, imageID: String = "", state: String, labels: [String: String],
        health: Health = .unknown, ports: [HostPort] = [], created: Int = 0, status: String = "", healthResult: String? = nil
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.state = state
        self.labels = labels
        self.health = health
        self.ports = ports
        self.created = created
        self.status = status
        self.healthResult = healthResult
    }

    /// How long it has been up, in the engine's words ("39 minutes", "About an hour"); nil when it is not running.
    public var uptime: String? {
        guard isRunning, status.hasPrefix("Up ") else { return nil }
        var phrase = status.dropFirst(3)
        if let open = phrase.range(of: " (") { phrase = phrase[..<open.lowerBound] }
        return phrase.isEmpty ? nil : String(phrase)
    }

    public var isRunning: Bool { state == "running" }
    public var service: String? { labels[BerthLabel.service] }
    public var replica: Int? { labels[BerthLabel.replica].flatMap { Int($0) } }
    public var specHash: String? { labels[BerthLabel.specHash] }
    /// `berth.spec-parts`: the short hash of each part of the spec, so a plan can say what changed.
    public var specParts: [String: String] { ServiceSpec.parseParts(labels[BerthLabel.specParts] ?? "") }
    /// `berth.spec`: the values of the spec a plan names when they change; nil on containers made without it.
    public var recordedSpec: RecordedSpec? { labels[BerthLabel.spec].flatMap(RecordedSpec.parse) }
    /// Where a routed replica listens for the proxy.
    public var endpoint: String? { labels[BerthLabel.endpoint] }
}

public struct ObservedConfig: Hashable, Sendable, Codable {
    public var name: String
    /// Absolute path on the host.
    public var target: String
    /// SHA-256 of the file's content; nil when there is no file.
    public var sha256: String?
    /// Permission bits; nil when there is no file.
    public var mode: Int?
    /// The content with every secret value masked, for a plan's diff; nil when there is no file, or it is
    /// not UTF-8 text or too large to show.
    public var maskedContent: String?

    public init(name: String, target: String, sha256: String?, mode: Int?, maskedContent: String? = nil) {
        self.name = name
        self.target = target
        self.sha256 = sha256
        self.mode = mode
        self.maskedContent = maskedContent
    }
}

/// A row of `berth_schema_history`.
public struct AppliedMigration: Hashable, Sendable, Codable {
    public var version: String
    public var description: String
    public var checksum: String
    public var appliedAt: String
    public var success: Bool

    public init(version: String, description: String, checksum: String, appliedAt: String, success: Bool) {
        self.version = version
        self.description = description
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.success = success
    }
}

/// The labels Berth puts on the containers it manages (the contract's, and its own for replicas and spec parts).
public enum BerthLabel {
    public static let project = "berth.project"
    public static let environment = "berth.environment"
    public static let service = "berth.service"
    public static let replica = "berth.replica"
    public static let specHash = "berth.spec-hash"
    public static let specParts = "berth.spec-parts"
    public static let spec = "berth.spec"
    /// A routed replica's loopback address and port (`127.0.0.1:20001`), chosen by the planner: where the proxy sends its traffic.
    public static let endpoint = "berth.endpoint"
}
