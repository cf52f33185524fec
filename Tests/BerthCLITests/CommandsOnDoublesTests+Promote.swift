import Foundation
import Testing
@testable import BerthCLI
import BerthApply
import BerthModel
import BerthTestSupport

/// `berth promote` on the doubles: dev's releases are promoted into staging's file (which writes its
/// images) and preview's (which inherits them from staging through `extends:`).
extension CommandsOnDoublesTests {
    /// dev applied twice (release 2 runs web 1.1.0 and migrations 1 and 2); staging promoted from dev after
    /// a soak of 1h; preview extends staging.
    func promotionWorld() async throws -> SessionWorld {
        let world = try SessionWorld()
        try world.write(
            "environments/staging.yaml",
            "# Staging.\n" + SessionWorld.defaultEnvironment.replacing("18080", with: "18090") + "\npromotion: { from: dev, soak: 1h }\n"
        )
        try world.write("environments/preview.yaml", "extends: staging\n\nservices:\n  web:\n    replicas: 1  # one is enough\n")
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try await secondRelease(world)
        let second = await berth(["apply", "--env", "dev", "--yes"], world)
        #expect(second.status == 0, "\(second.stderr)")
        return world
    }

    func file(_ world: SessionWorld, _ name: String) throws -> String {
        try String(contentsOfFile: world.root + "/environments/\(name).yaml", encoding: .utf8)
    }

    @Test("promote shows the diff of the destination's file, writes it with --write, and a second run has nothing to promote")
    func promoteWrites() async throws {
        let world = try await promotionWorld()
        world.clock.advance(by: .seconds(3_600))
        let before = try file(world, "staging")
        let shown = await berth(["promote", "--from", "dev", "--to", "staging"], world)
        #expect(shown.status == 2, "\(shown.stderr)")
        #expect(shown.stdout.contains("-    image: localhost/web:1.0.0\n+    image: \(Self.newImage)\n"), "\(shown.stdout)")
        #expect(shown.stdout.contains("+  migrate_to: 2\n"), "\(shown.stdout)")
        #expect(try file(world, "staging") == before, "without --write nothing is written")

        let report = try json(await berth(["promote", "--from", "dev", "--to", "staging", "--write", "--json"], world).stdout)
        #expect(report["release"] as? Int == 2 && report["written"] as? Bool == true && report["from"] as? String == "dev")
        let changes = try #require(report["changes"] as? [[String: Any]])
        #expect(changes.first?["service"] as? String == "web" && changes.first?["after"] as? String == Self.newImage)
        #expect(changes.last?["migrate_to"] as? Bool == true && changes.last?["after"] as? String == "2")
        #expect(!(report["diff"] as? [String] ?? []).joined().contains(SessionWorld.secret))
        let expected = before.replacing("image: localhost/web:1.0.0", with: "image: \(Self.newImage)")
            .replacing("\ndatabase:\n", with: "\ndatabase:\n  migrate_to: 2\n")
        let written = try file(world, "staging")
        #expect(written == expected, "\(written)")
        #expect(await berth(["validate"], world).status == 0)
        let rendered = try json(await berth(["render", "--env", "staging", "--json"], world).stdout)
        #expect((rendered["database"] as? [String: Any])?["migrate_to"] as? String == "2")
        #expect((rendered["promotion"] as? [String: Any])?["soak"] as? String == "1h")

        let again = await berth(["promote", "--from", "dev", "--to", "staging", "--write"], world)
        #expect(again.status == 0 && again.stdout.contains("nothing to promote"), "\(again.stdout)\(again.stderr)")
    }

