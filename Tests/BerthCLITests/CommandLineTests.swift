import Testing
import Foundation
import BerthTestSupport

/// The built `berth` binary, run as a user would: exit codes, standard output and standard error.
@Suite struct CommandLineTests {
    @Test("validate passes the example project and lists every environment")
    func validateExample() throws {
        let result = try BerthProcess.run(["validate"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: ":").first.map(String.init) ?? "" } == ["dev", "dr", "production", "staging"])
        #expect(lines.allSatisfy { $0.contains(": valid (2 services, 1 config, 4 migrations") })
        #expect(result.stderr.isEmpty)
    }

    @Test("validate --env checks one environment")
    func validateOne() throws {
        let result = try BerthProcess.run(["validate", "--env", "staging"])
        #expect(result.status == 0)
        #expect(result.stdout == "staging: valid (2 services, 1 config, 4 migrations)\n")
    }

    @Test("validate and render write nothing")
    func writesNothing() throws {
        let project = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: project) }
        let before = BerthProcess.snapshot(project)
        #expect(try BerthProcess.run(["validate", "--project", project]).status == 0)
        #expect(try BerthProcess.run(["render", "--env", "dev", "--project", project]).status == 0)
        #expect(try BerthProcess.run(["render", "--env", "production", "--json"], in: project).status == 0)
        #expect(BerthProcess.snapshot(project) == before)
    }

    @Test("every malformed fixture exits 1 with its diagnostics as PATH:LINE:COLUMN on standard error",
          arguments: MarkedFixture.names())
    func malformed(_ name: String) throws {
        let fixture = try MarkedFixture(directory: MarkedFixture.corpusDirectory + "/" + name)
        let project = try fixture.write()
        defer { try? FileManager.default.removeItem(atPath: project) }
        let result = try BerthProcess.run(["validate", "--no-color"], in: project)
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
    func renderYAML() throws {
        let result = try BerthProcess.run(["render", "--env", "dev"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("format_version: \"1\"\nenvironment: dev\nproject: shop\n"))
        #expect(result.stdout.contains("api_token: (sensitive)"))
        #expect(result.stdout.contains("replicas: 2"))
        #expect(!result.stdout.contains("dev-token-not-secret"))
        #expect(!result.stderr.contains("dev-token-not-secret"))
    }

    @Test("render --json is format_version 1 and has the overlay applied")
    func renderJSON() throws {
        let result = try BerthProcess.run(["render", "--env", "production", "--json"])
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
    func renderUnknown() throws {
        let result = try BerthProcess.run(["render", "--env", "stagin"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: no environment 'stagin'; did you mean 'staging'? (environments: dev, dr, production, staging)\n")
        #expect(result.stdout.isEmpty)
    }

    @Test("a folder without environments/ is a clear error")
    func noProject() throws {
        let empty = TemporaryDirectory.make(prefix: "berth-empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let result = try BerthProcess.run(["validate", "--project", empty])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no \(empty)/environments/ folder"))
    }

    @Test("berth schema is the committed schemas/environment.schema.json")
    func schemaIsCommitted() throws {
        let result = try BerthProcess.run(["schema"])
        #expect(result.status == 0)
        let committed = try String(contentsOfFile: BerthProcess.packageRoot + "/schemas/environment.schema.json", encoding: .utf8)
        #expect(result.stdout == committed, "run: swift run berth schema > schemas/environment.schema.json")
    }

    @Test("environment files point editors at the schema")
    func schemaComment() throws {
        let directory = BerthProcess.packageRoot + "/environments"
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/environment.schema.json\n"), "\(file)")
        }
    }

    @Test("no colour when the output is not a terminal, with or without NO_COLOR")
    func noColor() throws {
        for environment in [[:], ["NO_COLOR": "1"]] {
            let result = try BerthProcess.run(["render", "--env", "nope"], environment: environment)
            #expect(!result.stderr.contains("\u{1B}["))
        }
    }
}
