import Foundation
import Synchronization
import Testing
@testable import BerthCLI
import BerthModel
import BerthApply
import BerthSession
import BerthTestSupport

/// A project under version control as a test scripts it: the commit it is at, and the log between two.
final class ScriptedRevision: ProjectRevision {
    let head = Mutex("c1")
    let log: [String: [(id: String, subject: String)]]

    init(log: [String: [(id: String, subject: String)]]) {
        self.log = log
    }

    func current(in directory: String) -> (commit: String, dirty: Bool)? { (head.withLock { $0 }, false) }
    func commits(in directory: String, from: String, to: String) -> [(id: String, subject: String)] { log["\(from)..\(to)"] ?? [] }
}

/// `notes`, and secrets in the way back and the notes, on the doubles.
extension CommandsOnDoublesTests {
    @Test("notes between two applies name exactly the image, the config and the migration that changed, and the commits")
    func notesBetweenApplies() async throws {
        let world = try SessionWorld()
        let revision = ScriptedRevision(log: ["c1..c2": [("c2", "Bump web to 1.1.0 and log at debug")]])
        #expect(await berth(["notes", "--env", "dev"], world).stderr.contains("dev has no releases yet"))
        #expect(await berth(["apply", "--env", "dev", "--yes"], world, revision: revision).status == 0)
        let first = await berth(["notes", "--env", "dev", "--format", "json"], world)
        #expect(first.status == 0, "\(first.stderr)")
        let nothing = try json(first.stdout)
        #expect(nothing["from"] is NSNull && nothing["to"] as? Int == 1)
        #expect(nothing["services_added"] as? [String] == ["web"])

        try await secondRelease(world, undo: true)
        revision.head.withLock { $0 = "c2" }
        #expect(await berth(["apply", "--env", "dev", "--yes"], world, revision: revision).status == 0)
        let releases = try world.store.releases(environment: "shop/dev", limit: 5)
        #expect(releases.map(\.number) == [2, 1])
        let (one, two) = (releases[1].manifest, releases[0].manifest)
        let hash = (before: try #require(one.configs.first?.sha256), after: try #require(two.configs.first?.sha256))
        #expect(hash.before != hash.after)

        let notes = await berth(["notes", "--env", "dev", "--format", "json"], world, revision: revision)
        #expect(notes.status == 0, "\(notes.stderr)")
        let document = try json(notes.stdout)
        #expect(document["format_version"] as? String == "1")
        #expect(document["environment"] as? String == "dev")
        #expect(document["from"] as? Int == 1 && document["to"] as? Int == 2)
        #expect(document["services_added"] as? [String] == [] && document["services_removed"] as? [String] == [])
        let images = try #require(document["images"] as? [[String: String]])
        #expect(images == [[
            "service": "web", "before": SessionWorld.webImage, "after": Self.newImage, "before_id": "sha256:1", "after_id": Self.newImageID,
        ]])
        #expect(document["configs"] as? [[String: String]] == [["name": "app", "before": hash.before, "after": hash.after]])
        #expect(document["migrations"] as? [[String: String]] == [["version": "2", "description": "add customers", "change": "applied"]])
        #expect(document["commits"] as? [[String: String]] == [["id": "c2", "subject": "Bump web to 1.1.0 and log at debug"]])
        #expect(document["applied_by"] as? String == world.owner.description)

        let markdown = await berth(["notes", "--env", "dev"], world, revision: revision)
        #expect(markdown.status == 0)
        #expect(markdown.stdout == """
            ## dev: release 1 → 2

            Applied by \(world.owner.description) at \(ISO8601DateFormatter().string(from: releases[0].createdAt)).

            ### Images

            - `web`: `localhost/web:1.0.0` (`1`) → `localhost/web:1.1.0` (`2bc4e6f8a0b2`)

            ### Config files

            - `app`: `\(hash.before.prefix(12))` → `\(hash.after.prefix(12))`

            ### Migrations

            - Applied 2: add customers

            ### Commits

            - `c2` Bump web to 1.1.0 and log at debug

            """)

        // Explicit releases, backwards: what a rollback to 1 would take away.
        let backwards = try json(await berth(["notes", "--env", "dev", "--from", "2", "--to", "1", "--format", "json"], world).stdout)
        #expect(backwards["migrations"] as? [[String: String]] == [["version": "2", "description": "add customers", "change": "undone"]])
        let unknown = await berth(["notes", "--env", "dev", "--to", "9"], world)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("dev has no release 9: its releases are 1 to 2"), "\(unknown.stderr)")
        #expect(unknown.stdout.isEmpty)
        #expect(await berth(["notes", "--env", "dev", "--from", "0"], world).status == 1)

        // A rollback is a release: its notes take back the image, the config and the migration.
        #expect(await berth(["rollback", "--env", "dev", "--yes"], world, revision: revision).status == 0)
        let rolledBack = try json(await berth(["notes", "--env", "dev", "--format", "json"], world, revision: revision).stdout)
        #expect(rolledBack["from"] as? Int == 2 && rolledBack["to"] as? Int == 3)
        #expect(rolledBack["summary"] as? String == "rollback of 2 to 1")
        #expect(rolledBack["images"] as? [[String: String]] == [[
            "service": "web", "before": Self.newImage, "after": SessionWorld.webImage, "before_id": Self.newImageID, "after_id": "sha256:1",
        ]])
        #expect(rolledBack["configs"] as? [[String: String]] == [["name": "app", "before": hash.after, "after": hash.before]])
        #expect(rolledBack["migrations"] as? [[String: String]] == [["version": "2", "description": "add customers", "change": "undone"]])
    }

    @Test("no secret's value in plan's way back or in release notes, as text or JSON")
    func noSecretInRollbackOrNotes() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try await secondRelease(world)
        world.variables.withLock { $0["SESSION_TOKEN"] = "a-rotated-secret-value" }
        var outputs: [CommandsOnDoublesTests.Output] = []
        outputs.append(await berth(["plan", "--env", "dev", "--no-color"], world))
        outputs.append(await berth(["plan", "--env", "dev", "--json"], world))
        #expect(rollbackLines(outputs[0].stdout).count == 4, "\(outputs[0].stdout)")
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        outputs.append(await berth(["notes", "--env", "dev"], world))
        outputs.append(await berth(["notes", "--env", "dev", "--format", "json"], world))
        outputs.append(await berth(["releases", "--env", "dev", "--json"], world))
        for output in outputs {
            for secret in [SessionWorld.secret, "a-rotated-secret-value"] {
                #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret), "\(output.stdout)")
            }
        }
        #expect(outputs[3].stdout.contains("\"configs\""))
    }
}
