import BerthApply
import BerthCore
import BerthDatabase
import BerthModel
import BerthTestSupport
import Foundation
import Testing

/// The host's backup driver against real SQLite and (when `BERTH_TEST_POSTGRES_URL` is set) a real
/// PostgreSQL with pg_dump, pg_restore and psql: private files, right hashes, exact restores.
@Suite struct LocalBackupDriverTests {
    static let setUp = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), total INTEGER NOT NULL);
        CREATE INDEX orders_by_customer ON orders (customer_id);
        """
    /// What a later migration and the application do after the backup.
    static let later = """
        ALTER TABLE customers ADD COLUMN email TEXT;
        CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id));
        INSERT INTO items (id, order_id) VALUES (1, 1);
        DELETE FROM orders WHERE id > 150;
        UPDATE customers SET name = 'changed';
        """
    static let laterOnPostgres = later + """
        CREATE TYPE mood AS ENUM ('calm', 'busy');
        CREATE SCHEMA reports;
        CREATE VIEW reports.totals AS SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
        CREATE SEQUENCE tickets;
        """

    let driver = LocalBackupDriver(variables: ProcessInfo.processInfo.environment)

    static func fill(_ database: any SQLDatabase) throws {
        try database.execute(setUp)
        try database.begin()
        for id in 1...40 { _ = try database.query("INSERT INTO customers (id, name) VALUES (\(id), 'customer \(id)')") }
        for id in 1...200 { _ = try database.query("INSERT INTO orders (id, customer_id, total) VALUES (\(id), \(id % 40 + 1), \(id * 7))") }
        try database.commit()
    }

    /// Schema (and on PostgreSQL `pg_dump --schema-only`) and every row, in order.
    static func snapshot(_ target: MigratorDatabase) throws -> [String] {
        let database = try target.connect()
        defer { database.close() }
        var lines = try target.schema(database)
        for table in ["customers", "orders"] {
            lines += try database.query("SELECT * FROM \(table) ORDER BY id").map { $0.values.map(\.description).joined(separator: "|") }
        }
        if case .postgres(let url, _) = target.location { lines += try schemaDump(url, password: target.secrets["database-password"]) }
        return lines
    }

    /// `pg_dump --schema-only`, without the random `\restrict` keys of newer pg_dump releases.
    static func schemaDump(_ url: String, password: String?) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pg_dump", "--schema-only", "--no-password", "--dbname=\(url)"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a backup is a private file with the recorded hash and size; a restore brings back the schema and every row", arguments: MigratorDatabase.backends)
    func backupAndRestore(backend: MigratorDatabase.Backend) async throws {
        try await MigratorDatabase.withFresh(backend) { target in
            let folder = TemporaryDirectory.make(prefix: "berth-backup")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let root = folder + "/backups/dev"
            let password = target.secrets["database-password"]
            do {
                let database = try target.connect()
                defer { database.close() }
                try Self.fill(database)
            }
            let before = try Self.snapshot(target)

            try driver.prepare(folder: root)
            #expect(try Self.mode(root) == 0o700)
            let path = root + (backend == .sqlite ? "/r1-database.sqlite" : "/r1-database.dump")
            let stored = try #require(try driver.backupDatabase(target.location, password: password, to: path))
            #expect(try Self.mode(path) == 0o600)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(stored == StoredFile(sha256: SHA256.hex(bytes), size: bytes.count))
            #expect(driver.inspect(path) == stored)
            #expect(bytes.starts(with: Array((backend == .sqlite ? "SQLite format 3" : "PGDMP").utf8)))

            do {
                let database = try target.connect()
                defer { database.close() }
                try database.execute(backend == .sqlite ? Self.later : Self.laterOnPostgres)
            }
            #expect(try Self.snapshot(target) != before)

            try driver.restoreDatabase(target.location, password: password, from: path)
            #expect(try Self.snapshot(target) == before)
            // The backup is untouched, and nothing is left beside it.
            #expect(driver.inspect(path) == stored)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root) == [Paths.fileName(of: path)])
            if case .sqlite(let file) = target.location {
                #expect(try FileManager.default.contentsOfDirectory(atPath: Paths.directory(of: file)) == ["app.sqlite"])
            }
        }
    }

    @Test("a SQLite backup taken while another connection writes holds one committed state")
    func sqliteWhileWriting() async throws {
        let folder = TemporaryDirectory.make(prefix: "berth-backup")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/app.sqlite"
        let setup = try SQLiteDatabase(path: file)
        try setup.execute("PRAGMA journal_mode = WAL; CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY)")
        setup.close()
        // Each transaction adds a row to both tables: a consistent copy has as many rows in each.
        let writer = Task.detached {
            try await onThread {
                let database = try SQLiteDatabase(path: file)
                defer { database.close() }
                try database.execute("PRAGMA synchronous = OFF")
                for id in 1...3_000 {
                    try database.execute("BEGIN IMMEDIATE; INSERT INTO a VALUES (\(id)); INSERT INTO b VALUES (\(id)); COMMIT")
                }
            }
        }
        var copies: [String] = []
        for index in 0..<5 {
            let path = folder + "/copy-\(index).sqlite"
            _ = try driver.backupDatabase(.sqlite(path: file), password: nil, to: path)
            copies.append(path)
        }
        try await writer.value
        for path in copies {
            let copy = try SQLiteDatabase(path: path, readOnly: true)
            defer { copy.close() }
            #expect(try copy.query("PRAGMA quick_check").first?.values.first == .text("ok"))
            let a = try copy.query("SELECT count(*) AS n FROM a").first?.int("n")
            let b = try copy.query("SELECT count(*) AS n FROM b").first?.int("n")
            #expect(a == b, "\(path)")
        }
    }

    @Test("a SQLite file that does not exist yet has nothing to back up; a backup never overwrites a file")
    func sqliteEdges() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-backup")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try driver.backupDatabase(.sqlite(path: folder + "/none.sqlite"), password: nil, to: folder + "/x.sqlite") == nil)
        #expect(!FileManager.default.fileExists(atPath: folder + "/none.sqlite"))
        let database = try SQLiteDatabase(path: folder + "/app.sqlite")
        try database.execute("CREATE TABLE t (id INTEGER)")
        database.close()
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/taken.sqlite"))
        #expect(throws: BackupError.self) { try driver.backupDatabase(.sqlite(path: folder + "/app.sqlite"), password: nil, to: folder + "/taken.sqlite") }
        #expect(try String(contentsOfFile: folder + "/taken.sqlite", encoding: .utf8) == "keep me")
        // A file that is not a sound database is never put in place of one.
        #expect(throws: BackupError.self) { try driver.restoreDatabase(.sqlite(path: folder + "/app.sqlite"), password: nil, from: folder + "/taken.sqlite") }
        #expect(try SQLiteDatabase(path: folder + "/app.sqlite", readOnly: true).tableExists("t"))
    }

    @Test("a config's bytes are stored once, mode 0600; the same bytes again leave the file as it is")
    func storeFiles() throws {
        let folder = TemporaryDirectory.make(prefix: "berth-backup")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = Array("TOKEN=secret\n".utf8)
        let path = folder + "/backups/configs/" + SHA256.hex(bytes)
        let stored = try driver.store(bytes, at: path)
        #expect(stored == StoredFile(bytes))
        #expect(try Self.mode(path) == 0o600)
        #expect(try Self.mode(Paths.directory(of: path)) == 0o700)
        let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        #expect(try driver.store(bytes, at: path) == stored)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == inode)
    }

    @Test("PostgreSQL: a refused login says why and names no password; no file is left", .enabled(if: MigratorDatabase.hasPostgres))
    func wrongPassword() async throws {
        try await MigratorDatabase.withFresh(.postgres) { (target: MigratorDatabase) async throws in
            let folder = TemporaryDirectory.make(prefix: "berth-backup")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let password = "wrong-\(UUID().uuidString)"
            let error = #expect(throws: BackupError.self) {
                try driver.backupDatabase(target.location, password: password, to: folder + "/r1-database.dump")
            }
            #expect(error?.message.contains("password authentication failed") == true, "\(String(describing: error))")
            #expect(error?.message.contains(password) == false)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }

    @Test("PostgreSQL: a file that is not an archive is refused and the database is left as it is", .enabled(if: MigratorDatabase.hasPostgres))
    func notAnArchive() async throws {
        try await MigratorDatabase.withFresh(.postgres) { target in
            let folder = TemporaryDirectory.make(prefix: "berth-backup")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            do {
                let database = try target.connect()
                defer { database.close() }
                try Self.fill(database)
            }
            let before = try Self.snapshot(target)
            try Data("not a dump".utf8).write(to: URL(fileURLWithPath: folder + "/r1-database.dump"))
            #expect(throws: BackupError.self) {
                try driver.restoreDatabase(target.location, password: target.secrets["database-password"], from: folder + "/r1-database.dump")
            }
            #expect(try Self.snapshot(target) == before)
        }
    }
}
