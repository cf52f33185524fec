import Testing
import Foundation
import BerthTestSupport

/// Issue 8's pathological projects, generated in code (`PathologicalProjects`), run through the built `berth`:
/// each is answered with its exit code and the right first diagnostic, never a crash or a wait. The cases whose
/// cost grows faster than their size are made smaller here than in `berth-bench pathological`, which runs them at
/// full size on the release build and measures time and memory; this suite asserts neither.
@Suite struct PathologicalInputTests {
    static let projects = PathologicalProjects.all(.test)

    @Test("berth validate answers each pathological project with its exit code and first diagnostic",
          arguments: projects.map(\.name))
    func validate(_ name: String) async throws {
        let project = try #require(Self.projects.first { $0.name == name })
        let root = try project.write()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try await BerthProcess.run(["validate", "--no-color"], in: root)
        #expect(result.status == project.status, "\(result.stderr.prefix(2_000))")
        let first = result.stderr.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        if let expected = project.firstDiagnostic {
            #expect(first.hasPrefix(expected.description), "expected \(expected); got \(first.prefix(500))")
        } else {
            #expect(result.stderr.isEmpty, "\(result.stderr.prefix(2_000))")
        }
    }
}
