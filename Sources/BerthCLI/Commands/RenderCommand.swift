import ArgumentParser
import BerthLoading
import BerthRendering

/// `berth render --env NAME [--json]`: the resolved desired state; secrets as `(sensitive)`.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print an environment's resolved desired state (after extends and defaults).",
        discussion: "Secret values are shown as (sensitive). Exit codes: 0 rendered, 1 invalid."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Flag(name: .long, help: "Print JSON (format_version 1) instead of YAML.")
    var json = false

    func run() throws {
        let pipeline = Pipeline(global)
        let (loader, environment) = try pipeline.load(env)
        let view = EnvironmentView(environment, projectRoot: loader.projectRoot).json()
        pipeline.console.output(json ? view.jsonText() : view.yamlText())
    }
}
