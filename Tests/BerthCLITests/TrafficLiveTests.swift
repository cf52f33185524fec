import Foundation
import Testing
import BerthModel
import BerthProxy
import BerthTestSupport

/// Releases behind a real HAProxy that Berth starts and drives, on real Podman, with wrk sending
/// traffic through the proxy during each deploy. One at a time: each one loads the machine.
@Suite(.serialized, .enabled(if: TrafficProject.isEnabled, "needs BERTH_ENGINE, haproxy and wrk"))
struct TrafficLiveTests {
    /// `berth apply --yes`, with wrk on the proxy from before it starts until after it ends.
    static func applyUnderLoad(_ project: TrafficProject) async throws -> (BerthProcess.Output, LoadGenerator.Summary) {
        let load = try LoadGenerator(url: project.url)
        try await Task.sleep(for: .milliseconds(500))
        let output = try await project.berth(["apply", "--env", "traffic", "--yes"])
        try await Task.sleep(for: .milliseconds(500))
        return (output, await load.stop())
    }

    static func withProject(_ prefix: String, _ body: (TrafficProject) async throws -> Void) async throws {
        let project = try TrafficProject(prefix: prefix)
        do {
            try await body(project)
        } catch {
            await project.tearDown()
            throw error
        }
        await project.tearDown()
    }

