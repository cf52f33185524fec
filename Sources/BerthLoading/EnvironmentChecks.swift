import BerthYAML
import BerthModel
import BerthCore

/// The checks that need every service at once: dependency cycles, host ports taken twice (by two
/// services, or by a service and the proxy's listener), two routes to one host and path, and
/// `service_healthy` on a service without a health check.
///
/// The key paths of ports and dependencies (`services.web.ports[0]`) are written out only when a
/// message names them.
struct EnvironmentChecks {
    private struct Edge {
        var from: String
        var to: String
        var condition: Dependency.Condition
        var location: SourceLocation
        /// The place in a `depends_on` list; nil in a `depends_on` mapping, whose key is `to`.
        var item: Int?

        var path: String {
            let list = NodeReader.join(NodeReader.join("services", from), "depends_on")
            return item.map { NodeReader.join(list, index: $0) } ?? NodeReader.join(list, to)
        }
    }

    private struct Binding {
        /// nil for the proxy's listener.
        var service: String?
        var location: SourceLocation
        /// The place in the service's `ports` list.
        var item: Int

        var path: String {
            guard let service else { return "proxy.listen" }
            return NodeReader.join(NodeReader.join(NodeReader.join("services", service), "ports"), index: item)
        }
    }

    private struct RouteKey: Hashable {
        var host: String?
        var path: String
    }

    private var edges: [String: [Edge]] = [:]
    private var healthchecked: Set<String> = []
    private var declared: [String] = []
    /// Host ports actually bound (a replica binds one port of its range), filed by position in `bindings`.
    private var bound = HostPortIndex()
    private var bindings: [Binding] = []
    private var portConflicts: [Diagnostic] = []
    /// The first service routed for each host and path.
    private var routes: [RouteKey: (service: String, location: SourceLocation)] = [:]
    private var routeConflicts: [Diagnostic] = []
    /// The replicas of every routed service: each takes two of the proxy's loopback ports.
    private(set) var routedReplicas = 0

    mutating func declare(service: String, hasHealthcheck: Bool) {
        declared.append(service)
        if hasHealthcheck { healthchecked.insert(service) }
    }

    /// `item` is the dependency's place in a `depends_on` list, nil in a `depends_on` mapping.
    mutating func depend(
        _ service: String, on other: String, condition: Dependency.Condition, at location: SourceLocation, item: Int?
    ) {
        edges[service, default: []].append(Edge(from: service, to: other, condition: condition, location: location, item: item))
    }

    /// `port` is the mapping's place in the service's `ports` list.
    mutating func publish(_ mapping: PortMapping, service: String, replicas: Int, at location: SourceLocation, port item: Int) {
        guard let hostPorts = mapping.hostPorts else { return }
        let used = hostPorts.lowerBound..<(hostPorts.lowerBound + min(replicas, hostPorts.count))
        let binding = Binding(service: service, location: location, item: item)
        bindings.append(binding)
        for port in used {
            let hostPort = HostPort(hostIP: mapping.hostIP, port: port, protocol: mapping.protocol.rawValue)
            if let position = bound.first(overlapping: hostPort) {
                let other = bindings[position]
                let holder = other.service == nil
                    ? "is where the proxy listens (\(other.path), line \(other.location.line)); clients reach routed services through it"
                    : "is already published by \(other.path) (line \(other.location.line))"
                portConflicts.append(.error(at: location, "\(binding.path): host port \(port)/\(mapping.protocol.rawValue) \(holder)"))
                return
            }
            bound.file(bindings.count - 1, under: hostPort)
        }
    }

    func findPortConflicts() -> [Diagnostic] { portConflicts }

    /// The proxy's listener, reserved before any service publishes a port.
    mutating func reserve(listen: HostPort, at location: SourceLocation) {
        bindings.append(Binding(service: nil, location: location, item: 0))
        bound.file(bindings.count - 1, under: listen)
    }

