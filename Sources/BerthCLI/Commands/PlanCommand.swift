import ArgumentParser
import Foundation
import BerthPlan
import BerthSession
import BerthRendering

/// `berth plan --env NAME [--json] [--out FILE]`: observe, diff, print the ordered plan and how it would be undone.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Observe the environment and print the ordered plan that would converge it.",
        discussion: "Changes nothing. Exit codes: 0 no changes, 2 changes, 1 error (or a problem that stops the plan)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Save the plan for `berth apply --plan FILE`.", valueName: "file"))
    var out: String?

    func run() async throws {
        let console = CommandContext.console(global)
        let planned: Pipeline.Planned
        do {
            planned = try await Pipeline(CommandContext.make(global, console: console)).plan(env)
        } catch {
            throw error.report(on: console)
        }
        let plan = planned.plan
        let rollback = RollbackPlan.of(plan, observed: planned.observed)
        let view = PlanView(plan, rollback: rollback, style: console.outputStyle)
        console.output(json ? view.json().jsonText() : view.text())
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
