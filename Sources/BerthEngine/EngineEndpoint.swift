/// Where the container engine listens: a unix socket or a TCP address (plain HTTP, no TLS).
public enum EngineEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// `unix:///run/berth-podman.sock`
    case unix(path: String)
    /// `tcp://127.0.0.1:2375`
    case tcp(host: String, port: Int)

    /// The longest socket path a `sockaddr_un` holds (108 bytes with the terminating NUL on Linux).
    static let maximumSocketPathLength = 107

    /// Docker's port for plain-HTTP TCP endpoints, used when `tcp://HOST` names none.
    public static let defaultTCPPort = 2375

    /// Parses the forms `DOCKER_HOST` takes: `unix:///absolute/path` and `tcp://host[:port]`
    /// (IPv6 hosts in brackets, `tcp://[::1]:2375`).
    public init(parsing text: String) throws(EngineError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalidEndpoint(text, reason: "it is empty") }
        guard let schemeEnd = trimmed.firstRange(of: "://") else {
            if trimmed.hasPrefix("/") {
                throw .invalidEndpoint(text, reason: "a socket path needs the unix:// scheme (unix://\(trimmed))")
            }
            throw .invalidEndpoint(text, reason: "expected unix:///path/to/socket or tcp://host:port")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        let rest = String(trimmed[schemeEnd.upperBound...])
        switch scheme {
        case "unix":
            guard rest.hasPrefix("/") else {
                throw .invalidEndpoint(text, reason: "the socket path must be absolute (unix:///path/to/socket)")
            }
            guard rest.utf8.count <= Self.maximumSocketPathLength else {
                throw .invalidEndpoint(text, reason: "the socket path is longer than \(Self.maximumSocketPathLength) bytes")
            }
            guard !rest.utf8.contains(0) else { throw .invalidEndpoint(text, reason: "the socket path contains a NUL byte") }
            self = .unix(path: rest)
        case "tcp":
            self = try Self.parseTCP(rest, text: text)
        case "https", "http":
            throw .invalidEndpoint(text, reason: "use tcp://host:port for a plain-HTTP engine (TLS is not supported)")
        default:
            throw .invalidEndpoint(text, reason: "unsupported scheme \"\(scheme)\" (expected unix:// or tcp://)")
        }
    }

    private static func parseTCP(_ authority: String, text: String) throws(EngineError) -> EngineEndpoint {
        var authority = Substring(authority)
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains("/") else { throw .invalidEndpoint(text, reason: "a tcp endpoint takes no path") }
        guard !authority.contains("@") else { throw .invalidEndpoint(text, reason: "a tcp endpoint takes no user") }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidEndpoint(text, reason: "an IPv6 address needs a closing \"]\"")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw .invalidEndpoint(text, reason: "expected \":port\" after the IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            guard !host.contains(":") else {
                throw .invalidEndpoint(text, reason: "write an IPv6 address in brackets (tcp://[::1]:2375)")
            }
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidEndpoint(text, reason: "the host is missing") }
        var port = defaultTCPPort
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                let number = Int(portText), (1...65535).contains(number)
            else {
                throw .invalidEndpoint(text, reason: "the port must be a number from 1 to 65535, not \"\(portText)\"")
            }
            port = number
        }
        return .tcp(host: String(host), port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix://\(path)"
        case .tcp(let host, let port): "tcp://\(Self.bracketed(host)):\(port)"
        }
    }

    /// The `Host` header sent to this endpoint (Podman answers 400 without one).
    var hostHeader: String {
        switch self {
        case .unix: "localhost"
        case .tcp(let host, let port): "\(Self.bracketed(host)):\(port)"
        }
    }

    private static func bracketed(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
