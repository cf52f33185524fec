public import Foundation
public import BerthModel
import Synchronization

/// A `StateStore` in memory, for tests: behaves as `SQLStateStore` does (times kept to the
/// millisecond, ids from 1 up), and fails on request with `failNext`.
public final class InMemoryStateStore: StateStore {
    private struct Lock {
        var owner: LockOwner
        var acquiredAt: Int64
        var expiresAt: Int64

        var holder: LockHolder {
            LockHolder(owner: owner, acquiredAt: Milliseconds.date(acquiredAt), expiresAt: Milliseconds.date(expiresAt))
        }
    }

    private struct State {
        var locks: [String: Lock] = [:]
        /// By id, which grows with every apply.
        var applies: [Int64: ApplyRecord] = [:]
        var plans: [Int64: String] = [:]
        var lastID: Int64 = 0
        /// By environment, oldest first.
        var releases: [String: [Release]] = [:]
        var faults: [StateStoreOperation: [StateStoreError]] = [:]
        var calls: [StateStoreOperation] = []

        mutating func insert(_ record: ApplyRecord, plan: String) -> Int64 {
            lastID += 1
            var record = record
            record.id = lastID
            applies[lastID] = record
            plans[lastID] = plan
            return lastID
        }
    }

    private let state = Mutex(State())

    public init() {}

    // MARK: - Fault injection

    /// Makes the next call of `operation` throw `error` (once, without doing anything). Faults
    /// queue up: two calls of `failNext(.beginApply, ...)` fail the next two `beginApply` calls.
    public func failNext(_ operation: StateStoreOperation, with error: StateStoreError) {
        state.withLock { $0.faults[operation, default: []].append(error) }
    }

    /// Makes the next call of `operation` throw an error of `code` (once, without doing anything).
    public func failNext(
        _ operation: StateStoreOperation, code: StateStoreError.Code = .unavailable, message: String = "injected fault"
    ) {
        failNext(operation, with: StateStoreError(code, message, operation: operation))
    }

    /// Every call made so far, in order, failed ones included.
    public var calls: [StateStoreOperation] { state.withLock { $0.calls } }

    /// Who holds each lock, as it is stored (expired leases included).
    public var storedLocks: [String: LockHolder] { state.withLock { $0.locks.mapValues(\.holder) } }

    // MARK: - Locks

    public func acquireLock(
        environment: String, owner: LockOwner, lease: Duration, now: Date
    ) throws(StateStoreError) -> LockAttempt {
        try call(.acquireLock) { (state) throws(StateStoreError) -> LockAttempt in
            let start = Milliseconds.of(now)
            let end = try Milliseconds.expiry(of: lease, from: start, operation: .acquireLock)
            if let lock = state.locks[environment], lock.expiresAt > start, lock.owner != owner {
                return .held(lock.holder)
            }
            let kept = state.locks[environment].flatMap { $0.expiresAt > start ? $0.acquiredAt : nil }
            state.locks[environment] = Lock(owner: owner, acquiredAt: kept ?? start, expiresAt: end)
            return .acquired
        }
    }

    public func renewLock(
        environment: String, owner: LockOwner, lease: Duration, now: Date
    ) throws(StateStoreError) -> Bool {
        try call(.renewLock) { (state) throws(StateStoreError) -> Bool in
            let end = try Milliseconds.expiry(of: lease, from: Milliseconds.of(now), operation: .renewLock)
            guard state.locks[environment]?.owner == owner else { return false }
            state.locks[environment]?.expiresAt = end
            return true
        }
    }

    public func releaseLock(environment: String, owner: LockOwner) throws(StateStoreError) {
        try call(.releaseLock) { (state) throws(StateStoreError) in
            if state.locks[environment]?.owner == owner {
                state.locks[environment] = nil
            }
        }
    }

    public func forceUnlock(
        environment: String, by owner: LockOwner, now: Date, ifHeldBy expected: LockOwner?
    ) throws(StateStoreError) -> LockHolder? {
        try call(.forceUnlock) { (state) throws(StateStoreError) -> LockHolder? in
            if let expected, state.locks[environment]?.holder.owner != expected { return nil }
            let removed = state.locks.removeValue(forKey: environment)?.holder
            let time = Milliseconds.date(Milliseconds.of(now))
            let record = ApplyRecord(
                id: 0, environment: environment, startedAt: time, finishedAt: time, status: .succeeded, owner: owner,
                planFingerprint: "", actions: [.forcedUnlock(environment: environment, removed: removed, at: time)]
            )
            _ = state.insert(record, plan: "")
            return removed
        }
    }

    public func lockHolder(environment: String, now: Date) throws(StateStoreError) -> LockHolder? {
        try call(.lockHolder) { (state) throws(StateStoreError) -> LockHolder? in
            guard let lock = state.locks[environment], lock.expiresAt > Milliseconds.of(now) else { return nil }
            return lock.holder
        }
    }

    public func recordEvent(environment: String, by owner: LockOwner, now: Date, _ action: ActionRecord) throws(StateStoreError) {
        try call(.recordEvent) { (state) throws(StateStoreError) in
            let time = Milliseconds.date(Milliseconds.of(now))
            var action = action
            action.startedAt = time
            action.finishedAt = time
            let record = ApplyRecord(
                id: 0, environment: environment, startedAt: time, finishedAt: time, status: .succeeded, owner: owner,
                planFingerprint: "", actions: [action]
            )
            _ = state.insert(record, plan: "")
        }
    }

    // MARK: - Journal

