import Foundation
import Testing
import BerthModel
import BerthDatabase
import BerthObserve
import BerthApply

/// `berth destroy --drop-database`: what Berth owns goes, and nothing else.
@Suite struct DatabaseDropTests {
    @Test("SQLite: the file and its companions go; a file that is not there is fine")
    func sqlite() async throws {
        try await MigratorDatabase.withFresh(.sqlite) { target in
            guard case .sqlite(let path) = target.location else { return }
            let database = try target.connect()
            try database.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
            database.close()
            FileManager.default.createFile(atPath: path + "-wal", contents: Data())
            #expect(FileManager.default.fileExists(atPath: path))
            try DatabaseDrop.dropSQLite(at: path)
            #expect(DatabaseDrop.sqliteFiles(path).allSatisfy { !FileManager.default.fileExists(atPath: $0) })
            try DatabaseDrop.dropSQLite(at: path)
        }
    }

    @Test("PostgreSQL: every object of the current schema and the history table go; another schema stays", .enabled(if: MigratorDatabase.hasPostgres))
    func postgres() async throws {
        try await MigratorDatabase.withFresh(.postgres) { target in
            let database = try target.connect()
            defer { database.close() }
            try database.execute("""
                CREATE TYPE mood AS ENUM ('ok', 'sad');
                CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT, feeling mood);
                CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, customer INTEGER REFERENCES customers (id));
                CREATE VIEW named AS SELECT name FROM customers;
                CREATE MATERIALIZED VIEW counted AS SELECT count(*) AS n FROM orders;
                CREATE SEQUENCE tickets;
                CREATE FUNCTION twice(x INTEGER) RETURNS INTEGER LANGUAGE sql AS 'SELECT x * 2';
                CREATE TYPE span AS RANGE (subtype = integer);
                CREATE FUNCTION add_to(total INTEGER, x INTEGER) RETURNS INTEGER LANGUAGE sql AS 'SELECT total + x';
                CREATE AGGREGATE summed (INTEGER) (sfunc = add_to, stype = INTEGER, initcond = '0');
                CREATE DOMAIN positive AS INTEGER CHECK (VALUE > 0);
                CREATE SCHEMA elsewhere;
                CREATE TABLE elsewhere.kept (id INTEGER);
                """)
            try database.execute(SchemaHistoryTable.createStatement(.postgres))
            try DatabaseDrop.dropPostgres(database)
            let left = try database.query("""
                SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()
                UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()
                UNION ALL SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema()
                """).compactMap { $0.string("name") }
            #expect(left.isEmpty, "\(left)")
            #expect(try database.query("SELECT count(*) AS n FROM elsewhere.kept").first?.int("n") == 0)
            #expect(try await target.history().isEmpty)
        }
    }

    @Test("PostgreSQL: a drop that would take objects of another schema with it is refused, and nothing is dropped",
          .enabled(if: MigratorDatabase.hasPostgres))
    func postgresDependentsElsewhere() async throws {
        for dependent in [
            "CREATE TABLE elsewhere.reports (id INTEGER, feeling public.mood)",
            "CREATE VIEW elsewhere.names AS SELECT name FROM public.customers",
            "CREATE TABLE elsewhere.visits (customer INTEGER REFERENCES public.customers (id))",
        ] {
            try await MigratorDatabase.withFresh(.postgres) { target in
                let database = try target.connect()
                defer { database.close() }
                try database.execute("""
                    CREATE TYPE mood AS ENUM ('ok', 'sad');
                    CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT);
                    CREATE SCHEMA elsewhere;
                    \(dependent);
                    """)
                let error = #expect(throws: DatabaseError.self) { try DatabaseDrop.dropPostgres(database) }
                #expect(error.map { "\($0)" }?.contains("objects of other schemas depend on objects of schema public") == true, "\(dependent)")
                #expect(try database.query("SELECT count(*) AS n FROM public.customers").first?.int("n") == 0, "\(dependent)")
                #expect(try database.query("SELECT count(*) AS n FROM pg_type WHERE typname = 'mood'").first?.int("n") == 1)
            }
        }
    }
}
