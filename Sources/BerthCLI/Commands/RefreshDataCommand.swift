import ArgumentParser
import BerthSession
import BerthRendering

/// `berth refresh-data --env DST --from SRC [--backup ID] [--yes]`: parses, builds the context, runs
/// `RefreshSession`, renders its outcome. The policy (refusals, lock, mask, history) is all in the session.
struct RefreshDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh-data",
        abstract: "Restore another environment's database backup into this one, then mask it (never into production).",
        discussion: """
            Takes SRC's newest database backup (or --backup ID, as berth releases --env SRC shows it), restores it \
            into the database of DST under DST's lock, and runs DST's database.refresh.mask SQL file in the same \
            step (one PostgreSQL transaction; for SQLite on the copy before it replaces the file). Both databases \
            must be of the same kind; a production DST is refused. Both histories record it. Without --yes, asks \
            on a terminal and refuses when standard input is not one. Exit codes: 0 refreshed, 1 failed or refused.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment whose database is replaced (DST).", valueName: "name"), completion: .environments)
    var env: String

    @Option(name: .long, help: ArgumentHelp("The environment whose backup is restored (SRC).", valueName: "name"), completion: .environments)
    var from: String

    @Option(name: .long, help: ArgumentHelp("A database backup of SRC, such as r3-database (default: its newest).", valueName: "id"))
    var backup: String?

    @OptionGroup var replacement: DatabaseReplacementOptions

    func run() async throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        let view = RefreshView(environment: env)
        let ask: @Sendable (RestoreSession.Target) async -> String? = { target in
            Confirmation.ask(view.question(target, from: from), verb: "refresh", console: console)
        }
        let outcome: RefreshSession.Outcome
        do throws(SessionError) {
            outcome = try await RefreshSession(context).run(
                RefreshSession.Options(
                    environment: env, source: from, backup: backup, lockTimeout: replacement.lockWait, confirm: replacement.confirm(ask)
                )
            )
        } catch {
            throw error.report(on: console)
        }
        if case .declined(_, let reason) = outcome {
            console.fail("nothing refreshed: \(reason)")
            throw ExitCode(1)
        }
        if let text = view.text(outcome) { console.output(text) }
    }
}
