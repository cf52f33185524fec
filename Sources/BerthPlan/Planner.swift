public import BerthModel

/// Stage 3: desired + observed -> an ordered, explained plan. A pure function: no I/O, no clock.
///
/// Ordering rules: migrations in version order, before the services that wait for
/// `migrations_applied`; config writes before the containers that mount them (a rewritten file
/// also replaces those containers, which hold the old file); `depends_on` order between services;
/// a replaced replica's new container before the old one goes for `start-first`, after it for
/// `recreate` (and for `start-first` replicas on a fixed host port, which cannot be bound twice);
/// replicas of a service one after the other. Ties break by rank, then resource name.
public enum Planner {
    public static func plan(desired: DesiredState, observed: ObservedState) -> Plan {
        let environment = desired.environment
        var graph = Graph()
        var problems: [String] = []
        var lastMigration: String?
        var configWrites: [String: String] = [:]
        let findings = Comparison.findings(desired: desired, observed: observed)

        for finding in findings {
            switch finding {
            case .migrationPending(let migration, let failedBefore):
                let file = fileName(migration.path)
                let action = PlanAction(
                    kind: .migrate, resource: "migration:\(migration.version.text)",
                    cause: failedBefore ? "\(file) failed before; applying it again" : "\(file) is pending",
                    effect: .create, dependsOn: lastMigration.map { [$0] } ?? [],
                    changes: [FieldChange(field: "checksum", before: nil, after: short(desired.migrationChecksums[migration.version.text]))],
                    target: .migration(version: migration.version.text)
                )
                graph.add(action, rank: 0)
                lastMigration = action.id
            case .migrationChecksum(let migration, let recorded, let actual):
                problems.append(
                    "migration \(migration.version.text) (\(fileName(migration.path))) changed after it was applied: checksum \(recorded.prefix(12)) recorded, \(actual.prefix(12)) now; restore the file, a changed migration is never run again"
                )
            case .configMissing(let config):
                let action = PlanAction(
                    kind: .writeConfig, resource: "config:\(config.name)", cause: "config \(config.name) is missing at \(config.target)",
                    effect: .create,
                    changes: [FieldChange(field: "content", before: nil, after: short(desired.configHashes[config.name])),
                              FieldChange(field: "mode", before: nil, after: octal(config.mode))],
                    target: .config(name: config.name)
                )
                graph.add(action, rank: 1)
                configWrites[config.name] = action.id
            case .configChanged(let config, let seen, let contentChanged, let modeChanged):
                var changes: [FieldChange] = []
                if contentChanged { changes.append(FieldChange(field: "content", before: short(seen.sha256), after: short(desired.configHashes[config.name]))) }
                if modeChanged { changes.append(FieldChange(field: "mode", before: seen.mode.map(octal), after: octal(config.mode))) }
                let what = contentChanged && modeChanged ? "content and mode" : contentChanged ? "content" : "mode \(changes[0].before ?? "?") -> \(changes[0].after ?? "?")"
                let action = PlanAction(
                    kind: .writeConfig, resource: "config:\(config.name)", cause: "config \(config.name) \(what) changed",
                    effect: .update, changes: changes, target: .config(name: config.name)
                )
                graph.add(action, rank: 1)
                configWrites[config.name] = action.id
            default:
                continue
            }
        }

        // Containers, service by service in dependency order.
        let order = serviceOrder(environment)
        var serviceActions: [String: [String]] = [:]
        var containerFindings: [String: [Finding]] = [:]
        var unexpected: [(ObservedContainer, String)] = []
        for finding in findings {
            switch finding {
            case .containerMissing(let service, _), .containerOutdated(let service, _, _, _), .containerStopped(let service, _, _):
                containerFindings[service, default: []].append(finding)
            case .containerUnexpected(let container, let reason):
                unexpected.append((container, reason))
            default:
                continue
            }
        }
        let observedByReplica = Dictionary(
            observed.containers.compactMap { c in c.service.flatMap { s in c.replica.map { ("\(s)-\($0)", c) } } },
            uniquingKeysWith: { first, _ in first }
        )

        for (index, service) in order.enumerated() {
            guard let spec = desired.specs[service.name] else { continue }
            let rank = 2 + index
            var prerequisites = service.configs.compactMap { configWrites[$0.config] }
            if service.dependsOn.contains(where: { $0.condition == .migrationsApplied }), let lastMigration {
                prerequisites.append(lastMigration)
            }
            for dependency in service.dependsOn where dependency.condition != .migrationsApplied {
                prerequisites += serviceActions[dependency.service] ?? []
            }
            prerequisites = Array(Set(prerequisites)).sorted()
            let mountsRewritten = service.configs.map(\.config).filter { configWrites[$0] != nil }.sorted()
            let hasFixedHostPort = service.ports.contains { $0.hostPorts != nil }
            var previousReplica: String?
            var ids: [String] = []

            for replica in 1...max(service.replicas, 1) where replica <= service.replicas {
                let resource = "container:\(service.name)-\(replica)"
                let name = "\(environment.project)-\(environment.name)-\(service.name)-\(replica)-\(spec.hash.prefix(8))"
                let after = prerequisites + (previousReplica.map { [$0] } ?? [])
                let finding = containerFindings[service.name]?.first { f in
                    switch f {
                    case .containerMissing(_, let r), .containerOutdated(_, let r, _, _), .containerStopped(_, let r, _): r == replica
                    default: false
                    }
                }
                var changed: [String] = []
                var old: ObservedContainer?
                switch finding {
                case .containerMissing?:
                    let create = PlanAction(
                        kind: .create, resource: resource, cause: "container \(service.name)-\(replica) is missing", effect: .create,
                        dependsOn: after, changes: [FieldChange(field: "image", before: nil, after: service.image.text)],
                        target: .newContainer(service: service.name, replica: replica, name: name)
                    )
                    graph.add(create, rank: rank)
                    ids.append(create.id)
                    previousReplica = create.id
                    continue
                case .containerStopped(_, _, let container)?:
                    if mountsRewritten.isEmpty {
                        let start = PlanAction(
                            kind: .start, resource: resource, cause: "container \(service.name)-\(replica) is \(container.state)",
                            effect: .update, dependsOn: after, changes: [FieldChange(field: "state", before: container.state, after: "running")],
                            target: .container(id: container.id, name: container.name)
                        )
                        graph.add(start, rank: rank)
                        ids.append(start.id)
                        previousReplica = start.id
                        continue
                    }
                    old = container
                case .containerOutdated(_, _, let container, let parts)?:
                    old = container
                    changed = parts
                default:
                    // Current; it still holds the old file when a config it mounts is rewritten.
                    guard !mountsRewritten.isEmpty, let current = observedByReplica["\(service.name)-\(replica)"] else { continue }
                    old = current
                }
                guard let old else { continue }
                var cause = replaceCause(changed: changed, old: old, image: service.image.text, rewritten: mountsRewritten)
                if service.strategy == .startFirst && hasFixedHostPort { cause += " (one replica at a time: its host port is fixed)" }
                var changes: [FieldChange] = []
                if !Comparison.sameImage(reported: old.image, wanted: service.image.text) {
                    changes.append(FieldChange(field: "image", before: old.image, after: service.image.text))
                }
                if old.specHash != spec.hash {
                    changes.append(FieldChange(field: "spec-hash", before: old.specHash.map { String($0.prefix(12)) }, after: String(spec.hash.prefix(12))))
                }
                // The new container's name carries the new spec hash; on a rewritten mount alone it would be the
                // same, so it takes the replica's next free name.
                let newName = name == old.name ? name + "-r" : name
                var create = PlanAction(
                    kind: .create, resource: resource, cause: cause, effect: .update, changes: changes,
                    target: .newContainer(service: service.name, replica: replica, name: newName)
                )
                var remove = PlanAction(
                    kind: .remove, resource: resource, cause: cause, effect: .update,
                    target: .container(id: old.id, name: old.name)
                )
                // A fixed host port cannot be bound twice: such a replica goes before its successor starts,
                // one replica at a time, while the others keep serving.
                if service.strategy == .startFirst && !hasFixedHostPort {
                    create.dependsOn = after
                    remove.dependsOn = [create.id]
                    previousReplica = remove.id
                } else {
                    remove.dependsOn = after
                    create.dependsOn = [remove.id]
                    previousReplica = create.id
                }
                graph.add(create, rank: rank)
                graph.add(remove, rank: rank)
                ids += [create.id, remove.id]
            }
            serviceActions[service.name] = ids
        }

        for (container, reason) in unexpected {
            let resource = "container:\(container.name)"
            // A replica beyond the count goes after its service's other changes, so capacity never dips first.
            let after = container.service.flatMap { serviceActions[$0] } ?? []
            graph.add(
                PlanAction(
                    kind: .remove, resource: resource, cause: "not desired: \(reason)", effect: .delete, dependsOn: after,
                    target: .container(id: container.id, name: container.name)
                ),
                rank: 2 + order.count
            )
        }

        return Plan(
            environment: environment.name, project: environment.project,
            fingerprint: Fingerprint.of(desired: desired, observed: observed),
            actions: graph.sorted(), problems: problems
        )
    }

