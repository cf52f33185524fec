import Foundation
import Testing
import BerthTestSupport

/// `berth init` through the binary, in an empty folder.
@Suite struct InitCommandTests {
    @Test("berth init writes a starter project that validates, and never overwrites it")
    func starter() async throws {
        let parent = TemporaryDirectory.make(prefix: "berth-init")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let root = parent + "/My Shop"
        let written = try await BerthProcess.run(["init", root, "--env", "dev", "--env", "production"], in: parent)
        #expect(written.status == 0, "\(written.stderr)")
        for file in ["environments/base.yaml", "environments/dev.yaml", "environments/production.yaml", "environments/migrations/README.md", "schemas/environment.schema.json"] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + file), "\(file)")
        }
        let base = try String(contentsOfFile: root + "/environments/base.yaml", encoding: .utf8)
        #expect(base.hasPrefix("# yaml-language-server: $schema=../schemas/environment.schema.json\n"))
        #expect(base.contains("project: my-shop\n"))
        let validated = try await BerthProcess.run(["validate", "--project", root], in: parent)
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        #expect(validated.stdout.contains("dev: valid") && validated.stdout.contains("production: valid"), "\(validated.stdout)")

        try "# mine\n".write(toFile: root + "/environments/dev.yaml", atomically: true, encoding: .utf8)
        let again = try await BerthProcess.run(["init", root], in: parent)
        #expect(again.status == 1)
        #expect(again.stderr.contains("never overwrites"), "\(again.stderr)")
        #expect(try String(contentsOfFile: root + "/environments/dev.yaml", encoding: .utf8) == "# mine\n")
        #expect(try await BerthProcess.run(["init", root, "--env", "Bad Name"], in: parent).status == 64)
        #expect(try await BerthProcess.run(["init", parent + "/other", "--env", "base"], in: parent).status == 64)
        #expect(!FileManager.default.fileExists(atPath: parent + "/other"))

        // A name given twice is one environment.
        let twice = try await BerthProcess.run(["init", parent + "/twice", "--env", "dev", "--env", "dev"], in: parent)
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(try await BerthProcess.run(["validate", "--project", parent + "/twice"], in: parent).stdout == "dev: valid (1 service, 0 configs, 0 migrations)\n")
    }
}
