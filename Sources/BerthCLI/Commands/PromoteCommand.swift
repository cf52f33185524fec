import ArgumentParser
import BerthSession
import BerthRendering

/// `berth promote --from SRC --to DST [--release N] [--write] [--json] [--force --reason TEXT]`: the change
/// that moves SRC's release into DST's environment file. The policy is in `PromoteSession`.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Show (or write) the change that moves a release of one environment into another's file.",
        discussion: """
            Takes SRC's current release (or --release N): per service the image as written, and the highest migration \
            it applied. DST's file gets those images where it writes them (an override when it inherits them from a base \
            file, which is never edited) and database.migrate_to; the change is shown as a unified diff, and --write \
            writes it once the file still validates. A release that failed, was rolled back or is no longer SRC's current \
            one is refused, and so are, when DST declares promotion: { from, soak }, another source and a release that \
            has not run for the soak; --force --reason TEXT overrides, recorded in the history. \
            Exit codes: 0 nothing to promote, 2 a change shown or written, 1 refused or error, 64 usage.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment whose release is promoted.", valueName: "name"), completion: .environments)
    var from: String

    @Option(name: .long, help: ArgumentHelp("The environment whose file changes.", valueName: "name"), completion: .environments)
    var to: String

    @Option(name: .long, help: ArgumentHelp("The release of --from (default: its current one).", valueName: "n"))
    var release: Int?

    @Flag(name: .long, help: "Write the change into the environment file.")
    var write = false

    @Flag(name: .long, help: "The result as JSON (format_version 1).")
    var json = false

    @Flag(name: .long, help: "Promote even if a gate refuses; needs --reason.")
    var force = false

    @Flag(name: .long, help: "Write the change although the deployment window of --to is closed; needs --reason.")
    var overrideWindow = false

    @Option(name: .long, help: ArgumentHelp("Why the gates or the window are overridden (recorded in the history).", valueName: "text"))
    var reason: String?

    func validate() throws {
        if force || overrideWindow, reason?.trimmingCharacters(in: .whitespaces).isEmpty ?? true {
            throw ValidationError("\(force ? "--force" : "--override-window") needs --reason TEXT: what is overridden is recorded with why")
        }
        if reason != nil, !force, !overrideWindow { throw ValidationError("--reason goes with --force or --override-window") }
    }

    func run() throws {
        let console = CommandContext.console(global)
        let outcome: PromoteSession.Outcome
        do {
            let options = PromoteSession.Options(
                from: from, to: to, release: release, write: write, forceReason: force ? reason : nil,
                windowOverride: overrideWindow ? reason.map(WindowOverride.init(reason:)) : nil
            )
            outcome = try PromoteSession(CommandContext.make(global, console: console)).run(options)
        } catch {
            throw error.report(on: console)
        }
        for gate in outcome.overridden { console.error("warning: overridden: \(gate)\n") }
        let view = PromoteView(outcome)
        console.output(json ? view.json().jsonText() : view.text())
        if !outcome.changes.isEmpty { throw ExitCode(2) }
    }
}
