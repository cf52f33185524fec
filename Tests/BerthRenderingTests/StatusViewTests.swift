import Testing
import BerthCore
import BerthModel
@testable import BerthSession
import BerthRendering

/// `berth status` as people read it: one aligned line per replica, and the contract's JSON.
@Suite struct StatusViewTests {
    static let status = EnvironmentStatus(
        environment: "dev", proxyListen: nil, proxyRunning: false,
        services: [
            .init(
                name: "web", replicas: 2, strategy: .startFirst,
                containers: [
                    .init(
                        name: "shop-dev-web-1-c64280f4", replica: 1, image: "localhost/web:1.0.0",
                        imageID: "sha256:cc97e837ffeec67c8ddd4b720594bac13867da9d09c0ffb83f0df48f9e88b702", state: "running",
                        health: .healthy, healthResult: "HTTP 200", uptime: "About an hour", endpoint: "127.0.0.1:18080",
                        ports: [HostPort(hostIP: "127.0.0.1", port: 18080)], created: 0
                    ),
                    .init(
                        name: "shop-dev-web-2-c64280f4", replica: 2, image: "localhost/web:1.0.0", imageID: "", state: "exited",
                        health: .unknown, healthResult: nil, uptime: nil, endpoint: nil, ports: [], created: 0
                    ),
                ],
                serving: [], verification: nil
            ),
        ],
        drift: []
    )

    @Test("one line per replica: its name, container, image and ID, state with the last health result, uptime, ports")
    func text() {
        #expect(StatusView(Self.status).text() == """
            Environment dev

            web: 1 of 2 running, start-first
              web-1  shop-dev-web-1-c64280f4  localhost/web:1.0.0 (cc97e837ffee)  running, healthy (HTTP 200)  up about an hour  127.0.0.1:18080/tcp
              web-2  shop-dev-web-2-c64280f4  localhost/web:1.0.0                 exited                       -                 -

            """)
    }

    @Test("the JSON names each replica with its image ID, health result and uptime")
    func json() throws {
        let text = StatusView(Self.status).json().jsonText()
        #expect(text.contains("\"replica\": 1"))
        #expect(text.contains("\"image_id\": \"sha256:cc97e837ffee"))
        #expect(text.contains("\"health_result\": \"HTTP 200\""))
        #expect(text.contains("\"uptime\": \"About an hour\""))
        #expect(text.contains("\"uptime\": null"))
    }

    @Test("uptime is the engine's phrase after Up, without the health note; nothing when not running", arguments: [
        ("running", "Up 39 minutes (healthy)", "39 minutes"),
        ("running", "Up About an hour", "About an hour"),
        ("running", "Up", nil),
        ("exited", "Exited (0) 2 minutes ago", nil),
        ("created", "Created", nil),
    ] as [(String, String, String?)])
    func uptime(state: String, status: String, uptime: String?) {
        #expect(ObservedContainer(id: "i", name: "n", image: "x", state: state, labels: [:], status: status).uptime == uptime)
    }
}
