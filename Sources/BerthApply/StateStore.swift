public import BerthDatabase
public import BerthModel
import BerthCore
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Berth's own records: the journal of applies and the lock of each environment.
///
/// Every method is one short transaction. Times come from the caller (an injected clock), so tests
/// control them; they are kept to the millisecond. Nothing secret goes in: a plan holds hashes only.
///
/// Two implementations: `SQLStateStore` (SQLite or PostgreSQL) and `InMemoryStateStore` (a double
/// with fault injection). Both are safe to call from several tasks: calls run one at a time.
public protocol StateStore: AnyObject, Sendable {
    // MARK: Locks

    /// Takes the environment's lease if it is free, its lease expired (a dead holder's lease expires
    /// by itself), or `owner` already holds it (then the lease is extended, `acquiredAt` kept).
    func acquireLock(environment: String, owner: LockOwner, lease: Duration, now: Date) throws(StateStoreError) -> LockAttempt
    /// Extends the lease to `now + lease`; false when this owner no longer holds it (someone took it
    /// or forced it open). A lease that expired but that nobody took since is still this owner's.
    func renewLock(environment: String, owner: LockOwner, lease: Duration, now: Date) throws(StateStoreError) -> Bool
    /// Gives the lock up; does nothing when `owner` does not hold it.
    func releaseLock(environment: String, owner: LockOwner) throws(StateStoreError)
    /// `berth unlock`: removes any holder (even one whose lease expired) and records who did it in the
    /// journal, as an entry of `history` (`ApplyRecord.isForcedUnlock`). Returns the removed holder. With
    /// `expected`, only that holder is removed (a take-over from a dead process must not remove the lock
    /// another apply took meanwhile); nil and no entry when someone else holds it.
    func forceUnlock(environment: String, by owner: LockOwner, now: Date, ifHeldBy expected: LockOwner?) throws(StateStoreError)
        -> LockHolder?
    /// The holder whose lease runs past `now`; nil when the lock is free or its lease expired.
    func lockHolder(environment: String, now: Date) throws(StateStoreError) -> LockHolder?
    /// Records something done to the environment that is not an apply (an approval, an override of a
    /// deployment window, a forced promotion) as an entry of `history`: one action, its `type` saying
    /// what (`approve`, `override-window`, `promote`), its `detail` who and why. Never a secret.
    func recordEvent(environment: String, by owner: LockOwner, now: Date, _ action: ActionRecord) throws(StateStoreError)

    // MARK: Journal

    /// Records a new `running` apply. `plan` is the saved-plan JSON text (hashes only), `actions` the
    /// plan's actions in order, normally `pending`; action ids must differ. Returns the apply's id.
    func beginApply(
        environment: String, owner: LockOwner, fingerprint: String, plan: String, actions: [ActionRecord], now: Date
    ) throws(StateStoreError) -> Int64
    /// Sets an action's status and detail. `running` sets `startedAt` (and clears `finishedAt`);
    /// `done`, `failed`, `undone` and `skipped` set `finishedAt`. `.notFound` for an unknown apply or action.
    func updateAction(applyID: Int64, actionID: String, status: ActionStatus, detail: String, now: Date) throws(StateStoreError)
    /// Sets the apply's final status (not `running`) and `finishedAt`.
    func finishApply(applyID: Int64, status: ApplyStatus, now: Date) throws(StateStoreError)
    /// The environment's applies (and forced unlocks) with their actions, newest first, at most `limit`.
    func history(environment: String, limit: Int) throws(StateStoreError) -> [ApplyRecord]
    /// Applies left `running` (their process died, or still runs): for recovery. Oldest first.
    func unfinishedApplies(environment: String) throws(StateStoreError) -> [ApplyRecord]
    /// Marks a `running` apply `interrupted` and finished at `now`; its actions keep their statuses, so
    /// the journal still tells which one was running. Does nothing to an apply that already finished.
    func markInterrupted(applyID: Int64, now: Date) throws(StateStoreError)
    /// The saved-plan JSON text the apply was started with; nil for an unknown apply.
    func plan(applyID: Int64) throws(StateStoreError) -> String?

    // MARK: Releases

