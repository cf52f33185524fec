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

    /// `HOST:PORT` as a listener is written: an IPv4 address or a bracketed IPv6 one (`[::1]:8080`), and a
    /// port 1-65535; TCP.
    public init(parsingListen text: String) throws(ValueError) {
        let bytes = Array(text.utf8)[...]
        let host: ArraySlice<UInt8>
        let port: ArraySlice<UInt8>
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), bytes[(close + 1)...].first == UInt8(ascii: ":") else {
                throw ValueError("'\(text)' is not [IPV6]:PORT; write it like [::1]:8080")
            }
            host = bytes[(bytes.startIndex + 1)..<close]
            port = bytes[(close + 2)...]
        } else {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), !bytes[(colon + 1)...].contains(UInt8(ascii: ":")) else {
                throw ValueError("'\(text)' is not HOST:PORT; write it like 127.0.0.1:8080, 0.0.0.0:80 or [::1]:8080")
            }
            host = bytes[..<colon]
            port = bytes[(colon + 1)...]
        }
        let address = String(decoding: host, as: UTF8.self)
        // A bracketed address is IPv6, a bare one IPv4.
        guard PortMapping.isIPAddress(address), address.contains(":") == (bytes.first == UInt8(ascii: "[")) else {
            throw ValueError("'\(text)': '\(address)' is not an IP address; write one such as 127.0.0.1, 0.0.0.0 or [::1]")
        }
        self.init(hostIP: address, port: try PortMapping.port(port, in: text))
    }

    /// `127.0.0.1:8080`, `[::1]:8080`: as a listener is written.
    public var listenText: String {
        let address = hostIP ?? "0.0.0.0"
        return (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
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
