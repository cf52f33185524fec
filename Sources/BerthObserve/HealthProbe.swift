import BerthEngine

/// What an HTTP health check got: a status, or why there was none.
public enum HealthCheckResult: Hashable, Sendable, CustomStringConvertible {
    /// A 2xx or 3xx answer.
    case healthy(status: Int)
    /// Any other answer.
    case unhealthy(status: Int)
    /// No answer: `reason` says why, in a few words ("connection refused", "no answer within 2s").
    case unreachable(reason: String)

    public var isHealthy: Bool {
        if case .healthy = self { return true }
        return false
    }

    /// `HTTP 200`, `HTTP 404`, or the reason there was no answer.
    public var description: String {
        switch self {
        case .healthy(let status), .unhealthy(let status): "HTTP \(status)"
        case .unreachable(let reason): reason
        }
    }
}

/// An HTTP GET of a health endpoint, answered within a timeout.
public protocol HealthProbe: Sendable {
    func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult
}

extension HealthProbe {
    /// Whether the endpoint answers 2xx or 3xx within the timeout.
    public func isHealthy(host: String, port: Int, path: String, timeout: Duration) async -> Bool {
        await check(host: host, port: port, path: path, timeout: timeout).isHealthy
    }
}

/// GET over a plain TCP connection, through the transport that talks to the engine.
public struct HTTPHealthProbe: HealthProbe {
    public init() {}

    public func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult {
        let transport = SocketTransport(endpoint: .tcp(host: host, port: port))
        do {
            let response = try await transport.send(HTTPRequest(method: "GET", path: path), timeout: timeout)
            return (200..<400).contains(response.status) ? .healthy(status: response.status) : .unhealthy(status: response.status)
        } catch {
            // The system says "Connection refused"; in a line like "web-1: connection refused" it reads lower case.
            let reason = error.reason
            return .unreachable(reason: reason.prefix(1).lowercased() + reason.dropFirst())
        }
    }
}

/// The double for tests of health gates: scripted results by `host:port`, without a network.
///
/// Each check of an address takes the next of its results; the last one repeats. An address with
/// no script answers `unscripted`. Every check is recorded in ``calls`` as `host:port/path`.
public actor InMemoryHealthProbe: HealthProbe {
    private var scripts: [String: [HealthCheckResult]]
    private let unscripted: HealthCheckResult

    /// Every check, in order, as `host:port/path`.
    public private(set) var calls: [String] = []

    public init(
        _ scripts: [String: [HealthCheckResult]] = [:],
        unscripted: HealthCheckResult = .unreachable(reason: "connection refused")
    ) {
        self.scripts = scripts
        self.unscripted = unscripted
    }

    /// Replaces the results for `address` (`host:port`).
    public func script(_ address: String, _ results: [HealthCheckResult]) {
        scripts[address] = results
    }

    public func check(host: String, port: Int, path: String, timeout: Duration) async -> HealthCheckResult {
        let address = "\(host):\(port)"
        calls.append(address + path)
        guard var results = scripts[address], let next = results.first else { return unscripted }
        if results.count > 1 {
            results.removeFirst()
            scripts[address] = results
        }
        return next
    }
}
