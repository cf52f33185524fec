public import BerthModel
public import BerthApply
public import Foundation

/// `--override-window --reason TEXT`: go ahead in a closed deployment window, on record.
public struct WindowOverride: Hashable, Sendable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// The deployment-window check that `apply`, `rollback`, `promote` and `destroy` make when they start. A running
/// apply is never stopped by a window that closes meanwhile.
public enum WindowGate {
    /// What is about to change the environment: a rollback may be allowed in a closed window.
    public enum Operation: String, Sendable {
        case apply, rollback, promote, destroy
    }

    /// The type of the history event recorded when a closed window is overridden.
    public static let overrideEventType = "override-window"

    /// The window's decision at `now`. Throws when the window is closed for `operation` and there is no
    /// override; a closed window with an override is returned (`open` false) for `recordOverride`.
    @discardableResult
    public static func check(
        environment: Environment, at now: Date, operation: Operation = .apply, override: WindowOverride?
    ) throws(SessionError) -> WindowDecision {
        guard let policy = environment.policy else { return WindowDecision(open: true, window: nil, until: nil, nextOpen: nil) }
        let calendar = DeploymentCalendar(policy: policy)
        let decision = calendar.decision(at: now)
        guard !decision.open, !(operation == .rollback && policy.rollbackWhenClosed), override == nil else { return decision }
        let next = decision.nextOpen.map { "changes are next allowed at \(calendar.localAndUTC($0))" } ?? "no change is allowed within a year"
        throw SessionError(
            "\(environment.name) is closed for changes: \(calendar.reason(decision)); \(next). "
                + "To go ahead anyway: berth \(operation.rawValue) --override-window --reason TEXT (recorded in berth history)."
        )
    }

    /// Whether `decision` let the operation through only because of the override.
    public static func isOverridden(_ decision: WindowDecision, environment: Environment, operation: Operation) -> Bool {
        guard let policy = environment.policy, !decision.open else { return false }
        return !(operation == .rollback && policy.rollbackWhenClosed)
    }

    /// When `decision` let the operation through only because of `override`: records who overrode which
    /// window, and why, as an `override-window` event of the environment's history.
    public static func recordOverride(
        _ decision: WindowDecision, _ override: WindowOverride?, environment: Environment, operation: Operation,
        store: any StateStore, key: String, owner: LockOwner, now: Date
    ) throws(SessionError) {
        guard let override, isOverridden(decision, environment: environment, operation: operation) else { return }
        let calendar = DeploymentCalendar(policy: environment.policy ?? DeploymentPolicy())
        let action = ActionRecord(
            actionID: overrideEventType, type: overrideEventType, resource: "window:\(decision.window ?? "allow-windows")", status: .done,
            detail: "\(operation.rawValue) in a closed window (\(calendar.reason(decision))) by \(owner.user)@\(owner.host): \(override.reason)"
        )
        do {
            try store.recordEvent(environment: key, by: owner, now: now, action)
        } catch {
            throw SessionError("cannot record the window override in the history: \(error)")
        }
    }
}

extension WindowGate {
    /// `berth window`: the environment's window at `instant`.
    public static func status(_ name: String, at instant: Date, context: Context) throws(SessionError) -> (environment: Environment, decision: WindowDecision) {
        let environment = try Pipeline(context).load(name)
        let decision = environment.policy.map { DeploymentCalendar(policy: $0).decision(at: instant) }
            ?? WindowDecision(open: true, window: nil, until: nil, nextOpen: nil)
        return (environment, decision)
    }
}
