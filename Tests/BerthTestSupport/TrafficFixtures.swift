public import BerthModel
public import BerthPlan

/// A routed environment built in code (web behind the proxy, with an HTTP health check), and a
/// simulation of what carrying out a plan leaves, as the proxy and the engine would report it.
public enum TrafficFixtures {
    public static let proxy = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p/.berth/proxy/dev", ports: 20000...20099)

    public static func environment(
        image: String = "localhost/web:1.0.0", replicas: Int = 1, strategy: DeployStrategy = .rolling,
        canary: [CanaryStep] = CanarySettings.defaultSteps, hooks: SwitchHooks = SwitchHooks()
    ) -> Environment {
        let web = Service(
            name: "web", image: try! ImageReference(parsing: image),
            healthcheck: HealthCheck(
                check: .http(HTTPCheck(url: "http://localhost:80/health", containerPort: 80, path: "/health")),
                interval: TimeSpan(milliseconds: 500), timeout: TimeSpan(milliseconds: 500), retries: 3, startPeriod: TimeSpan(milliseconds: 0)
            ),
            replicas: replicas, strategy: strategy,
            traffic: Traffic(
                route: Route(port: 80, drainTimeout: TimeSpan(milliseconds: 5_000)), canary: CanarySettings(steps: canary),
                verify: VerifySettings(window: TimeSpan(milliseconds: 3_000)), hooks: hooks
            )
        )
        return Environment(
            name: "dev", project: "shop", engine: EngineSettings(host: "unix:///run/e.sock", isDefault: false),
            state: StateSettings(store: .sqlite(path: "/p/.berth/state.sqlite")), services: [web],
            configs: ConfigSettings(root: "/p/.berth/configs/dev", files: []), proxy: proxy
        )
    }

    public static func desired(_ environment: Environment) -> DesiredState {
        var specs: [String: ServiceSpec] = [:]
        for service in environment.services { specs[service.name] = ServiceSpec(service: service, configHashes: [:], secretHashes: [:]) }
        return DesiredState(environment: environment, configHashes: [:], migrationChecksums: [:], specs: specs)
    }

    /// What carrying out `plan` leaves, as the proxy and the engine would report it.
    public static func simulate(_ plan: Plan, on observed: ObservedState, at time: Int = 1_000) -> ObservedState {
        var observed = observed
        observed.observedAt = time
        for action in plan.actions {
            switch action.target {
            case .proxy(let layout):
                var servers: [ProxyServer] = []
                for backend in layout.backends {
                    for slot in backend.slotNames {
                        servers.append(observed.proxy?.servers.first { $0.backend == backend.name && $0.name == slot }
                            ?? ProxyServer(backend: backend.name, name: slot, address: "127.0.0.1", port: 1, admin: .maint, up: false, weight: 1))
                    }
                }
                observed.proxy = ObservedProxy(configSHA256: layout.sha256, servers: servers)
            case .newContainer(let blueprint):
                observed.containers.append(ObservedContainer(
                    id: "id-\(blueprint.name)", name: blueprint.name, image: blueprint.image, state: "running",
                    labels: blueprint.labels.filter { $0.key.hasPrefix("berth.") },
                    ports: blueprint.ports.compactMap { port in port.hostPort.map { HostPort(hostIP: port.hostIP, port: $0) } },
                    created: time
                ))
            case .trafficSwitch(let change):
                set(change.servers, backend: change.backend, in: &observed)
            case .drain(let gate):
                set(gate.after, backend: gate.backend, in: &observed)
            case .container(let id, _) where action.kind == .remove:
                observed.containers.removeAll { $0.id == id }
            default:
                continue
            }
        }
        observed.containers.sort { $0.name < $1.name }
        return observed
    }

    public static func set(_ settings: [ServerSetting], backend: String, in observed: inout ObservedState) {
        for setting in settings {
            guard let index = observed.proxy?.servers.firstIndex(where: { $0.backend == backend && $0.name == setting.slot }) else { continue }
            observed.proxy?.servers[index] = ProxyServer(
                backend: backend, name: setting.slot, address: setting.address, port: setting.port, admin: setting.admin,
                up: setting.admin != .maint, weight: setting.weight
            )
        }
    }

    public static func ready(_ observed: ObservedState) -> [String] {
        (observed.proxy?.servers ?? []).filter { $0.admin == .ready }.map { "\($0.name)=\($0.endpoint)/\($0.weight)" }
    }

}
