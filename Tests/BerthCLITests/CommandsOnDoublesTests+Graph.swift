import Testing
@testable import BerthCLI
import BerthTestSupport

extension CommandsOnDoublesTests {
    @Test("plan --graph prints the plan's graph for Graphviz or Mermaid, with plan's exit codes; --graph with --json is a usage error")
    func planGraph() async throws {
        let world = try SessionWorld()
        let dot = await berth(["plan", "--env", "dev", "--graph", "dot"], world)
        #expect(dot.status == 2, "\(dot.stderr)")
        #expect(dot.stdout.hasPrefix("digraph \"plan of dev\" {\n") && dot.stdout.contains(" -> "), "\(dot.stdout)")
        #expect(dot.stdout.contains("[label=\"create container:web-1\\n"), "\(dot.stdout)")
        let mermaid = await berth(["plan", "--env", "dev", "--graph", "mermaid"], world)
        #expect(mermaid.stdout.hasPrefix("flowchart LR\n") && mermaid.stdout.contains(" --> "), "\(mermaid.stdout)")
        #expect(!dot.stdout.contains(SessionWorld.secret) && !mermaid.stdout.contains(SessionWorld.secret))
        #expect(await berth(["plan", "--env", "dev", "--graph", "dot", "--json"], world).status == 64)
        #expect(await berth(["plan", "--env", "dev", "--graph", "svg"], world).status == 64)
    }
}
