import Testing
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import BerthTestSupport
import BerthCore

/// `apply`, `history` and the environment lock, end to end: the built binary against the real engine
/// (`BERTH_ENGINE`, which scripts/test.sh sets). Every test has a copy of the example project under a
/// project name and loopback host ports of its own, so tests run in parallel with each other and with
/// a demo; every container of the project is removed at the end, also when the test fails.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil, "needs BERTH_ENGINE"))
struct ApplyCommandTests {
    static let devSecret = "dev-token-not-secret"

    @Test("a cold apply converges dev: no changes left, both web replicas answer, history has one apply of 10 actions")
    func coldApply() async throws {
        try await ApplyProject.with { project in
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("Applied 10 actions to dev."), "\(apply.stdout)")
            // Each new web replica is waited for until it answers its health check.
            #expect(apply.stderr.contains("done wait-healthy container:web-1"), "\(apply.stderr)")

            try await project.expectNoChanges()
            for port in project.ports {
                let health = await HTTPGet.get(port: port, path: "/health")
                #expect(health?.status == 200, "port \(port)")
                #expect(health?.body == "ok\n", "port \(port)")
            }

            let history = try await project.history()
            #expect(history.formatVersion == "1")
            #expect(history.applies.count == 1)
            let record = try #require(history.applies.first)
            #expect(record["status"] as? String == "succeeded")
            #expect(record["finished_at"] is String)
            let actions = record["actions"] as? [[String: Any]] ?? []
            #expect(actions.count == 10)
            #expect(actions.allSatisfy { $0["status"] as? String == "done" }, "\(actions)")
            #expect(Set(actions.compactMap { $0["resource"] as? String }) == [
                "migration:1", "migration:2", "migration:3", "migration:4", "config:app-env",
                "container:web-1", "container:web-2", "container:worker-1",
            ])
        }
    }

    @Test("a second apply changes nothing")
    func secondApplyIsANoOp() async throws {
        try await ApplyProject.with { project in
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await project.containers()

            let second = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout == "No changes: dev matches its desired state.\n")
            let after = try await project.containers()
            #expect(Set(after.map(\.id)) == Set(before.map(\.id)))
            #expect(after.allSatisfy { $0.isRunning })
        }
    }

    @Test("an image bump replaces only the web replicas, one at a time, while the service keeps answering")
    func imageBump() async throws {
        try await ApplyProject.with { project in
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let worker = try #require(try await project.containers().first { $0.service == "worker" })

            try project.edit(
                "base.yaml", replacing: "image: localhost/berth-example-web:1.0.0", with: "image: localhost/berth-example-web:1.1.0"
            )
            let plan = try await project.planJSON()
            #expect(plan.status == 2)
            let resources = plan.actions.compactMap { $0["resource"] as? String }
            #expect(!resources.isEmpty)
            #expect(resources.allSatisfy { $0.hasPrefix("container:web-") }, "\(resources)")

            let watcher = AvailabilityWatcher(ports: project.ports)
            watcher.start()
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            let rounds = await watcher.stop()
            #expect(apply.status == 0, "\(apply.stderr)")

            // Every round asked both ports; in none did both fail to answer.
            #expect(!rounds.isEmpty)
            let dark = rounds.filter { $0.allSatisfy { $0 == nil } }
            #expect(dark.isEmpty, "\(dark.count) of \(rounds.count) rounds found no replica answering")
            // The watcher saw the old version, each replica away while the other answered, and the new version.
            #expect(rounds.first == ["1.0.0", "1.0.0"], "\(rounds.first ?? [])")
            for index in project.ports.indices {
                #expect(rounds.contains { $0[index] == nil && $0[1 - index] != nil }, "replica \(index + 1) was never seen away")
            }
            #expect(rounds.contains { $0.contains("1.1.0") })

            for port in project.ports {
                let index = await HTTPGet.get(port: port, path: "/")
                #expect(index?.status == 200, "port \(port)")
                #expect(HTTPGet.version(in: index?.body ?? "") == "1.1.0", "port \(port): \(index?.body ?? "no answer")")
            }
            let after = try await project.containers()
            #expect(after.count == 3)
            #expect(after.first { $0.service == "worker" }?.id == worker.id, "the worker was replaced")
            try await project.expectNoChanges()
        }
    }

    @Test("a config edit writes the file first, replaces the containers that mount it, and leaves the file with its mode")
    func configEdit() async throws {
        try await ApplyProject.with { project in
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try await project.containers()

            try project.edit("dev.yaml", replacing: "log_level: debug", with: "log_level: trace")
            let plan = try await project.planJSON()
            #expect(plan.status == 2)
            let write = try #require(plan.actions.first)
            #expect(write["type"] as? String == "write-config")
            #expect(write["resource"] as? String == "config:app-env")
            let rest = plan.actions.dropFirst()
            // Web replicas are on fixed host ports: stop, create, wait for health, remove. The worker recreates.
            for replica in ["container:web-1", "container:web-2", "container:worker-1"] {
                let types = rest.filter { $0["resource"] as? String == replica }.compactMap { $0["type"] as? String }
                let expected = replica.hasPrefix("container:web") ? ["stop", "create", "wait-healthy", "remove"] : ["stop", "create", "remove"]
                #expect(types == expected, "\(replica): \(types)")
            }
            #expect(rest.count == 11)
            // The change shows the line that changed; the secret stays masked.
            let diff = write["diff"] as? [String] ?? []
            #expect(diff.contains("-LOG_LEVEL=debug") && diff.contains("+LOG_LEVEL=trace"), "\(diff)")
            #expect(!diff.joined().contains(Self.devSecret), "\(diff)")

            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 0, "\(apply.stderr)")
            let content = try String(contentsOfFile: project.configFile, encoding: .utf8)
            #expect(content.contains("LOG_LEVEL=trace\n"), "\(content)")
            #expect(!content.contains("LOG_LEVEL=debug"))
            let mode = try FileManager.default.attributesOfItem(atPath: project.configFile)[.posixPermissions] as? Int
            #expect(mode == 0o640, "mode \(String(mode ?? 0, radix: 8))")

            let after = try await project.containers()
            #expect(after.count == 3)
            #expect(Set(after.map(\.id)).isDisjoint(with: before.map(\.id)), "a container that mounts app-env was kept")
            try await project.expectNoChanges()
        }
    }

    @Test("a saved plan is refused once the world changed, and nothing of it is applied")
    func stalePlan() async throws {
        try await ApplyProject.with { project in
            let first = try await project.berth(["apply", "--env", "dev", "--yes"])
            try #require(first.status == 0, "\(first.stderr)")
            let configBefore = try String(contentsOfFile: project.configFile, encoding: .utf8)

            try project.edit("dev.yaml", replacing: "log_level: debug", with: "log_level: trace")
            let saved = project.root + "/p.json"
            let plan = try await project.berth(["plan", "--env", "dev", "--out", saved])
            try #require(plan.status == 2, "\(plan.stderr)")

            let web = try #require(try await project.containers().first { $0.service == "web" && $0.replica == "1" })
            try await Engine.stop(web.id)

            let apply = try await project.berth(["apply", "--env", "dev", "--plan", saved, "--yes"])
            #expect(apply.status == 1)
            #expect(apply.stderr.contains("stale"), "\(apply.stderr)")
            #expect(!apply.stdout.contains("Applied"))

            let after = try await project.containers()
            #expect(after.first { $0.id == web.id }?.isRunning == false, "the stopped container was touched")
            #expect(after.count == 3)
            #expect(try String(contentsOfFile: project.configFile, encoding: .utf8) == configBefore)
            #expect(try await project.history().applies.count == 1)
        }
    }

    @Test("apply without --yes and without a terminal refuses and applies nothing")
    func refusesWithoutYes() async throws {
        try await ApplyProject.with { project in
            let apply = try await project.berth(["apply", "--env", "dev"])
            #expect(apply.status == 1)
            #expect(apply.stderr.contains("refusing to apply without --yes"), "\(apply.stderr)")
            #expect(try await project.containers().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: project.configFile))
            #expect(try await project.history().applies.isEmpty)
            let plan = try await project.berth(["plan", "--env", "dev", "--no-color"])
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("\nPlan for dev: 8 to create, 0 to change, 0 to delete.\n\nRollback"))
        }
    }

    @Test("of two applies at once, one runs and the other is refused, naming the holder")
    func concurrentApplies() async throws {
        try await ApplyProject.with { project in
            // Both started at once from this task, so that a busy pool of test tasks cannot start one late.
            let arguments = ["apply", "--env", "dev", "--yes", "--lock-timeout", "0"]
            let applies = [try BackgroundBerth(arguments, in: project.root), try BackgroundBerth(arguments, in: project.root)]
            var endings: [BackgroundBerth.Ending] = []
            for apply in applies { endings.append(await apply.wait()) }

            let report = "\(zip(endings, applies).map { "\($0): \($1.stderr())" })"
            #expect(endings.filter { $0 == .exited(0) }.count == 1, "\(report)")
            #expect(endings.filter { $0 == .exited(1) }.count == 1, "\(report)")
            if let loser = endings.firstIndex(of: .exited(1)) {
                #expect(applies[loser].stderr().contains("is being applied by"), "\(applies[loser].stderr())")
                #expect(!applies[loser].stdout().contains("Applied"))
            }
            try await project.expectNoChanges()
            #expect(try await project.containers().count == 3)
            #expect(try await project.history().applies.count == 1)
        }
    }

    @Test(
        "an apply killed with SIGKILL is taken over by the next apply, which converges without orphans",
        arguments: KillPoint.allCases
    )
    func killedApply(_ point: KillPoint) async throws {
        try await ApplyProject.with { project in
            try await killAndRecover(project, at: point, orphaned: false)
        }
    }

    /// Under an init that reaps no orphans (a container's, this machine's), a killed apply whose parent went
    /// away stays a zombie: its pid still answers kill(pid, 0), yet it is dead and must be taken over at once.
    @Test("an apply killed after its parent went away is taken over, also while nobody reaps it")
    func killedOrphan() async throws {
        try await ApplyProject.with { project in
            try await killAndRecover(project, at: .firstReplica, orphaned: true)
        }
    }

    private func killAndRecover(_ project: ApplyProject, at point: KillPoint, orphaned: Bool) async throws {
        let arguments = ["apply", "--env", "dev", "--yes"]
        let victim = try orphaned ? BackgroundBerth(orphan: arguments, in: project.root) : BackgroundBerth(arguments, in: project.root)
        let reached = await point.kill(victim)
        let killedStatus = await victim.wait()
        let victimLog = victim.stderr()
        #expect(reached, "\(point) was never reached:\n\(victimLog)")
        #expect(killedStatus == .killed, "the apply ended before it was killed at \(point):\n\(victimLog)")

        let recovery = try await project.berth(arguments)
        #expect(recovery.status == 0, "killed at \(point):\n\(victimLog)\nthen:\n\(recovery.stderr)")
        try await project.expectNoChanges()
        let containers = try await project.containers()
        #expect(containers.count == 3, "\(containers.map(\.name))")
        #expect(containers.allSatisfy { $0.isRunning }, "\(containers.map { "\($0.name) \($0.state)" })")
        #expect(
            Set(containers.map { "\($0.service)-\($0.replica)" }) == ["web-1", "web-2", "worker-1"],
            "\(containers.map(\.name))"
        )

        let applies = try await project.history().applies
        let statuses = applies.compactMap { $0["status"] as? String }
        // The killed apply had begun its journal once it started an action.
        if victimLog.contains("  ... ") {
            #expect(statuses.contains("interrupted"), "\(statuses)")
            #expect(recovery.stderr.contains("no longer running: taking it over"), "\(recovery.stderr)")
        }
        // Newest first: the recovery (unless the killed apply had done everything but finish its journal), then
        // the take-over of the lock and the killed apply.
        let recovered = recovery.stdout.contains("No changes") ? statuses[...] : statuses.dropFirst()
        if !recovery.stdout.contains("No changes") { #expect(statuses.first == "succeeded", "\(statuses)") }
        #expect(recovered.allSatisfy { $0 == "interrupted" || $0 == "unlocked" }, "\(statuses)")
        #expect(!statuses.contains("running"), "\(statuses)")
    }

    @Test("a failing migration stops the apply before any container, and its history keeps the 4 applied rows")
    func failingMigration() async throws {
        try await ApplyProject.with { project in
            try "THIS IS NOT SQL;\n".write(
                toFile: project.root + "/environments/migrations/V5__broken.sql", atomically: true, encoding: .utf8
            )
            let apply = try await project.berth(["apply", "--env", "dev", "--yes"])
            #expect(apply.status == 1)
            let output = apply.stdout + apply.stderr
            #expect(output.contains("migration 5"), "\(output)")
            #expect(output.contains("V5__broken.sql"), "\(output)")
            #expect(output.contains("near \"THIS\": syntax error"), "\(output)")

            #expect(try await project.containers().isEmpty)
            let rows = try await Tool.run("sqlite3", [
                project.root + "/.berth/dev.sqlite", "SELECT version FROM berth_schema_history ORDER BY version",
            ])
            #expect(rows.status == 0, "\(rows.stderr)")
            #expect(rows.stdout == "1\n2\n3\n4\n")

            let record = try #require(try await project.history().applies.first)
            #expect(record["status"] as? String != "succeeded")
            let actions = record["actions"] as? [[String: Any]] ?? []
            let migration5 = actions.first { $0["resource"] as? String == "migration:5" }
            #expect(migration5?["status"] as? String == "failed")
            let containerStatuses = actions.filter { ($0["resource"] as? String)?.hasPrefix("container:") == true }
                .compactMap { $0["status"] as? String }
            #expect(containerStatuses == ["skipped", "skipped", "skipped", "skipped", "skipped"], "\(containerStatuses)")
        }
    }

    @Test("no secret value reaches any output, saved plan or the state store", arguments: SecretSource.allCases)
    func noSecretLeaks(_ source: SecretSource) async throws {
        try await ApplyProject.with { project in
            let secret: String
            var environment: [String: String] = [:]
            switch source {
            case .literal:
                secret = Self.devSecret
            case .environmentVariable:
                let variable = "BERTH_TEST_API_TOKEN_\(project.suffix.uppercased())"
                secret = "env-token-\(UUID().uuidString)"
                environment[variable] = secret
                try project.edit("dev.yaml", replacing: "api_token: { value: dev-token-not-secret }", with: "api_token: { env: \(variable) }")
            }
            var outputs: [(String, BerthProcess.Output)] = []
            func run(_ arguments: [String]) async throws -> BerthProcess.Output {
                let result = try await project.berth(arguments, environment: environment)
                outputs.append((arguments.joined(separator: " "), result))
                return result
            }
            let saved = project.root + "/plan.json"
            #expect(try await run(["plan", "--env", "dev", "--out", saved]).status == 2)
            _ = try await run(["plan", "--env", "dev", "--json"])
            _ = try await run(["render", "--env", "dev"])
            let apply = try await run(["apply", "--env", "dev", "--plan", saved, "--yes"])
            #expect(apply.status == 0, "\(apply.stderr)")
            // A second apply with a change, so the journal holds more than one plan.
            try project.edit("dev.yaml", replacing: "log_level: debug", with: "log_level: trace")
            #expect(try await run(["apply", "--env", "dev", "--yes"]).status == 0)
            _ = try await run(["drift", "--env", "dev"])
            _ = try await run(["drift", "--env", "dev", "--json"])
            _ = try await run(["history", "--env", "dev"])
            _ = try await run(["history", "--env", "dev", "--json"])
            _ = try await run(["plan", "--env", "dev"])

            for (command, result) in outputs {
                #expect(!result.stdout.contains(secret), "berth \(command) printed the secret on standard output")
                #expect(!result.stderr.contains(secret), "berth \(command) printed the secret on standard error")
            }
            let needle = Data(secret.utf8)
            #expect(try Data(contentsOf: URL(fileURLWithPath: saved)).range(of: needle) == nil, "the saved plan holds the secret")
            // The state store and everything else Berth keeps (journal files of SQLite included), but the rendered config
            // and the backups, which hold what the files held: those are private to their owner.
            let kept = try FileManager.default.subpathsOfDirectory(atPath: project.root + "/.berth")
                .filter { !$0.hasPrefix("configs") && !$0.hasPrefix("backups") }
            let backups = project.root + "/.berth/backups"
            for file in try FileManager.default.subpathsOfDirectory(atPath: backups) {
                let attributes = try FileManager.default.attributesOfItem(atPath: backups + "/" + file)
                let mode = attributes[.posixPermissions] as? Int
                #expect(mode == (attributes[.type] as? FileAttributeType == .typeDirectory ? 0o700 : 0o600), ".berth/backups/\(file)")
            }
            #expect(kept.contains("state.sqlite"))
            for file in kept {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: project.root + "/.berth/" + file, isDirectory: &isDirectory),
                      !isDirectory.boolValue else { continue }
                let bytes = try Data(contentsOf: URL(fileURLWithPath: project.root + "/.berth/" + file))
                #expect(bytes.range(of: needle) == nil, ".berth/\(file) holds the secret")
            }
            // Where it belongs: the rendered config file.
            #expect(try String(contentsOfFile: project.configFile, encoding: .utf8).contains("API_TOKEN=\(secret)\n"))
        }
    }
}

