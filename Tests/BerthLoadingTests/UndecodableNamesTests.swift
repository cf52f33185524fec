import Foundation
import Glibc
import Testing
import BerthCore
import BerthLoading

/// A file name that is not UTF-8 text (a name saved as Latin-1 elsewhere) is listed under its own bytes
/// and named with `\xHH` escapes: never silently skipped, never turned into another name that then
/// "does not exist".
@Suite struct UndecodableNamesTests {
    /// A project folder on disk with `files`, each named by its path's bytes.
    func project(_ files: [[UInt8]: String], links: [[UInt8]: [UInt8]] = [:]) throws -> String {
        let root = NSTemporaryDirectory() + "berth-names-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: root + "/environments/migrations", withIntermediateDirectories: true)
        for (path, text) in files {
            let fd = open(Self.cPath(root, path), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try #require(fd >= 0)
            _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        for (path, target) in links {
            #expect(symlink(target.map { CChar(bitPattern: $0) } + [0], Self.cPath(root, path)) == 0)
        }
        return root
    }

    static func cPath(_ root: String, _ relative: [UInt8]) -> [CChar] {
        (Array(root.utf8) + [UInt8(ascii: "/")] + relative).map { CChar(bitPattern: $0) } + [0]
    }

    /// `text` with `é` as the single Latin-1 byte 0xE9.
    static func latin1(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    static let web = "services:\n  web:\n    image: localhost/web:1\n"

    @Test("the folder lists a name under its real bytes")
    func listing() throws {
        let root = try project([Self.latin1("environments/dév.yaml"): Self.web])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let names = try LocalFileSystem().contentsOfDirectory(atPath: root + "/environments")
        #expect(names.map(\.description) == [#"d\xE9v.yaml"#, "migrations"])
        #expect(names.first?.bytes == Self.latin1("dév.yaml"))
    }

    @Test("an environment file whose name is not UTF-8 text is an error naming it, and the others load")
    func environment() throws {
        let root = try project([Self.latin1("environments/dév.yaml"): Self.web, Array("environments/dev.yaml".utf8): Self.web])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let real = ProjectLoader(project: root, currentDirectory: "/")
        #expect(try real.environmentNames() == ["dev"])
        let results = try real.loadAll()
        // In the order of the names' bytes, as the folder lists them.
        #expect(results.map(\.name) == ["dev", #"d\xE9v"#])
        #expect(results.first?.environment != nil)
        let misnamed = try #require(results.last)
        #expect(misnamed.environment == nil)
        #expect(misnamed.file == root + #"/environments/d\xE9v.yaml"#)
        #expect(misnamed.diagnostics.map(\.description) == [
            root + #"/environments/d\xE9v.yaml:1:1: error: the file's name is not UTF-8 text, and an environment is named by its file: rename it (lowercase letters, digits, '-' and '_')"#,
        ])
    }

    @Test("a .yml file whose name is not UTF-8 text is warned about by its escaped name")
    func ymlFile() throws {
        let root = try project([Self.latin1("environments/dév.yml"): Self.web, Array("environments/dev.yaml".utf8): Self.web])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try ProjectLoader(project: root, currentDirectory: "/").load("dev").diagnostics.map(\.message) == [
            #"only .yaml files are read: this file is ignored; rename it to d\xE9v.yaml"#,
        ])
    }

    static let withDatabase = """
        services:
          web:
            image: localhost/web:1
            configs: [app]
        configs:
          files:
            app:
              template: café.conf
              target: app.conf
        database:
          url: sqlite:.berth/app.sqlite
          migrations: migrations
        """

    @Test("a migration whose name is not UTF-8 text is an error naming it; other files stay ignored")
    func migration() throws {
        let root = try project([
            Array("environments/dev.yaml".utf8): Self.withDatabase.replacingOccurrences(of: "café", with: "app"),
            Array("environments/app.conf".utf8): "x",
            Array("environments/migrations/V1__init.sql".utf8): "select 1;",
            Self.latin1("environments/migrations/V2__café.sql"): "select 2;",
            Self.latin1("environments/migrations/notés.txt"): "",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try ProjectLoader(project: root, currentDirectory: "/").load("dev").diagnostics.map(\.message) == [
            #"database.migrations: the name 'V2__caf\xE9.sql' is not UTF-8 text; rename it V<version>__<description>.sql"#,
        ])
    }

    @Test("a template that is missing names the files beside it whose names are not UTF-8 text")
    func missingTemplate() throws {
        let root = try project([
            Array("environments/dev.yaml".utf8): Self.withDatabase,
            Self.latin1("environments/café.conf"): "x",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try ProjectLoader(project: root, currentDirectory: "/").load("dev").diagnostics.map(\.message) == [
            "configs.files.app.template: the template 'café.conf' does not exist (\(root)/environments/café.conf); \(root)/environments/ holds a name that is not UTF-8 text, which no YAML file can name: caf\\xE9.conf; rename the one meant",
        ])
    }

    @Test("a template linked to a file whose name is not UTF-8 text is read through the link; a dangling one names its target escaped")
    func linkedTemplate() throws {
        let dev = Array("environments/dev.yaml".utf8)
        let text = Self.withDatabase.replacingOccurrences(of: "café", with: "app")
        let link = Array("environments/app.conf".utf8)
        let found = try project([dev: text, Self.latin1("environments/café.conf"): "x"], links: [link: Self.latin1("café.conf")])
        defer { try? FileManager.default.removeItem(atPath: found) }
        #expect(try ProjectLoader(project: found, currentDirectory: "/").load("dev").diagnostics.map(\.message) == [])

        let dangling = try project([dev: text], links: [link: Self.latin1("gone-café.conf")])
        defer { try? FileManager.default.removeItem(atPath: dangling) }
        #expect(try ProjectLoader(project: dangling, currentDirectory: "/").load("dev").diagnostics.map(\.message) == [
            "configs.files.app.template: the template 'app.conf' is a symbolic link to gone-caf\\xE9.conf, which does not exist (\(dangling)/environments/app.conf)",
        ])
    }
}