    @Test func anImageBumpOfOneReplicaLosesNoRequest() async throws {
        try await Self.withProject("tr-one") { project in
            try project.write()
            let first = try await project.berth(["apply", "--env", "traffic", "--yes"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(await project.versions(5) == Array(repeating: "1.0.0", count: 5))

            // A hook after the switch, with the release's facts in its environment.
            try project.write(version: "1.1.0")
            let announced = project.root + "/announced"
            try String(contentsOfFile: project.root + "/environments/traffic.yaml", encoding: .utf8)
                .replacingOccurrences(
                    of: "    verify:",
                    with: "    hooks: { after_switch: [[\"sh\", \"-c\", \"echo \\\"$BERTH_SERVICE $BERTH_PREVIOUS_IMAGE -> $BERTH_IMAGE\\\" > \(announced)\"]] }\n    verify:"
                )
                .write(toFile: project.root + "/environments/traffic.yaml", atomically: true, encoding: .utf8)
            let (output, load) = try await Self.applyUnderLoad(project)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                try String(contentsOfFile: announced, encoding: .utf8)
                    == "web localhost/berth-example-web:1.0.0 -> localhost/berth-example-web:1.1.0\n"
            )
            #expect(load.requests > 100, "\(load.raw)")
            #expect(load.non2xx == 0 && load.socketErrors == 0, "\(load.raw)\n\(output.stderr)")
            #expect(await project.versions(20) == Array(repeating: "1.1.0", count: 20))
            #expect(try await project.containers().map(\.image) == ["localhost/berth-example-web:1.1.0"])
        }
    }

    @Test func blueGreenOfTwoReplicasSwitchesOnceAndKeepsTheOldSet() async throws {
        try await Self.withProject("tr-bg") { project in
            try project.write(replicas: 2, strategy: "blue-green")
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            try project.write(version: "1.1.0", replicas: 2, strategy: "blue-green")
            let (output, load) = try await Self.applyUnderLoad(project)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(load.requests > 100 && load.non2xx == 0 && load.socketErrors == 0, "\(load.raw)\n\(output.stderr)")
            #expect(await project.versions(20) == Array(repeating: "1.1.0", count: 20))
            // The old set is kept, out of rotation, for blue_green.keep.
            let images = try await project.containers().map(\.image).sorted()
            #expect(images == ["localhost/berth-example-web:1.0.0", "localhost/berth-example-web:1.0.0",
                               "localhost/berth-example-web:1.1.0", "localhost/berth-example-web:1.1.0"])
            let status = try await project.berth(["status", "--env", "traffic", "--json"])
            #expect(status.status == 0)
            #expect(status.stdout.contains("passed"), "\(status.stdout)")

            // berth rollback within keep: a switch back, nothing started.
            let back = try await project.berth(["rollback", "--env", "traffic", "--yes"])
            #expect(back.status == 0, "\(back.stderr)")
            #expect(back.stdout.contains("switch") && !back.stdout.contains("create "), "\(back.stdout)")
            #expect(await project.versions(10) == Array(repeating: "1.0.0", count: 10))
            #expect(try await project.containers().count == 4)
        }
    }

    @Test func aCanaryOfTwoReplicasMovesTrafficInStepsWithoutLosingARequest() async throws {
        try await Self.withProject("tr-canary") { project in
            try project.write(replicas: 2, strategy: "canary")
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            try project.write(version: "1.1.0", replicas: 2, strategy: "canary")
            let (output, load) = try await Self.applyUnderLoad(project)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stderr.contains("switch route:web@20%"), "\(output.stderr)")
            #expect(load.requests > 100 && load.non2xx == 0 && load.socketErrors == 0, "\(load.raw)\n\(output.stderr)")
            #expect(await project.versions(20) == Array(repeating: "1.1.0", count: 20))
            #expect(try await project.containers().map(\.image) == Array(repeating: "localhost/berth-example-web:1.1.0", count: 2))
        }
    }

    @Test func aCanaryThatAnswers500StopsAtItsFirstStepAndRollsBack() async throws {
        try await Self.withProject("tr-bad") { project in
            try project.write(replicas: 2, strategy: "canary")
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            try project.write(version: "1.1.0", command: TrafficProject.answer500, replicas: 2, strategy: "canary")
            let (output, load) = try await Self.applyUnderLoad(project)
            #expect(output.status == 1)
            #expect(output.stderr.contains("verification failed (canary 20%)"), "\(output.stderr)")
            #expect(output.stderr.contains("5xx"), "\(output.stderr)")
            // Failed requests are bounded by the canary's weight (20%), and there were some. (busybox closes a
            // CGI's connection after the answer, so wrk also counts read errors on the broken version.)
            #expect(load.non2xx > 0, "\(load)")
            #expect(Double(load.non2xx + load.socketErrors) < 0.2 * Double(load.requests), "\(load)")
            #expect(await project.versions(20) == Array(repeating: "1.0.0", count: 20))
            #expect(try await project.containers().map(\.image) == Array(repeating: "localhost/berth-example-web:1.0.0", count: 2))
        }
    }

    @Test func aBlueGreenReleaseWhoseContainerExitsIsSwitchedBack() async throws {
        try await Self.withProject("tr-exit") { project in
            try project.write(strategy: "blue-green")
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            try project.write(version: "1.1.0", command: TrafficProject.exitSoon, strategy: "blue-green")
            let output = try await project.berth(["apply", "--env", "traffic", "--yes"])
            #expect(output.status == 1)
            #expect(output.stderr.contains("verification failed"), "\(output.stderr)")
            #expect(await project.versions(10) == Array(repeating: "1.0.0", count: 10))
            #expect(try await project.containers().map(\.image) == ["localhost/berth-example-web:1.0.0"])
        }
    }

    @Test func aReleaseThatLogsAFatalLineIsTakenBack() async throws {
        try await Self.withProject("tr-log") { project in
            try project.write()
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            let fatal = #"["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & sleep 1; echo 'FATAL: cannot reach the payment service'; wait"]"#
            try project.write(version: "1.1.0", command: fatal, extra: "")
            try String(contentsOfFile: project.root + "/environments/traffic.yaml", encoding: .utf8)
                .replacingOccurrences(of: "verify: { window: 3s,", with: "verify: { log_patterns: [\"panic|FATAL\"], window: 3s,")
                .write(toFile: project.root + "/environments/traffic.yaml", atomically: true, encoding: .utf8)
            let output = try await project.berth(["apply", "--env", "traffic", "--yes"])
            #expect(output.status == 1)
            #expect(output.stderr.contains("logged a line matching 'panic|FATAL': FATAL: cannot reach the payment service"), "\(output.stderr)")
            #expect(await project.versions(10) == Array(repeating: "1.0.0", count: 10))
            #expect(try await project.containers().map(\.image) == ["localhost/berth-example-web:1.0.0"])
            let history = try await project.berth(["history", "--env", "traffic"])
            #expect(history.stdout.contains("FATAL: cannot reach the payment service"), "\(history.stdout)")
        }
    }

    @Test func anApplyKilledInTheMiddleOfASwitchIsFinishedByTheNext() async throws {
        try await Self.withProject("tr-kill") { project in
            try project.write()
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            let settings = ProxySettings(
                listen: HostPort(hostIP: "127.0.0.1", port: project.listen), root: project.root + "/.berth/proxy/traffic"
            )
            let before = await HAProxyDriver().observe(settings).servers.filter { $0.admin == .ready }.map(\.endpoint)
            try project.write(version: "1.1.0")
            let apply = Process()
            apply.executableURL = URL(fileURLWithPath: BerthProcess.executable)
            apply.arguments = ["apply", "--env", "traffic", "--yes", "--project", project.root]
            apply.standardOutput = FileHandle.nullDevice
            apply.standardError = FileHandle.nullDevice
            try apply.run()
            // Killed as soon as the new server takes traffic: between the switch and the drain.
            var switched = false
            for _ in 0..<300 {
                let ready = await HAProxyDriver().observe(settings).servers.filter { $0.admin == .ready }.map(\.endpoint)
                if ready.contains(where: { !before.contains($0) }) { switched = true; break }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(apply.processIdentifier, SIGKILL)
            apply.waitUntilExit()
            #expect(switched)

            let again = try await project.berth(["apply", "--env", "traffic", "--yes"])
            #expect(again.status == 0, "\(again.stderr)")
            let ready = await HAProxyDriver().observe(settings).servers.filter { $0.admin != .maint }
            #expect(ready.count == 1 && ready.allSatisfy { $0.admin == .ready && $0.up }, "\(ready)")
            #expect(try await project.containers().map(\.image) == ["localhost/berth-example-web:1.1.0"])
            #expect(await project.versions(10) == Array(repeating: "1.1.0", count: 10))
        }
    }

    @Test func driftReportsAServerChangedByHandAndApplyRepairsIt() async throws {
        try await Self.withProject("tr-drift") { project in
            try project.write()
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            #expect(try await project.berth(["drift", "--env", "traffic"]).status == 0)
            let settings = ProxySettings(
                listen: HostPort(hostIP: "127.0.0.1", port: project.listen), root: project.root + "/.berth/proxy/traffic"
            )
            let serving = try #require(await HAProxyDriver().observe(settings).servers.first { $0.admin == .ready })
            try await HAProxyDriver().set(settings, backend: "web", servers: [
                ServerSetting(slot: serving.name, container: nil, address: serving.address, port: serving.port, admin: .maint, weight: serving.weight),
            ])
            let drift = try await project.berth(["drift", "--env", "traffic"])
            #expect(drift.status == 2)
            #expect(drift.stdout.contains("proxy") && drift.stdout.contains("route:web"), "\(drift.stdout)")
            #expect(try await project.berth(["apply", "--env", "traffic", "--yes"]).status == 0)
            #expect(try await project.berth(["drift", "--env", "traffic"]).status == 0)
            #expect(await project.versions(5) == Array(repeating: "1.0.0", count: 5))
        }
    }
}
