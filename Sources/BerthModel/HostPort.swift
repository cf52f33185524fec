/// A port on the host: an address (nil for all of them), a number and a protocol.
public struct HostPort: Hashable, Sendable, Codable, CustomStringConvertible {
    public var hostIP: String?
    public var port: Int
    /// "tcp" or "udp".
    public var `protocol`: String

    /// Every address (nil, empty, `0.0.0.0`, `::`) is kept as nil, so ports compare equal however the engine writes them.
    public init(hostIP: String?, port: Int, protocol: String = "tcp") {
        self.hostIP = hostIP.flatMap { $0.isEmpty || $0 == "0.0.0.0" || $0 == "::" ? nil : $0 }
        self.port = port
        self.protocol = `protocol`
    }

    /// `127.0.0.1:18080/tcp`, `*:8080/tcp` for every address.
    public var description: String {
        let address = hostIP ?? "*"
        return "\(address.contains(":") ? "[\(address)]" : address):\(port)/\(`protocol`)"
    }
}
