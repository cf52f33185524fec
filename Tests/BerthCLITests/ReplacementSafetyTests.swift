import Foundation
import Testing
import BerthTestSupport

/// Never remove what cannot be replaced, on the real engine: a missing image or a host port another
/// process holds stops the plan before anything changes, and a new container that fails its health
/// check leaves the old one running. One web replica, for both strategies.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil, "needs BERTH_ENGINE"))
struct ReplacementSafetyTests {
    /// One replica, checked every second, so that a failing check gives up within a few seconds.
    func prepare(_ project: ApplyProject, strategy: String) throws {
        try project.edit("dev.yaml", replacing: "  web:\n    ports:", with: "  web:\n    replicas: 1\n    strategy: \(strategy)\n    ports:")
        try project.edit("base.yaml", replacing: "      interval: 5s\n      timeout: 2s\n      retries: 3\n      start_period: 2s",
                         with: "      interval: 1s\n      timeout: 1s\n      retries: 2\n      start_period: 0s")
    }

    /// The web container's id and state, and whether it answers.
    func web(_ project: ApplyProject) async throws -> (ids: [String], running: Bool, answers: Bool) {
        let web = try await project.containers().filter { $0.service == "web" }
        let health = await HTTPGet.get(port: project.ports[0], path: "/health")
        return (web.map(\.id), web.allSatisfy(\.isRunning), health?.status == 200)
    }

    @Test("an image the engine does not have: plan exits 1 naming it, apply changes nothing", arguments: ["recreate", "start-first"])
    func missingImage(strategy: String) async throws {
        try await ApplyProject.with { project in
            try prepare(project, strategy: strategy)
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await web(project)

            try project.edit("base.yaml", replacing: "image: localhost/berth-example-web:1.0.0", with: "image: localhost/berth-example-web:9.9.9")
            let plan = try await project.berth(["plan", "--env", "dev"])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("the image localhost/berth-example-web:9.9.9 is not in the container engine; Berth never pulls"), "\(plan.stderr)")
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 1)
            let after = try await web(project)
            #expect(after.ids == before.ids)
            #expect(after.running && after.answers)
        }
    }

    @Test("a host port held by another process: plan exits 1 naming it, apply changes nothing", arguments: ["recreate", "start-first"])
    func portTaken(strategy: String) async throws {
        try await ApplyProject.with { project in
            try prepare(project, strategy: strategy)
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await web(project)

            let holder = try LoopbackServer(serving: false)
            try project.edit(
                "dev.yaml", replacing: "127.0.0.1:\(project.ports[0])-\(project.ports[1]):80", with: "127.0.0.1:\(holder.port):80"
            )
            let plan = try await project.berth(["plan", "--env", "dev"])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("host port 127.0.0.1:\(holder.port)/tcp is taken by another process"), "\(plan.stderr)")
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 1)
            let after = try await web(project)
            #expect(after.ids == before.ids)
            #expect(after.running && after.answers)
            withExtendedLifetime(holder) {}
        }
    }

    @Test("start-first on a port the engine picks: a new container failing its health check is removed, the old one runs on")
    func startFirstPickedPort() async throws {
        try await ApplyProject.with { project in
            try prepare(project, strategy: "start-first")
            try project.edit("dev.yaml", replacing: "127.0.0.1:\(project.ports[0])-\(project.ports[1]):80", with: "80")
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await project.containers().filter { $0.service == "web" }

            try project.edit(
                "base.yaml", replacing: "httpd -f -p 80 -h /www & wait", with: "mkdir -p /empty; httpd -f -p 80 -h /empty & wait"
            )
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("last HTTP 404"), "\(apply.stdout)\(apply.stderr)")
            let after = try await project.containers().filter { $0.service == "web" }
            #expect(after.map(\.id) == before.map(\.id))
            #expect(after.allSatisfy { $0.isRunning })
        }
    }

    @Test("a new container that fails its health check is removed and the old one runs on", arguments: ["recreate", "start-first"])
    func failingHealthCheck(strategy: String) async throws {
        try await ApplyProject.with { project in
            try prepare(project, strategy: strategy)
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await web(project)

            // The new release serves an empty folder: /health answers 404.
            try project.edit(
                "base.yaml", replacing: "httpd -f -p 80 -h /www & wait", with: "mkdir -p /empty; httpd -f -p 80 -h /empty & wait"
            )
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 1)
            #expect(apply.stderr.contains("waiting for health of"), "\(apply.stderr)")
            #expect(apply.stdout.contains("did not pass its health check") && apply.stdout.contains("last HTTP 404"), "\(apply.stdout)")
            #expect(apply.stdout.contains("undone:"), "\(apply.stdout)")
            let after = try await web(project)
            #expect(after.ids == before.ids)
            #expect(after.running && after.answers)
        }
    }
}
