public import BerthPlan
public import BerthCore

/// `berth plan` as people and programs read it, ending with how it would be undone. The JSON is the
/// contract's format 1 (with `diff` and `problems` added), apart from the `PlanDocument` that `--out` saves.
public struct PlanView: Sendable {
    let plan: Plan
    let rollback: [RollbackStep]
    let style: DiagnosticStyle

    /// - Parameter rollback: `RollbackPlan.of(plan, ...)`; shown after the actions when there is one.
    public init(_ plan: Plan, rollback: [RollbackStep] = [], style: DiagnosticStyle = DiagnosticStyle(color: false)) {
        self.plan = plan
        self.rollback = rollback
        self.style = style
    }

    public func json() -> JSONValue {
        let summary = plan.summary
        return .object([
            "format_version": .string("1"),
            "environment": .string(plan.environment),
            "fingerprint": .string(plan.fingerprint),
            "partial": .bool(plan.isPartial),
            "targets": .strings(plan.targets),
            "actions": .array(plan.actions.map { action in
                .object([
                    "id": .string(action.id),
                    "type": .string(action.kind.rawValue),
                    "resource": .string(action.resource),
                    "cause": .string(action.cause),
                    "depends_on": .strings(action.dependsOn),
                    "changes": .array(action.changes.map { change in
                        .object([
                            "field": .string(change.field),
                            "before": change.before.map(JSONValue.string) ?? .null,
                            "after": change.after.map(JSONValue.string) ?? .null,
                        ])
                    }),
                    "diff": action.diff.isEmpty ? nil : .strings(action.diff),
                ])
            }),
            "summary": .object(["create": .int(summary.create), "update": .int(summary.update), "delete": .int(summary.delete)]),
            "problems": .strings(plan.problems),
            "kept": plan.kept.isEmpty ? nil : .strings(plan.kept),
            "rollback": .array(rollback.map { step in
                .object([
                    "resource": .string(step.resource),
                    "action": .string(step.action.rawValue),
                    "data_loss": .bool(step.dataLoss),
                    "detail": .string(step.detail),
                ])
            }),
        ])
    }

    /// A line per action with its cause, the changed fields under it, and the summary; a partial plan
    /// names its targets and warns that it does not show the rest of the environment.
    public func text() -> String {
        guard !plan.isEmpty || !plan.problems.isEmpty else {
            guard plan.isPartial else { return "No changes: \(plan.environment) matches its desired state.\n" }
            let (they, match, need) = plan.targets.count == 1 ? ("it", "matches", "needs") : ("they", "match", "need")
            return "No changes for \(targetList): \(they) \(match) the desired state of \(plan.environment), with what \(they) \(need).\n" + partialWarning
        }
        var out = ""
        let width = plan.actions.map { $0.kind.rawValue.count }.max() ?? 0
        let resourceWidth = min(plan.actions.map(\.resource.count).max() ?? 0, 40)
        for action in plan.actions {
            let symbol: String
            let paint: (String) -> String
            switch (action.kind, action.effect) {
            case (.waitHealthy, _): (symbol, paint) = (" ", { $0 })
            case (_, .create): (symbol, paint) = ("+", style.green)
            case (_, .update): (symbol, paint) = ("~", style.yellow)
            case (_, .delete): (symbol, paint) = ("-", style.red)
            }
            let kind = action.kind.rawValue.padding(to: width)
            let resource = action.resource.padding(to: resourceWidth)
            out += paint("\(symbol) \(kind) \(resource)") + "  \(action.cause)\n"
            for change in action.changes {
                out += "      \(change.field): \(change.before ?? "(none)") -> \(change.after ?? "(none)")\n"
            }
            for line in action.diff {
                let painted = line.hasPrefix("+") ? style.green(line) : line.hasPrefix("-") ? style.red(line) : line
                out += "      " + painted + "\n"
            }
        }
        let summary = plan.summary
        if plan.isPartial { out += "\nPartial plan, limited to \(targetList) and what \(plan.targets.count == 1 ? "it needs" : "they need").\n" + partialWarning }
        out += "\nPlan for \(plan.environment): \(summary.create) to create, \(summary.update) to change, \(summary.delete) to delete.\n"
        out += keptText()
        if !plan.problems.isEmpty {
            let count = plan.problems.count
            out += "It cannot be applied: \(count) problem\(count == 1 ? "" : "s") (on standard error); nothing was changed.\n"
        }
        return out + rollbackText()
    }

    private var targetList: String { plan.targets.joined(separator: ", ") }

    /// As Terraform warns of `-target`: a partial plan is for exceptions, not the routine.
    private var partialWarning: String {
        style.yellow("warning:") + " the rest of \(plan.environment) is not planned and may differ from its files; "
            + "run berth plan without --target to see everything that differs.\n"
    }

    /// What the plan leaves on purpose, a line each; empty when nothing.
    public func keptText() -> String {
        plan.kept.isEmpty ? "" : "Kept:\n" + plan.kept.map { "  \($0)\n" }.joined()
    }

    /// The way back, a line per resource, the last changed first; a step that loses data marked `!`.
    func rollbackText() -> String {
        guard !rollback.isEmpty else { return "" }
        var out = "\nRollback (how this plan would be undone, last change first):\n"
        let width = rollback.map(\.action.rawValue.count).max() ?? 0
        let resourceWidth = min(rollback.map(\.resource.count).max() ?? 0, 40)
        for step in rollback {
            let head = "\(step.action.rawValue.padding(to: width)) \(step.resource.padding(to: resourceWidth))"
            out += step.dataLoss ? style.red("! \(head)") + "  data loss: \(step.detail)\n" : "  \(head)  \(step.detail)\n"
        }
        let losses = rollback.filter(\.dataLoss).count
        if losses > 0 {
            out += "\(losses) step\(losses == 1 ? "" : "s") cannot be undone without losing data (marked !).\n"
        }
        return out
    }
}

/// `berth drift`: every difference with its kind.
public struct DriftView: Sendable {
    let environment: String
    let items: [DriftItem]
    let style: DiagnosticStyle

    public init(environment: String, items: [DriftItem], style: DiagnosticStyle = DiagnosticStyle(color: false)) {
        self.environment = environment
        self.items = items
        self.style = style
    }

    public func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "environment": .string(environment),
            "in_sync": .bool(items.isEmpty),
            "drifted": .array(items.map { .object(["resource": .string($0.resource), "kind": .string($0.kind.rawValue), "detail": .string($0.detail)]) }),
        ])
    }

    public func text() -> String {
        guard !items.isEmpty else { return "In sync: \(environment) matches its desired state.\n" }
        let kindWidth = items.map(\.kind.rawValue.count).max() ?? 0
        let resourceWidth = min(items.map(\.resource.count).max() ?? 0, 40)
        var out = ""
        for item in items {
            out += style.yellow("\(item.kind.rawValue.padding(to: kindWidth)) \(item.resource.padding(to: resourceWidth))") + "  \(item.detail)\n"
        }
        out += "\n\(environment) has drifted: \(items.count) difference\(items.count == 1 ? "" : "s").\n"
        return out
    }
}

extension String {
    /// The text followed by spaces up to `width` characters; text as long or longer stays as it is.
    func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
