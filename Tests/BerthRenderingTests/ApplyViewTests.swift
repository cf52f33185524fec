import Foundation
import Testing
import BerthModel
import BerthPlan
import BerthApply
import BerthSession
import BerthRendering

/// What a failed apply tells on standard output.
@Suite struct ApplyViewTests {
    @Test("a failed apply that left migrations names the database backup that would restore them")
    func migrationsLeftNameTheBackup() throws {
        var report = ExecutionReport()
        report.done = ["migrate:migration:2"]
        report.failed = [.init(id: "create:container:web-1", error: "no such image")]
        report.left = ["migrate:migration:2"]
        let backup = Backup(id: "r4-database", kind: .database, resource: "postgres", path: "/b/r4-database.dump", sha256: "aa", size: 10)
        let release = Release(
            number: 4, digest: "sha256:x", createdAt: Date(), by: "ada", status: .failed,
            manifest: ReleaseManifest(services: [], configs: [], migrations: []), backups: [backup]
        )
        let plan = Plan(environment: "staging", project: "shop", fingerprint: "f", actions: [], problems: [])
        let applied = ApplySession.Applied(plan: plan, report: report, id: 9, status: .failed, release: release)
        let text = try #require(ApplyView(environment: "staging", outcome: .success(.applied(applied))).text())
        #expect(text.contains("recorded as release 4, failed"))
        #expect(text.contains("left:    migrate:migration:2"))
        #expect(text.contains("berth restore --env staging --backup r4-database"))

        report.left = []
        report.undone = ["migrate:migration:2"]
        let undone = ApplySession.Applied(plan: plan, report: report, id: 9, status: .rolledBack, release: release)
        #expect(ApplyView(environment: "staging", outcome: .success(.applied(undone))).text()?.contains("berth restore") == false)
    }
}
