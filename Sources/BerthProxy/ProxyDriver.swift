public import BerthModel

/// A proxy Berth manages: it writes its configuration, starts it, and moves traffic through its
/// runtime interface, never by a reload. `HAProxyDriver` drives HAProxy; `InMemoryProxy` is the double.
public protocol ProxyDriver: Sendable {
    /// One exchange: the hash of the layout the running proxy loaded, and every server slot of every
    /// backend. A proxy that does not run gives `ObservedProxy(configSHA256: nil)`, not an error.
    func observe(_ settings: ProxySettings) async -> ObservedProxy

    /// Writes the configuration for `layout` (checked before it replaces the old one), starts the proxy
    /// when it does not run, and reloads it seamlessly when it runs another layout: listeners are
    /// handed over, and the server table is kept (slots that no longer exist are dropped).
    func configure(_ layout: ProxyLayout) async throws(ProxyError)

    /// Sets the given slots of a backend (address, port, weight, state), in one exchange.
    func set(_ settings: ProxySettings, backend: String, servers: [ServerSetting]) async throws(ProxyError)

    /// The counters of every slot of a backend, in one exchange.
    func counters(_ settings: ProxySettings, backend: String) async throws(ProxyError) -> [ServerCounters]

    /// Stops the proxy and removes the files Berth wrote for it (configuration, pid file, socket, saved
    /// server table), for `destroy` and tests; nothing when it does not run.
    func stop(_ settings: ProxySettings) async throws(ProxyError)
}

public struct ProxyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
