import BerthModel

/// The pass for routed services: their replicas run beside each other on loopback ports the planner
/// chooses, and traffic moves in the proxy, never by stopping a container that serves. Per strategy:
///
/// - rolling: per replica, the new container (health-gated), a switch to it with the old one set to
///   drain, the drain; then the verification, then the old containers go;
/// - blue-green: every new container, one switch, the drain, the verification; the old set stays, out of
///   rotation, for `blue_green.keep` (a rollback within it is a switch back);
/// - canary: every new container, a switch and an analysis per weighted step, the last switch, the drain,
///   the verification, then the old containers go.
///
/// Hooks run before the first switch and after the last. A failure anywhere takes back what was done,
/// in reverse: traffic goes back to the old servers, which still run, and the new containers go.
extension PlanBuilder {
    /// The proxy's configuration, when it does not run or runs another layout; nil when it needs nothing.
    mutating func planProxy(rank: Int) {
        guard let layout = ProxyLayout.of(desired.environment) else { return }
        // A proxy that is there but does not answer is not one to start again, nor one whose server table is known.
        if let reason = observed.proxy?.unreachable, observed.proxy?.configSHA256 == nil {
            problems.append("proxy:\(desired.environment.name): the proxy on \(layout.settings.listen) does not answer its runtime API (\(reason)); nothing that moves traffic can be planned")
            return
        }
        let observedHash = observed.proxy?.configSHA256
        guard observedHash != layout.sha256 else { return }
        let cause = observedHash == nil
            ? "the proxy does not run (it is started on \(layout.settings.listen))"
            : "the proxy runs another layout (routes, listeners or slots changed): it is reloaded without dropping connections"
        let action = PlanAction(
            kind: .configureProxy, resource: "proxy:\(desired.environment.name)", cause: cause,
            effect: observedHash == nil ? .create : .update,
            changes: [FieldChange(field: "layout", before: Short.hash(observedHash), after: Short.hash(layout.sha256))],
            target: .proxy(layout)
        )
        graph.add(action, rank: rank)
        proxyAction = action.id
    }

