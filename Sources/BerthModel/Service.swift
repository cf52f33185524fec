/// A long-running container (or several replicas of it) that Berth keeps converged.
public struct Service: Hashable, Sendable, Codable {
    public var name: String
    public var image: ImageReference
    /// The command as an argument vector; nil keeps the image's own.
    public var command: [String]?
    /// Environment variables by name, in name order.
    public var environment: [EnvironmentVariable]
    public var ports: [PortMapping]
    public var volumes: [VolumeMount]
    public var configs: [ConfigMount]
    public var healthcheck: HealthCheck?
    public var dependsOn: [Dependency]
    /// The user's own labels, in name order; keys beginning with `berth.` are Berth's.
    public var labels: [Label]
    public var replicas: Int
    public var restart: RestartPolicy
    public var strategy: DeployStrategy
    /// Set for a service the proxy routes: its route, and how its releases move traffic.
    public var traffic: Traffic?

    public init(
        name: String, image: ImageReference, command: [String]? = nil,
        environment: [EnvironmentVariable] = [], ports: [PortMapping] = [], volumes: [VolumeMount] = [],
        configs: [ConfigMount] = [], healthcheck: HealthCheck? = nil, dependsOn: [Dependency] = [],
        labels: [Label] = [], replicas: Int = 1, restart: RestartPolicy = .unlessStopped,
        strategy: DeployStrategy = .recreate, traffic: Traffic? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.environment = environment
        self.ports = ports
        self.volumes = volumes
        self.configs = configs
        self.healthcheck = healthcheck
        self.dependsOn = dependsOn
        self.labels = labels
        self.replicas = replicas
        self.restart = restart
        self.strategy = strategy
        self.traffic = traffic
    }
}

public struct EnvironmentVariable: Hashable, Sendable, Codable {
    public var name: String
    public var value: ConfigValue

    public init(name: String, value: ConfigValue) {
        self.name = name
        self.value = value
    }
}

/// A value given in an environment file: written out, or a reference to a secret.
public enum ConfigValue: Hashable, Sendable, Codable {
    case literal(String)
    case secret(String)
}

public struct Label: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A config file Berth writes on the host, mounted read-only into the container.
public struct ConfigMount: Hashable, Sendable, Codable {
    /// The name of the config under `configs.files`.
    public var config: String
    /// The absolute path inside the container.
    public var target: String

    public init(config: String, target: String) {
        self.config = config
        self.target = target
    }
}

public struct Dependency: Hashable, Sendable, Codable {
    public enum Condition: String, Hashable, Sendable, Codable, CaseIterable {
        /// The dependency's containers run.
        case serviceStarted = "service_started"
        /// The dependency's health check passes.
        case serviceHealthy = "service_healthy"
        /// Every pending database migration is applied.
        case migrationsApplied = "migrations_applied"
    }

    /// The service depended on; for `migrations_applied` the key is `database` by convention.
    public var service: String
    public var condition: Condition

    public init(service: String, condition: Condition) {
        self.service = service
        self.condition = condition
    }
}

public enum RestartPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    case no
    case always
    case onFailure = "on-failure"
    case unlessStopped = "unless-stopped"
}

/// How a changed service is replaced.
public enum DeployStrategy: String, Hashable, Sendable, Codable, CaseIterable {
    /// Stop and remove the old container, then create and start the new one.
    case recreate
    /// Start the new container and wait for its health check before the old one goes.
    case startFirst = "start-first"
    /// Routed: one replica at a time, the new one health-gated beside the old, switched in the proxy,
    /// the old one drained.
    case rolling
    /// Routed: the whole new set up and healthy, then one switch; the old set kept for a while.
    case blueGreen = "blue-green"
    /// Routed: traffic moves to the new set in weighted steps, analysed at each.
    case canary

    /// Whether the strategy moves traffic through the proxy.
    public var isRouted: Bool { self == .rolling || self == .blueGreen || self == .canary }
}

public struct HealthCheck: Hashable, Sendable, Codable {
    public enum Check: Hashable, Sendable, Codable {
        /// A command run inside the container, as compose's `test`: `["CMD", ...]`, `["CMD-SHELL", "..."]`.
        case command([String])
        /// An HTTP GET of a URL as the container sees it; Berth reaches it through the port the replica publishes.
        case http(HTTPCheck)
    }

    public var check: Check
    public var interval: TimeSpan
    public var timeout: TimeSpan
    public var retries: Int
    public var startPeriod: TimeSpan

    public init(check: Check, interval: TimeSpan, timeout: TimeSpan, retries: Int, startPeriod: TimeSpan) {
        self.check = check
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }

    public static let defaultInterval = TimeSpan(milliseconds: 10_000)
    public static let defaultTimeout = TimeSpan(milliseconds: 5_000)
    public static let defaultRetries = 3
    public static let defaultStartPeriod = TimeSpan(milliseconds: 0)
}

public struct HTTPCheck: Hashable, Sendable, Codable {
    /// The URL as written.
    public var url: String
    /// The container port it names (80 when the URL names none).
    public var containerPort: Int
    /// Path and query.
    public var path: String

    public init(url: String, containerPort: Int, path: String) {
        self.url = url
        self.containerPort = containerPort
        self.path = path
    }
}
