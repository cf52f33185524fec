public import ArgumentParser

/// `berth`: the root command. Each subcommand lives in `Commands/`, one file each.
public struct BerthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Declarative deployments: load, observe, plan, apply.",
        discussion: """
            Berth reads the desired state of each environment from environments/NAME.yaml \
            and keeps containers, config files and database migrations converged with it.
            Exit codes: 0 success, 1 error, 2 changes (plan) or drift (drift).
            """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, RenderCommand.self, SchemaCommand.self, PlanCommand.self, DriftCommand.self, StatusCommand.self, ApplyCommand.self, HistoryCommand.self, ReleasesCommand.self, RollbackCommand.self,
            NotesCommand.self, RestoreCommand.self, ParityCommand.self, RefreshDataCommand.self, UnlockCommand.self, PromoteCommand.self,
            WindowCommand.self, ApproveCommand.self, InitCommand.self, LogsCommand.self,
        ]
    )

    public init() {}
}