    mutating func planRoutedContainers(of service: Service, traffic: Traffic, proxy: ProxySettings, rank: Int) {
        guard let spec = desired.specs[service.name], service.replicas >= 1 else { return }
        var prerequisites = containerPrerequisites(of: service)
        if let proxyAction { prerequisites.append(proxyAction) }
        let rewritten = service.configs.map(\.config).filter { configWrites[$0] != nil }.sorted()
        let backend = service.name
        let slots = ProxyLayout.Backend.slotNames(count: ProxyLayout.Backend.slots(forReplicas: service.replicas))
        var table = TrafficTable(slots: slots, observed: observed.proxy?.servers(of: backend) ?? [], containers: observed.containers)

        // Per replica: the container that is to serve, and the one it replaces.
        var steps = RoutedSteps(service: service.name)
        for replica in 1...service.replicas {
            let key = Replica(service: service.name, number: replica)
            // Of several containers of the replica (a blue-green set kept), the current one.
            let existing = observed.containers.first {
                $0.service == service.name && $0.replica == replica && $0.isRunning && $0.specHash == spec.hash && $0.endpoint != nil
            } ?? observedByReplica[key]
            var replaced: ObservedContainer?
            switch containerFindings[key] {
            case .containerMissing?:
                break
            case .containerStopped(_, _, let container)?, .containerOutdated(_, _, let container, _)?:
                replaced = container
            default:
                if let existing, rewritten.isEmpty, let endpoint = existing.endpoint {
                    steps.serving.append(.init(replica: replica, container: existing.name, endpoint: endpoint, isNew: false))
                    continue
                }
                replaced = existing
            }
            let port = freeEndpointPort(in: proxy.ports)
            let name = freeName(service, replica: replica, spec: spec)
            let blueprint = Blueprints.container(
                for: service, replica: replica, name: name, desired: desired, configTargets: configTargets, endpointPort: port
            )
            var reasons = replaced.map { old in
                SpecChange(parts: changedParts(of: key), old: old, wanted: spec, image: service.image.text).reasons
            } ?? ["container \(service.name)-\(replica) is missing"]
            if replaced != nil { for config in rewritten { reasons.append("config \(config) rewritten") } }
            if reasons.isEmpty { reasons.append("container \(replaced?.name ?? name) is \(replaced?.state ?? "missing")") }
            let resource = "container:\(service.name)-\(replica)"
            var created = [PlanAction(
                kind: .create, resource: resource, cause: reasons.joined(separator: "; "), effect: replaced == nil ? .create : .update,
                changes: replaced.map { SpecChange(parts: changedParts(of: key), old: $0, wanted: spec, image: service.image.text).changes }
                    ?? [FieldChange(field: "image", before: nil, after: service.image.text)],
                undo: .removeCreated, target: .newContainer(blueprint)
            )]
            if let gate = Blueprints.healthGate(for: service, blueprint: blueprint) {
                created.append(PlanAction(
                    kind: .waitHealthy, resource: resource,
                    cause: "\(blueprint.name) must answer \(gate.url) (\(gate.portDescription)) before it takes traffic",
                    effect: .update, target: .health(gate)
                ))
            }
            steps.creates[replica] = created
            steps.serving.append(.init(replica: replica, container: name, endpoint: "127.0.0.1:\(port)", isNew: true))
            if let replaced { steps.replaced[replica] = replaced }
        }

        let wanted = Set(steps.serving.map(\.endpoint))
        let outgoing = table.current.filter { $0.admin != .maint && !wanted.contains($0.endpoint) }
        let incoming = steps.serving.filter { server in
            !table.current.contains { $0.endpoint == server.endpoint && $0.admin == .ready && $0.weight == TrafficTable.fullWeight }
        }
        var ids: [String] = []
        defer { serviceActions[service.name] = ids }
        guard !incoming.isEmpty || !outgoing.isEmpty else { return }

        let context = RouteContext(
            service: service, traffic: traffic, proxy: proxy, backend: backend, rank: rank,
            labels: [
                BerthLabel.project: desired.environment.project, BerthLabel.environment: desired.environment.name,
                BerthLabel.service: service.name,
            ],
            previousImage: steps.replaced.values.sorted { $0.name < $1.name }.first?.image
        )
        var chain = RouteChain(after: prerequisites)
        let strategy = service.strategy
        if strategy == .blueGreen || strategy == .canary || steps.creates.isEmpty {
            for replica in steps.creates.keys.sorted() { chain.append(steps.creates[replica] ?? []) }
            chain.append(hooks(.beforeSwitch, context, serving: steps.serving))
            // A canary needs an old version to compare with: a first release goes straight to all.
            if strategy == .canary, !steps.creates.isEmpty, !outgoing.isEmpty {
                for step in traffic.canary.steps where step.weight < 100 {
                    let settings = table.canary(step.weight, serving: steps.serving, outgoing: outgoing)
                    chain.append([switchAction(context, table: &table, to: settings, at: "@\(step.weight)%", summary: "\(step.weight)% of new clients to the new version")])
                    chain.append([verifyAction(
                        context, stage: "canary \(step.weight)%", at: "@\(step.weight)%", table: table, serving: steps.serving,
                        window: step.pause ?? traffic.verify.window, inconclusive: .wait(maxMilliseconds: traffic.verify.maxWait.milliseconds)
                    )])
                }
            }
            let final = table.final(serving: steps.serving, outgoing: outgoing)
            chain.append([switchAction(context, table: &table, to: final, at: "", summary: summary(incoming: incoming, outgoing: outgoing))])
            chain.append(drainAction(context, table: &table, outgoing: outgoing, at: ""))
        } else {
            // Rolling: one replica at a time.
            var remaining = outgoing
            for server in steps.serving {
                let replaced = steps.replaced[server.replica]
                let leaving = remaining.filter { $0.endpoint == replaced?.endpoint }
                remaining.removeAll { $0.endpoint == replaced?.endpoint }
                let moves = incoming.contains(server) || !leaving.isEmpty
                chain.append(steps.creates[server.replica] ?? [])
                guard moves else { continue }
                if chain.switches == 0 { chain.append(hooks(.beforeSwitch, context, serving: steps.serving)) }
                let settings = table.moving(server, leaving: leaving)
                let at = service.replicas > 1 ? "@replica-\(server.replica)" : ""
                let summary = leaving.isEmpty ? "\(server.container) takes traffic" : "\(server.container) takes traffic from \(leaving.map { $0.container ?? $0.endpoint }.joined(separator: ", "))"
                chain.append([switchAction(context, table: &table, to: settings, at: at, summary: summary)])
                chain.append(drainAction(context, table: &table, outgoing: leaving, at: at))
            }
            if !remaining.isEmpty {
                let settings = table.final(serving: steps.serving, outgoing: remaining)
                let at = service.replicas > 1 ? "@rest" : "@leftover"
                chain.append([switchAction(context, table: &table, to: settings, at: at, summary: "traffic leaves \(remaining.map(\.endpoint).joined(separator: ", "))")])
                chain.append(drainAction(context, table: &table, outgoing: remaining, at: at))
            }
        }
        chain.append(hooks(.afterSwitch, context, serving: steps.serving))
        // A first release has no clients yet to watch: it is verified on requests of Berth's own.
        let inconclusive: VerifyGate.WhenInconclusive = strategy == .canary && !outgoing.isEmpty
            ? .wait(maxMilliseconds: traffic.verify.maxWait.milliseconds)
            : .synthetic(path: traffic.route.path, host: traffic.route.host, count: traffic.verify.minRequests)
        if !incoming.isEmpty {
            var verify = verifyAction(
                context, stage: "after the switch", at: "", table: table, serving: steps.serving, window: traffic.verify.window,
                inconclusive: inconclusive
            )
            // Verified, the release is the service's: a failure elsewhere no longer takes it back.
            verify.commits = chain.ids
            chain.append([verify])
        }
        // The old containers go once the new version is verified, except a blue-green set, which is kept.
        let removals = steps.replaced.sorted { $0.key < $1.key }.compactMap { replica, old -> PlanAction? in
            if strategy == .blueGreen, old.isRunning { return nil }
            return PlanAction(
                kind: .remove, resource: "container:\(service.name)-\(replica)",
                cause: "replaced by \(steps.serving.first { $0.replica == replica }?.container ?? "a new container"), which serves and passed verification",
                effect: .update, target: .container(id: old.id, name: old.name)
            )
        }
        ids = chain.add(to: &self, rank: rank)
        let last = ids.last.map { [$0] } ?? prerequisites
        for removal in removals {
            var removal = removal
            removal.dependsOn = last
            graph.add(removal, rank: rank)
            ids.append(removal.id)
        }
    }

