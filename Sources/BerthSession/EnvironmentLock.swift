import BerthCore
import BerthApply
import Foundation
import Synchronization

/// One apply per environment at a time: a lease in the state store, renewed while the apply runs,
/// that expires by itself when its holder dies. A holder on this host whose process is gone is
/// taken over at once (recorded in the journal, as `berth unlock` is).
public struct EnvironmentLock: Sendable {
    public static let lease = Duration.seconds(60)

    let store: any StateStore
    public let key: String
    let context: Context

    init(store: any StateStore, key: String, context: Context) {
        self.store = store
        self.key = key
        self.context = context
    }

    /// Takes the lease, waiting up to `timeout` for another apply to finish.
    func acquire(timeout: Duration) async throws(SessionError) {
        let clock = context.clock, owner = context.owner
        let deadline = clock.deadline(after: timeout)
        var told = false
        while true {
            let attempt: LockAttempt
            do {
                attempt = try await Blocking.run("berth-lock") { [store, key] () throws(StateStoreError) -> LockAttempt in
                    try store.acquireLock(environment: key, owner: owner, lease: Self.lease, now: clock.now)
                }
            } catch {
                throw SessionError("cannot take the lock of \(key): \(error)")
            }
            guard case .held(let holder) = attempt else { return }
            if holder.owner.host == owner.host, !context.isProcessRunning(holder.owner.pid) {
                context.events.notice(.lockTakenOver(environment: key, holder: holder.owner.description))
                do {
                    _ = try await Blocking.run("berth-lock") { [store, key] () throws(StateStoreError) -> LockHolder? in
                        try store.forceUnlock(environment: key, by: owner, now: clock.now, ifHeldBy: holder.owner)
                    }
                } catch {
                    throw SessionError("cannot take over the lock of \(key) from \(holder.owner): \(error)")
                }
                continue
            }
            let since = ISO8601DateFormatter().string(from: holder.acquiredAt)
            if clock.elapsed >= deadline {
                throw SessionError("\(key) is being applied by \(holder.owner) since \(since); try again later, or wait with --lock-timeout")
            }
            if !told {
                context.events.notice(.waitingForLock(environment: key, holder: holder.owner.description, since: since))
                told = true
            }
            do {
                try await clock.sleep(for: .milliseconds(500))
            } catch {
                throw SessionError("stopped waiting for the lock of \(key)")
            }
        }
    }

    /// Renews the lease every third of it on a connection of its own, until stopped. A renewal that
    /// fails, or finds the lease gone, marks the lock lost: the apply starts no further action.
    func keepAlive(on renewalStore: any StateStore) -> LeaseKeeper {
        let keeper = LeaseKeeper()
        let key = self.key, owner = context.owner, clock = context.clock
        keeper.task = Task {
            while !Task.isCancelled {
                do { try await clock.sleep(for: Self.lease / 3) } catch { return }
                do {
                    let renewed = try await Blocking.run("berth-lease") { () throws(StateStoreError) -> Bool in
                        try renewalStore.renewLock(environment: key, owner: owner, lease: Self.lease, now: clock.now)
                    }
                    if !renewed {
                        keeper.lose("the lock of \(key) was taken from this apply (forced open, or its lease ran out)")
                        return
                    }
                } catch {
                    keeper.lose("the lock of \(key) could not be renewed: \(error)")
                    return
                }
            }
        }
        return keeper
    }

    /// Takes the lock (waiting up to `timeout`), runs `body` while a lease renewed on a store connection
    /// of its own (`renewals`) keeps it, and gives the lock back however `body` ends.
    func holding<Value>(
        timeout: Duration, renewals: () throws(SessionError) -> any StateStore,
        _ body: (LeaseKeeper) async throws(SessionError) -> Value
    ) async throws(SessionError) -> Value {
        try await acquire(timeout: timeout)
        let outcome: Result<Value, SessionError>
        do throws(SessionError) {
            let lease = keepAlive(on: try renewals())
            defer { lease.stop() }
            outcome = .success(try await body(lease))
        } catch {
            outcome = .failure(error)
        }
        await release()
        return try outcome.get()
    }

    func release() async {
        let store = self.store, key = self.key, owner = context.owner
        await Blocking.run("berth-lock") { try? store.releaseLock(environment: key, owner: owner) }
    }
}

/// The renewal of a lease, and why it was lost, if it was.
final class LeaseKeeper: Sendable {
    private let state = Mutex<(lost: String?, task: Task<Void, Never>?)>((nil, nil))

    var task: Task<Void, Never>? {
        get { state.withLock { $0.task } }
        set { state.withLock { $0.task = newValue } }
    }

    /// Why the lock is no longer this apply's; nil while it is.
    var lost: String? { state.withLock { $0.lost } }

    func lose(_ reason: String) {
        state.withLock { $0.lost = $0.lost ?? reason }
    }

    func stop() {
        state.withLock { $0.task?.cancel() }
    }
}
