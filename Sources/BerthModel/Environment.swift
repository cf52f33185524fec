/// The desired state of one environment, after `extends` overlays, defaults and validation.
///
/// Paths are absolute. Secret values are not here: only references to where they live.
public struct Environment: Hashable, Sendable, Codable {
    /// The file name without `.yaml`: `dev`, `staging`, `production`, `dr`.
    public var name: String
    /// The `berth.project` label of every container Berth manages for this project.
    public var project: String
    /// Stricter rules apply to a production environment: no literal secrets.
    public var isProduction: Bool
    public var engine: EngineSettings
    public var state: StateSettings
    /// Services by name, in name order.
    public var services: [Service]
    public var configs: ConfigSettings
    public var database: Database?
    /// Secrets by name, in name order.
    public var secrets: [Secret]
    public var backups: BackupSettings
    /// The proxy in front of the routed services; nil without one.
    public var proxy: ProxySettings?
    /// When changes are allowed and who approves them; nil: always, by anyone.
    public var policy: DeploymentPolicy?
    /// Where releases are promoted from, with the gates they pass.
    public var promotion: PromotionSettings?
    /// What `berth parity` leaves out when this environment is compared.
    public var parity: ParitySettings?

    public init(
        name: String, project: String, isProduction: Bool = false,
        engine: EngineSettings, state: StateSettings,
        services: [Service] = [], configs: ConfigSettings, database: Database? = nil, secrets: [Secret] = [],
        backups: BackupSettings = BackupSettings(root: ""), proxy: ProxySettings? = nil, policy: DeploymentPolicy? = nil,
        promotion: PromotionSettings? = nil, parity: ParitySettings? = nil
    ) {
        self.policy = policy
        self.promotion = promotion
        self.parity = parity
        self.name = name
        self.project = project
        self.isProduction = isProduction
        self.engine = engine
        self.state = state
        self.services = services
        self.configs = configs
        self.database = database
        self.secrets = secrets
        self.backups = backups
        self.proxy = proxy
    }

    public func service(named name: String) -> Service? { services.first { $0.name == name } }
}

extension Environment {
    /// As encoded, with one allowance: a snapshot a release kept before `backups` existed has none,
    /// and reads with an empty root (the settings of the loaded environment are the ones used).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            project: try container.decode(String.self, forKey: .project),
            isProduction: try container.decode(Bool.self, forKey: .isProduction),
            engine: try container.decode(EngineSettings.self, forKey: .engine),
            state: try container.decode(StateSettings.self, forKey: .state),
            services: try container.decode([Service].self, forKey: .services),
            configs: try container.decode(ConfigSettings.self, forKey: .configs),
            database: try container.decodeIfPresent(Database.self, forKey: .database),
            secrets: try container.decode([Secret].self, forKey: .secrets),
            backups: try container.decodeIfPresent(BackupSettings.self, forKey: .backups) ?? BackupSettings(root: ""),
            proxy: try container.decodeIfPresent(ProxySettings.self, forKey: .proxy),
            policy: try container.decodeIfPresent(DeploymentPolicy.self, forKey: .policy),
            promotion: try container.decodeIfPresent(PromotionSettings.self, forKey: .promotion),
            parity: try container.decodeIfPresent(ParitySettings.self, forKey: .parity)
        )
    }
}

/// Where the Docker Engine API answers.
public struct EngineSettings: Hashable, Sendable, Codable {
    /// `unix:///path/to.sock` or `tcp://host:port`.
    public var host: String
    /// Whether `host` was written in the file or chosen by default (`DOCKER_HOST`, then known sockets).
    public var isDefault: Bool

    public init(host: String, isDefault: Bool) {
        self.host = host
        self.isDefault = isDefault
    }
}

/// Where Berth keeps its own records: journal, locks.
public struct StateSettings: Hashable, Sendable, Codable {
    public var store: DatabaseLocation

    public init(store: DatabaseLocation) {
        self.store = store
    }
}

/// A database Berth talks to.
public enum DatabaseLocation: Hashable, Sendable, Codable {
    /// An absolute path to a SQLite file.
    case sqlite(path: String)
    /// A `postgres://` URL without a password; the password comes from a secret.
    case postgres(url: String, passwordSecret: String?)
}