    /// A routed service's route, `location` being its `route` key.
    mutating func route(_ route: Route, service: String, replicas: Int, at location: SourceLocation) {
        routedReplicas += replicas
        let key = RouteKey(host: route.host, path: route.path)
        guard let first = routes[key] else {
            routes[key] = (service, location)
            return
        }
        routeConflicts.append(.error(
            at: location,
            "services.\(service).route: host \(route.host ?? "(any)") and path \(route.path) are already routed to services.\(first.service) (line \(first.location.line))"
        ))
    }

    func findRouteConflicts() -> [Diagnostic] { routeConflicts }

    /// Every cycle once, named in full (`web -> worker -> web`), at the edge that closes it;
    /// and `service_healthy` on a service that has no health check.
    func findCycles() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for edge in edges.values.joined() where edge.condition == .serviceHealthy && !healthchecked.contains(edge.to) {
            diagnostics.append(.error(
                at: edge.location,
                "\(edge.path): service_healthy, but services.\(edge.to) has no healthcheck"
            ))
        }

        // Each group of services that depend on one another in a circle (a strongly connected component)
        // is reported once, by its shortest cycle through its first service by name, at the edge that
        // closes it: linear in services and edges, however tangled they are.
        for component in stronglyConnectedComponents() {
            guard let cycle = shortestCycle(in: component), let closing = cycle.last else { continue }
            let names = [cycle[0].from] + cycle.map(\.to)
            diagnostics.append(.error(at: closing.location, "\(closing.path): dependency cycle \(names.joined(separator: " -> "))"))
        }
        return diagnostics
    }

    /// Tarjan's algorithm, iterative: the components in the order a depth-first search from the services
    /// sorted by name closes them.
    private func stronglyConnectedComponents() -> [[String]] {
        var index: [String: Int] = [:]
        var lowLink: [String: Int] = [:]
        var onStack: Set<String> = []
        var stack: [String] = []
        var components: [[String]] = []
        var counter = 0
        let known = Set(declared)
        for root in declared.sorted() where index[root] == nil {
            var work: [(service: String, next: Int)] = [(root, 0)]
            index[root] = counter; lowLink[root] = counter; counter += 1
            stack.append(root); onStack.insert(root)
            while let top = work.last {
                let list = edges[top.service] ?? []
                if top.next < list.count {
                    work[work.count - 1].next += 1
                    let to = list[top.next].to
                    guard known.contains(to) else { continue }
                    if index[to] == nil {
                        index[to] = counter; lowLink[to] = counter; counter += 1
                        stack.append(to); onStack.insert(to)
                        work.append((to, 0))
                    } else if onStack.contains(to) {
                        lowLink[top.service] = min(lowLink[top.service] ?? 0, index[to] ?? 0)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last {
                    lowLink[parent.service] = min(lowLink[parent.service] ?? 0, lowLink[top.service] ?? 0)
                }
                guard lowLink[top.service] == index[top.service] else { continue }
                var component: [String] = []
                while let member = stack.popLast() {
                    onStack.remove(member)
                    component.append(member)
                    if member == top.service { break }
                }
                components.append(component)
            }
        }
        return components
    }

    /// The shortest cycle through the component's first service by name, as its edges; nil for a single
    /// service that does not depend on itself.
    private func shortestCycle(in component: [String]) -> [Edge]? {
        guard let start = component.min() else { return nil }
        let members = Set(component)
        var reachedBy: [String: Edge] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let service = queue[head]
            head += 1
            for edge in edges[service] ?? [] where members.contains(edge.to) {
                if edge.to == start {
                    var path = [edge]
                    var at = service
                    while at != start, let previous = reachedBy[at] {
                        path.append(previous)
                        at = previous.from
                    }
                    return path.reversed()
                }
                if reachedBy[edge.to] == nil {
                    reachedBy[edge.to] = edge
                    queue.append(edge.to)
                }
            }
        }
        return nil
    }
}
