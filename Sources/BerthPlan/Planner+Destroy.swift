public import BerthModel
import BerthCore

/// What `berth destroy` removes beyond the containers: the config files unless kept, the database
/// only when asked.
public struct DestroyOptions: Hashable, Sendable {
    /// `--keep-configs`: the config files Berth wrote stay.
    public var keepConfigs: Bool
    /// `--drop-database`: what Berth owns in the database goes (the SQLite file, or the objects of the
    /// schema the migrations use and the history table).
    public var dropDatabase: Bool

    public init(keepConfigs: Bool = false, dropDatabase: Bool = false) {
        self.keepConfigs = keepConfigs
        self.dropDatabase = dropDatabase
    }
}

extension Planner {
    /// The removal of everything the environment owns, purely from what was observed: the proxy stops
    /// first (traffic ends at the entrance), then every container with the environment's labels goes
    /// (stopped with its stop timeout, then removed), those of a service before those of the services
    /// it depends on; then the config files Berth wrote, each after the containers that mount it, and
    /// last, when asked, the database. What stays is said in `kept`. A second destroy finds nothing.
    ///
    /// Only what Berth observed as its own is planned: containers carrying the environment's labels,
    /// config files at their targets inside `configs.root`, a database whose migration history shows
    /// that Berth migrated it.
    public static func destroy(desired: DesiredState, observed: ObservedState, options: DestroyOptions = DestroyOptions()) -> Plan {
        let environment = desired.environment
        var graph = ActionGraph()
        var problems: [String] = []
        var kept: [String] = []

        var proxyStop: [String] = []
        if let layout = ProxyLayout.of(environment), let seen = observed.proxy, seen.isRunning || seen.unreachable != nil {
            let action = PlanAction(
                kind: .stopProxy, resource: "proxy:\(environment.name)",
                cause: "destroy: the proxy on \(layout.settings.listen) stops taking traffic; its files under \(layout.settings.root) go",
                effect: .delete, changes: [FieldChange(field: "layout", before: Short.hash(seen.configSHA256), after: nil)],
                target: .proxy(layout)
            )
            graph.add(action, rank: 0)
            proxyStop = [action.id]
        }

        // A service's containers go before those of the services it depends on.
        var dependents: [String: Set<String>] = [:]
        for service in environment.services {
            for dependency in service.dependsOn where dependency.condition != .migrationsApplied {
                dependents[dependency.service, default: []].insert(service.name)
            }
        }
        var removals: [String: [String]] = [:]
        for container in observed.containers {
            removals[container.service ?? "", default: []].append("\(PlanAction.Kind.remove.rawValue):container:\(container.name)")
        }
        let order = serviceOrder(environment)
        let rankOf = Dictionary(order.enumerated().map { (environment.services[$1].name, order.count - $0) }, uniquingKeysWith: { first, _ in first })
        for container in observed.containers {
            let service = container.service ?? ""
            let after = (dependents[service] ?? []).sorted().flatMap { removals[$0] ?? [] }
            let state = container.isRunning ? "stopped, then removed" : "removed (it is \(container.state))"
            graph.add(
                PlanAction(
                    kind: .remove, resource: "container:\(container.name)",
                    cause: "destroy: \(service.isEmpty ? "a container" : "a container of \(service)") carrying the labels of \(environment.name), \(state); berth apply re-creates it",
                    effect: .delete, dependsOn: proxyStop + after,
                    changes: [FieldChange(field: "image", before: container.image, after: nil)],
                    target: .container(id: container.id, name: container.name)
                ),
                rank: 1 + (rankOf[service] ?? 0)
            )
        }
        let allRemovals = removals.values.flatMap { $0 }.sorted()

        let configRank = 2 + order.count
        let onDisk = observed.configs.filter { $0.sha256 != nil }
        for seen in onDisk {
            guard let file = environment.configs.file(named: seen.name) else { continue }
            if options.keepConfigs {
                kept.append("config:\(seen.name): \(file.target) stays (--keep-configs)")
                continue
            }
            // Loading keeps every target inside configs.root; a plan never removes a file elsewhere.
            guard Paths.isInside(file.target, root: environment.configs.root), file.target != environment.configs.root else {
                problems.append("config:\(seen.name): \(file.target) is outside configs.root \(environment.configs.root); Berth does not remove it")
                continue
            }
            let mounting = environment.services.filter { service in service.configs.contains { $0.config == seen.name } }.map(\.name)
            graph.add(
                PlanAction(
                    kind: .removeConfig, resource: "config:\(seen.name)",
                    cause: "destroy: Berth wrote \(file.target); berth apply writes it again", effect: .delete,
                    dependsOn: mounting.sorted().flatMap { removals[$0] ?? [] },
                    changes: [FieldChange(field: "content", before: Short.hash(seen.sha256), after: nil)], undo: .restoreConfig,
                    target: .config(ConfigWrite(name: seen.name, path: file.target, mode: seen.mode ?? file.mode, sha256: seen.sha256 ?? ""))
                ),
                rank: configRank
            )
        }

        if let database = environment.database {
            let resource = "database:\(databaseName(database.location))"
            let applied = (observed.migrations ?? []).filter(\.success)
            if !options.dropDatabase {
                kept.append("\(resource): database kept, with its data (--drop-database drops it)")
            } else if applied.isEmpty {
                kept.append("\(resource): no migration of Berth's is recorded there: nothing of Berth's to drop")
            } else {
                let what = switch database.location {
                case .sqlite(let path): "the file \(path) (and its -wal and -shm) is deleted"
                case .postgres: "every table, view, sequence, function and type of the schema the migrations use, and \(historyTable), are dropped"
                }
                graph.add(
                    PlanAction(
                        kind: .dropDatabase, resource: resource,
                        cause: "destroy --drop-database: \(what); its data is lost unless restored from the backup taken just before",
                        effect: .delete, dependsOn: allRemovals,
                        changes: [FieldChange(field: "migrations", before: applied.last.map { "\(applied.count) applied, last \($0.version)" }, after: nil)],
                        target: .database(database.location)
                    ),
                    rank: configRank + 1
                )
            }
        }

        return Plan(
            environment: environment.name, project: environment.project, fingerprint: Fingerprint.of(desired: desired, observed: observed),
            actions: graph.sorted(), problems: problems, kept: kept
        )
    }

    /// The history table's name, as plans name it (the planner does not depend on the probes).
    private static let historyTable = "berth_schema_history"

    /// `app.sqlite` for a SQLite file, the database name of a PostgreSQL URL.
    static func databaseName(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let path):
            return Paths.fileName(of: path)
        case .postgres(let url, _):
            let path = url.split(separator: "?").first.map(String.init) ?? url
            return path.split(separator: "/").last.map(String.init) ?? "postgres"
        }
    }
}
