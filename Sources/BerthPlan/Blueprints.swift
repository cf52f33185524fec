public import BerthModel

/// The container a replica should be, and the health gate a new one waits on: pure mappings from the
/// desired state. The planner puts both in the plan; the executor only sends them.
public enum Blueprints {
    public static func container(
        for service: Service, replica: Int, name: String, desired: DesiredState, endpointPort: Int? = nil
    ) -> ContainerBlueprint {
        let targets = Dictionary(
            desired.environment.configs.files.map { ($0.name, $0.target) }, uniquingKeysWith: { first, _ in first }
        )
        return container(for: service, replica: replica, name: name, desired: desired, configTargets: targets, endpointPort: endpointPort)
    }

    /// - Parameter configTargets: config name -> its target on the host, built once for a whole plan.
    /// - Parameter endpointPort: for a routed replica, the loopback port its route's port is published on.
    static func container(
        for service: Service, replica: Int, name: String, desired: DesiredState, configTargets: [String: String],
        endpointPort: Int? = nil
    ) -> ContainerBlueprint {
        let environment = desired.environment
        let spec = desired.specs[service.name] ?? ServiceSpec(service: service, configHashes: [:], secretHashes: [:])
        var labels = Dictionary(service.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        labels[BerthLabel.project] = environment.project
        labels[BerthLabel.environment] = environment.name
        labels[BerthLabel.service] = service.name
        labels[BerthLabel.replica] = String(replica)
        labels[BerthLabel.specHash] = spec.hash
        labels[BerthLabel.specParts] = spec.partsLabel
        if let recorded = spec.recorded { labels[BerthLabel.spec] = recorded.label }

        var ports = service.ports.map { mapping in
            ContainerBlueprint.Port(
                containerPort: mapping.containerPort, protocol: mapping.protocol.rawValue, hostIP: mapping.hostIP,
                hostPort: mapping.hostPort(forReplica: replica - 1)
            )
        }
        if let route = service.traffic?.route, let endpointPort {
            ports.removeAll { $0.containerPort == route.port && $0.protocol == "tcp" }
            ports.append(ContainerBlueprint.Port(containerPort: route.port, protocol: "tcp", hostIP: "127.0.0.1", hostPort: endpointPort))
            labels[BerthLabel.endpoint] = "127.0.0.1:\(endpointPort)"
        }
        var binds = service.volumes.map { volume -> String in
            let source: String
            switch volume.source {
            case .named(let name): source = name
            case .bind(let path): source = path
            }
            return "\(source):\(volume.target)\(volume.readOnly ? ":ro" : "")"
        }
        for mount in service.configs {
            if let target = configTargets[mount.config] { binds.append("\(target):\(mount.target):ro") }
        }
        var healthcheck: ContainerBlueprint.CommandCheck?
        if let check = service.healthcheck, case .command(let test) = check.check {
            healthcheck = ContainerBlueprint.CommandCheck(
                test: test, intervalMilliseconds: check.interval.milliseconds, timeoutMilliseconds: check.timeout.milliseconds,
                retries: check.retries, startPeriodMilliseconds: check.startPeriod.milliseconds
            )
        }
        return ContainerBlueprint(
            name: name, service: service.name, replica: replica, image: service.image.text, command: service.command,
            environment: service.environment.map { ContainerBlueprint.Variable(name: $0.name, value: $0.value) },
            labels: labels, ports: ports, binds: binds, restart: service.restart.rawValue, healthcheck: healthcheck
        )
    }

    /// The HTTP check a new container must pass before the plan goes on; nil without an HTTP check or
    /// when its port is not published at all (nothing on the host could reach it).
    public static func healthGate(for service: Service, blueprint: ContainerBlueprint) -> HealthGate? {
        guard let check = service.healthcheck, case .http(let http) = check.check,
              let published = blueprint.ports.first(where: { $0.containerPort == http.containerPort }) else { return nil }
        let host = HostPort(hostIP: published.hostIP, port: published.hostPort ?? 0).reachableAddress
        let keys = [BerthLabel.project, BerthLabel.environment, BerthLabel.service, BerthLabel.replica]
        return HealthGate(
            container: blueprint.name, url: http.url, host: host, port: published.hostPort, containerPort: http.containerPort,
            labels: blueprint.labels.filter { keys.contains($0.key) }, path: http.path,
            intervalMilliseconds: check.interval.milliseconds, timeoutMilliseconds: check.timeout.milliseconds,
            retries: check.retries, startPeriodMilliseconds: check.startPeriod.milliseconds
        )
    }
}