// MARK: - Kill points and secret sources

/// Where an apply is killed: a time after its start, or the moment its progress shows a step.
enum KillPoint: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case early = "0.2 s after the start"
    case midMigrations = "while migration 3 runs"
    case firstReplica = "while web-1 is created"
    case betweenReplicas = "once web-1 is done"

    var testDescription: String { rawValue }

    /// Waits until the point is reached, then kills the process with SIGKILL, from a thread of its own so
    /// that a busy pool of test tasks cannot delay the kill. False when the process ended first (or after 60 s).
    func kill(_ process: BackgroundBerth) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread {
                let reached = waitUntilReached(process)
                process.kill()
                continuation.resume(returning: reached)
            }.start()
        }
    }

    private func waitUntilReached(_ process: BackgroundBerth) -> Bool {
        let marker: String
        switch self {
        case .early:
            usleep(200_000)
            return process.isRunning
        case .midMigrations: marker = "  ... migrate migration:3"
        case .firstReplica: marker = "  ... create container:web-1"
        case .betweenReplicas: marker = "  done create container:web-1"
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if process.stderr().contains(marker) { return true }
            if !process.isRunning { return false }
            usleep(5_000)
        }
        return false
    }
}

enum SecretSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case literal = "a literal value"
    case environmentVariable = "an environment variable"

    var testDescription: String { rawValue }
}

