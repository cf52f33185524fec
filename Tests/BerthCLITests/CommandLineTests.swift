import Glibc
import Testing
import Foundation
import BerthTestSupport

/// The built `berth` binary, run as a user would: exit codes, standard output and standard error.
@Suite struct CommandLineTests {
    @Test("validate passes the example project and lists every environment")
    func validateExample() async throws {
        let result = try await BerthProcess.run(["validate"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: ":").first.map(String.init) ?? "" } == ["dev", "dr", "preview", "production", "staging"])
        #expect(lines.allSatisfy { $0.contains(": valid (2 services, 1 config, 4 migrations") })
        #expect(result.stderr.isEmpty)
    }

    @Test("validate --env checks one environment")
    func validateOne() async throws {
        let result = try await BerthProcess.run(["validate", "--env", "staging"])
        #expect(result.status == 0)
        #expect(result.stdout == "staging: valid (2 services, 1 config, 4 migrations)\n")
    }

    @Test("validate and render write nothing")
    func writesNothing() async throws {
        let project = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: project) }
        let before = BerthProcess.snapshot(project)
        #expect(try await BerthProcess.run(["validate", "--project", project]).status == 0)
        #expect(try await BerthProcess.run(["render", "--env", "dev", "--project", project]).status == 0)
        #expect(try await BerthProcess.run(["render", "--env", "production", "--json"], in: project).status == 0)
        #expect(BerthProcess.snapshot(project) == before)
    }

    @Test("every malformed fixture exits 1 with its diagnostics as PATH:LINE:COLUMN on standard error",
          arguments: MarkedFixture.names())
    func malformed(_ name: String) async throws {
        let fixture = try MarkedFixture(directory: MarkedFixture.corpusDirectory + "/" + name)
        let project = try fixture.write()
        defer { try? FileManager.default.removeItem(atPath: project) }
        let result = try await BerthProcess.run(["validate", "--no-color"], in: project)
        #expect(result.status == 1)
        for expectation in fixture.expectations {
            let mark = try #require(fixture.marks[expectation.marker])
            let prefix = "\(mark): \(expectation.severity): "
            let found = result.stderr.split(separator: "\n").contains { $0.hasPrefix(prefix) && $0.contains(expectation.message) }
            #expect(found, "\(fixture.name): no line \(prefix)…\(expectation.message)… in:\n\(result.stderr)")
        }
        #expect(result.stdout.contains("invalid"))
    }

    @Test("render prints the resolved state as YAML, secrets as (sensitive)")
    func renderYAML() async throws {
        let result = try await BerthProcess.run(["render", "--env", "dev"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("format_version: \"1\"\nenvironment: dev\nproject: shop\n"))
        #expect(result.stdout.contains("api_token: (sensitive)"))
        #expect(result.stdout.contains("replicas: 2"))
        #expect(!result.stdout.contains("dev-token-not-secret"))
        #expect(!result.stderr.contains("dev-token-not-secret"))
    }

    @Test("render --json is format_version 1 and has the overlay applied")
    func renderJSON() async throws {
        let result = try await BerthProcess.run(["render", "--env", "production", "--json"])
        #expect(result.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["format_version"] as? String == "1")
        #expect(document["environment"] as? String == "production")
        #expect(document["production"] as? Bool == true)
        let services = try #require(document["services"] as? [String: [String: Any]])
        #expect(services["web"]?["replicas"] as? Int == 3)
        #expect(services["web"]?["restart"] as? String == "always")
        #expect(services["web"]?["image"] as? String == "localhost/berth-example-web:1.0.0")
        let database = try #require(document["database"] as? [String: Any])
        #expect(database["password"] as? String == "(sensitive)")
    }

    @Test("render of an unknown environment suggests the right name")
    func renderUnknown() async throws {
        let result = try await BerthProcess.run(["render", "--env", "stagin"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: no environment 'stagin'; did you mean 'staging'? (environments: dev, dr, preview, production, staging)\n")
        #expect(result.stdout.isEmpty)
    }

    @Test("an environment file that is a named pipe is an error at once, not a hang")
    func pipeEnvironment() async throws {
        let root = TemporaryDirectory.make(prefix: "berth-pipe")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/environments", withIntermediateDirectories: true)
        #expect(mkfifo(root + "/environments/dev.yaml", 0o644) == 0)
        let result = try await BerthProcess.run(["validate", "--project", root])
        #expect(result.status == 1)
        #expect(result.stderr.contains("environments/dev.yaml:1:1: error: cannot read the file: is a named pipe, not a file"), "\(result.stderr)")
    }

    @Test("an escape sequence in a key is printed escaped, and a file's diagnostics stop at 100, then say how many more")
    func hostileInput() async throws {
        let root = TemporaryDirectory.make(prefix: "berth-hostile")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/environments", withIntermediateDirectories: true)
        var text = "project: shop\n\"\\e[31mred\": 1\n"
        for index in 0..<150 { text += "unknown\(index): 1\n" }
        try text.write(toFile: root + "/environments/dev.yaml", atomically: true, encoding: .utf8)
        let result = try await BerthProcess.run(["validate", "--project", root])
        #expect(result.status == 1)
        #expect(!result.stderr.contains("\u{1B}"), "\(result.stderr)")
        #expect(result.stderr.contains(#"unknown key '\u{1B}[31mred'"#), "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains(": error: ") }.count == 100)
        #expect(lines.contains { $0.hasSuffix("environments/dev.yaml: and 51 more") }, "\(lines.suffix(3))")
    }

    @Test("an environment file whose name is not UTF-8 text is named with \\x escapes, and validate exits 1")
    func undecodableName() async throws {
        let root = TemporaryDirectory.make(prefix: "berth-names")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/environments", withIntermediateDirectories: true)
        try "services:\n  web:\n    image: localhost/web:1\n".write(toFile: root + "/environments/dev.yaml", atomically: true, encoding: .utf8)
        let path = Array((root + "/environments/d").utf8) + [0xFF] + Array("v.yaml".utf8)
        let fd = open(path.map { CChar(bitPattern: $0) } + [0], O_WRONLY | O_CREAT, 0o644)
        #expect(fd >= 0)
        close(fd)
        let result = try await BerthProcess.run(["validate", "--project", root])
        #expect(result.status == 1)
        #expect(result.stdout == #"dev: valid (1 service, 0 configs, 0 migrations)"# + "\n" + #"d\xFFv: invalid (1 error)"# + "\n")
        #expect(result.stderr.contains(root + #"/environments/d\xFFv.yaml:1:1: error: the file's name is not UTF-8 text"#), "\(result.stderr)")
    }

    @Test("a folder without environments/ is a clear error")
    func noProject() async throws {
        let empty = TemporaryDirectory.make(prefix: "berth-empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let result = try await BerthProcess.run(["validate", "--project", empty])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no \(empty)/environments/ folder"))
    }

    @Test("berth schema is the committed schemas/environment.schema.json")
    func schemaIsCommitted() async throws {
        let result = try await BerthProcess.run(["schema"])
        #expect(result.status == 0)
        let committed = try String(contentsOfFile: BerthProcess.packageRoot + "/schemas/environment.schema.json", encoding: .utf8)
        #expect(result.stdout == committed, "run: swift run berth schema > schemas/environment.schema.json")
    }

    @Test("environment files point editors at the schema")
    func schemaComment() async throws {
        let directory = BerthProcess.packageRoot + "/environments"
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/environment.schema.json\n"), "\(file)")
        }
    }

    @Test("usage errors exit 64; a misspelt command is told the closest one, another word the list of commands")
    func usageErrors() async throws {
        let misspelt = try await BerthProcess.run(["aply", "--env", "dev"])
        #expect(misspelt.status == 64)
        #expect(misspelt.stderr.hasPrefix("Error: 'aply' is not a berth command; did you mean 'apply'?\n"), "\(misspelt.stderr)")
        #expect(misspelt.stdout.isEmpty)
        let unknown = try await BerthProcess.run(["frobnicate"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("the commands are validate, render, schema, plan"), "\(unknown.stderr)")
        let missing = try await BerthProcess.run(["plan"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("Missing expected argument '--env <name>'"))
        #expect(try await BerthProcess.run(["plan", "--env", "dev", "--bogus"]).status == 64)
        #expect(try await BerthProcess.run(["help"]).status == 0)
    }

    @Test("the options every command takes may come before the command, as in docker compose")
    func globalOptionsFirst() async throws {
        let result = try await BerthProcess.run(["--project", BerthProcess.packageRoot, "--no-color", "validate", "--env", "dev"], in: "/")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("dev: valid"))
        #expect(try await BerthProcess.run(["--project=\(BerthProcess.packageRoot)", "validate"], in: "/").status == 0)
        #expect(try await BerthProcess.run(["--project", BerthProcess.packageRoot]).status == 64)
    }

    @Test("no colour when the output is not a terminal, with or without NO_COLOR")
    func noColor() async throws {
        for environment in [[:], ["NO_COLOR": "1"]] {
            let result = try await BerthProcess.run(["render", "--env", "nope"], environment: environment)
            #expect(!result.stderr.contains("\u{1B}["))
        }
    }
}

/// `plan` and `drift` of the example project against the real engine (scripts/test.sh sets BERTH_ENGINE).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil, "needs BERTH_ENGINE"))
struct PlanCommandTests {
    /// A copy of the example project under a project name of its own, so that no other run's containers are seen.
    /// A copy of the example project with a name and loopback host ports of its own (the example's may be
    /// taken by the demo, and a plan whose host port is taken is refused).
    func project() throws -> String {
        let root = try BerthProcess.copyOfExampleProject()
        let ports = try FreePorts.range(count: 2)
        for (file, old, new) in [
            ("base.yaml", "project: shop", "project: shop-\(UUID().uuidString.prefix(8).lowercased())"),
            ("dev.yaml", "127.0.0.1:18080-18081:80", "127.0.0.1:\(ports.lowerBound)-\(ports.upperBound):80"),
        ] {
            let path = root + "/environments/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: old, with: new)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("plan of a fresh environment exits 2 and prints every action; JSON is format 1 with a summary")
    func freshPlan() async throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let text = try await BerthProcess.run(["plan", "--env", "dev", "--no-color"], in: root)
        #expect(text.status == 2, "\(text.stderr)")
        #expect(text.stdout.contains("\nPlan for dev: 8 to create, 0 to change, 0 to delete.\n\nRollback"))
        #expect(text.stdout.contains("+ write-config config:app-env"))
        #expect(text.stdout.contains(try Regex("\n  remove-config +config:app-env +remove ")), "\(text.stdout)")

        let json = try await BerthProcess.run(["plan", "--env", "dev", "--json"], in: root)
        #expect(json.status == 2)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["format_version"] as? String == "1")
        #expect((document["fingerprint"] as? String)?.count == 64)
        let actions = try #require(document["actions"] as? [[String: Any]])
        #expect(actions.map { $0["type"] as? String } == [
            "migrate", "migrate", "migrate", "migrate", "write-config", "create", "wait-healthy", "create", "wait-healthy", "create",
        ])
        #expect(actions.last?["resource"] as? String == "container:worker-1")
        #expect((actions.last?["depends_on"] as? [String])?.contains("migrate:migration:4") == true)
        let summary = try #require(document["summary"] as? [String: Int])
        #expect(summary == ["create": 8, "update": 0, "delete": 0])
    }

    @Test("the example's plan graph: DOT that Graphviz renders, Mermaid as Tests/Fixtures/graphs/example-dev.mmd")
    func graph() async throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dot = try await BerthProcess.run(["plan", "--env", "dev", "--graph", "dot"], in: root)
        #expect(dot.status == 2, "\(dot.stderr)")
        let file = root + "/plan.dot"
        try dot.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let svg = try await BerthProcess.run(executable: "/usr/bin/dot", ["-Tsvg", file])
        #expect(svg.status == 0, "\(svg.stderr)")
        #expect(svg.stdout.contains("<svg") && svg.stdout.contains("create container:web&#45;1"), "\(svg.stdout.prefix(400))")

        let mermaid = try await BerthProcess.run(["plan", "--env", "dev", "--graph", "mermaid"], in: root)
        #expect(mermaid.status == 2)
        // What differs from one copy of the project to the next: its folder, name, host ports and so the containers' names.
        let base = try String(contentsOfFile: root + "/environments/base.yaml", encoding: .utf8)
        let project = try #require(base.firstMatch(of: /project: (\S+)/)).1
        let ports = try #require(try String(contentsOfFile: root + "/environments/dev.yaml", encoding: .utf8).firstMatch(of: /127\.0\.0\.1:(\d+)-(\d+):80/))
        let normalized = mermaid.stdout.replacingOccurrences(of: root, with: "ROOT").replacingOccurrences(of: String(project), with: "PROJECT")
            .replacingOccurrences(of: "port \(ports.1)", with: "port PORT1").replacingOccurrences(of: "port \(ports.2)", with: "port PORT2")
            .replacing(/-[0-9a-f]{8} must/, with: "-HASH must")
        let expected = try String(contentsOfFile: BerthProcess.packageRoot + "/Tests/Fixtures/graphs/example-dev.mmd", encoding: .utf8)
        #expect(normalized == expected)
    }

    @Test("plan --out saves the plan without any secret value; plan and drift write nothing else")
    func savedPlan() async throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = BerthProcess.snapshot(root)
        let out = root + "/plan.json"
        let result = try await BerthProcess.run(["plan", "--env", "dev", "--out", out], in: root)
        #expect(result.status == 2)
        let saved = try String(contentsOfFile: out, encoding: .utf8)
        #expect(saved.contains("\"format_version\" : \"1\""))
        #expect(!saved.contains("dev-token-not-secret"))
        #expect(!result.stdout.contains("dev-token-not-secret") && !result.stderr.contains("dev-token-not-secret"))
        #expect(try await BerthProcess.run(["drift", "--env", "dev"], in: root).status == 2)
        var after = BerthProcess.snapshot(root)
        after.removeValue(forKey: "plan.json")
        #expect(after == before)
    }

    @Test("drift of a fresh environment exits 2 and names each difference")
    func drift() async throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try await BerthProcess.run(["drift", "--env", "dev", "--json"], in: root)
        #expect(result.status == 2)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["in_sync"] as? Bool == false)
        let kinds = (document["drifted"] as? [[String: String]])?.compactMap { $0["kind"] }
        #expect(kinds == ["config-missing", "missing", "missing", "missing", "migration-pending", "migration-pending", "migration-pending", "migration-pending"])
    }

    @Test("an unreachable engine is exit 1 with a message naming the endpoint")
    func unreachable() async throws {
        let root = try project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dev = root + "/environments/dev.yaml"
        let text = try String(contentsOfFile: dev, encoding: .utf8)
            .replacingOccurrences(of: "unix:///run/berth-podman.sock", with: "unix:///tmp/berth-nowhere.sock")
        try text.write(toFile: dev, atomically: true, encoding: .utf8)
        for command in ["plan", "drift"] {
            let result = try await BerthProcess.run([command, "--env", "dev"], in: root)
            #expect(result.status == 1)
            #expect(result.stderr.contains("unix:///tmp/berth-nowhere.sock"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("a secret whose variable is not set stops the plan, naming the variable")
    func missingSecret() async throws {
        let result = try await BerthProcess.run(["plan", "--env", "staging"], unset: ["SHOP_STAGING_API_TOKEN", "SHOP_STAGING_DB_PASSWORD"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the environment variable SHOP_STAGING_API_TOKEN is not set"))
    }
}
