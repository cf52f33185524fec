import BerthYAML
import BerthModel
import BerthCore

/// The checks that need every service at once: dependency cycles, host ports taken twice,
/// and `service_healthy` on a service without a health check.
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
        var service: String
        var hostIP: String?
        var location: SourceLocation
        /// The place in the service's `ports` list.
        var item: Int

        var path: String { NodeReader.join(NodeReader.join(NodeReader.join("services", service), "ports"), index: item) }
    }

    /// The bindings of one host port and protocol. Two that overlap are never both kept (the second is a
    /// conflict), so the port is bound either on every address once or on each address at most once, and the
    /// binding a new one collides with is found by one lookup, however many addresses share the port.
    private struct PortUsers {
        var first: Binding
        var everyAddress: Binding?
        var byAddress: [String: Binding] = [:]

        init(_ binding: Binding) {
            first = binding
            add(binding)
        }

        /// The binding that `hostIP` collides with: the same address, or either binds every address.
        func overlapping(_ hostIP: String?) -> Binding? {
            guard let hostIP, !PortMapping.bindsEveryAddress(hostIP) else { return first }
            return everyAddress ?? byAddress[hostIP]
        }

        mutating func add(_ binding: Binding) {
            if let hostIP = binding.hostIP, !PortMapping.bindsEveryAddress(hostIP) {
                byAddress[hostIP] = binding
            } else {
                everyAddress = binding
            }
        }
    }

    private var edges: [String: [Edge]] = [:]
    private var healthchecked: Set<String> = []
    private var declared: [String] = []
    /// Host ports actually bound, by protocol and port: a replica binds one port of its range.
    private var bindings: [Int: PortUsers] = [:]
    private var portConflicts: [Diagnostic] = []

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
        for port in used {
            let key = port * 2 + (mapping.protocol == .tcp ? 0 : 1)
            let binding = Binding(service: service, hostIP: mapping.hostIP, location: location, item: item)
            guard bindings[key] != nil else {
                bindings[key] = PortUsers(binding)
                continue
            }
            if let other = bindings[key]?.overlapping(mapping.hostIP) {
                portConflicts.append(.error(
                    at: location,
                    "\(binding.path): host port \(port)/\(mapping.protocol.rawValue) is already published by \(other.path) (line \(other.location.line))"
                ))
                return
            }
            bindings[key]?.add(binding)
        }
    }

    func findPortConflicts() -> [Diagnostic] { portConflicts }

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