// MARK: - The project under test

/// A copy of the example project with a project name, engine and loopback host ports of its own.
struct ApplyProject {
    let root: String
    let name: String
    let suffix: String
    /// Host ports of web-1 and web-2.
    let ports: [Int]

    var configFile: String { root + "/.berth/configs/dev/shop/app.env" }

    /// Runs `body` with a new project, then removes its containers and files, also when `body` fails.
    static func with(_ body: (ApplyProject) async throws -> Void) async throws {
        let project = try make()
        var failure: (any Error)?
        do {
            try await body(project)
        } catch {
            failure = error
        }
        do {
            for container in try await Engine.containers(project: project.name) {
                try await Engine.remove(container.id)
            }
        } catch {
            if failure == nil { failure = error }
        }
        try? FileManager.default.removeItem(atPath: project.root)
        if let failure { throw failure }
    }

    static func make() throws -> ApplyProject {
        let root = try BerthProcess.copyOfExampleProject()
        let suffix = String(UUID().uuidString.prefix(8)).lowercased()
        let first = try FreePorts.range(count: 2).lowerBound
        let project = ApplyProject(root: root, name: "shop-\(suffix)", suffix: suffix, ports: [first, first + 1])
        try project.edit("base.yaml", replacing: "project: shop\n", with: "project: \(project.name)\n")
        try project.edit("dev.yaml", replacing: "127.0.0.1:18080-18081:80", with: "127.0.0.1:\(first)-\(first + 1):80")
        try project.edit("dev.yaml", replacing: "unix:///run/berth-podman.sock", with: Engine.endpoint)
        return project
    }

