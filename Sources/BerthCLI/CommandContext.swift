#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import BerthCore
import BerthModel
import BerthLoading
import BerthEngine
import BerthDatabase
import BerthObserve
import BerthPlan
import BerthApply
import BerthSession
import BerthProxy
import BerthRendering

/// The composition root: the one place the live drivers are made. Every command builds its
/// `Context` here once and hands it to the library. Tests set `CommandContext.override` to run the
/// very same commands on the in-memory doubles, with a console that captures what is written.
enum CommandContext {
    /// A test's drivers and console; nil in a real run.
    struct Override: Sendable {
        var console: Console
        var context: @Sendable (_ events: any SessionEvents) -> Context
    }

    @TaskLocal static var override: Override?

    static func console(_ global: GlobalOptions) -> Console {
        override?.console ?? global.console()
    }

    /// What `read` takes from an environment's state store (with its key), for the commands that only
    /// look at it; a failure is reported on the console.
    static func readStateStore<Value>(
        _ environment: String, context: Context, console: Console, _ read: (any StateStore, String) throws(SessionError) -> Value
    ) throws -> Value {
        do throws(SessionError) {
            let (store, key) = try StateStoreAccess.open(environment, context: context)
            return try read(store, key)
        } catch {
            throw error.report(on: console)
        }
    }

    /// The context for a command, its progress rendered by `progress` on the console's standard error.
    static func make(_ global: GlobalOptions, console: Console, json: Bool = false) -> Context {
        let events = ConsoleEvents(console: console, view: ProgressView(json: json, style: console.errorStyle))
        if let override { return override.context(events) }
        return live(global, events: events)
    }

    static func live(_ global: GlobalOptions, events: any SessionEvents) -> Context {
        Context(
            project: global.project, currentDirectory: LocalFileSystem.currentDirectory(), fileSystem: LocalFileSystem(),
            variables: ProcessEnvironment.variables(),
            engine: { host throws(SessionError) in
                do throws(EngineError) {
                    return DockerEngine(endpoint: try EngineEndpoint(parsing: host))
                } catch {
                    throw SessionError(error.description)
                }
            },
            database: { location, secrets throws(DatabaseError) in try DatabaseConnector.open(location, secrets: secrets) },
            stateStore: { location, secrets throws(SessionError) in
                do throws(any Error) {
                    return try SQLStateStore(database: DatabaseConnector.open(location, secrets: secrets))
                } catch {
                    throw SessionError("cannot open the state store: \(error)")
                }
            },
            history: SQLMigrationHistory(), health: HTTPHealthProbe(), ports: SocketPortProbe(), configs: ConfigWriter(),
            clock: SystemClock(), nameConflicts: AdoptIdenticalContainer(), owner: LockOwner.current(),
            isProcessRunning: ProcessTable.isRunning, events: events, revision: GitRevision(),
            backups: LocalBackupDriver(variables: ProcessEnvironment.variables()), proxy: HAProxyDriver(), hooks: LocalHookRunner()
        )
    }
}

/// A session's events on the console's standard error.
struct ConsoleEvents: SessionEvents {
    let console: Console
    let view: ProgressView

    func notice(_ notice: SessionNotice) {
        // The plan about to be applied is a result: people read it on standard output.
        if case .plan(let plan) = notice, !view.json {
            return console.output(PlanView(plan, style: console.outputStyle).text())
        }
        let text = view.notice(notice)
        if !text.isEmpty { console.error(text) }
    }

    func started(_ action: PlanAction) { console.error(view.started(action)) }
    func progress(_ action: PlanAction, _ message: String) { console.error(view.progress(action, message)) }
    func finished(_ action: PlanAction, error: String?, duration: Duration) {
        console.error(view.finished(action, error: error, duration: duration))
    }
    func undone(_ actionID: String, succeeded: Bool) { console.error(view.undone(actionID, succeeded: succeeded)) }
}

enum ProcessTable {
    /// Whether a process of this host still runs. A zombie does not: it ended, and stays in the process
    /// table only until its parent reaps it, which never happens under an init that does not reap orphans.
    @Sendable static func isRunning(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        // /proc/PID/stat: "PID (COMMAND) STATE ..."; the command may itself hold ")".
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: end)...].first { $0 != " " } != "Z"
    }
}

extension SessionError {
    /// Each problem as an error line; then exit 1.
    func report(on console: Console) -> ExitCode {
        for problem in problems { console.fail(problem) }
        return ExitCode(1)
    }
}
