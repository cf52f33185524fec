import ArgumentParser
import BerthSession
import BerthRendering

/// `berth status --env NAME [--json]`: what runs, which version the proxy serves and with what
/// weights, and the verification in progress.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what runs: containers, the traffic behind the proxy, and the verification of the latest release.",
        discussion: "Changes nothing. Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    func run() async throws {
        let console = CommandContext.console(global)
        let status: EnvironmentStatus
        do {
            status = try await Pipeline(CommandContext.make(global, console: console)).status(env)
        } catch {
            throw error.report(on: console)
        }
        let view = StatusView(status)
        console.output(json ? view.json().jsonText() : view.text())
    }
}
