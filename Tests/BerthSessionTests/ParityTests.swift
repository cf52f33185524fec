import Testing
import BerthModel
import BerthSession

/// `Parity.differences`: a pure comparison of two environments' sides.
@Suite struct ParityTests {
    func versions(_ texts: String...) -> Set<MigrationVersion> { Set(texts.compactMap(MigrationVersion.init)) }

    func side(
        _ name: String, web: ParitySide.Image = .init(reference: "localhost/web:1.2.0", ids: ["sha256:aaaaaaaaaaaaaaaa"]),
        config: String = "c0ffee", migrations: Set<MigrationVersion>? = nil, ignore: [String] = []
    ) -> ParitySide {
        ParitySide(
            name: name, images: ["web": web, "worker": .init(reference: "localhost/worker:3")], configs: ["app-env": config],
            migrations: migrations ?? versions("1", "2"), ignore: ignore
        )
    }

    func lines(_ differences: [ParityDifference]) -> [String] {
        differences.map { "\($0.resource) \($0.kind): \($0.detail)" }
    }

    @Test("two sides that run the same are in parity")
    func same() {
        #expect(Parity.differences(side("staging"), with: side("production")).isEmpty)
    }

    @Test("an image behind is told by its image id, with the references")
    func imageBehind() {
        let behind = ParitySide.Image(reference: "localhost/web:1.1.0", ids: ["sha256:bbbbbbbbbbbbbbbb"])
        #expect(lines(Parity.differences(side("dr", web: behind), with: side("production"))) == [
            "service:web image: image id differs: dr runs image bbbbbbbbbbbb (declared localhost/web:1.1.0), production runs image aaaaaaaaaaaa (declared localhost/web:1.2.0)",
        ])
    }

    @Test("the same tag built twice differs by id; another tag of the same id does not")
    func imageByID() {
        let rebuilt = ParitySide.Image(reference: "localhost/web:1.2.0", ids: ["sha256:cccccccccccccccc"])
        #expect(Parity.differences(side("dr", web: rebuilt), with: side("production")).map(\.kind) == ["image"])
        let retagged = ParitySide.Image(reference: "localhost/web:stable", ids: ["sha256:aaaaaaaaaaaaaaaa"])
        #expect(Parity.differences(side("dr", web: retagged), with: side("production")).isEmpty)
    }

    @Test("where no container runs, the declared references are compared")
    func imageUnobserved() {
        let declared = ParitySide.Image(reference: "localhost/web:1.2.0")
        #expect(Parity.differences(side("dr", web: declared), with: side("production")).isEmpty)
        let other = ParitySide.Image(reference: "localhost/web:1.3.0")
        #expect(lines(Parity.differences(side("dr", web: other), with: side("production"))) == [
            "service:web image: image differs: dr localhost/web:1.3.0 (not running), production localhost/web:1.2.0 (aaaaaaaaaaaa)",
        ])
    }

    @Test("a config whose content differs, and one only on one side")
    func configs() {
        var dr = side("dr", config: "0123456789abcdef0123")
        dr.configs["extra"] = "ff"
        #expect(lines(Parity.differences(dr, with: side("production"))) == [
            "config:app-env config: content differs: dr sha256:0123456789ab, production sha256:c0ffee",
            "config:extra config: only in dr",
        ])
    }

    @Test("a migration missing on one side, and a service only on the other")
    func migrationsAndServices() {
        var production = side("production", migrations: versions("1", "2", "3"))
        production.images["api"] = .init(reference: "localhost/api:1")
        #expect(lines(Parity.differences(side("dr", migrations: versions("01", "2")), with: production)) == [
            "service:api service: only in production",
            "migration:3 migration: applied in production, not in dr",
        ])
    }

    @Test("ignore entries of either side drop differences by kind or by resource")
    func ignoreRules() {
        let behind = ParitySide.Image(reference: "localhost/web:1.1.0", ids: ["sha256:bbbb"])
        let dr = side("dr", web: behind, config: "ff", migrations: versions("1"))
        #expect(Parity.differences(dr, with: side("production")).map(\.resource) == ["service:web", "config:app-env", "migration:2"])
        #expect(Parity.differences(side("dr", web: behind, config: "ff", migrations: versions("1"), ignore: ["image", "migration:0002"]), with: side("production"))
            .map(\.resource) == ["config:app-env"])
        #expect(Parity.differences(dr, with: side("production", ignore: ["service:web", "config", "migration"])).isEmpty)
        #expect(Parity.differences(dr, with: side("production", ignore: ["config:other", "migration:3"])).count == 3)
    }
}