    /// Replaces text in a file of `environments/`; the text must be there.
    func edit(_ file: String, replacing old: String, with new: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let path = root + "/environments/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try #require(text.contains(old), "\(file) has no \(old)", sourceLocation: sourceLocation)
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    func berth(_ arguments: [String], environment: [String: String] = [:]) async throws -> BerthProcess.Output {
        try await BerthProcess.run(arguments + ["--no-color"], in: root, environment: environment)
    }

    /// `plan --json`: its exit status and actions.
    func planJSON(sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> (status: Int32, actions: [[String: Any]]) {
        let result = try await berth(["plan", "--env", "dev", "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let actions = try #require(document?["actions"] as? [[String: Any]], "\(result.stderr)", sourceLocation: sourceLocation)
        return (result.status, actions)
    }

    func expectNoChanges(sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let plan = try await berth(["plan", "--env", "dev"])
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)", sourceLocation: sourceLocation)
        #expect(plan.stdout.contains("No changes"), "\(plan.stdout)", sourceLocation: sourceLocation)
    }

    /// `history --json`.
    func history(sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> (formatVersion: String?, applies: [[String: Any]]) {
        let result = try await berth(["history", "--env", "dev", "--json"])
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation
        )
        return (document["format_version"] as? String, document["applies"] as? [[String: Any]] ?? [])
    }

    func containers() async throws -> [Engine.Container] {
        try await Engine.containers(project: name)
    }
}

// MARK: - The engine, through its HTTP API

/// The Docker Engine API at `BERTH_ENGINE`, through curl: enough to list, stop and remove the tests' containers.
enum Engine {
    static var endpoint: String { ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? "unix:///run/berth-podman.sock" }

    struct Container: Sendable {
        var id: String
        var name: String
        var state: String
        var service: String
        var replica: String
        var isRunning: Bool { state == "running" }
    }

    static func containers(project: String) async throws -> [Container] {
        let filters = #"{"label":["berth.project=\#(project)"]}"#
        let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let body = try await request("GET", "/containers/json?all=true&filters=\(query)")
        let list = try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]])
        return list.map { item in
            let labels = item["Labels"] as? [String: String] ?? [:]
            let names = item["Names"] as? [String] ?? []
            return Container(
                id: item["Id"] as? String ?? "", name: names.first.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? "",
                state: item["State"] as? String ?? "", service: labels["berth.service"] ?? "", replica: labels["berth.replica"] ?? ""
            )
        }
    }

