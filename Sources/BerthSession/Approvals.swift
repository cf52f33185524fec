public import BerthModel
public import BerthApply
import BerthPlan
import Foundation

/// `policy.approval`: a saved plan is approved (`berth approve`) before `berth apply --plan` applies it.
/// An approval is an `approve` event of the environment's history naming the plan's fingerprint.
public enum Approvals {
    public static let eventType = "approve"
    /// How many entries of the history are searched for an approval.
    static let searched = 1_000

    public struct Approval: Hashable, Sendable {
        public var environment: String
        public var fingerprint: String
        public var approver: LockOwner
    }

    /// `berth approve --env NAME PLANFILE`: records `context.owner`'s approval of the saved plan.
    public static func approve(environment name: String, plan path: String, text: [UInt8], context: Context) throws(SessionError) -> Approval {
        let environment = try Pipeline(context).load(name)
        let plan = try savedPlan(path, text: text, environment: environment)
        let (store, key) = try StateStoreAccess.open(name, context: context)
        let owner = context.owner
        let action = ActionRecord(
            actionID: eventType, type: eventType, resource: "plan:\(plan.fingerprint)", status: .done,
            detail: "plan \(plan.fingerprint) (\(plan.actions.count) actions) approved by \(owner.user)@\(owner.host)"
        )
        do {
            try store.recordEvent(environment: key, by: owner, now: context.clock.now, action)
        } catch {
            throw SessionError("cannot record the approval in the history: \(error)")
        }
        return Approval(environment: name, fingerprint: plan.fingerprint, approver: owner)
    }

    /// Who approved the plan each release was applied from (`user@host`, by release number): the approvals
    /// of the history that name the fingerprint of the apply that made the release.
    public static func approvers(of releases: [Release], store: any StateStore, key: String) throws(SessionError) -> [Int: [String]] {
        guard releases.contains(where: { $0.applyID != nil }) else { return [:] }
        let history: [ApplyRecord]
        do {
            history = try store.history(environment: key, limit: searched)
        } catch {
            throw SessionError("cannot read the history for the releases' approvals: \(error)")
        }
        let fingerprints = Dictionary(history.filter { !$0.isEvent }.map { ($0.id, $0.planFingerprint) }, uniquingKeysWith: { first, _ in first })
        var byPlan: [String: [String]] = [:]
        for record in history.reversed() where record.isEvent && record.actions.first?.type == eventType {
            guard let resource = record.actions.first?.resource, resource.hasPrefix("plan:") else { continue }
            let approver = "\(record.owner.user)@\(record.owner.host)"
            if !(byPlan[String(resource.dropFirst(5))] ?? []).contains(approver) { byPlan[String(resource.dropFirst(5)), default: []].append(approver) }
        }
        var approvers: [Int: [String]] = [:]
        for release in releases {
            guard let id = release.applyID, let fingerprint = fingerprints[id], let names = byPlan[fingerprint] else { continue }
            approvers[release.number] = names
        }
        return approvers
    }

    /// The plan of a saved plan file, for this environment.
    static func savedPlan(_ path: String, text: [UInt8], environment: Environment) throws(SessionError) -> Plan {
        let plan: Plan
        do {
            plan = try PlanDocument.decode(Data(text)).plan()
        } catch {
            throw SessionError("cannot read the saved plan \(path): \(error)")
        }
        guard plan.environment == environment.name, plan.project == environment.project else {
            throw SessionError("\(path) is a plan for \(plan.project)/\(plan.environment), not \(environment.project)/\(environment.name)")
        }
        return plan
    }

    /// Before an apply: with `policy.approval`, the apply must be of a saved plan.
    static func requirePlan(_ environment: Environment, savedPlan: (path: String, text: [UInt8])?) throws(SessionError) {
        guard environment.policy?.approval != nil, savedPlan == nil else { return }
        throw SessionError(
            "\(environment.name) requires an approved plan: run berth plan --env \(environment.name) --out FILE, "
                + "have it approved with berth approve --env \(environment.name) FILE, then berth apply --env \(environment.name) --plan FILE"
        )
    }

    /// Once the saved plan is known to be current: its fingerprint has an approval (by another user with `distinct`).
    static func check(
        _ environment: Environment, fingerprint: String, store: any StateStore, key: String, applier: LockOwner
    ) throws(SessionError) {
        guard let rule = environment.policy?.approval else { return }
        let history: [ApplyRecord]
        do {
            history = try store.history(environment: key, limit: searched)
        } catch {
            throw SessionError("cannot read the history for the plan's approval: \(error)")
        }
        let approvals = history.filter { record in
            record.isEvent && record.actions.first?.type == eventType && record.actions.first?.resource == "plan:\(fingerprint)"
        }
        let approve = "berth approve --env \(environment.name) PLANFILE"
        guard !approvals.isEmpty else {
            throw SessionError("the plan \(fingerprint) is not approved; \(environment.name) requires an approval: have it approved with \(approve)")
        }
        if rule.distinct, !approvals.contains(where: { $0.owner.user != applier.user }) {
            throw SessionError(
                "the plan \(fingerprint) is approved only by \(applier.user), who applies it; \(environment.name) requires "
                    + "another user's approval: have someone else run \(approve)"
            )
        }
    }
}
