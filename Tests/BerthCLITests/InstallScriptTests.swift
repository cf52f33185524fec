import Testing
import Foundation
import BerthTestSupport

/// `scripts/install.sh PREFIX`, with the tests' own build as the binary (`BERTH_INSTALL_BINARY`), so that the
/// suite does not build a release; the release build itself is the script's default path.
@Suite struct InstallScriptTests {
    func install(_ prefix: String) async throws -> BerthProcess.Output {
        try await BerthProcess.run(
            executable: "/bin/bash", [BerthProcess.packageRoot + "/scripts/install.sh", prefix],
            environment: ["BERTH_INSTALL_BINARY": BerthProcess.executable]
        )
    }

    /// What bash offers for the words typed so far in `directory`, through the installed completion script.
    func complete(_ words: [String], prefix: String, in directory: String) async throws -> [String] {
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let script = """
            source '\(prefix)/share/bash-completion/completions/berth'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _berth berth "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try await BerthProcess.run(
            executable: "/bin/bash", ["-c", script], in: directory, environment: ["PATH": "\(prefix)/bin:/usr/bin:/bin"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("installs berth and its bash, zsh and fish completions under PREFIX; a second run changes nothing")
    func installs() async throws {
        let prefix = TemporaryDirectory.make(prefix: "berth-install")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let first = try await install(prefix)
        #expect(first.status == 0, "\(first.stderr)")
        let installed = prefix + "/bin/berth"
        #expect(FileManager.default.isExecutableFile(atPath: installed))
        let version = try await BerthProcess.run(executable: installed, ["--version"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n")
        for file in ["share/bash-completion/completions/berth", "share/zsh/site-functions/_berth", "share/fish/vendor_completions.d/berth.fish"] {
            let text = try String(contentsOfFile: prefix + "/" + file, encoding: .utf8)
            // Each shell asks berth itself for environment names.
            #expect(text.contains("---completion"), "\(file)")
        }
        let again = try await install(prefix)
        #expect(again.status == 0)
        #expect(again.stderr.contains("unchanged: \(installed)"), "\(again.stderr)")
        #expect(!again.stderr.contains("installed: \(prefix)/share"))

        // --env completes the project's environments; --project names another project.
        let project = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: project) }
        #expect(try await complete(["berth", "plan", "--env", ""], prefix: prefix, in: project) == ["dev", "dr", "preview", "production", "staging"])
        #expect(try await complete(["berth", "apply", "--env", "p"], prefix: prefix, in: project) == ["preview", "production"])
        #expect(try await complete(["berth", "status", "--project", project, "--env", "st"], prefix: prefix, in: "/") == ["staging"])
        #expect(try await complete(["berth", "pl"], prefix: prefix, in: project) == ["plan"])
        // --target completes what the environment named by --env declares; logs completes its services.
        #expect(try await complete(["berth", "plan", "--env", "dev", "--target", "co"], prefix: prefix, in: project)
            == ["config:app-env", "container:web-1", "container:web-2", "container:worker-1"])
        #expect(try await complete(["berth", "logs", "--env", "dev", "w"], prefix: prefix, in: project) == ["web", "worker"])
    }

    @Test("a usage error changes nothing")
    func usage() async throws {
        let result = try await BerthProcess.run(executable: "/bin/bash", [BerthProcess.packageRoot + "/scripts/install.sh", "--bogus"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("usage: scripts/install.sh [PREFIX]"))
    }
}
