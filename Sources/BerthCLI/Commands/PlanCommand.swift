import ArgumentParser
import Foundation
import BerthPlan
import BerthSession
import BerthRendering

/// `berth plan --env NAME [--json] [--out FILE] [--graph dot|mermaid] [--target RESOURCE...]`: observe, diff,
/// print the ordered plan (or only what the targets need) and how it would be undone, or its graph.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Observe the environment and print the ordered plan that would converge it.",
        discussion: "Changes nothing. Exit codes: 0 no changes, 2 changes, 1 error (or a problem that stops the plan)."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Save the plan for `berth apply --plan FILE`.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Print the plan's graph instead of the plan: dot (Graphviz) or mermaid.", valueName: "format"))
    var graph: GraphFormat?

    @Option(name: .long, help: ArgumentHelp(
        "Limit the plan to this resource (container:web-1, config:app-env, migration:4, route:web, service:web, ...) and what it needs; repeatable.",
        valueName: "resource"
    ), completion: .targets)
    var target: [String] = []

    enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
        case dot, mermaid
    }

    func validate() throws {
        if graph != nil, json { throw ValidationError("--graph and --json print different things: give one") }
    }

    func run() async throws {
        let console = CommandContext.console(global)
        let planned: Pipeline.Planned
        do {
            planned = try await Pipeline(CommandContext.make(global, console: console)).plan(env, targets: target)
        } catch {
            throw error.report(on: console)
        }
        let plan = planned.plan
        let rollback = RollbackPlan.of(plan, observed: planned.observed)
        if let graph {
            console.output(PlanGraphView(plan).text(graph == .dot ? .dot : .mermaid))
        } else {
            let view = PlanView(plan, rollback: rollback, style: console.outputStyle)
            console.output(json ? view.json().jsonText() : view.text())
        }
        for problem in plan.problems { console.fail(problem) }
        if let out {
            do {
                try PlanDocument(plan).encoded().write(to: URL(fileURLWithPath: out), options: .atomic)
                console.error("saved the plan to \(out)\n")
            } catch {
                console.fail("cannot save the plan to \(out): \(error)")
                throw ExitCode(1)
            }
        }
        if !plan.problems.isEmpty { throw ExitCode(1) }
        if !plan.isEmpty { throw ExitCode(2) }
    }
}
