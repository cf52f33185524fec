import ArgumentParser
import Foundation
import BerthCore
import BerthRendering

/// `berth init [DIR] [--env NAME...]`: a starter project that validates. Never overwrites: when any of
/// its files exists, nothing is written.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter project: environments/base.yaml, one file per environment, migrations/, the JSON Schema.",
        discussion: "Never overwrites a file. Exit codes: 0 written, 1 a file exists or cannot be written."
    )

    @Argument(help: ArgumentHelp("The project folder (default: the current one).", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment to create (repeatable; default dev).", valueName: "name"))
    var environments: [String] = []

    func validate() throws {
        for name in environments where name.range(of: "^[a-z0-9][a-z0-9_-]{0,62}$", options: .regularExpression) == nil {
            throw ValidationError("'\(name)' is not an environment name: lower-case letters, digits, - and _, at most 63")
        }
        if environments.contains("base") {
            throw ValidationError("'base' is the file the environments extend (environments/base.yaml), not an environment")
        }
    }

    func run() throws {
        let console = Console(noColor: false)
        let root = URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let files = StarterProject.files(
            project: StarterProject.projectName(fromFolder: (root as NSString).lastPathComponent),
            // `--env dev --env dev` is one environment.
            environments: environments.reduce(into: [String]()) { names, name in if !names.contains(name) { names.append(name) } }
        )
        let existing = files.map { root + "/" + $0.path }.filter { FileManager.default.fileExists(atPath: $0) }
        guard existing.isEmpty else {
            console.fail("\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""): berth init never overwrites; nothing was written")
            throw ExitCode(1)
        }
        do {
            for file in files {
                let path = root + "/" + file.path
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(file.text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            }
        } catch {
            console.fail("cannot write the starter project in \(root): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        console.output("Wrote a starter project in \(root):\n" + files.map { "  \($0.path)\n" }.joined()
            + "Next: berth validate --project \(root)\n")
    }
}
