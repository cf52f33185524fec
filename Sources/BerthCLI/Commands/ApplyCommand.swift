import ArgumentParser
import BerthCore
import BerthPlan
import BerthSession
import BerthRendering

/// `berth apply --env NAME [--plan FILE | --target RESOURCE...] [--yes]`: parses, builds the context, runs `ApplySession`,
/// renders its outcome. The apply's policy is all in the session.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a fresh plan (after confirmation), or exactly a saved one.",
        discussion: """
            Without --yes, asks for confirmation on a terminal and refuses when standard input is not one. \
            A saved plan is refused when the desired or observed state changed since it was made. \
            Exit codes: 0 converged, 1 failed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("Apply exactly this saved plan (from `berth plan --out`).", valueName: "file"))
    var plan: String?

    @Flag(name: .long, help: "Apply without asking.")
    var yes = false

    @Option(name: .long, help: ArgumentHelp("Actions run at once, at most.", valueName: "n"))
    var parallelism = 4

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for another apply of the environment to finish.", valueName: "seconds"))
    var lockTimeout = 0

    @Flag(name: .long, help: "Apply even though a rollback pinned the environment and its files have not changed since.")
    var rollForward = false

    @Flag(name: .long, help: "Progress as JSON lines on standard error, and the result as JSON (format_version 1) on standard output.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "Plan and apply only this resource (container:web-1, config:app-env, service:web, ...) and what it needs; repeatable.",
        valueName: "resource"
    ), completion: .targets)
    var target: [String] = []

    @OptionGroup var window: WindowOverrideOptions

    func validate() throws {
        if plan != nil, !target.isEmpty { throw ValidationError("--target and --plan: a saved plan is applied with the targets it was made with") }
    }

    func run() async throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console, json: json)
        var outcome: Result<ApplySession.Outcome, SessionError>
        do throws(SessionError) {
            let json = self.json
            let ask: @Sendable (Plan) async -> String? = { plan in await Self.confirm(plan, console: console, json: json) }
            var options = ApplySession.Options(
                environment: env, parallelism: parallelism, lockTimeout: .seconds(lockTimeout), confirm: yes ? nil : ask,
                rollForward: rollForward, windowOverride: window.override, targets: target
            )
            if let path = plan {
                do throws(FileSystemError) {
                    options.savedPlan = (path, try context.fileSystem.readFile(atPath: path))
                } catch {
                    throw SessionError("cannot read the saved plan \(path): \(error.reason)")
                }
            }
            outcome = .success(try await ApplySession(context).run(options))
        } catch {
            outcome = .failure(error)
        }
        try Self.finish(outcome, environment: env, console: console, json: json, declined: "nothing applied")
    }

    /// Prints an apply's (or a rollback's) outcome, and fails with exit code 1 unless it converged.
    static func finish(
        _ outcome: Result<ApplySession.Outcome, SessionError>, environment: String, console: Console, json: Bool, declined: String
    ) throws {
        let view = ApplyView(environment: environment, outcome: outcome)
        if json {
            console.output(view.json().jsonText())
        } else {
            switch outcome {
            case .failure(let error): _ = error.report(on: console)
            case .success(.declined(_, let reason)): console.fail("\(declined): \(reason)")
            default: break
            }
            if let text = view.text() { console.output(text) }
        }
        if !view.succeeded { throw ExitCode(1) }
    }

    /// Shows the plan and asks on a terminal; refuses without one.
    static func confirm(_ plan: Plan, console: Console, json: Bool) async -> String? {
        Confirmation.ask("Apply these \(plan.actions.count) actions?", verb: "apply", console: console)
    }
}
