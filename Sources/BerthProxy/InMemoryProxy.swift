public import BerthModel
import Synchronization

/// The proxy double: a server table per environment root, counters the test sets, and faults to inject.
public final class InMemoryProxy: ProxyDriver, Sendable {
    public struct Snapshot: Sendable {
        /// Root -> the layout it runs.
        public var layouts: [String: ProxyLayout] = [:]
        /// Root -> its slots.
        public var servers: [String: [ProxyServer]] = [:]
        /// Root -> backend -> slot -> counters.
        public var counters: [String: [String: [String: ServerCounters]]] = [:]
        /// Every call, in order: `configure ROOT`, `set BACKEND s1=ADDR:PORT/ready/100 ...`, `counters BACKEND`, `stop ROOT`.
        public var calls: [String] = []
        /// Starts and reloads, by root.
        public var starts = 0
        public var reloads = 0
        /// The next calls of these kinds (`configure`, `set`, `counters`) fail with this message.
        public var failures: [String: String] = [:]
        /// Traffic between two looks: backend -> slot -> what each `counters` call adds to the slot's counters
        /// first (as if requests came in since the last look), when the slot is not out of rotation.
        public var trafficPerLook: [String: [String: ServerCounters]] = [:]
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update<T>(_ body: (inout Snapshot) -> T) -> T { state.withLock { body(&$0) } }

    public func observe(_ settings: ProxySettings) async -> ObservedProxy {
        state.withLock { snapshot in
            guard let layout = snapshot.layouts[settings.root] else { return ObservedProxy(configSHA256: nil) }
            return ObservedProxy(configSHA256: layout.sha256, servers: snapshot.servers[settings.root] ?? [])
        }
    }

    public func configure(_ layout: ProxyLayout) async throws(ProxyError) {
        let root = layout.settings.root
        try state.withLock { (snapshot: inout Snapshot) throws(ProxyError) in
            snapshot.calls.append("configure \(root)")
            if let message = snapshot.failures.removeValue(forKey: "configure") { throw ProxyError(message) }
            if snapshot.layouts[root] == nil { snapshot.starts += 1 } else { snapshot.reloads += 1 }
            snapshot.layouts[root] = layout
            let old = snapshot.servers[root] ?? []
            var servers: [ProxyServer] = []
            for backend in layout.backends {
                for slot in backend.slotNames {
                    servers.append(old.first { $0.backend == backend.name && $0.name == slot } ?? ProxyServer(
                        backend: backend.name, name: slot, address: "127.0.0.1", port: 0, admin: .maint, up: false, weight: 1
                    ))
                }
            }
            snapshot.servers[root] = servers
        }
    }

    public func set(_ settings: ProxySettings, backend: String, servers: [ServerSetting]) async throws(ProxyError) {
        try state.withLock { (snapshot: inout Snapshot) throws(ProxyError) in
            let described = servers.map { "\($0.slot)=\($0.endpoint)/\($0.admin.rawValue)/\($0.weight)" }.joined(separator: " ")
            snapshot.calls.append("set \(backend) \(described)")
            if let message = snapshot.failures.removeValue(forKey: "set") { throw ProxyError(message) }
            guard var table = snapshot.servers[settings.root] else { throw ProxyError("the proxy does not run") }
            for setting in servers {
                guard let index = table.firstIndex(where: { $0.backend == backend && $0.name == setting.slot }) else {
                    throw ProxyError("no server \(backend)/\(setting.slot)")
                }
                table[index].address = setting.address
                table[index].port = setting.port
                table[index].admin = setting.admin
                table[index].weight = setting.weight
                table[index].up = setting.admin != .maint
            }
            snapshot.servers[settings.root] = table
        }
    }

    public func counters(_ settings: ProxySettings, backend: String) async throws(ProxyError) -> [ServerCounters] {
        try state.withLock { (snapshot: inout Snapshot) throws(ProxyError) in
            snapshot.calls.append("counters \(backend)")
            if let message = snapshot.failures.removeValue(forKey: "counters") { throw ProxyError(message) }
            let slots = (snapshot.servers[settings.root] ?? []).filter { $0.backend == backend }
            for slot in slots where slot.admin != .maint {
                guard let added = snapshot.trafficPerLook[backend]?[slot.name] else { continue }
                var counters = snapshot.counters[settings.root]?[backend]?[slot.name] ?? ServerCounters(backend: backend, slot: slot.name)
                counters.responses2xx += added.responses2xx
                counters.responses5xx += added.responses5xx
                counters.connectionErrors += added.connectionErrors
                counters.currentSessions = added.currentSessions
                counters.responseTimeMilliseconds = added.responseTimeMilliseconds
                snapshot.counters[settings.root, default: [:]][backend, default: [:]][slot.name] = counters
            }
            return slots.map { slot in
                snapshot.counters[settings.root]?[backend]?[slot.name]
                    ?? ServerCounters(backend: backend, slot: slot.name, status: slot.admin == .maint ? "MAINT" : "UP")
            }
        }
    }

    public func stop(_ settings: ProxySettings) async throws(ProxyError) {
        state.withLock { snapshot in
            snapshot.calls.append("stop \(settings.root)")
            snapshot.layouts[settings.root] = nil
            snapshot.servers[settings.root] = nil
        }
    }
}
