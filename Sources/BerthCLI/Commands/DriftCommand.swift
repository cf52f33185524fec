import ArgumentParser
import BerthPlan
import BerthSession
import BerthRendering

/// `berth drift --env NAME [--json]`: what differs from the desired state. For cron and CI.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Report how the environment differs from its desired state.",
        discussion: "Changes nothing. Exit codes: 0 in sync, 2 drift, 1 error."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    func run() async throws {
        let console = CommandContext.console(global)
        let items: [DriftItem]
        do {
            items = try await Pipeline(CommandContext.make(global, console: console)).drift(env)
        } catch {
            throw error.report(on: console)
        }
        let view = DriftView(environment: env, items: items, style: console.outputStyle)
        console.output(json ? view.json().jsonText() : view.text())
        if !items.isEmpty { throw ExitCode(2) }
    }
}
