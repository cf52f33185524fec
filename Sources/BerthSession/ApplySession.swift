import BerthCore
public import BerthModel
public import BerthApply
public import BerthPlan
import BerthLoading
import Foundation

/// `berth apply` as a library call: the whole policy of an apply, on the drivers of a `Context`.
///
/// 1. Load and resolve the environment (every problem at once).
/// 2. Take the environment's lock, renewed while the apply runs; a renewal that fails stops the
///    apply before its next action.
/// 3. Mark applies that a killed process left running as interrupted.
/// 4. Observe and plan afresh; with a saved plan, refuse it when its fingerprint no longer matches.
/// 5. Refuse a plan with problems; do nothing for an empty one; ask for confirmation.
/// 6. Back up what the plan changes for good (the database before a migration, a config file before
///    it is rewritten); a backup that fails stops the apply here.
/// 7. Record the plan in the journal, run the executor, record every outcome and the release (with
///    its backups), delete backups past `backups.keep`, release the lock.
public struct ApplySession: Sendable {
    public struct Options: Sendable {
        public var environment: String
        /// A saved plan's text (`berth plan --out`), to apply exactly.
        public var savedPlan: (path: String, text: [UInt8])?
        public var parallelism: Int
        public var lockTimeout: Duration
        /// Seconds a container gets to stop before it is killed.
        public var stopTimeout: Int
        /// Nil to go on, or why not; not called with `--yes`.
        public var confirm: (@Sendable (Plan) async -> String?)?
        /// Apply even though a rollback pinned the environment and its desired state has not changed since.
        public var rollForward: Bool
        /// Go ahead in a closed deployment window (recorded in the history).
        public var windowOverride: WindowOverride?
        /// Limit the fresh plan to these resources and what they need (`--target`); a saved plan carries its own.
        public var targets: [String]

        public init(
            environment: String, savedPlan: (path: String, text: [UInt8])? = nil, parallelism: Int = 4,
            lockTimeout: Duration = .zero, stopTimeout: Int = 10, confirm: (@Sendable (Plan) async -> String?)? = nil,
            rollForward: Bool = false, windowOverride: WindowOverride? = nil, targets: [String] = []
        ) {
            self.targets = targets
            self.windowOverride = windowOverride
            self.rollForward = rollForward
            self.environment = environment
            self.savedPlan = savedPlan
            self.parallelism = parallelism
            self.lockTimeout = lockTimeout
            self.stopTimeout = stopTimeout
            self.confirm = confirm
        }
    }

    public enum Outcome: Sendable {
        /// The environment already matches its desired state.
        case noChanges(Plan)
        /// The plan was shown and not confirmed; nothing changed.
        case declined(Plan, reason: String)
        case applied(Applied)
    }

    public struct Applied: Sendable {
        public var plan: Plan
        public var report: ExecutionReport
        /// The journal's id of this apply.
        public var id: Int64?
        public var status: ApplyStatus
        /// The release it made; nil when it could not be recorded.
        public var release: Release?

        public var succeeded: Bool { report.succeeded }

        public init(plan: Plan, report: ExecutionReport, id: Int64?, status: ApplyStatus, release: Release? = nil) {
            self.plan = plan
            self.report = report
            self.id = id
            self.status = status
            self.release = release
        }
    }

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    /// The key of an environment's lock and journal: `project/environment` (a shared PostgreSQL store
    /// may serve several projects).
    public static func key(_ environment: Environment) -> String { "\(environment.project)/\(environment.name)" }

    public func run(_ options: Options) async throws(SessionError) -> Outcome {
        if let saved = options.savedPlan, !options.targets.isEmpty {
            throw SessionError("--target cannot change the saved plan \(saved.path): it is applied as it was made, with the targets it records")
        }
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(options.environment)
        let window = try WindowGate.check(environment: environment, at: context.clock.now, operation: .apply, override: options.windowOverride)
        try Approvals.requirePlan(environment, savedPlan: options.savedPlan)
        let resolution = try pipeline.resolve(environment)
        return try await withLock(environment, resolution: resolution, timeout: options.lockTimeout) { store, lease throws(SessionError) in
            try WindowGate.recordOverride(
                window, options.windowOverride, environment: environment, operation: .apply, store: store, key: Self.key(environment),
                owner: context.owner, now: context.clock.now
            )
            return try await locked(options, environment: environment, resolution: resolution, store: store, lease: lease)
        }
    }

