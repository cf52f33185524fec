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
import Foundation
import Synchronization

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

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for another apply of the environment to finish.", valueName: "seconds"))
    var lockTimeout = 0

    @Flag(name: .long, help: "Progress as JSON lines on standard error, and the report as JSON (format_version 1) on standard output.")
    var json = false

    func run() async throws {
        let pipeline = Pipeline(global)
        let console = pipeline.console
        let (_, environment) = try pipeline.load(env)
        let resolution = try pipeline.resolve(environment)
        let engine = try pipeline.engine(for: environment)

        // The lock first: what is observed and planned below cannot change under another apply.
        let store = try EnvironmentLock.openStore(environment, secrets: resolution.secrets, console: console)
        let lock = EnvironmentLock(store: store, key: EnvironmentLock.key(environment), console: console)
        try await lock.acquire(timeout: .seconds(lockTimeout))
        defer { lock.release() }
        let renewal = lock.keepAlive(
            renewalStore: try EnvironmentLock.openStore(environment, secrets: resolution.secrets, console: console)
        )
        defer { renewal.cancel() }
        recoverInterrupted(store, key: lock.key, console: console)

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
        if !json { console.output(PlanView(chosen, style: console.outputStyle).text()) }
        if !yes { try confirm(chosen, console: console) }

        let secrets = resolution.secrets
        let location = environment.database?.location
        // One connection for every migration of this apply; they run one after the other (each depends on the last).
        let connection = MigrationConnection(location: location, secrets: secrets)
        defer { connection.close() }
        let executor = Executor(engine: engine, parallelism: parallelism) { migration, checksum in
            try connection.apply(migration, checksum: checksum)
        }
        let journal = Journal(store: store, environment: lock.key, console: console, json: json)
        journal.begin(chosen, owner: lock.owner)
        let report = await executor.execute(chosen, resolution: resolution, observer: journal)
        journal.finish(report)
        if json {
            console.output(JSONValue.object([
                "format_version": .string("1"),
                "environment": .string(env),
                "status": .string(report.succeeded ? "succeeded" : "failed"),
                "done": .strings(report.done),
                "failed": .array(report.failed.map { .object(["id": .string($0.id), "error": .string($0.error)]) }),
                "undone": .strings(report.undone),
                "left": .strings(report.left),
                "skipped": .strings(report.skipped),
            ]).jsonText())
            if !report.succeeded { throw ExitCode(1) }
            return
        }
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

    /// An apply whose process died is marked interrupted; this apply converges what it left.
    private func recoverInterrupted(_ store: any StateStore, key: String, console: Console) {
        for record in (try? store.unfinishedApplies(environment: key)) ?? [] {
            try? store.markInterrupted(applyID: record.id, now: Date())
            console.error("apply \(record.id) of \(key) by \(record.owner) did not finish; this apply converges what it left\n")
        }
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

/// The application database, opened at the first migration and kept for the rest of the apply.
final class MigrationConnection: Sendable {
    private let location: DatabaseLocation?
    private let secrets: [String: String]
    private let database = Mutex<(any SQLDatabase)?>(nil)

    init(location: DatabaseLocation?, secrets: [String: String]) {
        self.location = location
        self.secrets = secrets
    }

    func apply(_ migration: Migration, checksum: String) throws {
        guard let location else { throw ApplyError("the environment has no database") }
        try database.withLock { (open: inout (any SQLDatabase)?) throws in
            let connection = try open ?? DatabaseConnector.open(location, secrets: secrets)
            open = connection
            _ = try Migrator(database: connection).apply([(migration: migration, checksum: checksum)])
        }
    }

    func close() {
        database.withLock { open in
            open?.close()
            open = nil
        }
    }
}

/// Progress on standard error, and every action's outcome in the journal.
final class Journal: ExecutionObserver, Sendable {
    let store: any StateStore
    let environment: String
    let console: Console
    private let applyID = Mutex<Int64?>(nil)

    let json: Bool

    init(store: any StateStore, environment: String, console: Console, json: Bool) {
        self.store = store
        self.environment = environment
        self.console = console
        self.json = json
    }

    /// One event a line: `{"event":"finished","action":"create:container:web-1","seconds":0.41}`.
    private func event(_ name: String, _ action: String, _ extra: [JSONValue.Member] = []) {
        let value = JSONValue.object([.init("event", .string(name)), .init("action", .string(action))] + extra)
        console.error(value.compactJSONText() + "\n")
    }

    func begin(_ plan: Plan, owner: LockOwner) {
        let text = (try? SavedPlan(plan: plan).encoded()) ?? "{}"
        let actions = plan.actions.map { ActionRecord(actionID: $0.id, type: $0.kind.rawValue, resource: $0.resource, status: .pending, detail: $0.cause) }
        do {
            let id = try store.beginApply(environment: environment, owner: owner, fingerprint: plan.fingerprint, plan: text, actions: actions, now: Date())
            applyID.withLock { $0 = id }
        } catch {
            console.error("warning: cannot record this apply in the journal: \(error)\n")
        }
    }

    func finish(_ report: Executor.Report) {
        guard let id = applyID.withLock({ $0 }) else { return }
        let now = Date()
        for skipped in report.skipped { try? store.updateAction(applyID: id, actionID: skipped, status: .skipped, detail: "not started after a failure", now: now) }
        let status: ApplyStatus = report.succeeded ? .succeeded : (report.left.isEmpty && !report.undone.isEmpty ? .rolledBack : .failed)
        try? store.finishApply(applyID: id, status: status, now: now)
    }

    private func record(_ actionID: String, _ status: ActionStatus, _ detail: String) {
        guard let id = applyID.withLock({ $0 }) else { return }
        do {
            try store.updateAction(applyID: id, actionID: actionID, status: status, detail: detail, now: Date())
        } catch {
            console.error("warning: cannot record \(actionID) in the journal: \(error)\n")
        }
    }

    func started(_ action: PlanAction) {
        record(action.id, .running, action.cause)
        if json { return event("started", action.id) }
        console.error("  ... \(action.kind.rawValue) \(action.resource)\n")
    }

    func finished(_ action: PlanAction, error: String?, duration: Duration) {
        record(action.id, error == nil ? .done : .failed, error ?? action.cause)
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let time = "\((seconds * 100).rounded() / 100)s"
        if json {
            return event(error == nil ? "finished" : "failed", action.id, [.init("milliseconds", .int(Int(seconds * 1000)))]
                + (error.map { [JSONValue.Member("error", .string($0))] } ?? []))
        }
        if let error {
            console.error(console.errorStyle.red("  failed \(action.kind.rawValue) \(action.resource) (\(time)): \(error)") + "\n")
        } else {
            console.error(console.errorStyle.green("  done \(action.kind.rawValue) \(action.resource) (\(time))") + "\n")
        }
    }

    func undone(_ actionID: String, succeeded: Bool) {
        if succeeded { record(actionID, .undone, "undone after a failure") }
        if json { return event(succeeded ? "undone" : "undo-failed", actionID) }
        console.error("  \(succeeded ? "undone" : "could not undo") \(actionID)\n")
    }
}