    /// The prerequisites every container of a service waits for: its config writes, migrations, the
    /// services it depends on.
    func containerPrerequisites(of service: Service) -> [String] {
        var prerequisites = service.configs.compactMap { configWrites[$0.config] }
        if service.dependsOn.contains(where: { $0.condition == .migrationsApplied }), let lastMigration {
            prerequisites.append(lastMigration)
        }
        for dependency in service.dependsOn where dependency.condition != .migrationsApplied {
            prerequisites += serviceActions[dependency.service] ?? []
        }
        return Array(Set(prerequisites)).sorted()
    }

    private func changedParts(of replica: Replica) -> [SpecPart] {
        if case .containerOutdated(_, _, _, let parts)? = containerFindings[replica] { return parts }
        return []
    }

    /// The lowest port of the range that no container of the environment uses, that no other process
    /// was found holding, and that this plan has not chosen yet.
    private mutating func freeEndpointPort(in range: ClosedRange<Int>) -> Int {
        if usedEndpointPorts == nil {
            var used = observed.unavailablePorts
            for container in observed.containers {
                for port in container.ports { used.insert(port.port) }
                if let endpoint = container.endpoint, let port = endpoint.split(separator: ":").last.flatMap({ Int($0) }) { used.insert(port) }
            }
            usedEndpointPorts = used
        }
        var port = range.lowerBound
        while usedEndpointPorts?.contains(port) == true, port < range.upperBound { port += 1 }
        usedEndpointPorts?.insert(port)
        return port
    }

