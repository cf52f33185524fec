import BerthModel
import Foundation
import Testing

@Suite struct HostPortTests {
    @Test("descriptions: an address, an IPv6 one in brackets, * for all addresses")
    func descriptions() {
        #expect(HostPort(hostIP: "127.0.0.1", port: 18080, protocol: "tcp").description == "127.0.0.1:18080/tcp")
        #expect(HostPort(hostIP: "::1", port: 8080).description == "[::1]:8080/tcp")
        #expect(HostPort(port: 8080).description == "*:8080/tcp")
        #expect(HostPort(hostIP: "0.0.0.0", port: 53, protocol: "udp").description == "*:53/udp")
    }

    @Test("ports overlap on the same address, or when either is on all addresses; never across protocols or numbers")
    func overlaps() {
        let loopback = HostPort(hostIP: "127.0.0.1", port: 8080)
        #expect(loopback.overlaps(HostPort(hostIP: "127.0.0.1", port: 8080)))
        #expect(loopback.overlaps(HostPort(port: 8080)))
        #expect(HostPort(hostIP: "0.0.0.0", port: 8080).overlaps(loopback))
        #expect(!loopback.overlaps(HostPort(hostIP: "127.0.0.2", port: 8080)))
        #expect(!loopback.overlaps(HostPort(hostIP: "127.0.0.1", port: 8080, protocol: "udp")))
        #expect(!loopback.overlaps(HostPort(hostIP: "127.0.0.1", port: 8081)))
    }

    @Test("it round-trips through JSON")
    func codable() throws {
        let ports = [HostPort(hostIP: "::1", port: 8080, protocol: "udp"), HostPort(port: 80)]
        let data = try JSONEncoder().encode(ports)
        #expect(try JSONDecoder().decode([HostPort].self, from: data) == ports)
    }

    @Test("a port on every address is reached through loopback, any other through its own address")
    func reachableAddress() {
        #expect(HostPort(hostIP: nil, port: 80).reachableAddress == "127.0.0.1")
        #expect(HostPort(hostIP: "0.0.0.0", port: 80).reachableAddress == "127.0.0.1")
        #expect(HostPort(hostIP: "::", port: 80).reachableAddress == "127.0.0.1")
        #expect(HostPort(hostIP: "127.0.0.2", port: 80).reachableAddress == "127.0.0.2")
    }
}
