import Testing
@testable import BerthEngine

@Suite struct EngineEndpointTests {
    @Test(
        "endpoints in DOCKER_HOST form parse and print back",
        arguments: [
            ("unix:///run/berth-podman.sock", EngineEndpoint.unix(path: "/run/berth-podman.sock"), "unix:///run/berth-podman.sock"),
            ("tcp://127.0.0.1:2375", .tcp(host: "127.0.0.1", port: 2375), "tcp://127.0.0.1:2375"),
            ("  tcp://engine.local:12375/ ", .tcp(host: "engine.local", port: 12375), "tcp://engine.local:12375"),
            ("tcp://engine.local", .tcp(host: "engine.local", port: 2375), "tcp://engine.local:2375"),
            ("tcp://[::1]:2376", .tcp(host: "::1", port: 2376), "tcp://[::1]:2376"),
            ("UNIX:///x.sock", .unix(path: "/x.sock"), "unix:///x.sock"),
        ]
    )
    func parses(text: String, endpoint: EngineEndpoint, printed: String) throws {
        let parsed = try EngineEndpoint(parsing: text)
        #expect(parsed == endpoint)
        #expect(parsed.description == printed)
    }

    @Test(
        "bad endpoints are refused with a reason",
        arguments: [
            ("", "it is empty"),
            ("/run/podman.sock", "needs the unix:// scheme (unix:///run/podman.sock)"),
            ("localhost:2375", "expected unix:///path/to/socket or tcp://host:port"),
            ("unix://run/podman.sock", "must be absolute"),
            ("tcp://:2375", "the host is missing"),
            ("tcp://host:0", "from 1 to 65535"),
            ("tcp://host:65536", "from 1 to 65535"),
            ("tcp://host:abc", "from 1 to 65535"),
            ("tcp://host:", "from 1 to 65535"),
            ("tcp://host:2375/v1.41", "takes no path"),
            ("tcp://::1:2375", "in brackets"),
            ("tcp://[::1", "closing"),
            ("https://host:2376", "TLS is not supported"),
            ("ssh://user@host", "unsupported scheme \"ssh\""),
            ("unix:///" + String(repeating: "a", count: 120), "longer than 107 bytes"),
        ]
    )
    func refuses(text: String, reason: String) {
        let error = #expect(throws: EngineError.self) { try EngineEndpoint(parsing: text) }
        #expect(error?.code == .invalidEndpoint)
        #expect(error?.description.hasPrefix("invalid engine endpoint \"\(text)\": ") == true)
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("the Host header names the TCP address, or localhost for a socket")
    func hostHeader() {
        #expect(EngineEndpoint.unix(path: "/x").hostHeader == "localhost")
        #expect(EngineEndpoint.tcp(host: "::1", port: 80).hostHeader == "[::1]:80")
    }
}
