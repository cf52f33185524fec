import ArgumentParser
import Foundation
import BerthCore
import BerthPlan
import BerthSession
import BerthRendering

/// `berth rollback --env NAME [--to N] [--yes] [--json] [--out FILE]`: plans, shows and applies the way
/// back to a release. The policy is in `RollbackSession`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Go back to an earlier release: its image IDs, config bytes and schema.",
        discussion: """
            By default back to the release before the current one. Asks for confirmation like apply. The rollback \
            is a release itself and pins the environment: apply of unchanged environment files does not roll forward \
            (apply --roll-forward does). Exit codes: 0 done or nothing to do, 1 failed or refused.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("The release to go back to (default: the one before the current).", valueName: "n"))
    var to: Int?

    @Flag(name: .long, help: "Roll back without asking.")
    var yes = false

    @Option(name: .long, help: ArgumentHelp("Also save the rollback's plan to this file.", valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Where a migration applied since has no undo file, restore the database backup taken before it (data written since is lost).")
    var restoreDatabase = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for another apply of the environment to finish.", valueName: "seconds"))
    var lockTimeout = 0

    @Flag(name: .long, help: "Progress as JSON lines on standard error, and the result as JSON (format_version 1) on standard output.")
    var json = false

    @OptionGroup var window: WindowOverrideOptions

    func run() async throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console, json: json)
        var outcome: Result<ApplySession.Outcome, SessionError>
        do throws(SessionError) {
            let json = self.json
            let ask: @Sendable (Plan) async -> String? = { plan in await ApplyCommand.confirm(plan, console: console, json: json) }
            let out = self.out
            let options = RollbackSession.Options(
                environment: env, to: to,
                apply: ApplySession.Options(
                    environment: env, lockTimeout: .seconds(lockTimeout), confirm: yes ? nil : ask, windowOverride: window.override
                ),
                planned: { plan throws(SessionError) in
                    guard let out else { return }
                    do {
                        try PlanDocument(plan).encoded().write(to: URL(fileURLWithPath: out), options: .atomic)
                    } catch {
                        throw SessionError("cannot save the plan to \(out): \(error)")
                    }
                },
                restoreDatabase: restoreDatabase
            )
            outcome = .success(try await RollbackSession(context).run(options))
        } catch {
            outcome = .failure(error)
        }
        try ApplyCommand.finish(outcome, environment: env, console: console, json: json, declined: "nothing rolled back")
    }
}
