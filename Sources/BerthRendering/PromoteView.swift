public import BerthCore
public import BerthSession

/// `berth promote`'s output: the diff of the destination's file and what it changes, or its JSON
/// (`format_version` 1). Images and versions only.
public struct PromoteView {
    let outcome: PromoteSession.Outcome

    public init(_ outcome: PromoteSession.Outcome) {
        self.outcome = outcome
    }

    public func text() -> String {
        let source = "release \(outcome.release) of \(outcome.from)"
        guard !outcome.changes.isEmpty else { return "\(outcome.to) already runs what \(source) ran: nothing to promote.\n" }
        var lines = outcome.diff
        lines.append("")
        for change in outcome.changes {
            lines.append("  \(change.service.map { "services.\($0).image" } ?? "database.migrate_to"): \(change.before ?? "(not set)") -> \(change.after)")
        }
        lines.append(
            outcome.written
                ? "Promoted \(source) to \(outcome.to): \(outcome.changes.count) change(s) written."
                : "\(outcome.changes.count) change(s) would promote \(source) to \(outcome.to); --write writes them."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "from": .string(outcome.from),
            "to": .string(outcome.to),
            "release": .int(outcome.release),
            "changes": .array(outcome.changes.map { change in
                .object([
                    change.service == nil ? "migrate_to" : "service": change.service.map(JSONValue.string) ?? .bool(true),
                    "before": change.before.map(JSONValue.string) ?? .null,
                    "after": .string(change.after),
                ])
            }),
            "diff": .strings(outcome.diff),
            "written": .bool(outcome.written),
            "overridden": .strings(outcome.overridden),
        ])
    }
}
