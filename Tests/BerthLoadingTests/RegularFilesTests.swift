import Foundation
import Glibc
import Testing
import BerthCore
import BerthLoading

/// Only regular files are read: a named pipe, a folder or a dangling link where a file is expected is an
/// error naming what it is, never a hang and never a misleading "does not exist".
@Suite struct RegularFilesTests {
    /// A project folder on disk with `files`; `pipes`, `folders` and `links` (path -> target) made as such.
    func project(
        _ files: [String: String], pipes: [String] = [], folders: [String] = [], links: [String: String] = [:]
    ) throws -> String {
        let root = NSTemporaryDirectory() + "berth-regular-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: root + "/environments/migrations", withIntermediateDirectories: true)
        for (path, text) in files { try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8) }
        for path in pipes { #expect(mkfifo(root + "/" + path, 0o644) == 0) }
        for path in folders { try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true) }
        for (path, target) in links { try FileManager.default.createSymbolicLink(atPath: root + "/" + path, withDestinationPath: target) }
        return root
    }

    func messages(_ root: String, _ name: String = "dev") throws -> [String] {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try ProjectLoader(project: root, currentDirectory: "/").load(name)
        return result.diagnostics.map(\.message)
    }

    static let dev = """
        project: shop
        services:
          web:
            image: localhost/web:1
            configs:
              - source: app
                target: /etc/app.env
        configs:
          files:
            app:
              template: app.tmpl
              target: app.env
        database:
          url: sqlite:.berth/app.sqlite
          migrations: migrations
        """

    @Test("an environment file or the base it extends that is a named pipe is an error, read without waiting")
    func pipes() throws {
        #expect(try messages(project([:], pipes: ["environments/dev.yaml"])) == ["cannot read the file: is a named pipe, not a file"])
        let extending = try project(["environments/dev.yaml": "extends: base\nproject: shop\n"], pipes: ["environments/base.yaml"])
        let found = try messages(extending)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("extends: ") == true && found.first?.hasSuffix("base.yaml is a named pipe, not a file") == true, "\(found)")
    }

    @Test("a template that is a folder, a pipe or a dangling link says which", arguments: ["folder", "pipe", "link"])
    func templates(kind: String) throws {
        let root = try project(
            ["environments/dev.yaml": Self.dev], pipes: kind == "pipe" ? ["environments/app.tmpl"] : [],
            folders: kind == "folder" ? ["environments/app.tmpl"] : [],
            links: kind == "link" ? ["environments/app.tmpl": "gone.tmpl"] : [:]
        )
        let expected = switch kind {
        case "folder": "is a directory, not a file"
        case "pipe": "is a named pipe, not a file"
        default: "is a symbolic link to gone.tmpl, which does not exist"
        }
        let found = try messages(root)
        #expect(found.contains { $0.hasPrefix("configs.files.app.template: the template 'app.tmpl' \(expected)") }, "\(found)")
    }

    @Test("a migration that is a folder, a pipe or a dangling link is an error, never skipped")
    func migrations() throws {
        let root = try project(
            ["environments/dev.yaml": Self.dev, "environments/app.tmpl": "A=1\n", "environments/migrations/V1__init.sql": "SELECT 1;\n"],
            pipes: ["environments/migrations/V3__pipe.sql"], folders: ["environments/migrations/V2__folder.sql"],
            links: ["environments/migrations/V4__link.sql": "nowhere.sql"]
        )
        let found = try messages(root)
        #expect(found.contains("database.migrations: 'V2__folder.sql' is a directory, not a file"), "\(found)")
        #expect(found.contains("database.migrations: 'V3__pipe.sql' is a named pipe, not a file"), "\(found)")
        #expect(found.contains("database.migrations: 'V4__link.sql' is a symbolic link to nowhere.sql, which does not exist"), "\(found)")
    }

    @Test("reading a named pipe fails at once instead of waiting for a writer")
    func readPipe() throws {
        let root = try project([:], pipes: ["environments/x"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let error = #expect(throws: FileSystemError.self) { try LocalFileSystem().readFile(atPath: root + "/environments/x") }
        #expect(error?.reason == "is a named pipe, not a file")
        #expect(LocalFileSystem().entryKind(atPath: root + "/environments/x") == .namedPipe)
        #expect(LocalFileSystem().entryKind(atPath: root + "/environments/none") == .missing)
    }
}
