import Foundation
import Testing
@testable import BerthCLI
import BerthModel
import BerthApply
import BerthSession
import BerthTestSupport

/// `plan`'s way back, on the doubles.
extension CommandsOnDoublesTests {
    static let newImage = "localhost/web:1.1.0"
    static let newImageID = "sha256:2bc4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4"

    /// After a first apply: a new image for web, a config value changed, a migration added (with its
    /// undo file when `undo` is set).
    func secondRelease(_ world: SessionWorld, undo: Bool = false) async throws {
        await world.engine.seedImage(reference: Self.newImage, id: Self.newImageID)
        try world.edit("environments/dev.yaml", replacing: "image: \(SessionWorld.webImage)", with: "image: \(Self.newImage)")
        try world.edit("environments/dev.yaml", replacing: "level: info", with: "level: debug")
        try world.write("environments/migrations/V2__add_customers.sql", "CREATE TABLE customers (id INTEGER PRIMARY KEY);\n")
        if undo { try world.write("environments/migrations/U2__add_customers.sql", "DROP TABLE customers;\n") }
    }

    /// The lines of the plan's rollback section.
    func rollbackLines(_ text: String) -> [String] {
        guard let range = text.range(of: "Rollback (how this plan would be undone, last change first):\n") else { return [] }
        return text[range.upperBound...].split(separator: "\n").map(String.init)
    }

    @Test("plan ends with its way back, last change first; a migration without an undo file is marked as data loss")
    func planRollback() async throws {
        let world = try SessionWorld()
        let fresh = await berth(["plan", "--env", "dev", "--no-color"], world)
        #expect(fresh.status == 2, "\(fresh.stderr)")
        let lines = rollbackLines(fresh.stdout)
        #expect(lines.count == 4, "\(fresh.stdout)")
        #expect(lines[0].hasPrefix("  remove           container:web-1  remove shop-dev-web-1-"), "\(fresh.stdout)")
        #expect(lines[0].hasSuffix(": it did not exist before"))
        #expect(lines[1].hasPrefix("  remove-config    config:app       remove \(world.root)/"), "\(fresh.stdout)")
        #expect(lines[2] == "! restore-database migration:1      data loss: no U1__*.sql undoes 1 (init): only the database backup taken before the apply does, and data written after the apply would be lost")
        #expect(lines[3] == "1 step cannot be undone without losing data (marked !).")

        #expect(await berth(["apply", "--env", "dev", "--yes"], world).status == 0)
        let old = try #require(await world.engine.containers.first?.name)
        try await secondRelease(world, undo: true)
        let bump = await berth(["plan", "--env", "dev", "--no-color"], world)
        #expect(bump.status == 2, "\(bump.stderr)")
        let back = rollbackLines(bump.stdout)
        #expect(back.count == 3, "\(bump.stdout)")
        #expect(back[0].hasPrefix("  re-create      container:web-1  remove shop-dev-web-1-"), "\(bump.stdout)")
        #expect(back[0].contains("; re-create \(old) from image 1 (\(SessionWorld.webImage)) with its previous spec "), "\(bump.stdout)")
        #expect(back[1].hasPrefix("  restore-config config:app       restore \(world.root)/"), "\(bump.stdout)")
        #expect(back[1].hasSuffix(") from the backup taken before the apply"))
        #expect(back[2] == "  undo-migration migration:2      run U2__add_customers.sql to undo 2 (add customers)", "\(bump.stdout)")

        let planned = try json(await berth(["plan", "--env", "dev", "--json"], world).stdout)
        let rollback = try #require(planned["rollback"] as? [[String: Any]])
        #expect(rollback.map { $0["resource"] as? String } == ["container:web-1", "config:app", "migration:2"])
        #expect(rollback.map { $0["action"] as? String } == ["re-create", "restore-config", "undo-migration"])
        #expect(rollback.map { $0["data_loss"] as? Bool } == [false, false, false])
        #expect((rollback[2]["detail"] as? String) == "run U2__add_customers.sql to undo 2 (add customers)")

        // Without its undo file, the migration is data loss.
        try FileManager.default.removeItem(atPath: world.root + "/environments/migrations/U2__add_customers.sql")
        let lossy = try json(await berth(["plan", "--env", "dev", "--json"], world).stdout)
        let step = try #require((lossy["rollback"] as? [[String: Any]])?.last)
        #expect(step["action"] as? String == "restore-database" && step["data_loss"] as? Bool == true)
        #expect((step["detail"] as? String)?.contains("database backup taken before the apply") == true)
    }
}
