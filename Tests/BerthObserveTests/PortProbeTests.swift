import BerthModel
import BerthObserve
import Foundation
import Glibc
import Testing

/// A socket the test holds on a loopback address: bound (to a free port the OS picks) and, for TCP, listening.
final class HeldSocket {
    let port: Int
    private var descriptor: Int32

    init(address: String, type: Int32, reuseAddress: Bool = false) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        hints.ai_socktype = type
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, "0", &hints, &list) == 0, let info = list else { throw POSIXError(.EINVAL) }
        defer { freeaddrinfo(info) }
        let descriptor = socket(info.pointee.ai_family, type, 0)
        guard descriptor >= 0 else { throw POSIXError(.EAFNOSUPPORT) }
        var on: Int32 = 1
        if reuseAddress { setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) }
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0,
            type != Int32(SOCK_STREAM.rawValue) || listen(descriptor, 1) == 0
        else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        // sin_port and sin6_port sit at the same place, right after the family.
        var bound = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: bound.sin6_port))
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    deinit {
        close()
    }

    static let tcp = Int32(SOCK_STREAM.rawValue)
    static let udp = Int32(SOCK_DGRAM.rawValue)

    /// Whether this machine has an IPv6 loopback to bind.
    static var hasIPv6Loopback: Bool { (try? HeldSocket(address: "::1", type: tcp)) != nil }
}

@Suite struct PortProbeTests {
    let probe = SocketPortProbe()

    @Test("a TCP port a listening socket holds is not free, on its address nor on all addresses; closed, it is free")
    func tcpHeldThenClosed() throws {
        let held = try HeldSocket(address: "127.0.0.1", type: HeldSocket.tcp, reuseAddress: true)
        let port = HostPort(hostIP: "127.0.0.1", port: held.port, protocol: "tcp")
        #expect(!probe.isFree(port))
        #expect(!probe.isFree(HostPort(port: held.port, protocol: "tcp")))
        held.close()
        #expect(probe.isFree(port))
    }

    @Test("a UDP port a bound socket holds is not free, even when the holder set SO_REUSEADDR; closed, it is free")
    func udpHeldThenClosed() throws {
        for reuseAddress in [false, true] {
            let held = try HeldSocket(address: "127.0.0.1", type: HeldSocket.udp, reuseAddress: reuseAddress)
            let port = HostPort(hostIP: "127.0.0.1", port: held.port, protocol: "udp")
            #expect(!probe.isFree(port), "SO_REUSEADDR on the holder: \(reuseAddress)")
            held.close()
            #expect(probe.isFree(port))
        }
    }

    @Test("an IPv6 loopback port held is not free; closed, it is free", .enabled(if: HeldSocket.hasIPv6Loopback, "no IPv6 loopback"))
    func ipv6Loopback() throws {
        let held = try HeldSocket(address: "::1", type: HeldSocket.tcp)
        let port = HostPort(hostIP: "::1", port: held.port, protocol: "tcp")
        #expect(!probe.isFree(port))
        held.close()
        #expect(probe.isFree(port))
    }

    @Test("a port out of range, another protocol or an address that is not this machine's is never free")
    func neverFree() {
        #expect(!probe.isFree(HostPort(hostIP: "127.0.0.1", port: 0)))
        #expect(!probe.isFree(HostPort(hostIP: "127.0.0.1", port: 70000)))
        #expect(!probe.isFree(HostPort(hostIP: "127.0.0.1", port: 18080, protocol: "sctp")))
        #expect(!probe.isFree(HostPort(hostIP: "localhost.invalid", port: 18080)))
        #expect(!probe.isFree(HostPort(hostIP: "192.0.2.1", port: 18080)))  // TEST-NET-1, on no interface here
    }

    @Test("the in-memory probe: a port taken on all addresses takes every address, ports can be taken and released")
    func inMemory() {
        let everywhere = HostPort(port: 8080)
        let probe = InMemoryPortProbe(taken: [everywhere, HostPort(hostIP: "127.0.0.1", port: 5353, protocol: "udp")])
        #expect(!probe.isFree(HostPort(hostIP: "127.0.0.1", port: 8080)))
        #expect(probe.isFree(HostPort(hostIP: "127.0.0.1", port: 8080, protocol: "udp")))
        #expect(!probe.isFree(HostPort(port: 5353, protocol: "udp")))
        #expect(probe.isFree(HostPort(hostIP: "127.0.0.2", port: 5353, protocol: "udp")))
        probe.release(everywhere)
        #expect(probe.isFree(HostPort(hostIP: "127.0.0.1", port: 8080)))
        probe.take(HostPort(hostIP: "::1", port: 9090))
        #expect(!probe.isFree(HostPort(hostIP: "::1", port: 9090)))
        #expect(probe.asked.map(\.description) == [
            "127.0.0.1:8080/tcp", "127.0.0.1:8080/udp", "*:5353/udp", "127.0.0.2:5353/udp", "127.0.0.1:8080/tcp", "[::1]:9090/tcp",
        ])
    }
}
