import ArgumentParser
import BerthPlan
import BerthSession
import BerthRendering

/// `berth destroy --env NAME [--yes] [--keep-configs] [--drop-database] [--force-production]`: parses,
/// builds the context, runs `DestroySession`, renders its outcome as an apply's. The policy is in the session.
struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove what the environment owns (containers, config files, proxy), as a plan first.",
        discussion: """
            Shows the plan, then asks like apply (or goes on with --yes; without a terminal it refuses). The database \
            and its data are kept unless --drop-database is given, which backs it up first. A production environment \
            is refused without --force-production. The destroy is recorded as a release: berth rollback re-creates \
            what ran before it. Exit codes: 0 removed or nothing to remove, 1 failed or refused.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Destroy without asking.")
    var yes = false

    @Flag(name: .long, help: "Leave the config files Berth wrote in place.")
    var keepConfigs = false

    @Flag(name: .long, help: "Also drop what Berth owns in the database (backed up first): its data is lost unless restored.")
    var dropDatabase = false

    @Flag(name: .long, help: "Destroy a production environment (refused without it).")
    var forceProduction = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for another apply of the environment to finish.", valueName: "seconds"))
    var lockTimeout = 0

    @Option(name: .long, help: ArgumentHelp("Seconds a container gets to stop before it is killed.", valueName: "seconds"))
    var stopTimeout = 10

    @Flag(name: .long, help: "Progress as JSON lines on standard error, and the result as JSON (format_version 1) on standard output.")
    var json = false

    @OptionGroup var window: WindowOverrideOptions

    func run() async throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console, json: json)
        var outcome: Result<ApplySession.Outcome, SessionError>
        do throws(SessionError) {
            let ask: @Sendable (Plan) async -> String? = { plan in
                Confirmation.ask("Destroy \(plan.environment): remove these \(plan.actions.count) resources?", verb: "destroy", console: console)
            }
            let options = DestroySession.Options(
                environment: env, destroy: DestroyOptions(keepConfigs: keepConfigs, dropDatabase: dropDatabase), forceProduction: forceProduction,
                apply: ApplySession.Options(
                    environment: env, lockTimeout: .seconds(lockTimeout), stopTimeout: stopTimeout, confirm: yes ? nil : ask,
                    windowOverride: window.override
                )
            )
            outcome = .success(try await DestroySession(context).run(options))
        } catch {
            outcome = .failure(error)
        }
        if !json, case .success(let done) = outcome, let text = Self.text(done, environment: env) {
            return console.output(text)
        }
        try ApplyCommand.finish(outcome, environment: env, console: console, json: json, declined: "nothing destroyed")
    }

    /// What a destroy that went through (or found nothing) says, with the way back; nil for the other
    /// outcomes, which read as an apply's.
    static func text(_ outcome: ApplySession.Outcome, environment: String) -> String? {
        switch outcome {
        case .noChanges(let plan):
            return "Nothing to destroy: \(environment) has nothing of Berth's left to remove.\n" + PlanView(plan).keptText()
        case .applied(let applied) where applied.succeeded:
            var text = "Destroyed \(environment): \(applied.report.done.count) action\(applied.report.done.count == 1 ? "" : "s") done."
            if let release = applied.release {
                text += " Recorded as release \(release.number); berth rollback --env \(environment) re-creates what ran before it."
            }
            text += "\n"
            if let backup = applied.release?.backups.first(where: { $0.kind == .database }) {
                text += "The database was dropped; its data comes back only with berth restore --env \(environment) --backup \(backup.id).\n"
            }
            return text
        default:
            return nil
        }
    }
}
