import ArgumentParser
import BerthSession
import BerthRendering

/// `berth parity --env A --with B [--json]`: compares what two environments declare and run.
struct ParityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Compare two environments: their services, images, config contents and applied migrations.",
        discussion: """
            Observes each environment once and changes nothing. Images compare by the image ids the running \
            containers have (by the declared reference where none runs); configs by the SHA-256 of their content; \
            migrations by the versions applied. Ports, replicas, hosts and template values are the environment's own \
            and are not compared. The parity.ignore entries of both environments leave differences out. \
            Exit codes: 0 in parity, 2 differences, 1 error.
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("The environment it is compared with.", valueName: "name"), completion: .environments)
    var with: String

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    func run() async throws {
        let console = CommandContext.console(global)
        let report: ParitySession.Report
        do {
            report = try await ParitySession(CommandContext.make(global, console: console)).run(env, with: with)
        } catch {
            throw error.report(on: console)
        }
        let view = ParityView(report)
        console.output(json ? view.json().jsonText() : view.text())
        if !report.inParity { throw ExitCode(2) }
    }
}
