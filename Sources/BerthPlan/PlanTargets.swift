public import BerthModel

/// `--target RESOURCE`: a plan limited to some resources and what they need, as Terraform's `-target`.
/// Pure, over the full plan and the state it was made from.
///
/// A target names a resource as the plan does (`container:web-1`, `config:app-env`, `migration:4`,
/// `proxy:dev`, `hook:web/before_switch/1`); `route:web` also names every step of the route (`route:web@25%`),
/// and `service:web` every replica of the service, its route and hooks, and its containers no longer desired.
/// The limited plan keeps the actions on the targets and, transitively, the actions they depend on, and
/// nothing else, so its dependencies stay whole; its fingerprint covers the targets.
public enum PlanTargets {
    /// The targets as a plan records them: each once, sorted (their order changes nothing).
    public static func normalized(_ targets: [String]) -> [String] {
        Array(Set(targets)).sorted()
    }

    /// Every resource a target may name in the environment: declared (services, their replicas and routes,
    /// configs, migrations, the proxy), observed (containers, config files, applied migrations), and those
    /// the full plan acts on. Sorted.
    public static func resources(desired: DesiredState, observed: ObservedState, plan: Plan) -> [String] {
        var names = Set(plan.actions.map(\.resource)).union(declared(desired.environment))
        for container in observed.containers {
            names.insert("container:\(container.name)")
            if let service = container.service {
                names.insert("service:\(service)")
                if let replica = container.replica { names.insert("container:\(service)-\(replica)") }
            }
        }
        for config in observed.configs { names.insert("config:\(config.name)") }
        for row in observed.migrations ?? [] { names.insert("migration:\(row.version)") }
        return names.sorted()
    }

    /// The resources the environment's files declare: its services, their replicas and routes, the proxy,
    /// configs and migrations (what a shell completes `--target` with). Sorted.
    public static func declared(_ environment: Environment) -> [String] {
        var names = Set<String>()
        for service in environment.services {
            names.insert("service:\(service.name)")
            for replica in stride(from: 1, through: service.replicas, by: 1) { names.insert("container:\(service.name)-\(replica)") }
            if service.traffic != nil, environment.proxy != nil { names.insert("route:\(service.name)") }
        }
        if environment.proxy != nil { names.insert("proxy:\(environment.name)") }
        for config in environment.configs.files { names.insert("config:\(config.name)") }
        for migration in environment.database?.migrations ?? [] { names.insert("migration:\(migration.version.text)") }
        return names.sorted()
    }

    /// The targets that name no resource of `resources` (in the order given).
    public static func unknown(_ targets: [String], resources: [String]) -> [String] {
        let known = Set(resources)
        return targets.filter { !known.contains($0) }
    }

    /// The fingerprint of a plan limited to `targets`: the full plan's, and the targets.
    public static func fingerprint(_ fingerprint: String, targets: [String]) -> String {
        var hasher = SHA256()
        hasher.update("plan \(fingerprint)\n")
        for target in normalized(targets) { hasher.update("target \(target)\n") }
        return hasher.finalize().hexString
    }

    /// Whether `target` names the resource an action works on; `services` gives the service of an observed
    /// container's resource (`container:NAME`), `replicas` its replica's resource (`container:web-3`), so that
    /// a replica's name also covers the removal of its container once the service is scaled down.
    static func covers(_ target: String, _ resource: String, services: [String: String], replicas: [String: String] = [:]) -> Bool {
        if resource == target || resource.hasPrefix(target + "@") || replicas[resource] == target { return true }
        guard target.hasPrefix("service:") else { return false }
        let service = String(target.dropFirst("service:".count))
        if resource == "route:\(service)" || resource.hasPrefix("route:\(service)@") || resource.hasPrefix("hook:\(service)/") { return true }
        if services[resource] == service { return true }
        let replica = "container:\(service)-"
        guard resource.hasPrefix(replica) else { return false }
        let number = resource.dropFirst(replica.count)
        return !number.isEmpty && number.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension Plan {
    /// The plan limited to `targets` and what they need (see `PlanTargets`); the plan itself when there are none.
    /// - Parameter observed: the state the plan was made from (the service of each observed container).
    public func limited(to targets: [String], observed: ObservedState) -> Plan {
        let targets = PlanTargets.normalized(targets)
        guard !targets.isEmpty else { return self }
        var services: [String: String] = [:], replicas: [String: String] = [:]
        for container in observed.containers {
            guard let service = container.service else { continue }
            services["container:\(container.name)"] = service
            if let replica = container.replica { replicas["container:\(container.name)"] = "container:\(service)-\(replica)" }
        }
        let byID = Dictionary(actions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var pending = actions.filter { action in
            targets.contains { PlanTargets.covers($0, action.resource, services: services, replicas: replicas) }
        }.map(\.id)
        var kept = Set<String>()
        while let id = pending.popLast() {
            guard kept.insert(id).inserted else { continue }
            pending += (byID[id]?.dependsOn ?? []).filter { !kept.contains($0) }
        }
        var limited = self
        limited.actions = actions.filter { kept.contains($0.id) }.map { action in
            var action = action
            action.commits = action.commits.filter { kept.contains($0) }
            return action
        }
        limited.targets = targets
        limited.fingerprint = PlanTargets.fingerprint(fingerprint, targets: targets)
        return limited
    }
}
