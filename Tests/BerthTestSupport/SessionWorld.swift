import Foundation
public import Synchronization
public import BerthCore
import BerthModel
public import BerthEngine
import BerthDatabase
public import BerthObserve
public import BerthPlan
public import BerthApply
public import BerthSession

/// A small project on disk (a temporary folder) and a `Context` on the doubles: the in-memory engine,
/// state store, health probe and port probe, and a test clock. Config files and the SQLite database
/// are real files in the folder, so an apply can be followed to its end without Podman.
public final class SessionWorld: Sendable {
    public static let secret = "session-secret-value"
    public static let webImage = "localhost/web:1.0.0"

    public let root: String
    public let engine: InMemoryEngine
    public let store = InMemoryStateStore()
    /// The backups double; with `liveBackups`, the context has the host's driver instead (real files, pg_dump).
    public let backups = InMemoryBackups()
    private let backupDriver: any BackupDriver
    public let health: InMemoryHealthProbe
    public let ports = InMemoryPortProbe()
    public let clock = TestClock()
    public let events = RecordingEvents()
    public let owner = LockOwner(user: "tester", host: "test-host", pid: 4242)
    /// Every database the context opened.
    public let databasesOpened = Mutex<[String]>([])
    public let runningPids = Mutex<Set<Int32>>([])
    /// The process environment the context gives (secrets from `{ env: NAME }`); tests may change it.
    public let variables: Mutex<[String: String]>

    /// - Parameter environment: the text of `environments/dev.yaml`; the default has one web replica on
    ///   127.0.0.1:18080 with an HTTP health check, a config with a secret, and one SQLite migration.
    /// - Parameter liveBackups: back up with the host's driver (files under the project, pg_dump) instead of the double.
    public init(
        environment: String = SessionWorld.defaultEnvironment, variables: [String: String] = ["SESSION_TOKEN": secret], liveBackups: Bool = false
    ) throws {
        root = NSTemporaryDirectory() + "berth-session-" + UUID().uuidString.lowercased()
        let files: [String: String] = [
            "environments/dev.yaml": environment,
            "environments/app.tmpl": "LEVEL={{ level }}\nTOKEN={{ token }}\n",
            "environments/migrations/V1__init.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n",
        ]
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        engine = InMemoryEngine(images: [ImageSummary(id: "sha256:1", repoTags: [Self.webImage])])
        health = InMemoryHealthProbe(["127.0.0.1:18080": [.healthy(status: 200)]])
        self.variables = Mutex(variables)
        backupDriver = liveBackups ? LocalBackupDriver(variables: ProcessInfo.processInfo.environment) : backups
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    public static let defaultEnvironment = """
        project: shop
        engine:
          host: unix:///nonexistent/berth-test.sock
        services:
          web:
            image: localhost/web:1.0.0
            ports: ["127.0.0.1:18080:80"]
            strategy: recreate
            environment:
              LOG_LEVEL: info
              TOKEN: { secret: token }
            configs:
              - source: app
                target: /etc/app.env
            healthcheck:
              url: http://localhost:80/health
              interval: 1s
              timeout: 1s
              retries: 2
            depends_on:
              database: { condition: migrations_applied }
        configs:
          files:
            app:
              template: app.tmpl
              target: app.env
              values:
                level: info
                token: { secret: token }
        database:
          url: sqlite:.berth/app.sqlite
          migrations: migrations
        secrets:
          token: { env: SESSION_TOKEN }
        """

    /// Replaces a file of the project (`environments/dev.yaml`, ...).
    public func write(_ path: String, _ text: String) throws {
        try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
    }

    public func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
        try write(path, text.replacingOccurrences(of: old, with: new))
    }

    /// The context every command and session of a test runs on; `events` may be replaced (the CLI's console).
    public func context(events: (any SessionEvents)? = nil) -> Context {
        let engine = self.engine, store = self.store
        return Context(
            project: root, currentDirectory: "/", fileSystem: LocalFileSystem(), variables: variables.withLock { $0 },
            engine: { _ in engine },
            database: { [self] location, secrets throws(DatabaseError) in
                databasesOpened.withLock { $0.append("\(location)") }
                return try DatabaseConnector.open(location, secrets: secrets)
            },
            stateStore: { _, _ in store },
            history: SQLMigrationHistory(), health: health, ports: ports, configs: ConfigWriter(), clock: clock,
            nameConflicts: AdoptIdenticalContainer(attempts: 2), owner: owner,
            isProcessRunning: { [self] pid in runningPids.withLock { $0.contains(pid) } }, events: events ?? self.events,
            backups: backupDriver
        )
    }
}

/// A session's events as lines: `notice ...`, `started ID`, `progress ID: ...`, `finished ID`, `failed ID: ...`, `undone ID`.
public final class RecordingEvents: SessionEvents {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var recorded: [String] { lines.withLock { $0 } }

    public func notice(_ notice: SessionNotice) {
        let text: String
        switch notice {
        case .diagnostics(let diagnostics): text = "diagnostics \(diagnostics.map(\.description).joined(separator: "; "))"
        case .waitingForLock(_, let holder, _): text = "waiting for \(holder)"
        case .lockTakenOver(_, let holder): text = "took over from \(holder)"
        case .interruptedApply(_, let id, _): text = "interrupted \(id)"
        case .warning(let message): text = "warning \(message)"
        case .plan(let plan): text = "plan \(plan.actions.count)"
        case .backup(let backup): text = "backup \(backup.id)"
        }
        lines.withLock { $0.append("notice " + text) }
    }

    public func started(_ action: PlanAction) { lines.withLock { $0.append("started \(action.id)") } }
    public func progress(_ action: PlanAction, _ message: String) { lines.withLock { $0.append("progress \(action.id): \(message)") } }
    public func finished(_ action: PlanAction, error: String?, duration: Duration) {
        lines.withLock { $0.append(error.map { "failed \(action.id): \($0)" } ?? "finished \(action.id)") }
    }
    public func undone(_ actionID: String, succeeded: Bool) { lines.withLock { $0.append("undone \(actionID)") } }
}