    /// Records `release` as the environment's next release, in one transaction: its `number` is the
    /// last one's plus one and its `parent` the release that was current (both set here); when it is
    /// `current`, the one that was current becomes `superseded`. Returns it as stored.
    func recordRelease(environment: String, _ release: Release) throws(StateStoreError) -> Release
    /// The environment's releases, newest first, at most `limit`.
    func releases(environment: String, limit: Int) throws(StateStoreError) -> [Release]
    /// Sets the status of releases; unknown numbers are ignored.
    func setReleaseStatus(environment: String, numbers: [Int], status: ReleaseStatus) throws(StateStoreError)
}

extension StateStore {
    /// Removes whoever holds the lock.
    public func forceUnlock(environment: String, by owner: LockOwner, now: Date) throws(StateStoreError) -> LockHolder? {
        try forceUnlock(environment: environment, by: owner, now: now, ifHeldBy: nil)
    }
}

// MARK: - Locks

/// Who holds, or asks for, an environment's lock.
public struct LockOwner: Hashable, Sendable, Codable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var pid: Int32

    public init(user: String, host: String, pid: Int32) {
        self.user = user
        self.host = host
        self.pid = pid
    }

    /// This process: the login name (`getlogin`, else `USER`, else the password entry), the host name, the pid.
    public static func current() -> LockOwner {
        LockOwner(user: currentUser(), host: currentHost(), pid: getpid())
    }

    /// `ada@build-7 (pid 4242)`
    public var description: String { "\(user)@\(host) (pid \(pid))" }

    private static func currentUser() -> String {
        if let name = getlogin().map({ String(cString: $0) }), !name.isEmpty { return name }
        if let name = ProcessInfo.processInfo.environment["USER"], !name.isEmpty { return name }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name.map({ String(cString: $0) }), !name.isEmpty {
            return name
        }
        return "uid \(geteuid())"
    }

    private static func currentHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

/// The owner of a lock and its lease.
public struct LockHolder: Hashable, Sendable {
    public var owner: LockOwner
    public var acquiredAt: Date
    public var expiresAt: Date

    public init(owner: LockOwner, acquiredAt: Date, expiresAt: Date) {
        self.owner = owner
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }
}

/// The answer to `acquireLock`.
public enum LockAttempt: Hashable, Sendable {
    case acquired
    /// Someone else holds a lease that runs past `now`.
    case held(LockHolder)
}

// MARK: - Journal

/// One apply of a plan to an environment, as the journal keeps it; or a forced unlock (`isForcedUnlock`).
public struct ApplyRecord: Hashable, Sendable {
    public var id: Int64
    public var environment: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: ApplyStatus
    public var owner: LockOwner
    public var planFingerprint: String
    /// In plan order.
    public var actions: [ActionRecord]

    public init(
        id: Int64, environment: String, startedAt: Date, finishedAt: Date?, status: ApplyStatus, owner: LockOwner,
        planFingerprint: String, actions: [ActionRecord]
    ) {
        self.id = id
        self.environment = environment
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.owner = owner
        self.planFingerprint = planFingerprint
        self.actions = actions
    }

    /// Whether this entry records a `berth unlock` (by `owner`) rather than an apply: one action of
    /// type `ActionRecord.forcedUnlockType` on `lock:ENVIRONMENT`, whose detail names the removed holder.
    /// Whether this entry records an event (`StateStore.recordEvent`) rather than an apply.
    public var isEvent: Bool { planFingerprint.isEmpty && actions.count == 1 }

    public var isForcedUnlock: Bool {
        planFingerprint.isEmpty && actions.count == 1 && actions[0].type == ActionRecord.forcedUnlockType
    }
}

public enum ApplyStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, failed
    case rolledBack = "rolled-back"
    /// Found `running` after its process died.
    case interrupted
}

/// One action of an apply's plan and what became of it.
public struct ActionRecord: Hashable, Sendable {
    /// The plan action's `id`.
    public var actionID: String
    /// The plan action's `type` (`create`, `update`, `delete`, ...).
    public var type: String
    /// `KIND:NAME`, e.g. `container:web`.
    public var resource: String
    public var status: ActionStatus
    public var startedAt: Date?
    public var finishedAt: Date?
    /// What happened, for people: an error message, a cause. Never a secret.
    public var detail: String

    public init(
        actionID: String, type: String, resource: String, status: ActionStatus = .pending, startedAt: Date? = nil,
        finishedAt: Date? = nil, detail: String = ""
    ) {
        self.actionID = actionID
        self.type = type
        self.resource = resource
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.detail = detail
    }

