import BerthDatabase
import Testing

/// The behaviour both databases share, run against each one the tests can reach.
@Suite struct SQLDatabaseTests {
    @Test("inserts with parameters and reads back nulls, integers and text", arguments: TestDatabase.dialects)
    func roundTrip(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            #expect(database.dialect == dialect)
            try database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, note TEXT, size BIGINT)")
            let p = dialect.placeholder
            let insert = "INSERT INTO item (id, name, note, size) VALUES (\(p(1)), \(p(2)), \(p(3)), \(p(4)))"
            let name = #"it's "quoted" -- ; ünïcødé 🚢 日本"#
            #expect(try database.query(insert, [1, .text(name), .null, .integer(Int64.max)]) == [])
            _ = try database.query(insert, [2, "", "second", .integer(Int64.min)])
            _ = try database.query(insert, [3, .null, .null, .null])

            let rows = try database.query("SELECT id, name, note, size FROM item ORDER BY id", [])
            #expect(rows.map(\.values) == [
                [.integer(1), .text(name), .null, .integer(Int64.max)],
                [.integer(2), .text(""), .text("second"), .integer(Int64.min)],
                [.integer(3), .null, .null, .null],
            ])
            #expect(rows.first?.columns == ["id", "name", "note", "size"])
            #expect(rows.first?.string("name") == name)
            #expect(rows.first?.int("size") == Int64.max)
            #expect(rows.first?.string("note") == nil)
            #expect(rows.first?["missing"] == nil)

            let found = try database.query("SELECT id FROM item WHERE name = \(p(1))", [.text(name)])
            #expect(found.map { $0.int("id") } == [1])
        }
    }

    @Test("reads a comparison as a boolean on both databases", arguments: TestDatabase.dialects)
    func booleans(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            let row = try #require(try database.query("SELECT 1 = 1 AS yes, 1 = 2 AS no").first)
            #expect(row.bool("yes") == true)
            #expect(row.bool("no") == false)
        }
    }

    @Test("runs a script of several statements with comments", arguments: TestDatabase.dialects)
    func script(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.execute(
                """
                -- a migration
                CREATE TABLE step (n INTEGER NOT NULL);
                INSERT INTO step (n) VALUES (1);
                /* two more */
                INSERT INTO step (n) VALUES (2), (3);
                """
            )
            #expect(try TestDatabase.count("step", in: database) == 3)
        }
    }

    @Test("stops a script at its first failing statement", arguments: TestDatabase.dialects)
    func scriptFailure(dialect: SQLDialect) throws {
        // `throws` spelled out: a closure whose every `try` stands inside a macro is not inferred as throwing.
        try TestDatabase.withFresh(dialect) { database throws in
            let error = #expect(throws: DatabaseError.self) {
                try database.execute(
                    "CREATE TABLE first (n INTEGER); INSERT INTO missing_table VALUES (1); CREATE TABLE third (n INTEGER);")
            }
            #expect(error?.code == .statement)
            #expect(error?.message.contains("missing_table") == true)
            #expect(try database.tableExists("third") == false)
            // The connection is still usable.
            #expect(try database.query("SELECT 7 AS n").first?.int("n") == 7)
        }
    }

    @Test("tells whether a table exists", arguments: TestDatabase.dialects)
    func tableExists(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            #expect(try database.tableExists("berth_schema_history") == false)
            try database.execute("CREATE TABLE berth_schema_history (version TEXT PRIMARY KEY)")
            #expect(try database.tableExists("berth_schema_history") == true)
            #expect(try database.tableExists("berth_schema") == false)
            try database.execute("DROP TABLE berth_schema_history")
            #expect(try database.tableExists("berth_schema_history") == false)
        }
    }

    @Test("commits a transaction", arguments: TestDatabase.dialects)
    func transactionCommits(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.execute("CREATE TABLE entry (n INTEGER)")
            let value = try database.transaction {
                try database.execute("INSERT INTO entry VALUES (1); INSERT INTO entry VALUES (2)")
                return "done"
            }
            #expect(value == "done")
            #expect(try TestDatabase.count("entry", in: database) == 2)
        }
    }

    @Test("rolls a transaction back when its body throws, and rethrows", arguments: TestDatabase.dialects)
    func transactionRollsBack(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.execute("CREATE TABLE entry (n INTEGER); INSERT INTO entry VALUES (1)")
            // Written without `#expect(throws:)` around the transaction: that form crashes Swift 6.3.1's
            // SendNonSendable pass.
            var countInside: Int64?
            do {
                try database.transaction {
                    _ = try database.query("INSERT INTO entry VALUES (\(dialect.placeholder(1)))", [2])
                    try database.execute("CREATE TABLE created_inside (n INTEGER)")
                    countInside = try TestDatabase.count("entry", in: database)
                    throw ExpectedFailure()
                }
                Issue.record("the transaction did not rethrow")
            } catch {
                #expect(error is ExpectedFailure)
            }
            #expect(countInside == 2)
            #expect(try TestDatabase.count("entry", in: database) == 1)
            #expect(try database.tableExists("created_inside") == false)
            // Another transaction works afterwards.
            try database.transaction { try database.execute("INSERT INTO entry VALUES (3)") }
            #expect(try TestDatabase.count("entry", in: database) == 2)
        }
    }

    @Test("refuses a nested begin and a commit without a transaction; a stray rollback does nothing",
          arguments: TestDatabase.dialects)
    func transactionMisuse(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.rollback()
            #expect(throws: DatabaseError.self) { try database.commit() }
            try database.begin()
            #expect(throws: DatabaseError.self) { try database.begin() }
            try database.rollback()
        }
    }

    @Test("reports a failing statement with the database's message", arguments: TestDatabase.dialects)
    func statementError(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            let error = #expect(throws: DatabaseError.self) {
                try database.query("SELECT * FROM missing_table WHERE id = \(dialect.placeholder(1))", [1])
            }
            #expect(error?.code == .statement)
            switch dialect {
            case .sqlite:
                #expect(error?.message == "no such table: missing_table")
                #expect(error?.sqlState == nil)
            case .postgres:
                #expect(error?.message == #"relation "missing_table" does not exist"#)
                #expect(error?.sqlState == "42P01")
                #expect(error?.description == #"relation "missing_table" does not exist (SQLSTATE 42P01)"#)
            }
        }
    }

    @Test("reports a violated constraint as .constraint", arguments: TestDatabase.dialects)
    func constraintError(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.execute("CREATE TABLE unique_thing (id INTEGER PRIMARY KEY); INSERT INTO unique_thing VALUES (1)")
            let error = #expect(throws: DatabaseError.self) {
                try database.query("INSERT INTO unique_thing VALUES (\(dialect.placeholder(1)))", [1])
            }
            #expect(error?.code == .constraint)
            if dialect == .postgres { #expect(error?.sqlState == "23505") }
        }
    }

    @Test("a query runs exactly one statement with the right number of parameters", arguments: TestDatabase.dialects)
    func queryMisuse(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            try database.execute("CREATE TABLE once (n INTEGER)")
            let twoStatements = #expect(throws: DatabaseError.self) {
                try database.query("INSERT INTO once VALUES (1); INSERT INTO once VALUES (2)")
            }
            #expect(twoStatements?.code == .statement)
            let p = dialect.placeholder
            let wrongCount = #expect(throws: DatabaseError.self) {
                try database.query("INSERT INTO once VALUES (\(p(1)))", [1, 2])
            }
            #expect(wrongCount?.code == .statement)
            #expect(try TestDatabase.count("once", in: database) == 0)
            // Trailing semicolons and comments are still one statement.
            #expect(try database.query("SELECT 1 AS n; -- done").first?.int("n") == 1)
        }
    }

    @Test("refuses every call after close", arguments: TestDatabase.dialects)
    func closed(dialect: SQLDialect) throws {
        try TestDatabase.withFresh(dialect) { database in
            database.close()
            database.close()
            let error = #expect(throws: DatabaseError.self) { try database.query("SELECT 1") }
            #expect(error?.code == .closed)
            #expect(throws: DatabaseError.self) { try database.execute("SELECT 1") }
        }
    }
}
