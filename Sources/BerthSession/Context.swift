public import BerthCore
public import BerthModel
public import BerthEngine
public import BerthDatabase
public import BerthObserve
public import BerthApply
public import BerthPlan
public import BerthProxy

/// Everything a command's library call touches outside its own values, built once per command:
/// the live drivers by the CLI (its composition root), the in-memory doubles by tests. Nothing in
/// the library makes a driver of its own.
public struct Context: Sendable {
    /// The project folder, as the user named it, and what a relative one is relative to.
    public var project: String
    public var currentDirectory: String
    public var fileSystem: any FileSystem
    /// The process environment: secrets from `{ env: NAME }`, `DOCKER_HOST`.
    public var variables: [String: String]
    /// The container engine at an environment's `engine.host`.
    public var engine: @Sendable (_ host: String) throws(SessionError) -> any ContainerEngine
    /// Opens an environment's database (for migrations) or Berth's state store.
    public var database: @Sendable (_ location: DatabaseLocation, _ secrets: [String: String]) throws(DatabaseError) -> any SQLDatabase
    /// Berth's state store (journal and locks) at a location.
    public var stateStore: @Sendable (_ location: DatabaseLocation, _ secrets: [String: String]) throws(SessionError) -> any StateStore
    public var history: any MigrationHistory
    public var health: any HealthProbe
    public var ports: any PortProbe
    public var configs: any ConfigFiles
    public var clock: any BerthClock
    public var nameConflicts: any NameConflictPolicy
    /// Who this process is, for locks and the journal.
    public var owner: LockOwner
    /// Whether a process of this host still runs (a dead lock holder's lock is taken over).
    public var isProcessRunning: @Sendable (_ pid: Int32) -> Bool
    /// Where progress goes as it happens.
    public var events: any SessionEvents
    /// The project's version control, for the commit a release records and the notes between two.
    public var revision: any ProjectRevision
    /// Where the copies taken before an apply changes something go, and how a database is put back.
    public var backups: any BackupDriver
    /// The proxy in front of routed services (HAProxy), and the commands run around a switch.
    public var proxy: any ProxyDriver
    public var hooks: any HookRunner

    public init(
        project: String, currentDirectory: String, fileSystem: any FileSystem, variables: [String: String],
        engine: @escaping @Sendable (_ host: String) throws(SessionError) -> any ContainerEngine,
        database: @escaping @Sendable (_ location: DatabaseLocation, _ secrets: [String: String]) throws(DatabaseError) -> any SQLDatabase,
        stateStore: @escaping @Sendable (_ location: DatabaseLocation, _ secrets: [String: String]) throws(SessionError) -> any StateStore,
        history: any MigrationHistory, health: any HealthProbe, ports: any PortProbe, configs: any ConfigFiles,
        clock: any BerthClock, nameConflicts: any NameConflictPolicy, owner: LockOwner,
        isProcessRunning: @escaping @Sendable (_ pid: Int32) -> Bool, events: any SessionEvents,
        revision: any ProjectRevision = NoRevision(), backups: any BackupDriver, proxy: any ProxyDriver = InMemoryProxy(),
        hooks: any HookRunner = LocalHookRunner()
    ) {
        self.proxy = proxy
        self.hooks = hooks
        self.project = project
        self.currentDirectory = currentDirectory
        self.fileSystem = fileSystem
        self.variables = variables
        self.engine = engine
        self.database = database
        self.stateStore = stateStore
        self.history = history
        self.health = health
        self.ports = ports
        self.configs = configs
        self.clock = clock
        self.nameConflicts = nameConflicts
        self.owner = owner
        self.isProcessRunning = isProcessRunning
        self.events = events
        self.revision = revision
        self.backups = backups
    }
}

/// What a session tells as it goes; the CLI renders it (text or JSON lines on standard error).
public protocol SessionEvents: ExecutionObserver {
    func notice(_ event: SessionNotice)
}

/// Things a session says that are not an action's progress.
public enum SessionNotice: Hashable, Sendable {
    /// Warnings (and errors) of loading, by place.
    case diagnostics([Diagnostic])
    case waitingForLock(environment: String, holder: String, since: String)
    case lockTakenOver(environment: String, holder: String)
    case interruptedApply(environment: String, id: Int64, owner: String)
    case warning(String)
    /// The plan an apply is about to carry out.
    case plan(Plan)
    /// A copy taken before the apply changed anything.
    case backup(Backup)
}

/// A session that failed before or instead of applying: what to tell people, every problem at once.
public struct SessionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Each is one error line.
    public var problems: [String]

    public init(_ problems: [String]) {
        self.problems = problems
    }

    public init(_ problem: String) {
        self.problems = [problem]
    }

    public var description: String { problems.joined(separator: "\n") }
}
