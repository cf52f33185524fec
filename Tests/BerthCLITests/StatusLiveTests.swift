import Testing
import Foundation
import BerthTestSupport

/// `berth status` and `berth logs` of the example's dev environment, as it is, on the real engine.
@Suite(.enabled(if: LiveDev.isEnabled, "needs BERTH_ENGINE"))
struct StatusLiveTests {
    @Test("after an apply, status lists every replica with its image, health, last health result, uptime and ports")
    func everyReplica() async throws {
        try await LiveDev.with("status") { dev in
            let applied = try await dev.run(["apply", "--env", "dev", "--yes"])
            try #require(applied.status == 0, "\(applied.stderr)")

            let text = try await dev.run(["status", "--env", "dev", "--no-color"])
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.contains("web: 2 of 2 running"), "\(text.stdout)")
            for (replica, port) in [(1, dev.ports.lowerBound), (2, dev.ports.upperBound)] {
                let line = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("  web-\(replica) ") }, "\(text.stdout)")
                #expect(line.contains("localhost/berth-example-web:1.0.0 ("))
                #expect(line.contains("running, healthy (HTTP 200)"), "\(line)")
                #expect(line.contains("  up "), "\(line)")
                #expect(line.hasSuffix("127.0.0.1:\(port)/tcp"), "\(line)")
            }
            #expect(text.stdout.contains("\n  worker-1 "), "\(text.stdout)")

            let json = try await dev.run(["status", "--env", "dev", "--json"])
            #expect(json.status == 0)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let services = try #require(document["services"] as? [[String: Any]])
            let web = try #require(services.first { $0["name"] as? String == "web" })
            let containers = try #require(web["containers"] as? [[String: Any]])
            #expect(containers.compactMap { $0["replica"] as? Int } == [1, 2])
            #expect(containers.allSatisfy { $0["health"] as? String == "healthy" && $0["health_result"] as? String == "HTTP 200" })
            #expect(containers.allSatisfy { ($0["image_id"] as? String)?.hasPrefix("sha256:") == true && $0["uptime"] is String })

            // The example's web replicas say they listen; logs shows it for each.
            let logs = try await dev.run(["logs", "--env", "dev", "web", "--tail", "5", "--no-color"])
            #expect(logs.status == 0, "\(logs.stderr)")
            #expect(logs.stdout.contains("web-1 | web 1.0.0 listening on :80\n"), "\(logs.stdout)")
            #expect(logs.stdout.contains("web-2 | web 1.0.0 listening on :80\n"), "\(logs.stdout)")
        }
    }
}
