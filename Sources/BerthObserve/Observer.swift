public import BerthModel
public import BerthEngine

public import BerthCore
public import BerthProxy

/// Stage 2: takes one `ObservedState` before any planning. One container list call, one history
/// query, the config files hashed in parallel, then the HTTP health checks of running replicas in parallel.
public struct Observer: Sendable {
    /// Nil when there is none to ask (an environment without services and no engine reachable).
    let engine: (any ContainerEngine)?
    let configs: ConfigProbe
    let history: any MigrationHistory
    let health: any HealthProbe
    /// The proxy in front of routed services; nil observes none.
    let proxy: (any ProxyDriver)?
    let clock: any BerthClock

    public init(
        engine: (any ContainerEngine)?, fileSystem: any FileSystem = LocalFileSystem(),
        history: any MigrationHistory = SQLMigrationHistory(), health: any HealthProbe = HTTPHealthProbe(),
        proxy: (any ProxyDriver)? = nil, clock: any BerthClock = SystemClock()
    ) {
        self.proxy = proxy
        self.clock = clock
        self.engine = engine
        self.configs = ConfigProbe(fileSystem: fileSystem)
        self.history = history
        self.health = health
    }

    /// - Parameters:
    ///   - secrets: secret values by name, for the database's password only.
    ///   - mask: a config file's text with its secrets masked, kept for a plan's diff (nil keeps none).
    public func observe(
        _ desired: DesiredState, secrets: [String: String],
        mask: @escaping @Sendable (_ config: String, _ content: [UInt8]) -> String? = { _, _ in nil }
    ) async throws(ObserveError) -> ObservedState {
        let environment = desired.environment
        let labels = [BerthLabel.project: environment.project, BerthLabel.environment: environment.name]
        let engine = self.engine, history = self.history
        async let listing = Self.list(engine, labels: labels)
        async let files = configs.observe(environment.configs.files, mask: mask)
        async let applied = Self.read(history, environment.database, secrets: secrets)
        async let table = Self.observeProxy(proxy, environment.proxy)

        var summaries: [ContainerSummary] = []
        var unobserved: String?
        switch await listing {
        case .success(let list): summaries = list
        case .failure(let error) where environment.services.isEmpty:
            // Nothing to run: an engine that cannot be reached only means leftovers cannot be seen.
            unobserved = "\(error)"
        case .failure(let error): throw ObserveError("cannot list containers: \(error)")
        }
        let migrations: [AppliedMigration]?
        switch await applied {
        case .success(let rows): migrations = rows
        case .failure(let error): throw error
        }
        let containers = await observeHealth(summaries, environment: environment)
        var observed = ObservedState(
            containers: containers, configs: await files, migrations: migrations, proxy: await table,
            observedAt: Int(clock.now.timeIntervalSince1970)
        )
        observed.containersUnobserved = unobserved
        return observed
    }

    /// Containers with their health: the engine's word for command checks, an HTTP GET through the
    /// published port for URL checks.
    private func observeHealth(_ summaries: [ContainerSummary], environment: Environment) async -> [ObservedContainer] {
        let health = self.health
        return await withTaskGroup(of: ObservedContainer.self) { group in
            for summary in summaries {
                group.addTask {
                    let labels = summary.labels.filter { $0.key.hasPrefix("berth.") }
                    var container = ObservedContainer(
                        id: summary.id, name: summary.name, image: summary.image, imageID: summary.imageID, state: summary.state, labels: labels,
                        health: Self.engineHealth(summary.status),
                        ports: summary.ports.compactMap { port in
                            port.publicPort.map { HostPort(hostIP: port.ip, port: $0, protocol: port.type) }
                        },
                        created: summary.created, status: summary.status
                    )
                    guard summary.isRunning, let service = labels[BerthLabel.service].flatMap(environment.service(named:)),
                          let check = service.healthcheck, case .http(let http) = check.check else { return container }
                    guard let port = summary.ports.first(where: { $0.privatePort == http.containerPort && $0.publicPort != nil }),
                          let publicPort = port.publicPort else { return container }
                    let host = HostPort(hostIP: port.ip, port: publicPort).reachableAddress
                    let timeout = Duration.milliseconds(check.timeout.milliseconds)
                    let result = await health.check(host: host, port: publicPort, path: http.path, timeout: timeout)
                    container.health = result.isHealthy ? .healthy : .unhealthy
                    container.healthResult = result.description
                    return container
                }
            }
            var containers: [ObservedContainer] = []
            for await container in group { containers.append(container) }
            return containers.sorted { $0.name < $1.name }
        }
    }

    /// One exchange with the proxy's runtime API; nil for an environment without a proxy.
    private static func observeProxy(_ proxy: (any ProxyDriver)?, _ settings: ProxySettings?) async -> ObservedProxy? {
        guard let settings else { return nil }
        guard let proxy else { return ObservedProxy(configSHA256: nil, unreachable: "no proxy driver is configured") }
        return await proxy.observe(settings)
    }

    private static func list(_ engine: (any ContainerEngine)?, labels: [String: String]) async -> Result<[ContainerSummary], EngineError> {
        guard let engine else { return .failure(.unreachable(endpoint: "(none)", reason: "no container engine is configured")) }
        do throws(EngineError) {
            return .success(try await engine.listContainers(labels: labels))
        } catch {
            return .failure(error)
        }
    }

    private static func read(
        _ history: any MigrationHistory, _ database: Database?, secrets: [String: String]
    ) async -> Result<[AppliedMigration]?, ObserveError> {
        guard let database else { return .success(nil) }
        do throws(ObserveError) {
            return .success(try await history.appliedMigrations(of: database.location, secrets: secrets))
        } catch {
            return .failure(error)
        }
    }

    static func engineHealth(_ status: String) -> ObservedContainer.Health {
        if status.contains("(unhealthy)") { return .unhealthy }
        if status.contains("(healthy)") { return .healthy }
        if status.contains("health: starting") { return .starting }
        return .unknown
    }
}