    /// Runs `body` holding the environment's lock, renewed while it runs: what is observed and planned
    /// in it cannot change under another apply.
    func withLock<Value>(
        _ environment: Environment, resolution: DesiredStateResolver.Resolution, timeout: Duration,
        _ body: (any StateStore, LeaseKeeper) async throws(SessionError) -> Value
    ) async throws(SessionError) -> Value {
        let key = Self.key(environment)
        let store = try context.stateStore(environment.state.store, resolution.secrets)
        let lock = EnvironmentLock(store: store, key: key, context: context)
        let renewals = { () throws(SessionError) in try context.stateStore(environment.state.store, resolution.secrets) }
        return try await lock.holding(timeout: timeout, renewals: renewals) { lease throws(SessionError) in
            await recoverInterrupted(store, key: key)
            return try await body(store, lease)
        }
    }

    /// Everything an apply does while it holds the environment's lock.
    private func locked(
        _ options: Options, environment: Environment, resolution: DesiredStateResolver.Resolution, store: any StateStore,
        lease: LeaseKeeper
    ) async throws(SessionError) -> Outcome {
        let pipeline = Pipeline(context)
        let key = Self.key(environment)
        var saved: (path: String, plan: Plan)?
        if let file = options.savedPlan { saved = (file.path, try Approvals.savedPlan(file.path, text: file.text, environment: environment)) }
        let observed = try await pipeline.observe(resolution)
        // A saved partial plan is made again with its own targets, so that it is compared with its like.
        let fresh = try await pipeline.plan(resolution, observed: observed, targets: saved?.plan.targets ?? options.targets)
        let plan = try chosen(fresh, saved: saved)
        try Approvals.check(environment, fingerprint: plan.fingerprint, store: store, key: key, applier: context.owner)
        guard plan.problems.isEmpty else { throw SessionError(plan.problems) }
        guard !plan.isEmpty else { return .noChanges(plan) }
        if !options.rollForward { try checkNotPinned(store, key: key, desired: resolution.desired) }
        return try await carryOut(
            plan, options: options, resolution: resolution, inputs: Executor.Inputs(secrets: resolution.secrets, configs: resolution.renderedConfigs),
            store: store, lease: lease, release: ReleaseNote(plan)
        )
    }

    /// What a release records beyond what runs: why it was made.
    struct ReleaseNote {
        /// An apply's: a partial plan's summary names its targets (`apply --target container:web-1`).
        init(_ plan: Plan) {
            if plan.isPartial { (summary, partial) = (Release.partialSummaryPrefix + plan.targets.joined(separator: " --target "), true) }
        }

        init(
            summary: String = "apply", rollbackTarget: Int? = nil, imagesAsWritten: [String: String] = [:], desiredDigest: String? = nil,
            destroyed: Bool = false
        ) {
            self.summary = summary
            self.destroyed = destroyed
            self.rollbackTarget = rollbackTarget
            self.imagesAsWritten = imagesAsWritten
            self.desiredDigest = desiredDigest
        }

        var summary = "apply"
        /// A partial apply (`--target`): the rest of the environment was left as it was.
        var partial = false
        var rollbackTarget: Int?
        /// Images as the release's files wrote them, by service, where the desired state names image IDs.
        var imagesAsWritten: [String: String] = [:]
        /// The digest of the desired state the environment files ask for, when the plan was made from another.
        var desiredDigest: String?
        /// A destroy: the release records what is left (no service), and keeps no environment to return to.
        var destroyed = false
    }