    private func summary(incoming: [RoutedSteps.Server], outgoing: [ServerSetting]) -> String {
        if incoming.isEmpty { return "traffic leaves \(outgoing.map { $0.container ?? $0.endpoint }.joined(separator: ", "))" }
        return "all traffic to \(incoming.map(\.container).joined(separator: ", "))"
    }

    private func switchAction(
        _ context: RouteContext, table: inout TrafficTable, to settings: [ServerSetting], at: String, summary: String
    ) -> PlanAction {
        let previous = table.current
        table.current = settings
        let changes = zip(previous, settings).filter { $0 != $1 }.map { before, after in
            FieldChange(field: "\(context.backend)/\(after.slot)", before: before.described, after: after.described)
        }
        return PlanAction(
            kind: .switch, resource: "route:\(context.service.name)\(at)", cause: summary, effect: .update, changes: changes,
            undo: .switchBack,
            target: .trafficSwitch(TrafficSwitch(proxy: context.proxy, backend: context.backend, servers: settings, previous: previous, summary: summary))
        )
    }

    /// The drain of the servers traffic left; nothing when none did.
    private func drainAction(_ context: RouteContext, table: inout TrafficTable, outgoing: [ServerSetting], at: String) -> [PlanAction] {
        let leaving = outgoing.compactMap { server in table.current.first { $0.endpoint == server.endpoint && $0.admin == .drain } }
        guard !leaving.isEmpty else { return [] }
        var after = table.current
        for index in after.indices where leaving.contains(where: { $0.slot == after[index].slot }) { after[index].admin = .maint }
        table.current = after
        let timeout = context.traffic.route.drainTimeout
        return [PlanAction(
            kind: .drain, resource: "route:\(context.service.name)\(at)",
            cause: "\(leaving.map { $0.container ?? $0.endpoint }.joined(separator: ", ")) finish their open requests (at most \(timeout)), then leave the rotation",
            effect: .update,
            target: .drain(DrainGate(
                proxy: context.proxy, backend: context.backend,
                servers: leaving.map { ServerReference(slot: $0.slot, container: $0.container ?? "", endpoint: $0.endpoint) },
                timeoutMilliseconds: timeout.milliseconds, after: after.filter { setting in leaving.contains { $0.slot == setting.slot } }
            ))
        )]
    }

    private func verifyAction(
        _ context: RouteContext, stage: String, at: String, table: TrafficTable, serving: [RoutedSteps.Server], window: TimeSpan,
        inconclusive: VerifyGate.WhenInconclusive
    ) -> PlanAction {
        let new = serving.filter(\.isNew).compactMap { server in
            table.current.first { $0.endpoint == server.endpoint }.map { ServerReference(slot: $0.slot, container: server.container, endpoint: server.endpoint) }
        }
        let newEndpoints = Set(new.map(\.endpoint))
        let old = table.current.filter { $0.admin == .ready && !newEndpoints.contains($0.endpoint) }
            .map { ServerReference(slot: $0.slot, container: $0.container ?? "", endpoint: $0.endpoint) }
        let checks = context.traffic.verify.logPatterns.isEmpty ? "" : ", their logs"
        return PlanAction(
            kind: .verify, resource: "route:\(context.service.name)\(at)",
            cause: "\(stage): for \(window), the new servers' responses and response times (against the old ones'), their containers\(checks)",
            effect: .update,
            target: .verification(VerifyGate(
                proxy: context.proxy, service: context.service.name, backend: context.backend, stage: stage,
                newServers: new.isEmpty ? serving.compactMap { server in
                    table.current.first { $0.endpoint == server.endpoint }.map { ServerReference(slot: $0.slot, container: server.container, endpoint: server.endpoint) }
                } : new,
                oldServers: old, settings: context.traffic.verify, windowMilliseconds: window.milliseconds, whenInconclusive: inconclusive,
                labels: context.labels
            ))
        )
    }