    public func beginApply(
        environment: String, owner: LockOwner, fingerprint: String, plan: String, actions: [ActionRecord], now: Date
    ) throws(StateStoreError) -> Int64 {
        try call(.beginApply) { (state) throws(StateStoreError) -> Int64 in
            var seen = Set<String>()
            for action in actions where !seen.insert(action.actionID).inserted {
                throw StateStoreError(.invalidArgument, "two actions have the id \(action.actionID)", operation: .beginApply)
            }
            let record = ApplyRecord(
                id: 0, environment: environment, startedAt: Self.rounded(now), finishedAt: nil, status: .running,
                owner: owner, planFingerprint: fingerprint,
                actions: actions.map { action in
                    var action = action
                    action.startedAt = action.startedAt.map(Self.rounded)
                    action.finishedAt = action.finishedAt.map(Self.rounded)
                    return action
                }
            )
            return state.insert(record, plan: plan)
        }
    }

    public func updateAction(
        applyID: Int64, actionID: String, status: ActionStatus, detail: String, now: Date
    ) throws(StateStoreError) {
        try call(.updateAction) { (state) throws(StateStoreError) in
            guard var record = state.applies[applyID] else { throw Self.noApply(applyID, .updateAction) }
            guard let index = record.actions.firstIndex(where: { $0.actionID == actionID }) else {
                throw StateStoreError(.notFound, "apply \(applyID) has no action \(actionID)", operation: .updateAction)
            }
            var action = record.actions[index]
            (action.startedAt, action.finishedAt) = status.times(
                startedAt: action.startedAt, finishedAt: action.finishedAt, now: Self.rounded(now))
            action.status = status
            action.detail = detail
            record.actions[index] = action
            state.applies[applyID] = record
        }
    }

    public func finishApply(applyID: Int64, status: ApplyStatus, now: Date) throws(StateStoreError) {
        try call(.finishApply) { (state) throws(StateStoreError) in
            guard status != .running else {
                throw StateStoreError(.invalidArgument, "an apply cannot finish as running", operation: .finishApply)
            }
            guard state.applies[applyID] != nil else { throw Self.noApply(applyID, .finishApply) }
            state.applies[applyID]?.status = status
            state.applies[applyID]?.finishedAt = Self.rounded(now)
        }
    }

    public func history(environment: String, limit: Int) throws(StateStoreError) -> [ApplyRecord] {
        try call(.history) { (state) throws(StateStoreError) -> [ApplyRecord] in
            guard limit > 0 else { return [] }
            return Array(state.applies.values.filter { $0.environment == environment }.sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    public func unfinishedApplies(environment: String) throws(StateStoreError) -> [ApplyRecord] {
        try call(.unfinishedApplies) { (state) throws(StateStoreError) -> [ApplyRecord] in
            state.applies.values.filter { $0.environment == environment && $0.status == .running }.sorted { $0.id < $1.id }
        }
    }

    public func markInterrupted(applyID: Int64, now: Date) throws(StateStoreError) {
        try call(.markInterrupted) { (state) throws(StateStoreError) in
            guard let record = state.applies[applyID] else { throw Self.noApply(applyID, .markInterrupted) }
            guard record.status == .running else { return }
            state.applies[applyID]?.status = .interrupted
            state.applies[applyID]?.finishedAt = Self.rounded(now)
        }
    }

    public func plan(applyID: Int64) throws(StateStoreError) -> String? {
        try call(.plan) { (state) throws(StateStoreError) -> String? in state.plans[applyID] }
    }

    // MARK: - Releases

    public func recordRelease(environment: String, _ release: Release) throws(StateStoreError) -> Release {
        // Through the same encoding as the SQL store: what cannot be stored there fails here too.
        _ = try ReleaseColumns.encode(release.manifest, .recordRelease)
        return try call(.recordRelease) { (state) throws(StateStoreError) -> Release in
            var list = state.releases[environment] ?? []
            var release = release
            release.number = (list.last?.number ?? 0) + 1
            release.parent = list.last { $0.status == .current }?.number
            release.createdAt = Self.rounded(release.createdAt)
            if release.status == .current {
                for index in list.indices where list[index].status == .current { list[index].status = .superseded }
            }
            list.append(release)
            state.releases[environment] = list
            return release
        }
    }

    public func releases(environment: String, limit: Int) throws(StateStoreError) -> [Release] {
        try call(.releases) { (state) throws(StateStoreError) -> [Release] in
            Array((state.releases[environment] ?? []).reversed().prefix(max(limit, 0)))
        }
    }

    public func setReleaseStatus(environment: String, numbers: [Int], status: ReleaseStatus) throws(StateStoreError) {
        try call(.setReleaseStatus) { (state) throws(StateStoreError) in
            let numbers = Set(numbers)
            for index in (state.releases[environment] ?? []).indices where numbers.contains(state.releases[environment]![index].number) {
                state.releases[environment]![index].status = status
            }
        }
    }

    // MARK: - Helpers

    /// Records the call, throws its injected fault if there is one, else runs `body` on the state.
    private func call<T: Sendable>(
        _ operation: StateStoreOperation, _ body: (inout State) throws(StateStoreError) -> T
    ) throws(StateStoreError) -> T {
        try state.withLock { (state) throws(StateStoreError) -> T in
            state.calls.append(operation)
            if let fault = state.faults[operation]?.first {
                state.faults[operation]?.removeFirst()
                throw fault
            }
            return try body(&state)
        }
    }

    /// `date` to the millisecond, as the SQL store keeps it.
    private static func rounded(_ date: Date) -> Date {
        Milliseconds.date(Milliseconds.of(date))
    }

    private static func noApply(_ id: Int64, _ operation: StateStoreOperation) -> StateStoreError {
        StateStoreError(.notFound, "no apply has the id \(id)", operation: operation)
    }
}