    static func stop(_ id: String) async throws {
        _ = try await request("POST", "/containers/\(id)/stop?t=5")
    }

    static func remove(_ id: String) async throws {
        _ = try await request("DELETE", "/containers/\(id)?force=true&v=true")
    }

    private static func request(_ method: String, _ path: String) async throws -> Data {
        var arguments = ["-sS", "--max-time", "60", "-X", method, "-o", "-", "-w", "\n%{http_code}"]
        let base: String
        if endpoint.hasPrefix("unix://") {
            arguments += ["--unix-socket", String(endpoint.dropFirst("unix://".count))]
            base = "http://engine"
        } else {
            base = "http://" + (endpoint.split(separator: "://").last.map(String.init) ?? endpoint)
        }
        let result = try await Tool.run("curl", arguments + [base + "/v1.41" + path])
        guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
              let code = Int(result.stdout[result.stdout.index(after: newline)...]) else {
            throw FixtureError("curl \(method) \(path): \(result.stderr)")
        }
        let body = String(result.stdout[..<newline])
        // 304: already stopped; 404: already gone.
        guard (200..<300).contains(code) || code == 304 || (method == "DELETE" && code == 404) else {
            throw FixtureError("\(method) \(path): HTTP \(code) \(body)")
        }
        return Data(body.utf8)
    }
}

