public import BerthPlan

/// `berth plan --graph dot|mermaid`: the plan's actions as a graph, each after those it depends on,
/// for Graphviz (`dot -Tsvg`) or a Mermaid block (GitHub renders it): a node per action, labelled
/// with its kind, resource and cause, and an edge per dependency. A plan holds no secret value.
public struct PlanGraphView: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case dot, mermaid
    }

    let plan: Plan

    public init(_ plan: Plan) {
        self.plan = plan
    }

    public func text(_ format: Format) -> String {
        // Node names the tools accept whatever the ids hold: a0, a1, ... in plan order.
        let node = Dictionary(plan.actions.enumerated().map { ($1.id, "a\($0)") }, uniquingKeysWith: { first, _ in first })
        let edges = plan.actions.flatMap { action in action.dependsOn.compactMap { node[$0] }.map { ($0, node[action.id] ?? "") } }
        switch format {
        case .dot:
            var out = "digraph \"\(Self.dotEscaped("plan of \(plan.environment)"))\" {\n"
            if let partial { out += "  // \(partial)\n  label=\"\(Self.dotEscaped(partial))\";\n" }
            out += "  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
            for action in plan.actions {
                let label = Self.dotEscaped(Self.label(action)) + (action.cause.isEmpty ? "" : "\\n" + Self.dotEscaped(action.cause))
                out += "  \(node[action.id] ?? "") [label=\"\(label)\"];\n"
            }
            for (from, to) in edges { out += "  \(from) -> \(to);\n" }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart LR\n"
            if let partial { out += "  %% \(partial)\n" }
            for action in plan.actions {
                let label = Self.mermaidEscaped(Self.label(action)) + (action.cause.isEmpty ? "" : "<br/>" + Self.mermaidEscaped(action.cause))
                out += "  \(node[action.id] ?? "")[\"\(label)\"]\n"
            }
            for (from, to) in edges { out += "  \(from) --> \(to)\n" }
            return out
        }
    }

    /// What a partial plan says of itself (`--target`), the graph shows too: it is not the whole change.
    var partial: String? {
        plan.isPartial ? "partial plan, limited to \(plan.targets.joined(separator: ", ")) and what it needs" : nil
    }

    /// `switch route:web@25%`.
    static func label(_ action: PlanAction) -> String { "\(action.kind.rawValue) \(action.resource)" }

    static func dotEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Mermaid reads `#quot;`, `#lt;` and `#gt;` inside a quoted label (where `<br/>` breaks the line).
    static func mermaidEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "#quot;").replacingOccurrences(of: "<", with: "#lt;")
            .replacingOccurrences(of: ">", with: "#gt;").replacingOccurrences(of: "\n", with: "<br/>")
    }
}
