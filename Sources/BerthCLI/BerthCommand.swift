public import ArgumentParser
import Foundation
import BerthLoading

/// `berth`: the root command. Each subcommand lives in `Commands/`, one file each.
public struct BerthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Declarative deployments: load, observe, plan, apply.",
        discussion: """
            Berth reads the desired state of each environment from environments/NAME.yaml \
            and keeps containers, config files and database migrations converged with it.
            Exit codes: 0 success, 1 error, 2 changes (plan) or drift (drift), 64 a usage error.
            """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, RenderCommand.self, SchemaCommand.self, PlanCommand.self, DriftCommand.self, StatusCommand.self, ApplyCommand.self, HistoryCommand.self, ReleasesCommand.self, RollbackCommand.self,
            NotesCommand.self, RestoreCommand.self, ParityCommand.self, RefreshDataCommand.self, UnlockCommand.self, PromoteCommand.self,
            WindowCommand.self, ApproveCommand.self, InitCommand.self, DestroyCommand.self, LogsCommand.self,
        ]
    )

    public init() {}

    /// Parses and runs, as `main()` does; a first word that names no subcommand is a usage error (64) that
    /// suggests the closest one (`berth aply` -> did you mean 'apply'?).
    public static func main(arguments: [String]) async {
        let arguments = globalOptionsAfterSubcommand(arguments)
        if let message = unknownSubcommand(in: arguments) {
            var standardError = StandardError()
            print("Error: \(message)\nUsage: berth <subcommand>\n  See 'berth --help' for more information.", to: &standardError)
            Self.exit(withError: ExitCode(64))
        }
        await main(arguments)
    }

    /// `berth --project DIR plan ...` as `berth plan --project DIR ...`: the options every command takes may
    /// also come before the command, as `docker compose` users write them.
    static func globalOptionsAfterSubcommand(_ arguments: [String]) -> [String] {
        var global: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--project", index + 1 < arguments.count {
                global += [word, arguments[index + 1]]
                index += 2
            } else if word.hasPrefix("--project=") || word == "--no-color" {
                global.append(word)
                index += 1
            } else {
                break
            }
        }
        guard !global.isEmpty, index < arguments.count else { return arguments }
        return [arguments[index]] + global + arguments[(index + 1)...]
    }

    /// Why the first word of `arguments` is no subcommand, or nil when it is one (or an option, or absent).
    static func unknownSubcommand(in arguments: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        if let closest = Suggestion.closest(to: word, in: names) {
            return "'\(word)' is not a berth command; did you mean '\(closest)'?"
        }
        return "'\(word)' is not a berth command; the commands are " + names.dropLast().joined(separator: ", ")
    }
}

/// Standard error as a `TextOutputStream`, for `print(_:to:)`.
private struct StandardError: TextOutputStream {
    mutating func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
