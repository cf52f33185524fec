import BerthEngine

/// Whether an HTTP endpoint answers 2xx or 3xx within a timeout.
public protocol HealthProbe: Sendable {
    func isHealthy(host: String, port: Int, path: String, timeout: Duration) async -> Bool
}

/// GET over a plain TCP connection, through the transport that talks to the engine.
public struct HTTPHealthProbe: HealthProbe {
    public init() {}

    public func isHealthy(host: String, port: Int, path: String, timeout: Duration) async -> Bool {
        let transport = SocketTransport(endpoint: .tcp(host: host, port: port))
        do {
            let response = try await transport.send(HTTPRequest(method: "GET", path: path), timeout: timeout)
            return (200..<400).contains(response.status)
        } catch {
            return false
        }
    }
}
