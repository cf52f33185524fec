// Temporary until the health probe reports results.
public enum HealthCheckResult: Hashable, Sendable, CustomStringConvertible {
    case healthy(status: Int), unhealthy(status: Int), unreachable(reason: String)
    public var isHealthy: Bool { if case .healthy = self { true } else { false } }
    public var description: String {
        switch self {
        case .healthy(let status), .unhealthy(let status): "HTTP \(status)"
        case .unreachable(let reason): reason
        }
    }
}

extension HealthProbe {
    public func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult {
        await isHealthy(host: host, port: port, path: path, timeout: timeout) ? .healthy(status: 200) : .unreachable(reason: "not healthy")
    }
}
