/// The container a replica should be, as a plan carries it: everything the engine is sent, with a
/// secret only as a reference. The executor fills secret references in at the moment it sends the
/// spec, so a plan (and a saved plan) shows the whole after-state and never a secret's value.
public struct ContainerBlueprint: Hashable, Sendable, Codable {
    public var name: String
    public var service: String
    public var replica: Int
    public var image: String
    public var command: [String]?
    public var environment: [Variable]
    public var labels: [String: String]
    public var ports: [Port]
    /// `SRC:DST` or `SRC:DST:ro`.
    public var binds: [String]
    public var restart: String
    /// A health check the engine runs inside the container (an HTTP check is Berth's own: a plan step).
    public var healthcheck: CommandCheck?

    public init(
        name: String, service: String, replica: Int, image: String, command: [String]?, environment: [Variable],
        labels: [String: String], ports: [Port], binds: [String], restart: String, healthcheck: CommandCheck?
    ) {
        self.name = name
        self.service = service
        self.replica = replica
        self.image = image
        self.command = command
        self.environment = environment
        self.labels = labels
        self.ports = ports
        self.binds = binds
        self.restart = restart
        self.healthcheck = healthcheck
    }

    public struct Variable: Hashable, Sendable, Codable {
        public var name: String
        /// The literal value; nil when the value is the secret `secret`.
        public var value: String?
        public var secret: String?

        public init(name: String, value: ConfigValue) {
            self.name = name
            switch value {
            case .literal(let text): self.value = text
            case .secret(let secret): self.secret = secret
            }
        }
    }

    public struct Port: Hashable, Sendable, Codable, CustomStringConvertible {
        public var containerPort: Int
        public var `protocol`: String
        public var hostIP: String?
        /// Nil for a port the engine picks.
        public var hostPort: Int?

        public init(containerPort: Int, protocol: String, hostIP: String?, hostPort: Int?) {
            self.containerPort = containerPort
            self.protocol = `protocol`
            self.hostIP = hostIP
            self.hostPort = hostPort
        }

        /// The host side, when it is fixed.
        public var host: HostPort? { hostPort.map { HostPort(hostIP: hostIP, port: $0, protocol: `protocol`) } }

        /// `127.0.0.1:18080->80/tcp`
        public var description: String {
            let host = [hostIP, hostPort.map(String.init)].compactMap { $0 }.joined(separator: ":")
            return host.isEmpty ? "\(containerPort)/\(`protocol`)" : "\(host)->\(containerPort)/\(`protocol`)"
        }
    }

    public struct CommandCheck: Hashable, Sendable, Codable {
        public var test: [String]
        public var intervalMilliseconds: Int
        public var timeoutMilliseconds: Int
        public var retries: Int
        public var startPeriodMilliseconds: Int

        public init(test: [String], intervalMilliseconds: Int, timeoutMilliseconds: Int, retries: Int, startPeriodMilliseconds: Int) {
            self.test = test
            self.intervalMilliseconds = intervalMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
            self.retries = retries
            self.startPeriodMilliseconds = startPeriodMilliseconds
        }
    }

    /// The fixed host ports it binds.
    public var hostPorts: [HostPort] { ports.compactMap(\.host) }
}

/// An HTTP health check a plan waits on after creating a container: probed through the published
/// port, `retries` intervals after the start period, as the engine would.
public struct HealthGate: Hashable, Sendable, Codable {
    public var container: String
    public var url: String
    public var host: String
    /// The host port; nil when the engine picks it, then found by listing the container (`labels`).
    public var port: Int?
    /// The port inside the container the check is published from.
    public var containerPort: Int
    /// Labels that find the new container in one list call, when its host port is the engine's choice.
    public var labels: [String: String]
    public var path: String
    public var intervalMilliseconds: Int
    public var timeoutMilliseconds: Int
    public var retries: Int
    public var startPeriodMilliseconds: Int

    public init(
        container: String, url: String, host: String, port: Int?, containerPort: Int = 80, labels: [String: String] = [:],
        path: String, intervalMilliseconds: Int, timeoutMilliseconds: Int, retries: Int, startPeriodMilliseconds: Int
    ) {
        self.container = container
        self.url = url
        self.host = host
        self.port = port
        self.containerPort = containerPort
        self.labels = labels
        self.path = path
        self.intervalMilliseconds = intervalMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retries = retries
        self.startPeriodMilliseconds = startPeriodMilliseconds
    }

    /// `port 8080`, or `the port the engine picks for 80`.
    public var portDescription: String { port.map { "port \($0)" } ?? "the port the engine picks for \(containerPort)" }

    /// How many probes at most: one per interval over the start period and `retries` intervals, at least `retries`.
    public var attempts: Int {
        let interval = max(intervalMilliseconds, 1)
        return max(retries, 1) + max(startPeriodMilliseconds, 0) / interval
    }
}
