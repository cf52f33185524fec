import BerthCore
import BerthApply
import BerthPlan
import Dispatch
import Foundation
import Synchronization

/// Every action's outcome in the state store as it happens, and every event passed on to the
/// context's `events` for people. A journal write that fails is said, never silently dropped.
///
/// The store's calls block on a database, so they run one after the other on a queue of their own
/// (the rule in `Blocking`): the executor's events never wait for the disk, and `finish` waits for
/// every write before it.
final class Journal: ExecutionObserver, Sendable {
    let store: any StateStore
    let environment: String
    let context: Context
    private let applyID = Mutex<Int64?>(nil)
    /// A verification's latest look, by action: what its journal entry says once it passed.
    private let looks = Mutex<[String: String]>([:])
    private let writes = DispatchQueue(label: "berth-journal")

    init(store: any StateStore, environment: String, context: Context) {
        self.store = store
        self.environment = environment
        self.context = context
    }

    var id: Int64? { applyID.withLock { $0 } }

    /// Records the apply and its plan (as a `PlanDocument`: hashes and secret references only).
    func begin(_ plan: Plan) async throws(SessionError) {
        let result: Result<Void, SessionError> = await onQueue { [self] in
            do throws(SessionError) {
                try record(plan)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private func record(_ plan: Plan) throws(SessionError) {
        let text: String
        do {
            text = String(decoding: try PlanDocument(plan).encoded(), as: UTF8.self)
        } catch {
            throw SessionError("cannot record the plan in the journal: \(error)")
        }
        let actions = plan.actions.map {
            ActionRecord(actionID: $0.id, type: $0.kind.rawValue, resource: $0.resource, status: .pending, detail: $0.cause)
        }
        do {
            let id = try store.beginApply(
                environment: environment, owner: context.owner, fingerprint: plan.fingerprint, plan: text, actions: actions,
                now: context.clock.now
            )
            applyID.withLock { $0 = id }
        } catch {
            throw SessionError("cannot record this apply in the journal: \(error)")
        }
    }

    /// The final statuses: skipped actions say why, the apply gets its status; after every earlier write.
    func finish(_ report: ExecutionReport) async -> ApplyStatus {
        await onQueue { [self] in finished(report) }
    }

    private func finished(_ report: ExecutionReport) -> ApplyStatus {
        let status: ApplyStatus = report.succeeded ? .succeeded
            : (report.left.isEmpty && !report.undone.isEmpty && report.halted == nil ? .rolledBack : .failed)
        guard let id else { return status }
        let now = context.clock.now
        let why = report.halted.map { "not started: \($0)" } ?? "not started after a failure"
        for skipped in report.skipped { record(id, skipped, .skipped, why, now: now) }
        do {
            try store.finishApply(applyID: id, status: status, now: now)
        } catch {
            context.events.notice(.warning("cannot record the end of apply \(id) in the journal: \(error)"))
        }
        return status
    }

    private func record(_ id: Int64, _ actionID: String, _ status: ActionStatus, _ detail: String, now: Date) {
        do {
            try store.updateAction(applyID: id, actionID: actionID, status: status, detail: detail, now: now)
        } catch {
            context.events.notice(.warning("cannot record \(actionID) in the journal: \(error)"))
        }
    }

    /// Runs `work` on the journal's queue and waits for it without holding a thread of the pool.
    private func onQueue<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            writes.async { continuation.resume(returning: work()) }
        }
    }

    /// Queues an action's new status.
    private func later(_ actionID: String, _ status: ActionStatus, _ detail: String) {
        let now = context.clock.now
        writes.async { [self] in
            if let id { record(id, actionID, status, detail, now: now) }
        }
    }

    func started(_ action: PlanAction) {
        later(action.id, .running, action.cause)
        context.events.started(action)
    }

    func progress(_ action: PlanAction, _ message: String) {
        // A verification's latest look is kept, so that `berth status` shows it while it runs.
        if action.kind == .verify {
            looks.withLock { $0[action.id] = message }
            later(action.id, .running, message)
        }
        context.events.progress(action, message)
    }

    func finished(_ action: PlanAction, error: String?, duration: Duration) {
        let look = action.kind == .verify ? looks.withLock { $0[action.id] } : nil
        later(action.id, error == nil ? .done : .failed, error ?? look ?? action.cause)
        context.events.finished(action, error: error, duration: duration)
    }

    func undone(_ actionID: String, succeeded: Bool) {
        if succeeded { later(actionID, .undone, "undone after a failure") } else { later(actionID, .done, "done; could not be undone after a failure") }
        context.events.undone(actionID, succeeded: succeeded)
    }
}