    private static func replaceCause(changed: [String], old: ObservedContainer, image: String, rewritten: [String]) -> String {
        var reasons: [String] = []
        for part in changed {
            switch part {
            case "image" where old.image != image: reasons.append("image changed \(old.image) -> \(image)")
            case "image": reasons.append("image changed")
            case let part where part.hasPrefix("config."): reasons.append("config \(part.dropFirst(7)) content changed")
            default: reasons.append("\(part) changed")
            }
        }
        for config in rewritten where !changed.contains("config." + config) { reasons.append("config \(config) rewritten") }
        if reasons.isEmpty { reasons.append("container \(old.name) is \(old.state)") }
        return reasons.joined(separator: "; ")
    }

    /// Services so that each comes after those it depends on; ties by name. Kahn's algorithm.
    static func serviceOrder(_ environment: Environment) -> [Service] {
        let services = environment.services
        let index = Dictionary(services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var waiting = [Int](repeating: 0, count: services.count)
        var dependents = [[Int]](repeating: [], count: services.count)
        for (position, service) in services.enumerated() {
            for dependency in service.dependsOn where dependency.condition != .migrationsApplied {
                guard let other = index[dependency.service] else { continue }
                waiting[position] += 1
                dependents[other].append(position)
            }
        }
        let names = services.map(\.name)
        var ready = Heap<Int> { names[$0] < names[$1] }
        for position in services.indices where waiting[position] == 0 { ready.push(position) }
        var order: [Service] = []
        order.reserveCapacity(services.count)
        var placed = [Bool](repeating: false, count: services.count)
        while let position = ready.pop() {
            order.append(services[position])
            placed[position] = true
            for dependent in dependents[position] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.push(dependent) }
            }
        }
        // Validation refuses cycles; should one remain, its services follow by name rather than vanish.
        order += services.indices.filter { !placed[$0] }.map { services[$0] }
        return order
    }

    private static func fileName(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    private static func short(_ hash: String?) -> String? { hash.map { String($0.prefix(12)) } }

    private static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