    private func hooks(_ phase: HookRun.Phase, _ context: RouteContext, serving: [RoutedSteps.Server]) -> [PlanAction] {
        let commands = phase == .beforeSwitch ? context.traffic.hooks.beforeSwitch : context.traffic.hooks.afterSwitch
        let environment = desired.environment
        let facts = [
            "BERTH_PROJECT": environment.project, "BERTH_ENVIRONMENT": environment.name, "BERTH_SERVICE": context.service.name,
            "BERTH_STRATEGY": context.service.strategy.rawValue, "BERTH_IMAGE": context.service.image.text,
            "BERTH_PREVIOUS_IMAGE": context.previousImage ?? "", "BERTH_PHASE": phase.rawValue,
            "BERTH_CONTAINERS": serving.map(\.container).joined(separator: " "),
            "BERTH_PROXY": context.proxy.listen.description,
        ]
        return commands.enumerated().map { index, argv in
            PlanAction(
                kind: .hook, resource: "hook:\(context.service.name)/\(phase.rawValue)/\(index + 1)",
                cause: "\(phase == .beforeSwitch ? "before" : "after") the switch: \(argv.joined(separator: " "))"
                    + (phase == .beforeSwitch ? " (a failure stops the release before traffic moves)" : ""),
                effect: .update, target: .hook(HookRun(phase: phase, argv: argv, environment: facts))
            )
        }
    }
}

/// What the steps of one routed service share.
private struct RouteContext {
    var service: Service
    var traffic: Traffic
    var proxy: ProxySettings
    var backend: String
    var rank: Int
    var labels: [String: String]
    var previousImage: String?
}

/// The containers a routed service is to be served by, and the steps that make the new ones.
struct RoutedSteps {
    struct Server: Hashable {
        var replica: Int
        var container: String
        var endpoint: String
        var isNew: Bool
    }

    var service: String
    var serving: [Server] = []
    var creates: [Int: [PlanAction]] = [:]
    var replaced: [Int: ObservedContainer] = [:]
}

/// Actions one after the other.
private struct RouteChain {
    var after: [String]
    var actions: [PlanAction] = []

    var switches: Int { actions.filter { $0.kind == .switch }.count }
    var ids: [String] { actions.map(\.id) }

    mutating func append(_ steps: [PlanAction]) { actions += steps }

    func add(to builder: inout PlanBuilder, rank: Int) -> [String] {
        builder.chain(actions, after: after, rank: rank)
    }
}

/// A backend's server table as the plan's switches leave it, slot by slot.
struct TrafficTable {
    static let fullWeight = 100
    static let emptyAddress = "127.0.0.1"
    static let emptyPort = 1

    var current: [ServerSetting]

    init(slots: [String], observed: [ProxyServer], containers: [ObservedContainer]) {
        var names: [String: String] = [:]
        for container in containers { if let endpoint = container.endpoint { names[endpoint] = container.name } }
        current = slots.map { slot in
            if let server = observed.first(where: { $0.name == slot }) {
                return ServerSetting(
                    slot: slot, container: names[server.endpoint], address: server.address, port: server.port, admin: server.admin,
                    weight: server.weight
                )
            }
            return ServerSetting(slot: slot, container: nil, address: Self.emptyAddress, port: Self.emptyPort, admin: .maint, weight: 1)
        }
    }

