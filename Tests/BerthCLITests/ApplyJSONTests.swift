import Testing
import Foundation
import BerthTestSupport

/// `apply --json`: progress as one JSON event a line on standard error, the report as JSON on standard output.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil, "needs BERTH_ENGINE"))
struct ApplyJSONTests {
    @Test("apply --json reports every action as started and finished events, then a format 1 report")
    func events() async throws {
        try await ApplyProject.with { project in
            let apply = try await project.berth(["apply", "--env", "dev", "--yes", "--json"])
            #expect(apply.status == 0, "\(apply.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(apply.stdout.utf8)) as? [String: Any])
            #expect(report["format_version"] as? String == "1")
            #expect(report["status"] as? String == "succeeded")
            let done = try #require(report["done"] as? [String])
            #expect(done.count == 10)

            let events = try apply.stderr.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
            // The plan, then every action started and finished (a health wait may report progress between).
            #expect(events.first?["event"] as? String == "plan")
            for id in done {
                let kinds = events.filter { $0["action"] as? String == id }.compactMap { $0["event"] as? String }
                #expect(kinds.first == "started" && kinds.last == "finished", "\(id)")
                #expect(kinds.dropFirst().dropLast().allSatisfy { $0 == "progress" }, "\(id)")
            }
        }
    }
}
