/// What to create: the engine-level description of one container.
///
/// It says only what Berth asks for; the engine adds its own defaults (image labels merge into
/// `labels`, Podman echoes binds with extra options), so compare desired specs by a hash label,
/// never with what the engine reports back.
public struct ContainerSpec: Hashable, Sendable {
    /// An image reference, e.g. "localhost/berth-example-web:1.0.0". Never pulled.
    public var image: String
    /// Replaces the image's command when set.
    public var command: [String]?
    /// "NAME=value" entries.
    public var environment: [String]
    public var labels: [String: String]
    /// Published ports: become `ExposedPorts` and `HostConfig.PortBindings`.
    public var ports: [PublishedPort]
    /// "SRC:DST" or "SRC:DST:ro": become `HostConfig.Binds`.
    public var binds: [String]
    /// "no", "always", "on-failure" or "unless-stopped".
    public var restartPolicy: String
    public var healthcheck: EngineHealthcheck?

    public init(
        image: String,
        command: [String]? = nil,
        environment: [String] = [],
        labels: [String: String] = [:],
        ports: [PublishedPort] = [],
        binds: [String] = [],
        restartPolicy: String = "no",
        healthcheck: EngineHealthcheck? = nil
    ) {
        self.image = image
        self.command = command
        self.environment = environment
        self.labels = labels
        self.ports = ports
        self.binds = binds
        self.restartPolicy = restartPolicy
        self.healthcheck = healthcheck
    }
}

/// A container port published on the host.
public struct PublishedPort: Hashable, Sendable, CustomStringConvertible {
    public var containerPort: Int
    /// "tcp" or "udp".
    public var `protocol`: String
    /// The host address to bind, nil for all of them.
    public var hostIP: String?
    /// The host port, nil for one the engine picks.
    public var hostPort: Int?

    public init(containerPort: Int, protocol: String = "tcp", hostIP: String? = nil, hostPort: Int? = nil) {
        self.containerPort = containerPort
        self.protocol = `protocol`
        self.hostIP = hostIP
        self.hostPort = hostPort
    }

    /// The engine's key for the container side: "80/tcp".
    public var portKey: String { "\(containerPort)/\(`protocol`)" }

    /// "127.0.0.1:8080->80/tcp", as `docker ps` shows it.
    public var description: String {
        let host = [hostIP, hostPort.map(String.init)].compactMap { $0 }.joined(separator: ":")
        return host.isEmpty ? portKey : "\(host)->\(portKey)"
    }
}

/// A health check run by the engine inside the container.
public struct EngineHealthcheck: Hashable, Sendable {
    /// ["CMD", "arg", ...], ["CMD-SHELL", "command"] or ["NONE"].
    public var test: [String]
    public var interval: Duration
    public var timeout: Duration
    public var retries: Int
    public var startPeriod: Duration

    public init(
        test: [String],
        interval: Duration = .seconds(30),
        timeout: Duration = .seconds(30),
        retries: Int = 3,
        startPeriod: Duration = .zero
    ) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }
}
