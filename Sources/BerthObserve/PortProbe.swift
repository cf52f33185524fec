public import BerthModel
import Glibc
import Synchronization

/// Whether a host port can be taken now.
public protocol PortProbe: Sendable {
    func isFree(_ port: HostPort) -> Bool
}

/// Binds a socket on the address and port, as a server would, and closes it at once: the port is
/// free iff the bind succeeds.
///
/// TCP binds with `SO_REUSEADDR`, as servers do, so connections lingering in TIME_WAIT do not count
/// as taking the port while a listener does. UDP binds without it: on Linux two UDP sockets that
/// both set it may share a port, so with it a port held that way would look free. An address that
/// cannot be bound here (not this machine's, not numeric), a port outside 1...65535 or a protocol
/// other than tcp and udp is never free. Podman's conmon holds a running container's published
/// ports, so they read as taken too.
public struct SocketPortProbe: PortProbe {
    public init() {}

    public func isFree(_ port: HostPort) -> Bool {
        guard (1...65535).contains(port.port) else { return false }
        let type: Int32
        switch port.protocol {
        case "tcp": type = Int32(SOCK_STREAM.rawValue)
        case "udp": type = Int32(SOCK_DGRAM.rawValue)
        default: return false
        }
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = type
        var list: UnsafeMutablePointer<addrinfo>?
        let address = port.hostIP.flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
        guard getaddrinfo(address, String(port.port), &hints, &list) == 0, let info = list else { return false }
        defer { freeaddrinfo(info) }
        let descriptor = socket(info.pointee.ai_family, type | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if port.protocol == "tcp" {
            var on: Int32 = 1
            guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                return false
            }
        }
        return bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
    }
}

/// The double for tests of the layers above: a set of taken ports, changeable while in use, and the
/// ports asked about. A port taken on all addresses also takes it on each one, and the reverse.
public final class InMemoryPortProbe: PortProbe {
    private struct State {
        var taken: Set<HostPort>
        var asked: [HostPort] = []
    }

    private let state: Mutex<State>

    public init(taken: Set<HostPort> = []) {
        state = Mutex(State(taken: taken))
    }

    public func isFree(_ port: HostPort) -> Bool {
        state.withLock { state in
            state.asked.append(port)
            return !state.taken.contains { $0.overlaps(port) }
        }
    }

    /// Every port asked about, in order.
    public var asked: [HostPort] { state.withLock { $0.asked } }

    public var taken: Set<HostPort> { state.withLock { $0.taken } }

    public func take(_ port: HostPort) {
        _ = state.withLock { $0.taken.insert(port) }
    }

    public func release(_ port: HostPort) {
        _ = state.withLock { $0.taken.remove(port) }
    }
}
