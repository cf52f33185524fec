public import BerthModel
public import BerthEngine
public import BerthObserve

/// The container a replica of a service should be, as the engine takes it: a pure mapping from
/// the desired state, with Berth's labels (`berth.spec-hash` is what the planner compares).
public enum ContainerBlueprint {
    public static func spec(
        for service: Service, replica: Int, resolution: DesiredStateResolver.Resolution
    ) -> ContainerSpec {
        let desired = resolution.desired
        let environment = desired.environment
        let serviceSpec = desired.specs[service.name] ?? ServiceSpec(service: service, configHashes: [:], secretHashes: [:])
        var labels = Dictionary(service.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        labels[BerthLabel.project] = environment.project
        labels[BerthLabel.environment] = environment.name
        labels[BerthLabel.service] = service.name
        labels[BerthLabel.replica] = String(replica)
        labels[BerthLabel.specHash] = serviceSpec.hash
        labels[BerthLabel.specParts] = serviceSpec.partsLabel

        let variables = service.environment.map { variable -> String in
            switch variable.value {
            case .literal(let text): "\(variable.name)=\(text)"
            case .secret(let name): "\(variable.name)=\(resolution.secrets[name] ?? "")"
            }
        }
        let ports = service.ports.map { mapping in
            PublishedPort(
                containerPort: mapping.containerPort, protocol: mapping.protocol.rawValue, hostIP: mapping.hostIP,
                hostPort: mapping.hostPort(forReplica: replica - 1)
            )
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
            if let file = environment.configs.file(named: mount.config) { binds.append("\(file.target):\(mount.target):ro") }
        }
        var healthcheck: EngineHealthcheck?
        if let check = service.healthcheck, case .command(let test) = check.check {
            healthcheck = EngineHealthcheck(
                test: test, interval: .milliseconds(check.interval.milliseconds), timeout: .milliseconds(check.timeout.milliseconds),
                retries: check.retries, startPeriod: .milliseconds(check.startPeriod.milliseconds)
            )
        }
        return ContainerSpec(
            image: service.image.text, command: service.command, environment: variables, labels: labels, ports: ports,
            binds: binds, restartPolicy: service.restart.rawValue, healthcheck: healthcheck
        )
    }
}
