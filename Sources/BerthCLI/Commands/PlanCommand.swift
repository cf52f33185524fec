import ArgumentParser
import Foundation
import BerthPlan
import BerthRendering

/// `berth plan --env NAME [--json] [--out FILE]`: observe, diff, print the ordered plan.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Observe the environment and print the ordered plan that would converge it.",
        discussion: "Changes nothing. Exit codes: 0 no changes, 2 changes, 1 error."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Save the plan for `berth apply --plan FILE`.", valueName: "file"))
    var out: String?

    func run() async throws {
        let pipeline = Pipeline(global)
        let console = pipeline.console
        let (resolution, observed) = try await pipeline.desiredAndObserved(env)
        let plan = Planner.plan(desired: resolution.desired, observed: observed)
        let view = PlanView(plan, style: console.outputStyle)
        console.output(json ? view.json().jsonText() : view.text())
        for problem in plan.problems { console.fail(problem) }
        if let out {
            do {
                try SavedPlan(plan: plan).write(to: out)
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

/// A plan on disk: what `apply --plan` carries out after checking its fingerprint. It holds
/// hashes, never a secret value.
struct SavedPlan: Codable {
    var formatVersion = "1"
    var plan: Plan

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case plan
    }

    func write(to path: String) throws {
        try data().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func encoded() throws -> String { String(decoding: try data(), as: UTF8.self) }

    private func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    static func read(from path: String) throws -> SavedPlan {
        try JSONDecoder().decode(SavedPlan.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
