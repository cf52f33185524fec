import BerthCore
import BerthModel
import BerthApply

/// `berth refresh-data` as a library call: puts a backup of one environment's database (SRC) into
/// another's (DST), then masks it, never into production.
///
/// 1. Load and resolve both environments; refuse a production DST, DST and SRC the same, an environment
///    without a database, and databases of different kinds.
/// 2. Take DST's lock, as an apply does.
/// 3. Find the backup among SRC's releases (`--backup ID`, else the newest database backup), checked as
///    `berth restore` checks it.
/// 4. Ask for confirmation (not with `--yes`).
/// 5. Restore it into DST's database with the existing restore (one PostgreSQL transaction, or an atomic
///    swap of the SQLite file), DST's `database.refresh.mask` run in that same step; DST's journal records
///    it as a `refresh-data` entry, SRC's history as a `refresh-data` event.
public struct RefreshSession: Sendable {
    public struct Options: Sendable {
        /// DST: the environment whose database is replaced.
        public var environment: String
        /// SRC: the environment whose backup is taken.
        public var source: String
        /// A backup id of SRC (`r3-database`); nil takes its newest database backup.
        public var backup: String?
        public var lockTimeout: Duration
        /// Nil to go on, or why not; not called with `--yes`.
        public var confirm: (@Sendable (RestoreSession.Target) async -> String?)?

        public init(
            environment: String, source: String, backup: String? = nil, lockTimeout: Duration = .zero,
            confirm: (@Sendable (RestoreSession.Target) async -> String?)? = nil
        ) {
            self.environment = environment
            self.source = source
            self.backup = backup
            self.lockTimeout = lockTimeout
            self.confirm = confirm
        }
    }

    public enum Outcome: Sendable {
        case declined(RestoreSession.Target, reason: String)
        /// `mask`: the masking file that ran, if any.
        case refreshed(RestoreSession.Target, source: String, mask: String?, applyID: Int64?)
    }

    /// The journal's action type of a refresh, in both environments' histories.
    public static let actionType = "refresh-data"

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ options: Options) async throws(SessionError) -> Outcome {
        let pipeline = Pipeline(context)
        let destination = try pipeline.load(options.environment)
        if destination.isProduction {
            throw SessionError(
                "\(destination.name) is a production environment: refresh-data never replaces a production database (restore a backup of its own with berth restore)"
            )
        }
        guard options.source != destination.name else {
            throw SessionError("\(destination.name) would be refreshed from itself; name another environment with --from")
        }
        let source = try pipeline.load(options.source)
        let database = try RestoreSession.restorableDatabase(destination)
        guard let sourceDatabase = source.database else { throw SessionError("\(source.name) has no database to copy") }
        let (kind, sourceKind) = (Backups.resource(of: database.location), Backups.resource(of: sourceDatabase.location))
        guard kind == sourceKind else {
            throw SessionError(
                "the database of \(source.name) is \(sourceKind) and the one of \(destination.name) is \(kind): refresh-data copies between databases of the same kind"
            )
        }
        guard sourceDatabase.location != database.location else {
            throw SessionError("\(source.name) and \(destination.name) have the same database (\(RestoreSession.name(of: database.location))): nothing to copy")
        }
        let resolution = try pipeline.resolve(destination)
        let sourceSecrets = try pipeline.resolve(source).secrets
        let key = ApplySession.key(destination)
        let sourceKey = ApplySession.key(source)
        let store = try context.stateStore(destination.state.store, resolution.secrets)
        let sourceStore = try context.stateStore(source.state.store, sourceSecrets)
        let lock = EnvironmentLock(store: store, key: key, context: context)
        let renewals = { () throws(SessionError) in try context.stateStore(destination.state.store, resolution.secrets) }
        let restore = RestoreSession(context)
        return try await lock.holding(timeout: options.lockTimeout, renewals: renewals) { _ throws(SessionError) in
            let releases = try await Blocking.run("berth-refresh") { () throws(SessionError) -> [Release] in
                try Releases.list(sourceStore, key: sourceKey)
            }
            let id: String
            if let chosen = options.backup { id = chosen } else { id = try Self.newestBackup(in: releases, of: source.name) }
            var target = try await restore.find(id, location: database.location, in: releases, key: sourceKey)
            target.database = RestoreSession.name(of: database.location)
            if let confirm = options.confirm, let refusal = await confirm(target) { return .declined(target, reason: refusal) }
            let password: String? = if case .postgres(_, let secret?) = database.location { resolution.secrets[secret] } else { nil }
            let masked = database.refreshMask.map { " and masked with \(pipeline.loader.display($0))" } ?? ""
            let detail = "\(target.backup.id) of \(source.name) (taken before its release \(target.release)) restored into \(destination.name)\(masked)"
            let applyID = try await restore.restore(
                target, location: database.location, password: password, store: store, key: key, type: Self.actionType, detail: detail,
                mask: database.refreshMask
            )
            let event = ActionRecord(
                actionID: "\(Self.actionType):database:\(target.backup.id)", type: Self.actionType, resource: "database:\(target.backup.id)",
                status: .done, detail: detail
            )
            await Blocking.run("berth-refresh") {
                do {
                    try sourceStore.recordEvent(environment: sourceKey, by: context.owner, now: context.clock.now, event)
                } catch {
                    context.events.notice(.warning("cannot record the refresh in the history of \(source.name): \(error)"))
                }
            }
            return .refreshed(target, source: source.name, mask: database.refreshMask, applyID: applyID)
        }
    }

    /// The id of the newest database backup among `releases` (newest first).
    static func newestBackup(in releases: [Release], of name: String) throws(SessionError) -> String {
        guard let backup = releases.lazy.flatMap(\.backups).first(where: { $0.kind == .database }) else {
            throw SessionError("no release of \(name) has a database backup; an apply that migrates takes one")
        }
        return backup.id
    }
}
