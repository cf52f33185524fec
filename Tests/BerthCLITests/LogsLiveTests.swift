#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import BerthTestSupport

/// `berth logs` on the real engine, through the built binary: a copy of the example's dev
/// environment whose containers print lines (the copy's commands echo them; the example is unchanged).
@Suite(.enabled(if: LiveDev.isEnabled, "needs BERTH_ENGINE (a Podman or Docker socket)"))
struct LogsLiveTests {
    /// The example's web command, with a line printed at start.
    static func echoingWeb(_ dev: LiveDev) throws {
        try dev.edit("environments/base.yaml") {
            $0.replacingOccurrences(of: #"["sh", "-c", "trap 'exit 0' TERM; echo"#, with: #"["sh", "-c", "echo web up on $(hostname); trap 'exit 0' TERM; echo"#)
        }
    }

    @Test("after an apply, logs --tail 5 shows each web replica's lines after its label, the secret in them masked")
    func tail() async throws {
        try await LiveDev.with("logs-tail") { dev in
            try Self.echoingWeb(dev)
            // The config file holds the API token: printed by the container, it must not reach the output.
            try dev.edit("environments/base.yaml") {
                $0.replacingOccurrences(of: "echo web up on $(hostname);", with: "echo web up on $(hostname); grep API_TOKEN /etc/shop/app.env;")
            }
            let applied = try await dev.run(["apply", "--env", "dev", "--yes"])
            try #require(applied.status == 0, "\(applied.stderr)")
            let shown = try await dev.run(["logs", "--env", "dev", "web", "--tail", "5"])
            #expect(shown.status == 0, "\(shown.stderr)")
            let lines = shown.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("web-1 | web up on ") }, "\(shown.stdout)")
            #expect(lines.contains { $0.hasPrefix("web-2 | web up on ") }, "\(shown.stdout)")
            #expect(lines.allSatisfy { $0.hasPrefix("web-1 | ") || $0.hasPrefix("web-2 | ") }, "\(shown.stdout)")
            #expect(lines.contains("web-1 | API_TOKEN=(sensitive)"), "\(shown.stdout)")
            #expect(!shown.stdout.contains("dev-token-not-secret") && !shown.stderr.contains("dev-token-not-secret"))
            let one = try await dev.run(["logs", "--env", "dev", "web", "--replica", "2"])
            #expect(one.status == 0 && one.stdout.hasPrefix("web up on "), "\(one.stdout)\(one.stderr)")
            let unknown = try await dev.run(["logs", "--env", "dev", "wrker"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("did you mean 'worker'?"), "\(unknown.stderr)")
        }
    }

    @Test("logs --follow receives a line written after it started; SIGINT ends it with exit 0 within 2 s")
    func follow() async throws {
        try await LiveDev.with("logs-follow") { dev in
            try dev.edit("environments/base.yaml") {
                $0.replacingOccurrences(of: "do echo tick; sleep 5 & wait $!; done", with: "do echo tick; sleep 0.2 & wait $!; done")
            }
            let applied = try await dev.run(["apply", "--env", "dev", "--yes"])
            try #require(applied.status == 0, "\(applied.stderr)")
            let following = try BerthProcess.start(["logs", "--env", "dev", "worker", "--follow", "--tail", "0"], in: dev.root)
            // --tail 0: every line it prints was written after it started.
            let received = try await following.waitForOutput(timeout: .seconds(20)) { $0.split(separator: "\n").count >= 2 }
            #expect(received, "stdout: \(following.stdout) stderr: \(following.stderr)")
            #expect(following.stdout.split(separator: "\n").allSatisfy { $0 == "tick" }, "\(following.stdout)")
            following.signal(SIGINT)
            let status = try await following.exitStatus(within: .seconds(2))
            #expect(status == 0, "stderr: \(following.stderr)")
        }
    }

    @Test("logs --follow of several replicas ends with exit 0 on SIGTERM, and by itself once its container stops")
    func followEnds() async throws {
        try await LiveDev.with("logs-ends") { dev in
            try Self.echoingWeb(dev)
            let applied = try await dev.run(["apply", "--env", "dev", "--yes"])
            try #require(applied.status == 0, "\(applied.stderr)")
            let web = try BerthProcess.start(["logs", "--env", "dev", "web", "--follow"], in: dev.root)
            let both = try await web.waitForOutput(timeout: .seconds(20)) { $0.contains("web-1 | web up on ") && $0.contains("web-2 | web up on ") }
            #expect(both, "stdout: \(web.stdout) stderr: \(web.stderr)")
            web.signal(SIGTERM)
            #expect(try await web.exitStatus(within: .seconds(2)) == 0, "stderr: \(web.stderr)")

            let worker = try BerthProcess.start(["logs", "--env", "dev", "worker", "--follow"], in: dev.root)
            #expect(try await worker.waitForOutput(timeout: .seconds(20)) { $0.contains("tick\n") }, "\(worker.stderr)")
            let container = try #require(try await dev.containers().first { $0.labels["berth.service"] == "worker" })
            try await dev.engine.stopContainer(id: container.id, timeoutSeconds: 5)
            #expect(try await worker.exitStatus(within: .seconds(10)) == 0, "stderr: \(worker.stderr)")
        }
    }
}
