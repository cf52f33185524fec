import BerthDatabase
import BerthTestSupport
import Foundation
import Testing

@Suite struct SQLiteDatabaseTests {
    @Test("creates the file and its parent folders")
    func createsFolders() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-sqlite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a/b/state.sqlite"
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE t (n INTEGER)")
        database.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("opening a missing file read-only is .notFound and creates nothing")
    func readOnlyMissing() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-sqlite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/missing/state.sqlite"
        let error = #expect(throws: DatabaseError.self) { try SQLiteDatabase(path: path, readOnly: true) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains(path) == true)
        #expect(BerthProcess.snapshot(folder).isEmpty)
    }

    @Test("a read-only connection reads and refuses to write")
    func readOnly() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-sqlite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state.sqlite"
        let writer = try SQLiteDatabase(path: path)
        try writer.execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1)")
        writer.close()

        let reader = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try reader.tableExists("t"))
        #expect(try reader.query("SELECT n FROM t").map { $0.int("n") } == [1])
        let error = #expect(throws: DatabaseError.self) { try reader.execute("INSERT INTO t VALUES (2)") }
        #expect(error?.message.contains("readonly") == true)
        try reader.transaction { _ = try reader.query("SELECT n FROM t") }
    }

    @Test("a file that is not a database fails to open")
    func notADatabase() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-sqlite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state.sqlite"
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DatabaseError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == .connection)
        #expect(error?.message.contains("not a database") == true)
    }

    @Test("keeps reals and binds every kind of value")
    func values() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        let row = try #require(try database.query("SELECT ?1 AS r, ?2 AS i, ?3 AS t, ?4 AS z", [2.5, 42, "x", .null]).first)
        #expect(row.values == [.real(2.5), .integer(42), .text("x"), .null])
        #expect(try database.query("SELECT ?1 AS n", [.text("")]).first?["n"] == .text(""))
    }

    @Test("enforces foreign keys")
    func foreignKeys() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        try database.execute(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id))")
        let error = #expect(throws: DatabaseError.self) { try database.execute("INSERT INTO child VALUES (1)") }
        #expect(error?.code == .constraint)
    }
}
