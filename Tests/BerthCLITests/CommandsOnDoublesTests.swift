import Foundation
import Synchronization
import Testing
import ArgumentParser
@testable import BerthCLI
import BerthCore
import BerthEngine
import BerthApply
import BerthSession
import BerthTestSupport

/// The commands themselves (arguments, exit codes, standard output and error) on the doubles of a
/// `SessionWorld`: fast, and no Podman needed. The live suites run the built binary on the real engine.
@Suite struct CommandsOnDoublesTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    final class Capture: Sendable {
        let streams = Mutex<(out: String, err: String)>(("", ""))
    }

    /// - Parameter revision: the project's version control (releases record its commit).
    func berth(_ arguments: [String], _ world: SessionWorld, revision: any ProjectRevision = NoRevision()) async -> Output {
        let capture = Capture()
        let console = Console { fd, text in
            capture.streams.withLock { fd == 1 ? $0.out.append(text) : $0.err.append(text) }
        }
        let override = CommandContext.Override(console: console, context: { events in
            var context = world.context(events: events)
            context.revision = revision
            return context
        })
        var status: Int32 = 0
        do {
            var command = try BerthCommand.parseAsRoot(arguments)
            try await CommandContext.$override.withValue(override) {
                if var asynchronous = command as? any AsyncParsableCommand {
                    try await asynchronous.run()
                } else {
                    try command.run()
                }
            }
        } catch {
            status = BerthCommand.exitCode(for: error).rawValue
        }
        let (out, err) = capture.streams.withLock { $0 }
        return Output(status: status, stdout: out, stderr: err)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// Every line of standard error is a JSON object.
    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try json(String($0)) }
    }

    @Test("plan exits 2 with changes and 0 without; drift likewise")
    func planAndDrift() async throws {
        let world = try SessionWorld()
        let plan = await berth(["plan", "--env", "dev", "--no-color"], world)
        #expect(plan.status == 2, "\(plan.stderr)")
        #expect(plan.stdout.contains("+ create       container:web-1"), "\(plan.stdout)")
        #expect(plan.stdout.contains("wait-healthy container:web-1"), "\(plan.stdout)")
        #expect(await berth(["drift", "--env", "dev"], world).status == 2)

        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        let again = await berth(["plan", "--env", "dev"], world)
        #expect(again.status == 0)
        #expect(again.stdout == "No changes: dev matches its desired state.\n")
        #expect(await berth(["drift", "--env", "dev"], world).status == 0)
    }

    @Test("apply --json prints only JSON on standard output, and one JSON event a line on standard error, in every case")
    func applyJSON() async throws {
        let world = try SessionWorld()
        // Success.
        let applied = await berth(["apply", "--env", "dev", "--yes", "--json"], world)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try json(applied.stdout)["status"] as? String == "succeeded")
        let events = try jsonLines(applied.stderr)
        #expect(events.contains { $0["event"] as? String == "finished" && $0["action"] as? String == "create:container:web-1" })

        // No changes.
        let none = await berth(["apply", "--env", "dev", "--yes", "--json"], world)
        #expect(none.status == 0)
        let document = try json(none.stdout)
        #expect(document["format_version"] as? String == "1")
        #expect(document["status"] as? String == "no-changes")
        _ = try jsonLines(none.stderr)

        // A failure mid-apply.
        try world.edit("environments/dev.yaml", replacing: "LOG_LEVEL: info", with: "LOG_LEVEL: debug")
        await world.engine.fail(.create, with: .status(500, message: "no space left", endpoint: "memory"))
        let failed = await berth(["apply", "--env", "dev", "--yes", "--json"], world)
        #expect(failed.status == 1)
        let report = try json(failed.stdout)
        #expect(report["status"] as? String == "failed")
        #expect((report["failed"] as? [[String: Any]])?.first?["error"] as? String != nil)
        #expect((report["undone"] as? [String]) == ["stop:container:web-1"])
        _ = try jsonLines(failed.stderr)

        // Refused before anything: another apply holds the lock.
        _ = try world.store.acquireLock(
            environment: "shop/dev", owner: LockOwner(user: "ada", host: "elsewhere", pid: 1), lease: .seconds(600), now: world.clock.now
        )
        let refused = await berth(["apply", "--env", "dev", "--yes", "--json"], world)
        #expect(refused.status == 1)
        let errors = try json(refused.stdout)
        #expect(errors["status"] as? String == "refused")
        #expect((errors["errors"] as? [String])?.first?.contains("being applied by ada@elsewhere") == true)
        _ = try jsonLines(refused.stderr)
    }

    @Test("a stale saved plan is refused with exit 1 and changes nothing")
    func stalePlan() async throws {
        let world = try SessionWorld()
        let planFile = world.root + "/plan.json"
        #expect(await berth(["plan", "--env", "dev", "--out", planFile], world).status == 2)
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        let containers = await world.engine.containers
        let stale = await berth(["apply", "--env", "dev", "--plan", planFile, "--yes"], world)
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("is stale"), "\(stale.stderr)")
        #expect(await world.engine.containers == containers)
    }

    @Test("apply without --yes and without a terminal refuses and applies nothing")
    func noTerminal() async throws {
        let world = try SessionWorld()
        let refused = await berth(["apply", "--env", "dev"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("standard input is not a terminal"), "\(refused.stderr)")
        #expect(await world.engine.containers.isEmpty)
        #expect(try world.store.history(environment: "shop/dev", limit: 5).isEmpty)
    }

    @Test("a plan names the changed variable with both values and shows the config's changed lines, never a secret")
    func planSaysWhatChanges() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try world.edit("environments/dev.yaml", replacing: "LOG_LEVEL: info", with: "LOG_LEVEL: debug")
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: trace")
        let plan = await berth(["plan", "--env", "dev", "--no-color"], world)
        #expect(plan.status == 2)
        #expect(plan.stdout.contains("environment.LOG_LEVEL: info -> debug"), "\(plan.stdout)")
        #expect(plan.stdout.contains("-LEVEL=info") && plan.stdout.contains("+LEVEL=trace"), "\(plan.stdout)")
        #expect(plan.stdout.contains(" TOKEN=(sensitive)"), "\(plan.stdout)")
        let jsonPlan = await berth(["plan", "--env", "dev", "--json"], world)
        for output in [plan.stdout, plan.stderr, jsonPlan.stdout, jsonPlan.stderr] {
            #expect(!output.contains(SessionWorld.secret))
        }
    }

    @Test("a rotated secret under a renamed key never shows in a plan's diff")
    func rotatedSecretStaysHidden() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        // The secret changes and the template names it differently: the file on disk still holds the old value.
        try world.write("environments/app.tmpl", "LEVEL={{ level }}\nAPI_TOKEN={{ token }}\n")
        world.variables.withLock { $0["SESSION_TOKEN"] = "a-new-value" }
        let plan = await berth(["plan", "--env", "dev", "--json"], world)
        #expect(plan.status == 2)
        #expect(!plan.stdout.contains(SessionWorld.secret), "\(plan.stdout)")
        #expect(plan.stdout.contains("\"-(sensitive)\""), "\(plan.stdout)")
    }

    @Test("the text history says why an action failed")
    func historyReasons() async throws {
        let world = try SessionWorld()
        await world.engine.fail(.start, with: .status(500, message: "OCI runtime error: exec failed", endpoint: "memory"))
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 1)
        let history = await berth(["history", "--env", "dev"], world)
        #expect(history.status == 0)
        #expect(history.stdout.contains("failed   create container:web-1: container:web-1: cannot start"), "\(history.stdout)")
        #expect(history.stdout.contains("OCI runtime error: exec failed"))
        #expect(history.stdout.contains("skipped  wait-healthy container:web-1: not started after a failure"), "\(history.stdout)")

        // The journal (a SQLite store) needs none of the environment's secrets: history works without them.
        world.variables.withLock { $0 = [:] }
        #expect(await berth(["history", "--env", "dev"], world).status == 0)
        #expect(await berth(["plan", "--env", "dev"], world).status == 1)
    }

    @Test("an environment without services plans, drifts and applies with no container engine, and without a database opens none")
    func withoutServicesOrDatabase() async throws {
        let world = try SessionWorld(environment: """
            project: shop
            engine:
              host: unix:///nonexistent/berth-test.sock
            database:
              url: sqlite:.berth/app.sqlite
              migrations: migrations
            """)
        await world.engine.fail(.list, with: .unreachable(endpoint: "unix:///nonexistent/berth-test.sock", reason: "No such file or directory"), times: 10)
        let plan = await berth(["plan", "--env", "dev"], world)
        #expect(plan.status == 2, "\(plan.stderr)")
        #expect(plan.stdout.contains("migrate"), "\(plan.stdout)")
        #expect(plan.stderr.contains("were not observed"), "\(plan.stderr)")
        let apply = await berth(["apply", "--env", "dev", "--yes"], world)
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(await berth(["drift", "--env", "dev"], world).status == 0)

        let bare = try SessionWorld(environment: """
            project: shop
            engine:
              host: unix:///nonexistent/berth-test.sock
            """)
        await bare.engine.fail(.list, with: .unreachable(endpoint: "unix:///nonexistent/berth-test.sock", reason: "No such file or directory"), times: 10)
        #expect(await berth(["plan", "--env", "dev"], bare).status == 0)
        #expect(await berth(["apply", "--env", "dev", "--yes"], bare).status == 0)
        #expect(bare.databasesOpened.withLock { $0 }.isEmpty)
    }
}
