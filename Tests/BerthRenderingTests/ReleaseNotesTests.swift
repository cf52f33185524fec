import Foundation
import Testing
import BerthCore
import BerthModel
import BerthRendering

/// Release notes: what changed between two manifests, as Markdown and JSON.
@Suite struct ReleaseNotesTests {
    static let day = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01T00:00:00Z

    func release(
        _ number: Int, services: [ReleaseManifest.Service], configs: [ReleaseManifest.ConfigFile] = [],
        migrations: [ReleaseManifest.Migration] = [], commit: String? = nil, summary: String = "apply"
    ) -> Release {
        let manifest = ReleaseManifest(services: services, configs: configs, migrations: migrations)
        return Release(
            number: number, digest: manifest.digest, createdAt: Self.day, by: "ada@build-7 (pid 42)", status: .current, commit: commit,
            parent: number > 1 ? number - 1 : nil, summary: summary, manifest: manifest
        )
    }

    func service(_ name: String, _ image: String, _ id: String?) -> ReleaseManifest.Service {
        ReleaseManifest.Service(name: name, image: image, imageID: id, specHash: "spec-\(name)-\(image)", replicas: 1)
    }

    func config(_ name: String, _ sha256: String) -> ReleaseManifest.ConfigFile {
        ReleaseManifest.ConfigFile(name: name, target: "/srv/\(name)", mode: 0o640, sha256: sha256)
    }

    func migration(_ version: String, _ description: String) -> ReleaseManifest.Migration {
        ReleaseManifest.Migration(version: version, description: description, checksum: "sum-\(version)")
    }

    var two: (Release, Release) {
        let one = release(
            1, services: [service("web", "localhost/web:1.0.0", "sha256:aaaaaaaaaaaaaaaa"), service("cron", "localhost/cron:1", "sha256:cccc")],
            configs: [config("app", "1111111111111111"), config("same", "5555")],
            migrations: [migration("1", "init"), migration("2", "add orders")], commit: "c1"
        )
        let two = release(
            2,
            services: [
                service("web", "localhost/web:1.1.0", "sha256:bbbbbbbbbbbbbbbb"), service("worker", "localhost/worker:2", nil),
            ],
            configs: [config("app", "2222222222222222"), config("same", "5555"), config("new", "3333")],
            migrations: [migration("0001", "init"), migration("3", "add customers")], commit: "c2"
        )
        return (one, two)
    }

