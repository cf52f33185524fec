public import BerthModel
import BerthCore

/// Stage 3: desired + observed -> an ordered, explained plan. A pure function: no I/O, no clock.
///
/// It runs in passes over the findings (`Comparison`), each in a file of its own: migrations,
/// configs, the containers of each service in dependency order, removals. Ordering rules:
/// migrations in version order, before the services that wait for `migrations_applied`; config
/// writes before the containers that mount them (a rewritten file also replaces those containers,
/// which hold the old file); `depends_on` order between services; replicas of a service one after
/// the other. Ties break by rank (the pass), then resource name.
public enum Planner {
    public static func plan(desired: DesiredState, observed: ObservedState) -> Plan {
        func passes() -> (actions: [PlanAction], problems: [String]) {
            var builder = PlanBuilder(desired: desired, observed: observed)
            builder.planMigrations()
            builder.planConfigs()
            builder.planProxy(rank: 1)
            let services = desired.environment.services
            for (rank, index) in serviceOrder(desired.environment).enumerated() {
                let service = services[index]
                if let traffic = service.traffic, let proxy = desired.environment.proxy {
                    builder.planRoutedContainers(of: service, traffic: traffic, proxy: proxy, rank: 2 + rank)
                } else {
                    builder.planContainers(of: service, rank: 2 + rank)
                }
            }
            builder.planRemovals(rank: 2 + desired.environment.services.count)
            return (builder.graph.sorted(), builder.problems)
        }
        // A large state's fingerprint is computed beside the passes, on another core.
        let fingerprint: String
        let planned: (actions: [PlanAction], problems: [String])
        if desired.environment.services.count + observed.containers.count > 1000 {
            (fingerprint, planned) = Concurrently.run({ Fingerprint.of(desired: desired, observed: observed) }, passes)
        } else {
            (fingerprint, planned) = (Fingerprint.of(desired: desired, observed: observed), passes())
        }
        return Plan(
            environment: desired.environment.name, project: desired.environment.project, fingerprint: fingerprint,
            actions: planned.actions, problems: planned.problems
        )
    }

    /// The indices of the services so that each comes after those it depends on; ties by name. Should a
    /// cycle remain (validation refuses them), its services follow by name rather than vanish.
    static func serviceOrder(_ environment: Environment) -> [Int] {
        let services = environment.services
        let index = Dictionary(services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let names = services.map(\.name)
        let dependencies: [[Int]] = services.map { service in
            service.dependsOn.filter { $0.condition != .migrationsApplied }.compactMap { index[$0.service] }
        }
        let (order, cyclic) = TopologicalOrder.sort(
            count: services.count, dependencies: { dependencies[$0] }, before: { (a: Int, b: Int) -> Bool in names[a] < names[b] }
        )
        return order + cyclic.sorted { names[$0] < names[$1] }
    }
}

/// What the passes share while a plan is made: the graph so far, the problems, and what later passes
/// depend on (the last migration, each config's write, each service's actions).
struct PlanBuilder {
    let desired: DesiredState
    let observed: ObservedState
    let findings: [Finding]
    var graph = ActionGraph()
    var problems: [String] = []
    var lastMigration: String?
    var configWrites: [String: String] = [:]
    var serviceActions: [String: [String]] = [:]
    /// The proxy's configuration, when the plan changes it: every switch comes after it.
    var proxyAction: String?
    /// Host ports routed replicas cannot take; filled when the first is chosen.
    var usedEndpointPorts: Set<Int>?
    /// A replica's finding, and its observed container.
    let containerFindings: [Replica: Finding]
    let observedByReplica: [Replica: ObservedContainer]
    let observedNames: Set<String>
    /// Config name -> its target on the host.
    let configTargets: [String: String]

    init(desired: DesiredState, observed: ObservedState) {
        self.desired = desired
        self.observed = observed
        let findings = Comparison.findings(desired: desired, observed: observed)
        self.findings = findings
        var byReplica: [Replica: Finding] = [:]
        for finding in findings {
            switch finding {
            case .containerMissing(let service, let replica), .containerOutdated(let service, let replica, _, _),
                 .containerStopped(let service, let replica, _):
                byReplica[Replica(service: service, number: replica)] = finding
            default:
                continue
            }
        }
        containerFindings = byReplica
        observedByReplica = Dictionary(
            observed.containers.compactMap { c in c.service.flatMap { s in c.replica.map { (Replica(service: s, number: $0), c) } } },
            uniquingKeysWith: { first, _ in first }
        )
        observedNames = Set(observed.containers.map(\.name))
        configTargets = Dictionary(
            desired.environment.configs.files.map { ($0.name, $0.target) }, uniquingKeysWith: { first, _ in first }
        )
    }

    /// Adds `steps` one after the other, the first after `after`; returns their ids.
    @discardableResult
    mutating func chain(_ steps: [PlanAction], after: [String], rank: Int) -> [String] {
        var previous = after
        var ids: [String] = []
        for var step in steps {
            step.dependsOn = previous
            graph.add(step, rank: rank)
            previous = [step.id]
            ids.append(step.id)
        }
        return ids
    }
}

/// A replica of a service, as a dictionary key.
struct Replica: Hashable {
    var service: String
    var number: Int
}

/// Short forms for causes and changes.
enum Short {
    static func hash(_ hash: String?) -> String? { hash.map { String($0.prefix(12)) } }

    static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
