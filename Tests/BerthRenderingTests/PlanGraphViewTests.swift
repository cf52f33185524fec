import Testing
import BerthModel
import BerthPlan
import BerthRendering

/// `berth plan --graph`: every action a node, every dependency an edge, labels escaped for each tool.
@Suite struct PlanGraphViewTests {
    static let plan = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [
        PlanAction(kind: .writeConfig, resource: "config:app \"env\"", cause: "missing <here>", effect: .create,
                   target: .config(ConfigWrite(name: "app", path: "/c/app.env", mode: 0o640, sha256: "aa"))),
        PlanAction(kind: .start, resource: "container:web-1", cause: "stopped", effect: .update, dependsOn: ["write-config:config:app \"env\""],
                   target: .container(id: "1", name: "web-1")),
        PlanAction(kind: .start, resource: "container:worker-1", cause: "stopped", effect: .update,
                   dependsOn: ["write-config:config:app \"env\"", "start:container:web-1"], target: .container(id: "2", name: "worker-1")),
    ], problems: [])

    @Test func dotHasANodePerActionWithItsCauseAndAnEdgePerDependency() {
        #expect(PlanGraphView(Self.plan).text(.dot) == """
            digraph "plan of dev" {
              rankdir=LR;
              node [shape=box, fontname="monospace"];
              a0 [label="write-config config:app \\"env\\"\\nmissing <here>"];
              a1 [label="start container:web-1\\nstopped"];
              a2 [label="start container:worker-1\\nstopped"];
              a0 -> a1;
              a0 -> a2;
              a1 -> a2;
            }

            """)
    }

    @Test func mermaidIsAFlowchartWithQuotesEscaped() {
        #expect(PlanGraphView(Self.plan).text(.mermaid) == """
            flowchart LR
              a0["write-config config:app #quot;env#quot;<br/>missing #lt;here#gt;"]
              a1["start container:web-1<br/>stopped"]
              a2["start container:worker-1<br/>stopped"]
              a0 --> a1
              a0 --> a2
              a1 --> a2

            """)
    }

    @Test func aPartialPlanSaysSoInBothForms() {
        var plan = Self.plan
        plan.targets = ["container:web-1"]
        let dot = PlanGraphView(plan).text(.dot)
        #expect(dot.hasPrefix("digraph \"plan of dev\" {\n  // partial plan, limited to container:web-1 and what it needs\n  label=\"partial plan,"), "\(dot)")
        #expect(PlanGraphView(plan).text(.mermaid).hasPrefix("flowchart LR\n  %% partial plan, limited to container:web-1 and what it needs\n"))
        #expect(!PlanGraphView(Self.plan).text(.dot).contains("partial"))
    }
}
