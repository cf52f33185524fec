import BerthDatabase
import Testing

@Suite struct PostgresDatabaseTests {
    @Test("a wrong password is a .connection error that does not show it", .enabled(if: TestDatabase.hasPostgres))
    func wrongPassword() throws {
        let server = try #require(TestDatabase.postgres)
        let wrong = "wrong-password-7f3a"
        let error = #expect(throws: DatabaseError.self) {
            try PostgresDatabase(url: server.url, password: wrong)
        }
        #expect(error?.code == .connection)
        #expect(error?.description.contains(wrong) == false)
        #expect(error?.description.hasPrefix("cannot connect to \(server.url): ") == true)
        #expect(error?.message.contains("password authentication failed") == true)
    }

    @Test("an unreachable port is a .connection error naming host and port")
    func unreachable() throws {
        let error = #expect(throws: DatabaseError.self) {
            try PostgresDatabase(url: "postgres://berth@127.0.0.1:1/berth", password: "secret-password")
        }
        #expect(error?.code == .connection)
        #expect(error?.description == "cannot connect to postgres://berth@127.0.0.1:1/berth: connection refused")
    }

    @Test("a server that never answers is a .connection error after the connect timeout")
    func timeout() throws {
        let server = try SilentServer()
        let error = #expect(throws: DatabaseError.self) {
            try PostgresDatabase(url: "postgres://berth@127.0.0.1:\(server.port)/berth", password: nil, connectTimeoutSeconds: 2)
        }
        #expect(error?.code == .connection)
        #expect(error?.description == "cannot connect to postgres://berth@127.0.0.1:\(server.port)/berth: timeout expired")
    }

    @Test("a password in the URL is refused without being shown", arguments: [
        "postgres://berth:hunter22@127.0.0.1:1/berth",
        "postgresql://berth@127.0.0.1:1/berth?sslmode=disable&password=hunter22",
    ])
    func passwordInURL(url: String) throws {
        let error = #expect(throws: DatabaseError.self) { try PostgresDatabase(url: url, password: nil) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.description.contains("hunter22") == false)
        #expect(error?.description.contains("berth@127.0.0.1:1/berth") == true)
    }

    @Test("a URL that is not a PostgreSQL URL is refused")
    func notAURL() throws {
        let error = #expect(throws: DatabaseError.self) {
            try PostgresDatabase(url: "mysql://root:hunter22@db/x", password: nil)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.description.contains("hunter22") == false)
    }

    @Test("answers integers as numbers and everything else as text", .enabled(if: TestDatabase.hasPostgres))
    func columnTypes() throws {
        let database = try TestDatabase.connectPostgres()
        let row = try #require(try database.query(
            "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 4.5::numeric AS d, true AS e, NULL::int4 AS f, $1::text AS g",
            ["ü"]
        ).first)
        #expect(row.values == [.integer(1), .integer(2), .integer(3), .text("4.5"), .text("t"), .null, .text("ü")])
        #expect(row.bool("e") == true)
        #expect(try database.query("SELECT $1::float8 AS r", [2.5]).first?.string("r") == "2.5")
    }

    @Test("a commit after a failed statement reports that it rolled back", .enabled(if: TestDatabase.hasPostgres))
    func commitAfterFailure() throws {
        try TestDatabase.withFresh(.postgres) { database in
            try database.execute("CREATE TABLE entry (n INTEGER)")
            try database.begin()
            try database.execute("INSERT INTO entry VALUES (1)")
            #expect(throws: DatabaseError.self) { try database.execute("INSERT INTO missing_table VALUES (1)") }
            let error = #expect(throws: DatabaseError.self) { try database.commit() }
            #expect(error?.message.contains("rolled back") == true)
            #expect(try TestDatabase.count("entry", in: database) == 0)
        }
    }

    @Test("a second connection cannot take a held advisory lock until it is released",
          .enabled(if: TestDatabase.hasPostgres))
    func advisoryLock() throws {
        let key = Int64.random(in: 1...Int64.max)
        let first = try TestDatabase.connectPostgres()
        let second = try TestDatabase.connectPostgres()
        defer {
            first.close()
            second.close()
        }
        #expect(try first.tryAdvisoryLock(key))
        #expect(try second.tryAdvisoryLock(key) == false)
        try first.advisoryUnlock(key)
        #expect(try second.tryAdvisoryLock(key))
        #expect(try first.tryAdvisoryLock(key) == false)
        try second.advisoryUnlock(key)

        let notHeld = #expect(throws: DatabaseError.self) { try first.advisoryUnlock(key) }
        #expect(notHeld?.code == .notFound)
    }

    @Test("closing a connection releases its advisory locks", .enabled(if: TestDatabase.hasPostgres))
    func lockReleasedOnClose() throws {
        let key = Int64.random(in: 1...Int64.max)
        let first = try TestDatabase.connectPostgres()
        #expect(try first.tryAdvisoryLock(key))
        first.close()
        let second = try TestDatabase.connectPostgres()
        defer { second.close() }
        #expect(try second.tryAdvisoryLock(key))
        try second.advisoryUnlock(key)
    }
}
