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

    private var edges: [String: [Edge]] = [:]
    private var healthchecked: Set<String> = []
    private var declared: [String] = []
    /// Host ports actually bound, by protocol and port: a replica binds one port of its range.
    private var bindings: [Int: [Binding]] = [:]
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
            if let other = bindings[key]?.first(where: { PortMapping.addressesOverlap($0.hostIP, mapping.hostIP) }) {
                portConflicts.append(.error(
                    at: location,
                    "\(binding.path): host port \(port)/\(mapping.protocol.rawValue) is already published by \(other.path) (line \(other.location.line))"
                ))
                return
            }
            bindings[key, default: []].append(binding)
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

        enum Mark { case visiting, done }
        var marks: [String: Mark] = Dictionary(minimumCapacity: declared.count)
        for start in declared.sorted() where marks[start] == nil {
            // Iterative depth-first search: a long chain of depends_on must not exhaust the stack.
            var stack: [(service: String, next: Int)] = [(start, 0)]
            marks[start] = .visiting
            while let top = stack.last {
                let list = edges[top.service] ?? []
                guard top.next < list.count else {
                    marks[top.service] = .done
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let edge = list[top.next]
                switch marks[edge.to] {
                case nil:
                    marks[edge.to] = .visiting
                    stack.append((edge.to, 0))
                case .visiting:
                    let from = stack.firstIndex { $0.service == edge.to } ?? 0
                    let cycle = stack[from...].map(\.service) + [edge.to]
                    diagnostics.append(.error(
                        at: edge.location,
                        "\(edge.path): dependency cycle \(cycle.joined(separator: " -> "))"
                    ))
                case .done:
                    break
                }
            }
        }
        return diagnostics
    }
}
