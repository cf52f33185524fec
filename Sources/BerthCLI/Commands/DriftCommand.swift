import ArgumentParser
import BerthPlan
import BerthRendering

/// `berth drift --env NAME [--json]`: what differs from the desired state. For cron and CI.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Report how the environment differs from its desired state.",
        discussion: "Changes nothing. Exit codes: 0 in sync, 2 drift, 1 error."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    func run() async throws {
        let pipeline = Pipeline(global)
        let (resolution, observed) = try await pipeline.desiredAndObserved(env)
        let items = Drift.detect(desired: resolution.desired, observed: observed)
        let view = DriftView(environment: env, items: items, style: pipeline.console.outputStyle)
        pipeline.console.output(json ? view.json().jsonText() : view.text())
        if !items.isEmpty { throw ExitCode(2) }
    }
}
