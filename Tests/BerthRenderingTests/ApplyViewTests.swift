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

    @Test("a partial apply says it was limited, and its JSON names the targets; a full one has no targets key")
    func partialApply() throws {
        var report = ExecutionReport()
        report.done = ["create:container:web-1"]
        let plan = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [], problems: [], targets: ["container:web-1"])
        let applied = ApplyView(environment: "dev", outcome: .success(.applied(ApplySession.Applied(plan: plan, report: report, id: 1, status: .succeeded))))
        #expect(applied.text() == "Applied 1 action to dev (limited to container:web-1).\n")
        #expect(applied.json().jsonText().contains("\"targets\""))
        let none = ApplyView(environment: "dev", outcome: .success(.noChanges(plan)))
        #expect(none.text()?.hasPrefix("No changes for container:web-1: it matches the desired state of dev") == true)
        var full = plan
        full.targets = []
        let fullView = ApplyView(environment: "dev", outcome: .success(.noChanges(full)))
        #expect(fullView.text() == "No changes: dev matches its desired state.\n")
        #expect(!fullView.json().jsonText().contains("\"targets\""))
    }
}