    @Test("the notes between two releases name every change and nothing that stayed")
    func between() {
        let (one, two) = two
        let notes = ReleaseNotes.between(one, two, environment: "production", commits: [ReleaseNotes.Commit(id: "c2", subject: "Bump web")])
        #expect(notes.from == 1 && notes.to == 2)
        #expect(notes.servicesAdded == ["worker"])
        #expect(notes.servicesRemoved == ["cron"])
        #expect(notes.images == [
            ReleaseNotes.ImageChange(service: "cron", before: "localhost/cron:1", after: nil, beforeID: "sha256:cccc", afterID: nil),
            ReleaseNotes.ImageChange(
                service: "web", before: "localhost/web:1.0.0", after: "localhost/web:1.1.0", beforeID: "sha256:aaaaaaaaaaaaaaaa",
                afterID: "sha256:bbbbbbbbbbbbbbbb"
            ),
            ReleaseNotes.ImageChange(service: "worker", before: nil, after: "localhost/worker:2", beforeID: nil, afterID: nil),
        ])
        #expect(notes.configs == [
            ReleaseNotes.ConfigChange(name: "app", before: "1111111111111111", after: "2222222222222222"),
            ReleaseNotes.ConfigChange(name: "new", before: nil, after: "3333"),
        ])
        // 0001 is version 1, already applied.
        #expect(notes.migrations == [
            ReleaseNotes.MigrationChange(version: "2", description: "add orders", change: .undone),
            ReleaseNotes.MigrationChange(version: "3", description: "add customers", change: .applied),
        ])
        #expect(notes.appliedBy == "ada@build-7 (pid 42)" && notes.appliedAt == Self.day)
        #expect(!notes.isEmpty)
    }

    @Test("an image rebuilt under the same tag is a change; an image ID one side did not observe is not")
    func imageIDs() {
        let one = release(1, services: [service("web", "localhost/web:1", "sha256:aaaa"), service("api", "localhost/api:1", nil)])
        let two = release(2, services: [service("web", "localhost/web:1", "sha256:bbbb"), service("api", "localhost/api:1", "sha256:dddd")])
        #expect(ReleaseNotes.between(one, two, environment: "dev").images.map(\.service) == ["web"])
        #expect(ReleaseNotes.between(two, two, environment: "dev").isEmpty)
    }

    @Test("the first release's notes start from nothing: everything in it is added")
    func first() {
        let (one, _) = two
        let notes = ReleaseNotes.between(nil, one, environment: "dev")
        #expect(notes.from == nil)
        #expect(notes.servicesAdded == ["cron", "web"])
        #expect(notes.configs.map(\.name) == ["app", "same"])
        #expect(notes.migrations.map(\.change) == [.applied, .applied])
        #expect(ReleaseNotesView(notes).markdown().hasPrefix("## dev: release 1 (the first)\n"))
    }

    @Test("Markdown has a heading with the environment and releases, and a section only for what changed")
    func markdown() {
        let (one, two) = two
        let notes = ReleaseNotes.between(one, two, environment: "production", commits: [ReleaseNotes.Commit(id: "c2", subject: "Bump web")])
        #expect(ReleaseNotesView(notes).markdown() == """
            ## production: release 1 → 2

            Applied by ada@build-7 (pid 42) at 2026-12-01T00:00:00Z.

            ### Services added

            - `worker`: `localhost/worker:2`

            ### Services removed

            - `cron` (was `localhost/cron:1` (`cccc`))

            ### Images

            - `web`: `localhost/web:1.0.0` (`aaaaaaaaaaaa`) → `localhost/web:1.1.0` (`bbbbbbbbbbbb`)

            ### Config files

            - `app`: `111111111111` → `222222222222`
            - `new`: (none) → `3333`

            ### Migrations

            - Undone 2: add orders
            - Applied 3: add customers

            ### Commits

            - `c2` Bump web

            """)
        var quiet = ReleaseNotes.between(two, two, environment: "production")
        quiet.summary = "rollback of 3 to 2"
        #expect(ReleaseNotesView(quiet).markdown() == """
            ## production: release 2 → 2

            Applied by ada@build-7 (pid 42) at 2026-12-01T00:00:00Z (rollback of 3 to 2).

            Nothing changed.

            """)
    }

    @Test("the JSON has the contract's keys, null for a side that has nothing")
    func json() throws {
        let (one, two) = two
        let text = ReleaseNotesView(ReleaseNotes.between(one, two, environment: "production")).json().jsonText()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(document["format_version"] as? String == "1")
        #expect(document["environment"] as? String == "production")
        #expect(document["from"] as? Int == 1 && document["to"] as? Int == 2)
        #expect(document["services_added"] as? [String] == ["worker"])
        #expect(document["services_removed"] as? [String] == ["cron"])
        let images = try #require(document["images"] as? [[String: Any]])
        #expect(images.count == 3)
        #expect(images[1]["before_id"] as? String == "sha256:aaaaaaaaaaaaaaaa")
        #expect(images[2]["before"] is NSNull)
        let configs = try #require(document["configs"] as? [[String: Any]])
        #expect(configs[1]["name"] as? String == "new" && configs[1]["before"] is NSNull && configs[1]["after"] as? String == "3333")
        let migrations = try #require(document["migrations"] as? [[String: Any]])
        #expect(migrations.map { $0["change"] as? String } == ["undone", "applied"])
        #expect(migrations.map { $0["description"] as? String } == ["add orders", "add customers"])
        #expect((document["commits"] as? [Any])?.isEmpty == true)
        #expect(document["applied_by"] as? String == "ada@build-7 (pid 42)")
        #expect(document["applied_at"] as? String == "2026-12-01T00:00:00Z")
    }
}