    /// Shows the plan, asks, then journals and runs it, and records the release: the part of an apply
    /// that a rollback shares.
    ///
    /// `beforeExecuting` runs once the plan is confirmed and the backups are taken (with the database,
    /// when `backupDatabase`), before the first action: a rollback's database restore.
    func carryOut(
        _ plan: Plan, options: Options, resolution: DesiredStateResolver.Resolution, inputs: Executor.Inputs, store: any StateStore,
        lease: LeaseKeeper, release note: ReleaseNote, backupDatabase: Bool = false,
        beforeExecuting: (() async throws(SessionError) -> Void)? = nil
    ) async throws(SessionError) -> Outcome {
        let environment = resolution.desired.environment
        let key = Self.key(environment)
        context.events.notice(.plan(plan))
        if let confirm = options.confirm, let refusal = await confirm(plan) { return .declined(plan, reason: refusal) }
        let backups = try await Backups.take(
            before: plan, environment: environment, resolution: resolution, store: store, key: key, context: context,
            database: backupDatabase
        )
        try await beforeExecuting?()

        let connection = MigrationConnection(
            location: environment.database?.location, secrets: resolution.secrets, clock: context.clock, open: context.database
        )
        defer { connection.close() }
        let journal = Journal(store: store, environment: key, context: context)
        try await journal.begin(plan)
        let executor = Executor(
            drivers: Executor.Drivers(
                engine: try context.engine(environment.engine.host), configs: context.configs, health: context.health,
                clock: context.clock, nameConflicts: context.nameConflicts, migrate: { step in try await connection.apply(step) },
                undoMigration: { step in try await connection.undo(step) },
                proxy: environment.proxy == nil ? nil : context.proxy, hooks: context.hooks,
                dropDatabase: { location in try await connection.drop(location) }
            ),
            parallelism: options.parallelism, stopTimeout: options.stopTimeout
        )
        let report = await executor.execute(plan, inputs: inputs, observer: journal, halt: { lease.lost })
        let status = await journal.finish(report)
        let release = await recordRelease(report, resolution: resolution, store: store, key: key, applyID: journal.id, backups: backups, note: note)
        if !backups.isEmpty { await Backups.prune(environment, store: store, key: key, context: context) }
        return .applied(Applied(plan: plan, report: report, id: journal.id, status: status, release: release))
    }

    /// A rollback pins the environment to the release it went back to: applying the desired state it
    /// was made under again would silently undo it. A changed desired state, or `rollForward`, moves on.
    private func checkNotPinned(_ store: any StateStore, key: String, desired: DesiredState) throws(SessionError) {
        guard let current = try Releases.current(store, key: key), let target = current.rollbackTarget,
              current.desiredDigest == Fingerprint.ofDesired(desired) else { return }
        throw SessionError(
            "\(desired.environment.name) is pinned to release \(target) by the rollback of release \(current.number); "
                + "its environment files have not changed since, so this apply would roll forward again. "
                + "Change the environment files, or run berth apply --roll-forward to go forward on purpose."
        )
    }

    /// The fresh plan, or the saved one (read for this environment) when it still matches the world.
    private func chosen(_ fresh: Plan, saved: (path: String, plan: Plan)?) throws(SessionError) -> Plan {
        guard let saved else { return fresh }
        let plan = saved.plan
        guard plan.fingerprint == fresh.fingerprint else {
            throw SessionError(
                "the saved plan \(saved.path) is stale: the desired or the observed state changed since it was made; nothing was applied. Run berth plan again."
            )
        }
        // Planning is a pure function of what the fingerprint covers: the same state plans the same actions.
        // A saved plan that says anything else was edited, or made by another version of Berth.
        guard plan.actions == fresh.actions else {
            throw SessionError(
                "the saved plan \(saved.path) is not the plan Berth makes for this state (edited, or made by another version of Berth); nothing was applied. Run berth plan again."
            )
        }
        // The checks of the world made now (images, ports) hold for the saved plan too.
        var checked = plan
        checked.problems = fresh.problems
        return checked
    }

    /// An apply whose process died is marked interrupted; this apply converges what it left.
    private func recoverInterrupted(_ store: any StateStore, key: String) async {
        let context = self.context
        await Blocking.run("berth-recover") {
            let unfinished: [ApplyRecord]
            do {
                unfinished = try store.unfinishedApplies(environment: key)
            } catch {
                context.events.notice(.warning("cannot read the journal for interrupted applies: \(error)"))
                return
            }
            for record in unfinished {
                do {
                    try store.markInterrupted(applyID: record.id, now: context.clock.now)
                } catch {
                    context.events.notice(.warning("cannot mark apply \(record.id) as interrupted: \(error)"))
                }
                context.events.notice(.interruptedApply(environment: key, id: record.id, owner: record.owner.description))
            }
        }
    }
}
