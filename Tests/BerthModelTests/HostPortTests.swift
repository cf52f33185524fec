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

    @Test("an index finds the first port filed that a port overlaps, as a scan of them all would")
    func index() {
        let addresses: [String?] = [nil, "0.0.0.0", "::", "", "127.0.0.1", "127.0.0.2", "::1"]
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33) % bound
        }
        func port() -> HostPort {
            HostPort(hostIP: addresses[next(addresses.count)], port: 8000 + next(4), protocol: next(3) == 0 ? "udp" : "tcp")
        }
        var index = HostPortIndex()
        var filed: [HostPort] = []
        for _ in 0..<300 {
            let query = port()
            #expect(index.first(overlapping: query) == filed.firstIndex { $0.overlaps(query) }, "\(query) after \(filed)")
            index.file(filed.count, under: query)
            filed.append(query)
        }
        #expect(HostPortIndex().first(overlapping: HostPort(port: 80)) == nil)
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

    @Test("listen addresses: IPv4 or bracketed IPv6, a port 1-65535", arguments: [
        ("0.0.0.0:80", HostPort(hostIP: "0.0.0.0", port: 80) as HostPort?),
        ("[::]:443", HostPort(hostIP: "::", port: 443)),
        ("127.0.0.1:65535", HostPort(hostIP: "127.0.0.1", port: 65535)),
        ("127.0.0.1", nil), ("::1:80", nil), ("[127.0.0.1]:80", nil), ("127.0.0.1:0", nil), (":80", nil), ("host:80", nil),
    ])
    func listen(_ text: String, _ expected: HostPort?) {
        #expect((try? HostPort(parsingListen: text)) == expected)
        if let expected { #expect(expected.listenText == text) }
    }
}
