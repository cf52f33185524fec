public import BerthCore
public import BerthModel
public import Foundation

/// `berth window`: whether changes are allowed at an instant, which rule says so and until when, in the
/// policy's local time and in UTC; the JSON of the contract.
public struct WindowView: Sendable {
    let environment: String
    let policy: DeploymentPolicy
    let instant: Date
    let decision: WindowDecision

    public init(environment: String, policy: DeploymentPolicy?, at instant: Date, decision: WindowDecision) {
        self.environment = environment
        self.policy = policy ?? DeploymentPolicy()
        self.instant = instant
        self.decision = decision
    }

    public func json() -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(HistoryView.time($0)) } ?? .null }
        return .object([
            .init("format_version", .string("1")),
            .init("environment", .string(environment)),
            .init("at", time(instant)),
            .init("open", .bool(decision.open)),
            .init("window", decision.window.map { .string($0) } ?? .null),
            .init("until", time(decision.until)),
            .init("next_open", time(decision.nextOpen)),
        ])
    }

    public func text() -> String {
        let calendar = DeploymentCalendar(policy: policy)
        var out = "At \(calendar.localAndUTC(instant)), \(environment) is \(decision.open ? "open" : "closed") for changes: \(calendar.reason(decision)).\n"
        if decision.open {
            out += decision.until.map { "It closes at \(calendar.localAndUTC($0)).\n" } ?? "It stays open for at least a year.\n"
        } else {
            out += decision.nextOpen.map { "Changes are next allowed at \(calendar.localAndUTC($0)).\n" } ?? "No change is allowed within a year.\n"
        }
        return out
    }
}
