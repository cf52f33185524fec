import Testing
import BerthModel
import BerthLoading

/// The promotion's editor changes the bytes of one scalar, or adds the fewest lines, and nothing else.
@Suite struct EnvironmentFileEditorTests {
    func edited(_ text: String, _ edits: [EnvironmentFileEditor.Edit], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let bytes = try EnvironmentFileEditor.apply(edits, to: Array(text.utf8), file: "environments/production.yaml")
        return String(decoding: bytes, as: UTF8.self)
    }

    static let production = """
        # Production.
        extends: base

        services:
          web:
            image: "localhost/web:1.0.0"   # pinned
            replicas: 3

          worker:
            image: 'localhost/worker:1.0.0'
          cron:
            image: localhost/cron:1.0.0 # nightly
        database:
          url: postgres://shop@db:5432/shop
          migrate_to: 3

        """

    @Test("a scalar is replaced in place, its quotes kept; comments and blank lines stay byte for byte")
    func replacedInPlace() throws {
        let result = try edited(Self.production, [
            .init(["services", "web", "image"], "localhost/web:1.1.0"),
            .init(["services", "worker", "image"], "localhost/worker:1.1.0"),
            .init(["services", "cron", "image"], "localhost/cron:1.1.0"),
            .init(["database", "migrate_to"], "0004"),
        ])
        // Only the scalars' bytes differ: the same text with the versions replaced.
        #expect(result == Self.production.replacing("1.0.0", with: "1.1.0").replacing("migrate_to: 3", with: "migrate_to: 0004"))
    }

    @Test("an image inherited from the base file becomes an override under its service, indented as the file indents")
    func overrideAdded() throws {
        let text = """
            extends: base
            services:
                web:
                    replicas: 3
                # workers
                worker:
                    replicas: 2
            """
        let result = try edited(text, [
            .init(["services", "web", "image"], "localhost/web:1.1.0"),
            .init(["services", "cron", "image"], "localhost/cron:2"),
        ])
        #expect(result == """
            extends: base
            services:
                cron:
                    image: localhost/cron:2
                web:
                    image: localhost/web:1.1.0
                    replicas: 3
                # workers
                worker:
                    replicas: 2
            """)
    }

    @Test("migrate_to is added under database, or with database at the end when the file writes neither")
    func migrateToAdded() throws {
        let withDatabase = "database:\n  url: sqlite:app.sqlite\n"
        #expect(try edited(withDatabase, [.init(["database", "migrate_to"], "2")]) == "database:\n  migrate_to: 2\n  url: sqlite:app.sqlite\n")
        let without = "extends: base\nservices:\n  web:\n    replicas: 1\n"
        #expect(try edited(without, [.init(["database", "migrate_to"], "1.2")])
            == "extends: base\nservices:\n  web:\n    replicas: 1\ndatabase:\n  migrate_to: \"1.2\"\n")
    }

    @Test("a second run with the same values changes nothing")
    func idempotent() throws {
        let edits: [EnvironmentFileEditor.Edit] = [
            .init(["services", "web", "image"], "localhost/web:1.1.0"), .init(["services", "api", "image"], "localhost/api:7"),
        ]
        let once = try edited(Self.production, edits)
        #expect(once != Self.production)
        #expect(try edited(once, edits) == once)
    }

    @Test("what cannot be edited surely is refused: a flow mapping in the way, a block scalar, an alias")
    func refused() {
        #expect(throws: ValueError.self) {
            try edited("services:\n  web:\n    image: &image x:1\n  worker:\n    image: *image\n", [.init(["services", "worker", "image"], "x:2")])
        }
        #expect(throws: ValueError.self) {
            try edited("services:\n  web: { replicas: 2 }\n", [.init(["services", "web", "image"], "x:1")])
        }
        #expect(throws: ValueError.self) {
            try edited("services:\n  web:\n    image: |\n      x:1\n", [.init(["services", "web", "image"], "x:2")])
        }
    }
}
