import Testing
import BerthCore

/// A file with a problem on every line keeps a bounded number of diagnostics and still counts them all.
@Suite struct BoundedDiagnosticsTests {
    @Test("past the limit, diagnostics are counted, not kept; one stands for them, and the printed tail counts them all")
    func boundedAndCounted() {
        var collected = BoundedDiagnostics()
        for line in 1...5_000 {
            collected.append(.error(at: SourceLocation(file: "dev.yaml", line: line, column: 1), "unknown key 'k\(line)'"))
        }
        collected.append(.warning(at: SourceLocation(file: "dev.yaml", line: 6_000, column: 1), "a warning"))
        let all = collected.all
        #expect(all.count == BoundedDiagnostics.limit + 1)
        #expect(collected.errorCount == 5_000 && collected.hasErrors)
        let summary = all.last!
        #expect(summary.message == "and 4001 more problems in this file, not listed")
        #expect(summary.severity == .error && summary.weight == 4_001)
        #expect(summary.location.line == 1_001)
        let (shown, more) = all.capped(perFile: 100)
        #expect(shown.count == 100)
        #expect(more.map(\.count) == [5_001 - 100])
    }

    @Test("under the limit nothing changes")
    func underTheLimit() {
        var collected = BoundedDiagnostics()
        collected.append(.warning(at: SourceLocation(file: "a", line: 1, column: 1), "w"))
        #expect(collected.all.map(\.message) == ["w"] && !collected.hasErrors)
    }
}
