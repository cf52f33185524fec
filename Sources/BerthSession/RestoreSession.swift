import BerthCore
public import BerthModel
import BerthApply
import BerthLoading
public import Foundation

/// `berth restore` as a library call: puts an environment's database back as one of its backups holds it.
///
/// 1. Load and resolve the environment (the database's password is a secret).
/// 2. Take the environment's lock, as an apply does: no apply runs during a restore.
/// 3. Find the backup among the releases; refuse a config backup, one of another kind of database,
///    one whose file is gone or no longer has the recorded SHA-256.
/// 4. Ask for confirmation (not with `--yes`).
/// 5. Record the restore in the journal (one action, `restore database:ID`), restore in one step
///    (PostgreSQL in one transaction, SQLite by an atomic swap of its file), record the outcome.
///
/// The migrations recorded after the backup are pending again afterwards (the history table is part
/// of what is restored): the next plan shows them.
public struct RestoreSession: Sendable {
    public struct Options: Sendable {
        public var environment: String
        /// The backup's id (`r3-database`), as `berth releases` shows it.
        public var backup: String
        public var lockTimeout: Duration
        /// Nil to go on, or why not; not called with `--yes`.
        public var confirm: (@Sendable (Target) async -> String?)?

        public init(environment: String, backup: String, lockTimeout: Duration = .zero, confirm: (@Sendable (Target) async -> String?)? = nil) {
            self.environment = environment
            self.backup = backup
            self.lockTimeout = lockTimeout
            self.confirm = confirm
        }
    }

    /// What is restored, and where to.
    public struct Target: Sendable {
        public var backup: Backup
        /// The release that recorded it: the backup holds the database as it was just before that release.
        public var release: Int
        public var takenAt: Date
        /// The database as people name it: its URL (never with a password) or its file.
        public var database: String
    }

    public enum Outcome: Sendable {
        case declined(Target, reason: String)
        case restored(Target, applyID: Int64?)
    }

    /// The journal's action type of a restore.
    public static let actionType = "restore"

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ options: Options) async throws(SessionError) -> Outcome {
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(options.environment)
        let resolution = try pipeline.resolve(environment)
        let database = try Self.restorableDatabase(environment)
        let key = ApplySession.key(environment)
        let store = try context.stateStore(environment.state.store, resolution.secrets)
        let lock = EnvironmentLock(store: store, key: key, context: context)
        let renewals = { () throws(SessionError) in try context.stateStore(environment.state.store, resolution.secrets) }
        return try await lock.holding(timeout: options.lockTimeout, renewals: renewals) { _ throws(SessionError) in
            let releases = try await Blocking.run("berth-restore") { () throws(SessionError) -> [Release] in
                try Releases.list(store, key: key)
            }
            let target = try await find(options.backup, location: database.location, in: releases, key: key)
            if let confirm = options.confirm, let refusal = await confirm(target) { return .declined(target, reason: refusal) }
            let password: String? = if case .postgres(_, let secret?) = database.location { resolution.secrets[secret] } else { nil }
            let id = try await restore(target, location: database.location, password: password, store: store, key: key)
            return .restored(target, applyID: id)
        }
    }

    /// The environment's database, refused when it is also the file of Berth's state store.
    static func restorableDatabase(_ environment: Environment) throws(SessionError) -> Database {
        guard let database = environment.database else {
            throw SessionError("\(environment.name) has no database to restore")
        }
        if case .sqlite(let path) = database.location, case .sqlite(path) = environment.state.store {
            throw SessionError(
                "the state store of \(environment.name) is its database file \(path): a restore would take Berth's own records back too; give state.url a file of its own"
            )
        }
        return database
    }

    /// The backup, checked: a database backup of this kind of database, its file there and unchanged.
    func find(_ id: String, location: DatabaseLocation, in releases: [Release], key: String) async throws(SessionError) -> Target {
        let context = self.context
        guard let (backup, release) = Backups.find(id: id, in: releases) else {
            let known = releases.flatMap(\.backups).filter { $0.kind == .database }.prefix(10).map(\.id)
            throw SessionError(
                "no backup \(id) in the releases of \(key)"
                    + (known.isEmpty ? " (none has a database backup)" : "; database backups: \(known.joined(separator: ", "))")
            )
        }
        guard backup.kind == .database else {
            throw SessionError("\(id) is a backup of config \(backup.resource); berth restore puts back database backups (a rollback puts configs back)")
        }
        let resource = Backups.resource(of: location)
        guard backup.resource == resource else {
            throw SessionError("\(id) is a \(backup.resource) backup; the database of \(key) is \(resource) now")
        }
        let stored = await Blocking.run("berth-restore") { context.backups.inspect(backup.path) }
        guard let stored else {
            throw SessionError("the file of \(id) is gone (\(backup.path)): deleted past backups.keep, or by hand")
        }
        guard stored.sha256 == backup.sha256, stored.size == backup.size else {
            throw SessionError("\(backup.path) is not the file \(id) recorded (its SHA-256 or size changed); nothing was restored")
        }
        return Target(backup: backup, release: release.number, takenAt: release.createdAt, database: Self.name(of: location))
    }

    /// The database as people name it: its file, or its URL (which never holds a password).
    static func name(of location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let path): path
        case .postgres(let url, _): url
        }
    }

    /// The restore, recorded in the journal as an entry of one action (`type`, `detail`: a restore's own
    /// unless given). The SQL file `mask` runs in the same step. Returns the entry's id.
    func restore(
        _ target: Target, location: DatabaseLocation, password: String?, store: any StateStore, key: String,
        type: String = actionType, detail: String? = nil, mask: String? = nil
    ) async throws(SessionError) -> Int64? {
        let context = self.context
        let action = ActionRecord(
            actionID: "\(type):database:\(target.backup.id)", type: type, resource: "database:\(target.backup.id)",
            detail: detail ?? "restore \(target.backup.id) (taken before release \(target.release)) into \(target.database)"
        )
        let result = await Blocking.run("berth-restore") { () -> Result<Int64?, SessionError> in
            let id: Int64
            do {
                id = try store.beginApply(environment: key, owner: context.owner, fingerprint: "", plan: "", actions: [action], now: context.clock.now)
                try store.updateAction(applyID: id, actionID: action.actionID, status: .running, detail: action.detail, now: context.clock.now)
            } catch {
                return .failure(SessionError("cannot record the restore in the journal: \(error); nothing was restored"))
            }
            var failure: BackupError?
            do throws(BackupError) {
                try context.backups.restoreDatabase(location, password: password, from: target.backup.path, mask: mask)
            } catch {
                failure = error
            }
            do {
                let now = context.clock.now
                try store.updateAction(
                    applyID: id, actionID: action.actionID, status: failure == nil ? .done : .failed, detail: failure?.message ?? action.detail, now: now
                )
                try store.finishApply(applyID: id, status: failure == nil ? .succeeded : .failed, now: now)
            } catch {
                context.events.notice(.warning("cannot record the end of the restore (journal entry \(id)): \(error)"))
            }
            if let failure { return .failure(SessionError("cannot restore \(target.backup.id): \(failure)")) }
            return .success(id)
        }
        return try result.get()
    }
}
