/// The desired state with what the files and secrets resolve to, as hashes only:
/// what the planner compares with the observed state. No secret value is kept here.
public struct DesiredState: Hashable, Sendable {
    public var environment: Environment
    /// Config name -> SHA-256 of the rendered content (secrets filled in).
    public var configHashes: [String: String]
    /// Migration version text -> SHA-256 of the file.
    public var migrationChecksums: [String: String]
    /// Service name -> its container spec's hashes.
    public var specs: [String: ServiceSpec]
    /// Config name -> the rendered content with every secret value replaced by `(sensitive)`, for diffs
    /// (nil for content that is not UTF-8 text).
    public var maskedConfigs: [String: String]

    public init(
        environment: Environment, configHashes: [String: String], migrationChecksums: [String: String],
        specs: [String: ServiceSpec], maskedConfigs: [String: String] = [:]
    ) {
        self.environment = environment
        self.configHashes = configHashes
        self.migrationChecksums = migrationChecksums
        self.specs = specs
        self.maskedConfigs = maskedConfigs
    }
}

/// A service's container spec reduced to hashes: one per part (image, command, environment, ...,
/// one per mounted config), and one over them all, the `berth.spec-hash` label.
public struct ServiceSpec: Hashable, Sendable {
    /// Part name -> short hash.
    public let parts: [String: String]
    public let hash: String
    /// `command=ab12...,config.app-env=cd34...,...`, keys sorted: the `berth.spec-parts` label.
    public let partsLabel: String
    /// The values a plan names when they change: the `berth.spec` label.
    public let recorded: RecordedSpec?

    /// - Parameters:
    ///   - configHashes: config name -> content hash, for the configs the service mounts.
    ///   - secretHashes: secret name -> SHA-256 of its value: secrets enter the spec only as hashes.
    public init(service: Service, configHashes: [String: String], secretHashes: [String: String]) {
        func value(_ value: ConfigValue) -> String {
            switch value {
            case .literal(let text): "=" + text
            case .secret(let name): "#" + (secretHashes[name] ?? "?")
            }
        }
        var parts: [String: String] = [
            "image": service.image.text,
            "command": service.command.map { $0.joined(separator: "\u{0}") } ?? "(image default)",
            "environment": service.environment.map { "\($0.name)\(value($0.value))" }.joined(separator: "\u{0}"),
            "ports": service.ports.map(\.description).joined(separator: ","),
            "volumes": service.volumes.map(\.description).joined(separator: ","),
            "mounts": service.configs.map { "\($0.config):\($0.target)" }.joined(separator: ","),
            "healthcheck": service.healthcheck.map(Self.describe) ?? "none",
            "labels": service.labels.map { "\($0.name)=\($0.value)" }.joined(separator: "\u{0}"),
            "restart": service.restart.rawValue,
        ]
        for mount in service.configs { parts["config." + mount.config] = configHashes[mount.config] ?? "?" }
        // Only routed services have the part: adding it to all would make every existing container look changed.
        if let route = service.traffic?.route { parts["route"] = "port \(route.port)" }
        self.init(
            parts: parts.mapValues { String(SHA256.hex($0).prefix(12)) },
            recorded: RecordedSpec(service: service, secretHashes: secretHashes)
        )
    }

    public init(parts: [String: String], recorded: RecordedSpec? = nil) {
        self.parts = parts
        self.partsLabel = Self.formatParts(parts)
        self.hash = SHA256.hex(partsLabel)
        self.recorded = recorded
    }

    static func formatParts(_ parts: [String: String]) -> String {
        parts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    public static func parseParts(_ label: String) -> [String: String] {
        var parts: [String: String] = [:]
        for item in label.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            parts[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return parts
    }

    private static func describe(_ health: HealthCheck) -> String {
        let check: String
        switch health.check {
        case .command(let words): check = words.joined(separator: "\u{0}")
        case .http(let http): check = http.url
        }
        return "\(check)|\(health.interval)|\(health.timeout)|\(health.retries)|\(health.startPeriod)"
    }
}
