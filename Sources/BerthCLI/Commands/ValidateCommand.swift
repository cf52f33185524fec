import ArgumentParser
import BerthSession
import BerthYAML
import BerthLoading

/// `berth validate [--env NAME]`: load and check every environment (or one). Writes nothing.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every environment (or one): syntax, keys, types, references, paths.",
        discussion: "Exit codes: 0 valid (warnings allowed), 1 invalid."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Only this environment.", valueName: "name"), completion: .environments)
    var env: String?

    func run() throws {
        let console = CommandContext.console(global)
        let results: [LoadResult]
        do {
            results = try Pipeline(CommandContext.make(global, console: console)).loader.loadAll(only: env)
        } catch {
            console.fail(error.description)
            throw ExitCode(1)
        }
        // A shared base.yaml's problems are reported once, not once per environment.
        console.report(results.flatMap(\.diagnostics).normalized())
        var summary = ""
        for result in results {
            // A summary of diagnostics not kept stands for as many as its weight.
            let errors = result.diagnostics.filter { $0.severity == .error }.reduce(0) { $0 + $1.weight }
            let warnings = result.diagnostics.filter { $0.severity == .warning }.reduce(0) { $0 + $1.weight }
            if let environment = result.environment {
                let migrations = environment.database?.migrations.count ?? 0
                var line = "\(result.name): \(console.outputStyle.green("valid")) (\(count(environment.services.count, "service")), \(count(environment.configs.files.count, "config")), \(count(migrations, "migration"))"
                if warnings > 0 { line += ", \(count(warnings, "warning"))" }
                summary += line + ")\n"
            } else {
                summary += "\(result.name): \(console.outputStyle.red("invalid")) (\(count(errors, "error")))\n"
            }
        }
        console.output(summary)
        if results.contains(where: { $0.environment == nil }) { throw ExitCode(1) }
    }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
