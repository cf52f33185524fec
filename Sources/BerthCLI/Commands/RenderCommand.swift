import ArgumentParser
import BerthModel
import BerthSession
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

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1) instead of YAML.")
    var json = false

    func run() throws {
        let console = CommandContext.console(global)
        let pipeline = Pipeline(CommandContext.make(global, console: console))
        let environment: Environment
        do {
            environment = try pipeline.load(env)
        } catch {
            throw error.report(on: console)
        }
        let view = EnvironmentView(environment, projectRoot: pipeline.loader.projectRoot).json()
        console.output(json ? view.jsonText() : view.yamlText())
    }
}
