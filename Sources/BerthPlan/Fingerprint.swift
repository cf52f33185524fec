public import BerthModel

/// A hash of the desired and observed state a plan was made from. `apply --plan` recomputes it
/// and refuses the plan when it differs. Health is left out: it changes from second to second
/// without changing what the plan does.
public enum Fingerprint {
    /// A hash of the desired state alone: what the environment files ask for, whatever runs.
    public static func ofDesired(_ desired: DesiredState) -> String {
        of(desired: desired, observed: ObservedState())
    }

    public static func of(desired: DesiredState, observed: ObservedState) -> String {
        // One canonical text, fed to the hash a chunk at a time.
        var hasher = SHA256()
        var text: [UInt8] = []
        text.reserveCapacity(1 << 16)
        func line(_ fields: String...) {
            for field in fields {
                text.append(contentsOf: field.utf8)
                text.append(0x20)
            }
            text.append(0x0A)
            if text.count >= 1 << 16 {
                hasher.update(text)
                text.removeAll(keepingCapacity: true)
            }
        }
        let environment = desired.environment
        line("environment", environment.project, environment.name)
        for service in environment.services {
            line("service", service.name, desired.specs[service.name]?.hash ?? "", String(service.replicas), service.strategy.rawValue)
            for dependency in service.dependsOn { line("depends", dependency.service, dependency.condition.rawValue) }
            if let traffic = service.traffic {
                let steps = traffic.canary.steps.map { "\($0.weight)/\($0.pause?.milliseconds ?? 0)" }.joined(separator: ",")
                line("traffic", traffic.route.host ?? "*", traffic.route.path, String(traffic.route.port), steps, traffic.hooks.beforeSwitch.description, traffic.hooks.afterSwitch.description)
            }
        }
        if let layout = ProxyLayout.of(environment) { line("proxy", layout.sha256) }
        for config in environment.configs.files {
            line("config", config.name, config.target, String(config.mode), desired.configHashes[config.name] ?? "")
        }
        for (version, checksum) in desired.migrationChecksums.sorted(by: { $0.key < $1.key }) {
            line("migration", version, checksum)
        }
        // The labels that planning reads, in a fixed order; the engine's listing order does not matter. The
        // spec-parts and spec labels are set with the spec hash, at creation, and never change apart from it.
        let containers = observed.containers
        for index in containers.indices.sorted(by: { containers[$0].id < containers[$1].id }) {
            let container = containers[index]
            let labels = container.labels
            line(
                "container", container.id, container.name, container.image, container.state,
                labels[BerthLabel.service] ?? "-", labels[BerthLabel.replica] ?? "-", labels[BerthLabel.specHash] ?? "-"
            )
            for port in container.ports { line("port", port.description) }
        }
        for config in observed.configs {
            line("file", config.target, config.sha256 ?? "-", config.mode.map { String($0) } ?? "-")
        }
        for row in observed.migrations ?? [] {
            line("applied", row.version, row.checksum, row.success ? "ok" : "failed")
        }
        // The server table the plan's switches start from.
        if let proxy = observed.proxy {
            line("proxy-running", proxy.configSHA256 ?? "-")
            for server in proxy.servers { line("server", server.backend, server.name, server.endpoint, server.admin.rawValue, String(server.weight)) }
        }
        hasher.update(text)
        return hasher.finalize().hexString
    }
}
