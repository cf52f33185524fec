import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import BerthModel
import BerthDatabase
import BerthObserve
import BerthPlan
import BerthApply
import BerthRendering

/// `berth apply --env NAME [--plan FILE] [--yes]`: make the world match a fresh plan, or exactly a saved one.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a fresh plan (after confirmation), or exactly a saved one.",
        discussion: """
            Without --yes, asks for confirmation on a terminal and refuses when standard input is not one. \
            A saved plan is refused when the desired or observed state changed since it was made. \
            Exit codes: 0 converged, 1 failed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Option(name: .long, help: ArgumentHelp("Apply exactly this saved plan (from `berth plan --out`).", valueName: "file"))
    var plan: String?

    @Flag(name: .long, help: "Apply without asking.")
    var yes = false

    @Option(name: .long, help: ArgumentHelp("Actions run at once, at most.", valueName: "n"))
    var parallelism = 4

    func run() async throws {
        let pipeline = Pipeline(global)
        let console = pipeline.console
        let (_, environment) = try pipeline.load(env)
        let resolution = try pipeline.resolve(environment)
        let engine = try pipeline.engine(for: environment)
        let observed = try await pipeline.observe(resolution, engine: engine)
        let fresh = Planner.plan(desired: resolution.desired, observed: observed)

        var chosen = fresh
        if let path = plan {
            let saved: SavedPlan
            do {
                saved = try SavedPlan.read(from: path)
            } catch {
                console.fail("cannot read the saved plan \(path): \(error)")
                throw ExitCode(1)
            }
            guard saved.plan.environment == env, saved.plan.project == environment.project else {
                console.fail("\(path) is a plan for \(saved.plan.project)/\(saved.plan.environment), not \(environment.project)/\(env)")
                throw ExitCode(1)
            }
            guard saved.plan.fingerprint == fresh.fingerprint else {
                console.fail("the saved plan \(path) is stale: the desired or the observed state changed since it was made; nothing was applied. Run berth plan again.")
                throw ExitCode(1)
            }
            chosen = saved.plan
        }
        for problem in chosen.problems { console.fail(problem) }
        guard chosen.problems.isEmpty else { throw ExitCode(1) }
        guard !chosen.isEmpty else {
            console.output("No changes: \(env) matches its desired state.\n")
            return
        }
        console.output(PlanView(chosen, style: console.outputStyle).text())
        if !yes { try confirm(chosen, console: console) }

        let secrets = resolution.secrets
        let location = environment.database?.location
        let executor = Executor(engine: engine, parallelism: parallelism) { migration, checksum in
            guard let location else { throw ApplyError("the environment has no database") }
            let database = try DatabaseConnector.open(location, secrets: secrets)
            defer { database.close() }
            _ = try Migrator(database: database).apply([(migration: migration, checksum: checksum)])
        }
        let report = await executor.execute(chosen, resolution: resolution, observer: ProgressPrinter(console: console))
        if report.succeeded {
            console.output("Applied \(report.done.count) action\(report.done.count == 1 ? "" : "s") to \(env).\n")
            return
        }
        var summary = "Apply of \(env) failed:\n"
        for (id, error) in report.failed { summary += "  failed:  \(id): \(error)\n" }
        if !report.done.isEmpty { summary += "  done:    \(report.done.joined(separator: ", "))\n" }
        if !report.undone.isEmpty { summary += "  undone:  \(report.undone.joined(separator: ", "))\n" }
        if !report.left.isEmpty { summary += "  left:    \(report.left.joined(separator: ", "))\n" }
        if !report.skipped.isEmpty { summary += "  skipped: \(report.skipped.joined(separator: ", "))\n" }
        console.output(summary)
        throw ExitCode(1)
    }

    /// Asks on a terminal; refuses without one.
    private func confirm(_ plan: Plan, console: Console) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            console.fail("refusing to apply without --yes: standard input is not a terminal")
            throw ExitCode(1)
        }
        console.error("\nApply these \(plan.actions.count) actions to \(env)? Type yes to go on: ")
        guard readLine()?.trimmingSpaces() == "yes" else {
            console.error("Nothing applied.\n")
            throw ExitCode(1)
        }
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
    }
}

/// Progress on standard error: a line when an action starts and one when it ends.
struct ProgressPrinter: ExecutionObserver {
    let console: Console

    func started(_ action: PlanAction) {
        console.error("  ... \(action.kind.rawValue) \(action.resource)\n")
    }

    func finished(_ action: PlanAction, error: String?, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let time = "\((seconds * 100).rounded() / 100)s"
        if let error {
            console.error(console.errorStyle.red("  failed \(action.kind.rawValue) \(action.resource) (\(time)): \(error)") + "\n")
        } else {
            console.error(console.errorStyle.green("  done \(action.kind.rawValue) \(action.resource) (\(time))") + "\n")
        }
    }

    func undone(_ actionID: String, succeeded: Bool) {
        console.error("  \(succeeded ? "undone" : "could not undo") \(actionID)\n")
    }
}
