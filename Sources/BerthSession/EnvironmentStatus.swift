public import BerthModel
public import BerthApply
public import BerthPlan

/// What runs in an environment, as `berth status` shows it: per service its containers, which of them
/// the proxy sends traffic to and with what share, and the verification of its latest release.
public struct EnvironmentStatus: Hashable, Sendable {
    public struct ContainerStatus: Hashable, Sendable {
        public var name: String
        /// The replica's number (`berth.replica`); nil on a container without it.
        public var replica: Int?
        public var image: String
        /// `sha256:...`, empty when the engine does not say.
        public var imageID: String
        public var state: String
        public var health: ObservedContainer.Health
        /// What the last HTTP health check got ("HTTP 200", "connection refused"); nil when none ran.
        public var healthResult: String?
        /// In the engine's words ("39 minutes"); nil when not running.
        public var uptime: String?
        /// For a routed replica, where the proxy reaches it.
        public var endpoint: String?
        public var ports: [HostPort]
        /// Seconds since 1970.
        public var created: Int
    }

    public struct Serving: Hashable, Sendable {
        public var slot: String
        /// The container the slot points at; nil when no container of the service listens there.
        public var container: String?
        public var image: String?
        public var endpoint: String
        public var admin: ProxyServer.Admin
        public var weight: Int
        /// Of new clients, in percent.
        public var share: Double
        public var up: Bool
    }

    public struct Verification: Hashable, Sendable {
        /// `running`, `passed`, `failed`, `not-run`.
        public var state: String
        public var stage: String
        public var detail: String
    }

    public struct ServiceStatus: Hashable, Sendable {
        public var name: String
        public var replicas: Int
        public var strategy: DeployStrategy
        public var containers: [ContainerStatus]
        /// Routed services only: the slots that take or finish traffic.
        public var serving: [Serving]
        public var verification: Verification?
    }

    public var environment: String
    /// `127.0.0.1:18000/tcp`, when the environment has a proxy.
    public var proxyListen: String?
    public var proxyRunning: Bool
    public var services: [ServiceStatus]
    /// Unexpected containers, drift and the like: the same findings as `berth drift`.
    public var drift: [DriftItem]

    /// Pure: from what was observed and the environment's latest applies (newest first).
    public static func of(desired: DesiredState, observed: ObservedState, applies: [ApplyRecord]) -> EnvironmentStatus {
        let environment = desired.environment
        let services = environment.services.map { service -> ServiceStatus in
            let containers = observed.containers.filter { $0.service == service.name }
                .sorted { ($0.replica ?? .max, $0.name) < ($1.replica ?? .max, $1.name) }
            let byEndpoint = Dictionary(containers.compactMap { c in c.endpoint.map { ($0, c) } }, uniquingKeysWith: { first, _ in first })
            let table = service.traffic == nil ? [] : (observed.proxy?.servers(of: service.name) ?? []).filter { $0.admin != .maint }
            let total = table.filter { $0.admin == .ready }.map(\.weight).reduce(0, +)
            return ServiceStatus(
                name: service.name, replicas: service.replicas, strategy: service.strategy,
                containers: containers.map {
                    ContainerStatus(
                        name: $0.name, replica: $0.replica, image: $0.image, imageID: $0.imageID, state: $0.state, health: $0.health,
                        healthResult: $0.healthResult, uptime: $0.uptime, endpoint: $0.endpoint, ports: $0.ports, created: $0.created
                    )
                },
                serving: table.map { server in
                    let container = byEndpoint[server.endpoint]
                    return Serving(
                        slot: server.name, container: container?.name, image: container?.image, endpoint: server.endpoint, admin: server.admin,
                        weight: server.weight,
                        share: server.admin == .ready && total > 0 ? Double(server.weight) * 100 / Double(total) : 0, up: server.up
                    )
                },
                verification: service.traffic == nil ? nil : verification(of: service.name, in: applies)
            )
        }
        return EnvironmentStatus(
            environment: environment.name, proxyListen: environment.proxy?.listen.description,
            proxyRunning: observed.proxy?.isRunning ?? false, services: services,
            drift: Drift.detect(desired: desired, observed: observed)
        )
    }

    /// The verification of the newest apply that had one for the service: the one running, else the last that ran.
    static func verification(of service: String, in applies: [ApplyRecord]) -> Verification? {
        for apply in applies {
            let checks = apply.actions.filter {
                $0.type == PlanAction.Kind.verify.rawValue && ($0.resource == "route:\(service)" || $0.resource.hasPrefix("route:\(service)@"))
            }
            guard !checks.isEmpty else { continue }
            let ran = checks.last { $0.status != .pending && $0.status != .skipped } ?? checks[0]
            let stage = ran.resource.split(separator: "@").dropFirst().first.map(String.init) ?? "after the switch"
            let state: String
            switch ran.status {
            case .running: state = apply.status == .running ? "running" : "interrupted"
            case .done: state = "passed"
            case .failed: state = "failed"
            case .pending, .skipped: state = "not-run"
            case .undone: state = "undone"
            }
            return Verification(state: state, stage: stage, detail: ran.detail)
        }
        return nil
    }
}

extension Pipeline {
    /// `berth status`: one observation, and the newest applies of the journal.
    public func status(_ name: String) async throws(SessionError) -> EnvironmentStatus {
        let resolution = try resolve(try load(name))
        let observed = try await observe(resolution)
        let environment = resolution.desired.environment
        var applies: [ApplyRecord] = []
        if environment.services.contains(where: { $0.traffic != nil }) {
            let (store, key) = try StateStoreAccess.open(name, context: context)
            do {
                applies = try store.history(environment: key, limit: 10)
            } catch {
                throw SessionError("cannot read the journal: \(error)")
            }
        }
        return EnvironmentStatus.of(desired: resolution.desired, observed: observed, applies: applies)
    }
}