    @Test("an image inherited through extends becomes an override in the destination's file; the base file is not edited")
    func promoteOverride() async throws {
        let world = try await promotionWorld()
        world.clock.advance(by: .seconds(3_600))
        let staging = try file(world, "staging")
        let result = await berth(["promote", "--from", "dev", "--to", "preview", "--write"], world)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(try file(world, "staging") == staging)
        #expect(try file(world, "preview") == """
            extends: staging

            services:
              web:
                image: \(Self.newImage)
                replicas: 1  # one is enough
            database:
              migrate_to: 2

            """)
    }

    @Test("the gates refuse another source and a release that has not soaked (saying when it will); --force --reason is recorded")
    func promoteGates() async throws {
        let world = try await promotionWorld()
        let early = await berth(["promote", "--from", "dev", "--to", "staging"], world)
        #expect(early.status == 1)
        #expect(early.stderr.contains("gate soak: release 2 of dev has run "), "\(early.stderr)")
        #expect(early.stderr.contains("soak; it passes at 20"), "\(early.stderr)")

        try world.write("environments/qa.yaml", "extends: staging\npromotion: { from: preview }\n")
        let wrongSource = await berth(["promote", "--from", "dev", "--to", "qa"], world)
        #expect(wrongSource.status == 1)
        #expect(wrongSource.stderr.contains("gate source: qa is promoted from preview (promotion.from), not from dev"), "\(wrongSource.stderr)")

        let old = await berth(["promote", "--from", "dev", "--to", "preview", "--release", "1"], world)
        #expect(old.status == 1 && old.stderr.contains("gate current: release 1 of dev is not its current release (2 is)"), "\(old.stderr)")

        #expect(await berth(["promote", "--from", "dev", "--to", "staging", "--force"], world).status == 64)
        #expect(await berth(["promote", "--from", "dev", "--to", "staging", "--reason", "why"], world).status == 64)
        let unknown = await berth(["promote", "--from", "uat", "--to", "staging"], world)
        #expect(unknown.status == 1 && unknown.stderr.contains("there is no environment 'uat'"), "\(unknown.stderr)")

        let forced = await berth(["promote", "--from", "dev", "--to", "staging", "--write", "--force", "--reason", "hotfix for the checkout"], world)
        #expect(forced.status == 2, "\(forced.stderr)")
        #expect(forced.stderr.contains("overridden: gate soak"))
        for key in ["shop/staging", "shop/dev"] {
            let event = try world.store.history(environment: key, limit: 10).flatMap(\.actions).first { $0.type == "promote" }
            #expect(event?.detail.contains("forced promotion of release 2 of dev to staging by tester: hotfix for the checkout (overridden: gate soak)") == true, "\(key)")
        }
    }
}

extension CommandsOnDoublesTests {
    @Test("on the example project, staging's release promoted into production adds only the lines of the override and migrate_to")
    func promoteExample() async throws {
        let world = try SessionWorld()
        let environments = world.root + "/environments"
        try FileManager.default.removeItem(atPath: environments)
        try FileManager.default.copyItem(atPath: BerthProcess.packageRoot + "/environments", toPath: environments)
        let web = "localhost/berth-example-web:1.1.0"
        let manifest = ReleaseManifest(
            services: [
                .init(name: "web", image: web, imageID: "sha256:2", specHash: "a", replicas: 2),
                .init(name: "worker", image: "localhost/berth-example-worker:1.0.0", imageID: "sha256:3", specHash: "b", replicas: 1),
            ],
            configs: [],
            migrations: ["1", "2", "3"].map { ReleaseManifest.Migration(version: $0, description: "", checksum: "") }
        )
        _ = try world.store.recordRelease(
            environment: "shop/staging",
            Release(number: 1, digest: manifest.digest, createdAt: world.clock.now, by: "tester", status: .current, manifest: manifest)
        )
        let before = try file(world, "production")
        #expect(await berth(["promote", "--from", "staging", "--to", "production"], world).status == 1, "the soak of an hour")
        world.clock.advance(by: .seconds(3_601))
        let result = await berth(["promote", "--from", "staging", "--to", "production", "--write"], world)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("services.web.image: localhost/berth-example-web:1.0.0 -> \(web)"), "\(result.stdout)")
        #expect(try file(world, "production") == before
            .replacing("  web:\n    replicas: 3\n", with: "  web:\n    image: \(web)\n    replicas: 3\n")
            .replacing("\ndatabase:\n", with: "\ndatabase:\n  migrate_to: 3\n"))
        #expect(try file(world, "base") == String(contentsOfFile: BerthProcess.packageRoot + "/environments/base.yaml", encoding: .utf8))
        let validated = await berth(["validate"], world)
        #expect(validated.status == 0, "\(validated.stderr)")
    }
}

extension CommandsOnDoublesTests {
    @Test("promote --write checks the destination's deployment window; --override-window --reason writes it and is recorded")
    func promoteWindow() async throws {
        let world = try await promotionWorld()
        world.clock.advance(by: .seconds(3_600))
        let staging = try file(world, "staging")
        try world.write("environments/staging.yaml", staging + "\npolicy:\n  windows:\n    - name: no-fridays\n      deny: { days: [fri] }\n")
        let before = try file(world, "staging")
        // A preview changes nothing, so the window does not apply to it.
        #expect(await berth(["promote", "--from", "dev", "--to", "staging"], world).status == 2)
        let refused = await berth(["promote", "--from", "dev", "--to", "staging", "--write"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("closed for changes") && refused.stderr.contains("no-fridays"), "\(refused.stderr)")
        #expect(try file(world, "staging") == before)

        #expect(await berth(["promote", "--from", "dev", "--to", "staging", "--write", "--override-window"], world).status == 64)
        let forced = await berth(["promote", "--from", "dev", "--to", "staging", "--write", "--override-window", "--reason", "hotfix for orders"], world)
        #expect(forced.status == 2, "\(forced.stderr)")
        #expect(try file(world, "staging") != before)
        let history = await berth(["history", "--env", "staging"], world)
        #expect(history.stdout.contains("override-window") && history.stdout.contains("hotfix for orders"), "\(history.stdout)")
    }
}

extension CommandsOnDoublesTests {
    @Test("a site one image behind is out of parity, naming the service; promoted and applied, it is in parity")
    func parityAfterPromotion() async throws {
        let world = try await promotionWorld()
        await world.health.script("127.0.0.1:18090", [.healthy(status: 200)])
        let first = await berth(["apply", "--env", "staging", "--yes"], world)
        #expect(first.status == 0, "\(first.stderr)")
        let behind = await berth(["parity", "--env", "dev", "--with", "staging"], world)
        #expect(behind.status == 2, "\(behind.stdout)\(behind.stderr)")
        #expect(behind.stdout.contains("service:web") && behind.stdout.contains("image"), "\(behind.stdout)")

        world.clock.advance(by: .seconds(3_600))
        #expect(await berth(["promote", "--from", "dev", "--to", "staging", "--write"], world).status == 2)
        let applied = await berth(["apply", "--env", "staging", "--yes"], world)
        #expect(applied.status == 0, "\(applied.stderr)")
        // Its config values differ on purpose (dev's second release changed them): declared as expected.
        try world.write("environments/staging.yaml", try file(world, "staging") + "\nparity: { ignore: [config:app] }\n")
        let same = await berth(["parity", "--env", "dev", "--with", "staging"], world)
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
    }
}

extension CommandsOnDoublesTests {
    @Test("a partial apply's release records the image that runs, not the one the file names; promote refuses it, and a destroy")
    func promotePartialAndDestroyed() async throws {
        let world = try SessionWorld()
        try world.write("environments/staging.yaml", SessionWorld.defaultEnvironment.replacing("18080", with: "18090"))
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try await secondRelease(world)
        let partial = await berth(["apply", "--env", "dev", "--yes", "--target", "migration:2"], world)
        #expect(partial.status == 0, "\(partial.stderr)")
        let release = try #require(try world.store.releases(environment: "shop/dev", limit: 1).first)
        #expect(release.summary == "apply --target migration:2")
        #expect(release.manifest.services.first { $0.name == "web" }?.image == SessionWorld.webImage, "\(release.manifest.services)")

        let refused = await berth(["promote", "--from", "dev", "--to", "staging"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("gate whole: release 2 of dev applied only part of dev (apply --target migration:2)"), "\(refused.stderr)")

        #expect(await berth(["destroy", "--env", "dev", "--yes"], world).status == 0)
        let destroyed = await berth(["promote", "--from", "dev", "--to", "staging"], world)
        #expect(destroyed.status == 1)
        #expect(destroyed.stderr.contains("gate destroy: release 3 of dev took dev down"), "\(destroyed.stderr)")
    }

    @Test("destroy of an environment that applies only approved plans is refused, and changes nothing")
    func destroyNeedsNoApprovalBypass() async throws {
        let world = try SessionWorld(environment: SessionWorld.defaultEnvironment + "\npolicy:\n  approval: required\n")
        let refused = await berth(["destroy", "--env", "dev", "--yes"], world)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("dev applies only approved plans (policy.approval), and berth destroy takes no saved plan"), "\(refused.stderr)")
        #expect(try world.store.history(environment: "shop/dev", limit: 10).isEmpty)
    }
}

extension CommandsOnDoublesTests {
    @Test("a partial apply that replaced one replica records the new version for its service, and its notes say so")
    func partialReleaseOfOneReplica() async throws {
        let world = try SessionWorld()
        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        try await secondRelease(world)
        let partial = await berth(["apply", "--env", "dev", "--yes", "--target", "container:web-1"], world)
        #expect(partial.status == 0, "\(partial.stderr)")
        let releases = try world.store.releases(environment: "shop/dev", limit: 2)
        #expect(releases.map(\.number) == [2, 1])
        #expect(releases[0].manifest.services.first { $0.name == "web" }?.image == Self.newImage, "\(releases[0].manifest.services)")
        #expect(releases[0].digest != releases[1].digest)
        let notes = await berth(["notes", "--env", "dev", "--format", "markdown"], world)
        #expect(notes.stdout.contains(Self.newImage), "\(notes.stdout)")
    }
}
