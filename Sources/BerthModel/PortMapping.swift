/// A published port in compose's short syntax: `[HOST_IP:][HOST_PORT[-HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]`.
///
/// A range of host ports gives each replica its own: replica 1 the first port, replica 2 the next.
public struct PortMapping: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum TransportProtocol: String, Hashable, Sendable, Codable {
        case tcp, udp
    }

    /// The host address to bind; nil binds every address.
    public var hostIP: String?
    /// The host ports, one per replica; nil publishes the container port on no fixed host port.
    public var hostPorts: ClosedRange<Int>?
    public var containerPort: Int
    public var `protocol`: TransportProtocol

    public init(hostIP: String? = nil, hostPorts: ClosedRange<Int>?, containerPort: Int, protocol: TransportProtocol = .tcp) {
        self.hostIP = hostIP
        self.hostPorts = hostPorts
        self.containerPort = containerPort
        self.protocol = `protocol`
    }

    public init(parsing text: String) throws(ValueError) {
        // ASCII grammar: work on bytes.
        var rest = Array(text.utf8)[...]
        var proto = TransportProtocol.tcp
        if let slash = rest.lastIndex(of: UInt8(ascii: "/")) {
            guard let value = TransportProtocol(rawValue: String(decoding: rest[(slash + 1)...], as: UTF8.self)) else {
                throw ValueError("'\(text)': the protocol must be tcp or udp")
            }
            proto = value
            rest = rest[..<slash]
        }
        var hostIP: String?
        if rest.first == UInt8(ascii: "[") {
            // [::1]:8080:80
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else {
                throw ValueError("'\(text)': unclosed '[' in the host address")
            }
            hostIP = String(decoding: rest[(rest.startIndex + 1)..<close], as: UTF8.self)
            rest = rest[(close + 1)...]
            guard rest.first == UInt8(ascii: ":") else { throw ValueError("'\(text)': expected ':' after the host address") }
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        let hostPart: ArraySlice<UInt8>?
        let containerPart: ArraySlice<UInt8>
        switch parts.count {
        case 1:
            hostPart = nil
            containerPart = parts[0]
        case 2:
            hostPart = parts[0].isEmpty ? nil : parts[0]
            containerPart = parts[1]
        case 3 where hostIP == nil:
            hostIP = String(decoding: parts[0], as: UTF8.self)
            hostPart = parts[1].isEmpty ? nil : parts[1]
            containerPart = parts[2]
        default:
            throw ValueError("'\(text)' is not a port mapping; write it like 8080:80 or 127.0.0.1:8080-8081:80")
        }
        if let ip = hostIP, !Self.isIPAddress(ip) {
            throw ValueError("'\(text)': '\(ip)' is not an IP address")
        }
        self.hostIP = hostIP
        self.containerPort = try Self.port(containerPart, in: text)
        if let hostPart {
            let bounds = hostPart.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            guard bounds.count <= 2 else { throw ValueError("'\(text)': a host port range is FIRST-LAST") }
            let low = try Self.port(bounds[0], in: text)
            let high = bounds.count == 2 ? try Self.port(bounds[1], in: text) : low
            guard low <= high else { throw ValueError("'\(text)': the host port range \(low)-\(high) runs backwards") }
            self.hostPorts = low...high
        } else {
            self.hostPorts = nil
        }
        self.protocol = proto
    }

    /// The host port replica `index` (0-based) publishes on, if the range has one for it.
    public func hostPort(forReplica index: Int) -> Int? {
        guard let hostPorts, index < hostPorts.count else { return nil }
        return hostPorts.lowerBound + index
    }

    public var description: String {
        var text = ""
        if let hostIP { text += hostIP.contains(":") ? "[\(hostIP)]:" : "\(hostIP):" }
        if let hostPorts {
            text += hostPorts.count == 1 ? "\(hostPorts.lowerBound):" : "\(hostPorts.lowerBound)-\(hostPorts.upperBound):"
        }
        text += "\(containerPort)"
        if `protocol` != .tcp { text += "/\(`protocol`.rawValue)" }
        return text
    }

    static func port(_ digits: ArraySlice<UInt8>, in whole: String) throws(ValueError) -> Int {
        var value = 0
        for byte in digits {
            guard byte >= 48, byte <= 57, value <= 65535 else { value = -1; break }
            value = value * 10 + Int(byte - 48)
        }
        guard !digits.isEmpty, (1...65535).contains(value) else {
            throw ValueError("'\(whole)': '\(String(decoding: digits, as: UTF8.self))' is not a port number (1-65535)")
        }
        return value
    }

    static func isIPAddress(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: ":")) {
            return bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || (($0 | 0x20) >= 97 && ($0 | 0x20) <= 102) || $0 == 58 || $0 == 46 }
        }
        let octets = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in
            guard (1...3).contains(octet.count), octet.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            return octet.reduce(0) { $0 * 10 + Int($1 - 48) } <= 255
        }
    }
}