    /// `server` ready at full weight in its slot (or a free one), `leaving` draining, the rest unchanged.
    func moving(_ server: RoutedSteps.Server, leaving: [ServerSetting]) -> [ServerSetting] {
        var table = current
        let leavingEndpoints = Set(leaving.map(\.endpoint))
        for index in table.indices where leavingEndpoints.contains(table[index].endpoint) && table[index].admin != .maint {
            table[index].admin = .drain
        }
        place(server, admin: .ready, weight: Self.fullWeight, in: &table)
        return table
    }

    /// Every serving container ready at full weight, the outgoing servers draining, every other slot out of rotation.
    func final(serving: [RoutedSteps.Server], outgoing: [ServerSetting]) -> [ServerSetting] {
        var table = current
        let outgoingEndpoints = Set(outgoing.map(\.endpoint))
        let servingEndpoints = Set(serving.map(\.endpoint))
        for index in table.indices where !servingEndpoints.contains(table[index].endpoint) {
            table[index].admin = outgoingEndpoints.contains(table[index].endpoint) && table[index].admin != .maint ? .drain : .maint
        }
        for server in serving { place(server, admin: .ready, weight: Self.fullWeight, in: &table) }
        return table
    }

    /// New servers get `percent` of new clients, the others (old and unchanged) the rest.
    func canary(_ percent: Int, serving: [RoutedSteps.Server], outgoing: [ServerSetting]) -> [ServerSetting] {
        let newCount = serving.filter(\.isNew).count
        let oldCount = outgoing.filter { $0.admin == .ready }.count + serving.filter { !$0.isNew }.count
        var (newWeight, oldWeight) = (percent * max(oldCount, 1), (100 - percent) * max(newCount, 1))
        let divisor = gcd(newWeight, oldWeight)
        (newWeight, oldWeight) = (newWeight / divisor, oldWeight / divisor)
        if max(newWeight, oldWeight) > 256 {
            let scale = 256.0 / Double(max(newWeight, oldWeight))
            (newWeight, oldWeight) = (max(1, Int(Double(newWeight) * scale)), max(1, Int(Double(oldWeight) * scale)))
        }
        var table = current
        let outgoingEndpoints = Set(outgoing.map(\.endpoint))
        for index in table.indices where outgoingEndpoints.contains(table[index].endpoint) && table[index].admin == .ready {
            table[index].weight = oldWeight
        }
        for server in serving { place(server, admin: .ready, weight: server.isNew ? newWeight : oldWeight, in: &table) }
        return table
    }

    /// Puts `server` in the slot that already points at it, or else in the first slot out of rotation.
    private func place(_ server: RoutedSteps.Server, admin: ProxyServer.Admin, weight: Int, in table: inout [ServerSetting]) {
        let index = table.firstIndex { $0.endpoint == server.endpoint }
            ?? table.firstIndex { $0.admin == .maint && $0.container == nil }
            ?? table.firstIndex { $0.admin == .maint }
        guard let index else { return }
        let parts = server.endpoint.split(separator: ":")
        table[index] = ServerSetting(
            slot: table[index].slot, container: server.container, address: String(parts.first ?? "127.0.0.1"),
            port: Int(parts.last ?? "") ?? Self.emptyPort, admin: admin, weight: weight
        )
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(a, 1) : gcd(b, a % b) }
}

extension ServerSetting {
    /// `127.0.0.1:20001 ready 100 (web-1-ab12)`.
    var described: String {
        admin == .maint && port == TrafficTable.emptyPort ? "out of rotation" : "\(endpoint) \(admin.rawValue) \(weight)" + (container.map { " (\($0))" } ?? "")
    }
}