/// Other tools the tests read the world with (curl, sqlite3), run like berth itself.
enum Tool {
    static func run(_ tool: String, _ arguments: [String]) async throws -> BerthProcess.Output {
        try await BerthProcess.run(executable: "/usr/bin/env", [tool] + arguments)
    }
}

// MARK: - A berth process to kill

/// `berth ARGUMENTS` started in the background, its standard error readable while it runs: a child of
/// this process, or an orphan whose parent (a shell) is gone at once.
final class BackgroundBerth: Sendable {
    enum Ending: Equatable {
        /// Ended by itself, with its exit status (nil for an orphan: only that it ended is known).
        case exited(Int32?)
        case killed
    }

    private enum Handle {
        case child(Process)
        case orphan(pid: Int32)
    }

    private let handle: Handle
    private let scratch: String
    private let killed = Mutex(false)

    init(_ arguments: [String], in directory: String) throws {
        scratch = Self.scratch()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthProcess.executable)
        process.arguments = arguments + ["--no-color"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = ProcessInfo.processInfo.environment
        variables.removeValue(forKey: "NO_COLOR")
        process.environment = variables
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stderr"))
        try process.run()
        handle = .child(process)
    }

    /// Started by a shell that exits at once: nobody of this process waits for it. Waits for its pid
    /// blocking (a few milliseconds), so that a busy pool of test tasks cannot hand it back late.
    init(orphan arguments: [String], in directory: String) throws {
        scratch = Self.scratch()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        let script = #"out=$1; err=$2; pid=$3; shift 3; "$@" </dev/null >"$out" 2>"$err" & echo $! >"$pid.new"; mv "$pid.new" "$pid""#
        shell.arguments = ["-c", script, "sh", scratch + "/stdout", scratch + "/stderr", scratch + "/pid", BerthProcess.executable]
            + arguments + ["--no-color", "--project", directory]
        shell.standardInput = FileHandle.nullDevice
        try shell.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: scratch + "/pid", encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                handle = .orphan(pid: pid)
                return
            }
            usleep(2_000)
        }
        throw FixtureError("berth did not start in the background")
    }

    private static func scratch() -> String {
        let scratch = TemporaryDirectory.make(prefix: "berth-background")
        _ = FileManager.default.createFile(atPath: scratch + "/stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: scratch + "/stderr", contents: nil)
        return scratch
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Whether it still runs; a zombie (ended, not reaped) does not.
    var isRunning: Bool {
        switch handle {
        case .child(let process):
            return process.isRunning
        case .orphan(let pid):
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else {
                return false
            }
            return stat[stat.index(after: end)...].first { $0 != " " } != "Z"
        }
    }

    func stdout() -> String {
        (try? String(contentsOfFile: scratch + "/stdout", encoding: .utf8)) ?? ""
    }

    func stderr() -> String {
        (try? String(contentsOfFile: scratch + "/stderr", encoding: .utf8)) ?? ""
    }

    func kill() {
        guard isRunning else { return }
        switch handle {
        case .child(let process): _ = Glibc.kill(process.processIdentifier, SIGKILL)
        case .orphan(let pid): _ = Glibc.kill(pid, SIGKILL)
        }
        killed.withLock { $0 = true }
    }

    /// Waits for the process to end, polling, so no thread is held.
    func wait() async -> Ending {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        switch handle {
        case .child(let process):
            return process.terminationReason == .uncaughtSignal ? .killed : .exited(process.terminationStatus)
        case .orphan:
            return killed.withLock { $0 } && !stdout().contains("Applied") ? .killed : .exited(nil)
        }
    }
}

// MARK: - HTTP through the published ports

/// A plain HTTP/1.0 GET on 127.0.0.1, with a timeout, on a thread of its own.
enum HTTPGet {
    typealias Response = LoopbackHTTP.Response

    static func get(port: Int, path: String, timeout: Int = 2) async -> Response? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: blockingGet(port: port, path: path, timeout: timeout)) }.start()
        }
    }

    /// The version an example web image's index page names (`<h1>… version 1.1.0</h1>`).
    static func version(in page: String) -> String? {
        guard let range = page.range(of: " version ") else { return nil }
        let version = page[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }

    static func blockingGet(port: Int, path: String, timeout: Int) -> Response? {
        LoopbackHTTP.get(port: port, path: path, timeout: timeout)
    }
}

/// Asks every port for its index page, round after round, until stopped: what version answered on
/// each port in each round, nil where none did.
final class AvailabilityWatcher: Sendable {
    let ports: [Int]
    private let state = Mutex<(stopping: Bool, finished: Bool, rounds: [[String?]])>((false, false, []))

    init(ports: [Int]) {
        self.ports = ports
    }

    func start() {
        Thread { [self] in
            while !state.withLock({ $0.stopping }) {
                let round = ports.map { port -> String? in
                    guard let response = HTTPGet.blockingGet(port: port, path: "/", timeout: 3), response.status == 200 else { return nil }
                    return HTTPGet.version(in: response.body) ?? "?"
                }
                state.withLock { $0.rounds.append(round) }
                usleep(20_000)
            }
            state.withLock { $0.finished = true }
        }.start()
    }

    /// Stops after the round under way and returns every round.
    func stop() async -> [[String?]] {
        state.withLock { $0.stopping = true }
        while !state.withLock({ $0.finished }) { try? await Task.sleep(for: .milliseconds(10)) }
        return state.withLock { $0.rounds }
    }
}
