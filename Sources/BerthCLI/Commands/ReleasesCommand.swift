import ArgumentParser
import BerthModel
import BerthApply
import BerthSession
import BerthRendering

/// `berth releases --env NAME [--json]`: the environment's releases, newest first, with their backups.
struct ReleasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "Show the releases of an environment, newest first, with their backups.",
        discussion: "Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("How many releases to show.", valueName: "n"))
    var limit = 20

    func run() throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        let (releases, approvers) = try CommandContext.readStateStore(env, context: context, console: console) { store, key throws(SessionError) in
            let releases = try Releases.list(store, key: key, limit: limit)
            return (releases, try Approvals.approvers(of: releases, store: store, key: key))
        }
        let paths = Set(releases.flatMap { $0.backups.map(\.path) })
        let view = ReleasesView(
            environment: env, releases: releases, missing: paths.filter { !context.backups.exists($0) }, approvers: approvers
        )
        console.output(json ? view.json().jsonText() : view.text())
    }
}
