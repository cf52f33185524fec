/// A port on this machine's side: an address (or all of them), a port number and a protocol.
///
/// What a published port takes on the host, as the planner and the port probe see it.
public struct HostPort: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The address; nil (or "", "0.0.0.0", "::") is all addresses.
    public var hostIP: String?
    public var port: Int
    /// "tcp" or "udp".
    public var `protocol`: String

    public init(hostIP: String? = nil, port: Int, protocol: String = "tcp") {
        self.hostIP = hostIP
        self.port = port
        self.protocol = `protocol`
    }

    /// Whether this is the port on every address of the machine.
    public var isAllAddresses: Bool {
        switch hostIP {
        case nil, "", "0.0.0.0", "::": true
        default: false
        }
    }

    /// The address to reach the port on from this machine: loopback for a port on all addresses.
    public var reachableAddress: String { isAllAddresses ? "127.0.0.1" : hostIP ?? "127.0.0.1" }

    /// Whether the two cannot both be bound: the same port and protocol on the same address, or on
    /// all addresses and any one of them.
    public func overlaps(_ other: HostPort) -> Bool {
        port == other.port && self.protocol == other.protocol
            && (isAllAddresses || other.isAllAddresses || hostIP == other.hostIP)
    }

    /// `127.0.0.1:18080/tcp`, `[::1]:8080/tcp`, `*:8080/tcp` for all addresses.
    public var description: String {
        let address: String
        switch hostIP {
        case let ip? where !isAllAddresses: address = ip.contains(":") ? "[\(ip)]" : ip
        default: address = "*"
        }
        return "\(address):\(port)/\(self.protocol)"
    }
}
