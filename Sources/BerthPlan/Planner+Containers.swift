import BerthModel

extension PlanBuilder {
    /// The replicas of one service, one after the other, after what they need (config writes,
    /// migrations, the services they depend on).
    mutating func planContainers(of service: Service, rank: Int) {
        guard let spec = desired.specs[service.name], service.replicas >= 1 else { return }
        let prerequisites = containerPrerequisites(of: service)
        let rewritten = service.configs.map(\.config).filter { configWrites[$0] != nil }.sorted()
        var previous: [String] = []
        var ids: [String] = []

        for replica in 1...service.replicas {
            let after = prerequisites + previous
            let steps: [PlanAction]
            switch containerFindings[Replica(service: service.name, number: replica)] {
            case .containerMissing?:
                steps = create(service, replica: replica, spec: spec, cause: "container \(service.name)-\(replica) is missing")
            case .containerStopped(_, _, let container)? where rewritten.isEmpty:
                steps = [PlanAction(
                    kind: .start, resource: "container:\(service.name)-\(replica)",
                    cause: "container \(service.name)-\(replica) is \(container.state)", effect: .update,
                    changes: [FieldChange(field: "state", before: container.state, after: "running")],
                    target: .container(id: container.id, name: container.name)
                )]
            case .containerStopped(_, _, let container)?:
                steps = replace(container, service, replica: replica, spec: spec, parts: [], rewritten: rewritten)
            case .containerOutdated(_, _, let container, let parts)?:
                steps = replace(container, service, replica: replica, spec: spec, parts: parts, rewritten: rewritten)
            default:
                // Current; it still holds the old file when a config it mounts is rewritten.
                guard !rewritten.isEmpty, let current = observedByReplica[Replica(service: service.name, number: replica)] else { continue }
                steps = replace(current, service, replica: replica, spec: spec, parts: [], rewritten: rewritten)
            }
            let added = chain(steps, after: after, rank: rank)
            ids += added
            previous = added.last.map { [$0] } ?? previous
        }
        serviceActions[service.name] = ids
    }

    /// A new container, and the wait for its health check when it has an HTTP one.
    private func create(
        _ service: Service, replica: Int, spec: ServiceSpec, cause: String, changes: [FieldChange]? = nil
    ) -> [PlanAction] {
        let resource = "container:\(service.name)-\(replica)"
        let blueprint = Blueprints.container(
            for: service, replica: replica, name: freeName(service, replica: replica, spec: spec), desired: desired,
            configTargets: configTargets
        )
        var steps = [PlanAction(
            kind: .create, resource: resource, cause: cause, effect: changes == nil ? .create : .update,
            changes: changes ?? [FieldChange(field: "image", before: nil, after: service.image.text)],
            undo: .removeCreated, target: .newContainer(blueprint)
        )]
        if let gate = Blueprints.healthGate(for: service, blueprint: blueprint) {
            steps.append(PlanAction(
                kind: .waitHealthy, resource: resource, cause: "\(blueprint.name) must answer \(gate.url) (\(gate.portDescription))",
                effect: .update, target: .health(gate)
            ))
        }
        return steps
    }

    /// The steps that replace `old`, never leaving the replica without a container that can take over:
    /// with `start-first` (and no fixed host port), the new one starts and passes its health check
    /// before the old one goes. Otherwise the old one stops first (freeing its host port), the new one
    /// starts and passes its health check, and only then is the old one removed; should the new one
    /// fail, undo removes it and starts the old one again.
    private func replace(
        _ old: ObservedContainer, _ service: Service, replica: Int, spec: ServiceSpec, parts: [SpecPart], rewritten: [String]
    ) -> [PlanAction] {
        let resource = "container:\(service.name)-\(replica)"
        let change = SpecChange(parts: parts, old: old, wanted: spec, image: service.image.text)
        var reasons = change.reasons
        for config in rewritten where !parts.contains(.config(config)) { reasons.append("config \(config) rewritten") }
        if reasons.isEmpty { reasons.append("container \(old.name) is \(old.state)") }
        let cause = reasons.joined(separator: "; ")
        let newSteps = create(service, replica: replica, spec: spec, cause: cause, changes: change.changes)
        // Once the old container is gone the replacement is done: its earlier steps are no longer undone.
        var remove = PlanAction(
            kind: .remove, resource: resource, cause: "replaced by \(newSteps[0].blueprintName ?? "a new container")",
            effect: .update, commits: newSteps.map(\.id), target: .container(id: old.id, name: old.name)
        )
        let fixedHostPort = service.ports.contains { $0.hostPorts != nil }
        if service.strategy == .startFirst && !fixedHostPort {
            return newSteps + [remove]
        }
        let why = fixedHostPort ? "its host port must be free for the new container" : "recreate: the old container stops first"
        let until = newSteps.count > 1 ? "is healthy" : "runs"
        let stop = PlanAction(
            kind: .stop, resource: resource, cause: "\(old.name) stops, kept until its replacement \(until) (\(why))",
            effect: .update, undo: old.isRunning ? .startAgain : .none, target: .container(id: old.id, name: old.name)
        )
        remove.commits.insert(stop.id, at: 0)
        return [stop] + newSteps + [remove]
    }

    /// `project-environment-service-replica-hash8`, or the first `-2`, `-3`, ... of it that no observed
    /// container has (the old container keeps its name until it is removed).
    func freeName(_ service: Service, replica: Int, spec: ServiceSpec) -> String {
        let environment = desired.environment
        let base = "\(environment.project)-\(environment.name)-\(service.name)-\(replica)-\(spec.hash.prefix(8))"
        var name = base
        var suffix = 2
        while observedNames.contains(name) {
            name = "\(base)-\(suffix)"
            suffix += 1
        }
        return name
    }
}

extension PlanAction {
    /// The name of the container a create action makes.
    public var blueprintName: String? {
        if case .newContainer(let blueprint) = target { return blueprint.name }
        return nil
    }
}