    /// The `type` of the single action of a forced-unlock journal entry.
    public static let forcedUnlockType = "unlock"
}

public enum ActionStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, done, failed, undone, skipped
}

// MARK: - Errors

/// The state store calls, to say where an error happened and which call a double should fail.
public enum StateStoreOperation: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Opening the store: creating its tables.
    case open
    case acquireLock, renewLock, releaseLock, forceUnlock, lockHolder
    case beginApply, updateAction, finishApply, history, unfinishedApplies, markInterrupted, plan
    case recordRelease, releases, setReleaseStatus, recordEvent

    public var description: String { rawValue }
}

/// A failure of the state store: a stable `code` to branch on, the `operation` that failed, a
/// `message` for people, and the database's error when there was one.
public struct StateStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unavailable, busy, notFound, invalidArgument, corrupt, database
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The database could not be reached, or the connection broke or was closed.
        public static let unavailable = Code(.unavailable)
        /// A database lock could not be taken in time, or a transaction lost a conflict; retrying may succeed.
        public static let busy = Code(.busy)
        /// No apply, or no action in it, has the id given.
        public static let notFound = Code(.notFound)
        /// The arguments make no sense (a lease of zero, two actions with one id, finishing as `running`).
        public static let invalidArgument = Code(.invalidArgument)
        /// A stored record Berth cannot read (an unknown status): written by something else.
        public static let corrupt = Code(.corrupt)
        /// The database refused a statement.
        public static let database = Code(.database)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let operation: StateStoreOperation
    public let message: String
    /// The database's error behind this one.
    public let cause: DatabaseError?

    public init(_ code: Code, _ message: String, operation: StateStoreOperation, cause: DatabaseError? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.cause = cause
    }

    /// `state store, acquireLock: the state store at /srv/berth.sqlite: database is locked`
    public var description: String { "state store, \(operation): \(message)" }
}

// MARK: - Times

/// Times and leases as whole milliseconds: how the store keeps them, so both implementations agree.
enum Milliseconds {
    static func of(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return 0 }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value)
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Whole milliseconds of `duration`, rounded down.
    static func of(_ duration: Duration) -> Int64 { duration.wholeMilliseconds }

    /// The end of a lease of `lease` from `now`; `.invalidArgument` when the lease is under a millisecond.
    static func expiry(
        of lease: Duration, from now: Int64, operation: StateStoreOperation
    ) throws(StateStoreError) -> Int64 {
        let length = of(lease)
        guard length > 0 else {
            throw StateStoreError(.invalidArgument, "a lease must last at least a millisecond, not \(lease)", operation: operation)
        }
        return now.addingSaturating(length)
    }
}

extension Int64 {
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}

// MARK: - Forced unlock entries

extension ActionRecord {
    /// The single action of the journal entry of a forced unlock.
    static func forcedUnlock(environment: String, removed holder: LockHolder?, at now: Date) -> ActionRecord {
        let detail: String
        if let holder {
            let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            detail = "removed the lock held by \(holder.owner) since \(format.format(holder.acquiredAt)), "
                + "lease until \(format.format(holder.expiresAt))"
        } else {
            detail = "the lock was free"
        }
        return ActionRecord(
            actionID: forcedUnlockType, type: forcedUnlockType, resource: "lock:\(environment)", status: .done,
            startedAt: now, finishedAt: now, detail: detail
        )
    }
}

extension ActionStatus {
    /// The action's times after it moves to this status at `now`.
    func times(startedAt: Date?, finishedAt: Date?, now: Date) -> (startedAt: Date?, finishedAt: Date?) {
        switch self {
        case .pending: (startedAt, finishedAt)
        case .running: (now, nil)
        case .done, .failed, .undone, .skipped: (startedAt, now)
        }
    }
}

// MARK: - Releases as stored

/// How both stores keep a release's manifest, backups and environment snapshot: JSON text.
enum ReleaseColumns {
    static func encode(_ value: some Encodable, _ operation: StateStoreOperation) throws(StateStoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StateStoreError(.invalidArgument, "cannot encode a release: \(error)", operation: operation)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, _ operation: StateStoreOperation) throws(StateStoreError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StateStoreError(.corrupt, "a release Berth cannot read: \(error)", operation: operation)
        }
    }
}
