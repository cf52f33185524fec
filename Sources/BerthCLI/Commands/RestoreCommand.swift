import ArgumentParser
import BerthSession
import BerthRendering

/// `berth restore --env NAME --backup ID [--yes]`: parses, builds the context, runs `RestoreSession`,
/// renders its outcome. The policy (lock, checks, journal) is all in the session.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a database backup that an apply took (see berth releases).",
        discussion: """
            Replaces what the environment's database holds with the backup, in one step, under the environment's \
            lock, and records it in the history. Without --yes, asks on a terminal and refuses when standard input \
            is not one. Exit codes: 0 restored, 1 failed or refused.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("The backup's id, such as r3-database.", valueName: "id"))
    var backup: String

    @OptionGroup var replacement: DatabaseReplacementOptions

    func run() async throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        let view = RestoreView(environment: env)
        let ask: @Sendable (RestoreSession.Target) async -> String? = { target in
            Confirmation.ask(view.question(target), verb: "restore", console: console)
        }
        let outcome: RestoreSession.Outcome
        do throws(SessionError) {
            outcome = try await RestoreSession(context).run(
                RestoreSession.Options(environment: env, backup: backup, lockTimeout: replacement.lockWait, confirm: replacement.confirm(ask))
            )
        } catch {
            throw error.report(on: console)
        }
        if case .declined(_, let reason) = outcome {
            console.fail("nothing restored: \(reason)")
            throw ExitCode(1)
        }
        if let text = view.text(outcome) { console.output(text) }
    }
}
