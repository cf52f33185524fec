import Testing
import BerthDatabase

/// What Berth asks of pg_dump, pg_restore and psql, built purely: no server, no program run.
@Suite struct PostgresToolsTests {
    static let berthTables = ["berth_locks", "berth_applies", "berth_apply_actions", "berth_releases"]

    @Test("pg_dump dumps the whole database in the custom format, fast compression, without Berth's tables, never with a password")
    func dumpArguments() {
        let arguments = PostgresTools.dumpArguments(url: "postgres://shop@db:5432/shop", excluding: Self.berthTables)
        #expect(arguments == [
            "--format=custom", "--compress=1", "--no-password", "--dbname=postgres://shop@db:5432/shop", "--exclude-table=*.berth_locks",
            "--exclude-table=*.berth_applies", "--exclude-table=*.berth_apply_actions", "--exclude-table=*.berth_releases",
        ])
        let environment = PostgresTools.environment(["PATH": "/usr/bin"], password: "s3cret")
        #expect(environment == ["PATH": "/usr/bin", "PGPASSWORD": "s3cret", "PGCONNECT_TIMEOUT": "10"])
        #expect(!arguments.joined().contains("s3cret"))
        #expect(PostgresTools.environment(["PGCONNECT_TIMEOUT": "3"], password: nil) == ["PGCONNECT_TIMEOUT": "3"])
    }

    @Test("psql runs the drops and the archive's script as one transaction that stops at the first error")
    func runArguments() {
        #expect(PostgresTools.runArguments(url: "postgres://shop@db/shop", drops: ["DROP TABLE IF EXISTS \"public\".\"t\" CASCADE;"], file: "/b/x.sql") == [
            "--no-psqlrc", "--quiet", "--no-password", "--single-transaction", "--set=ON_ERROR_STOP=1", "--dbname=postgres://shop@db/shop",
            "--command=DROP TABLE IF EXISTS \"public\".\"t\" CASCADE;", "--file=/b/x.sql",
        ])
        #expect(PostgresTools.runArguments(url: "u", drops: [], file: "f").last == "--file=f")
        #expect(PostgresTools.runArguments(url: "u", drops: [], file: "f", mask: "/m.sql").suffix(3) == [
            "--file=f", "--command=RESET search_path;", "--file=/m.sql",
        ])
        #expect(PostgresTools.scriptArguments(archive: "/b/r3-database.dump") == ["--clean", "--if-exists", "--file=-", "/b/r3-database.dump"])
    }

    @Test("versions: the tool's from --version, the server's from server_version_num; an older pg_dump is named with the fix")
    func versions() {
        #expect(PostgresTools.majorVersion(ofToolOutput: "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n") == 15)
        #expect(PostgresTools.majorVersion(ofToolOutput: "psql (PostgreSQL) 9.6.24\n") == 9)
        #expect(PostgresTools.majorVersion(ofToolOutput: "something else") == nil)
        #expect(PostgresTools.majorVersion(ofServerVersionNumber: 150018) == 15)
        #expect(PostgresTools.majorVersion(ofServerVersionNumber: 90624) == 9)
        #expect(PostgresTools.dumpVersionProblem(tool: "/usr/bin/pg_dump", toolMajor: 15, serverMajor: 15) == nil)
        #expect(PostgresTools.dumpVersionProblem(tool: "/usr/bin/pg_dump", toolMajor: 16, serverMajor: 15) == nil)
        #expect(PostgresTools.dumpVersionProblem(tool: "/usr/bin/pg_dump", toolMajor: 15, serverMajor: 17) == """
            /usr/bin/pg_dump is version 15, older than the PostgreSQL 17 server it would back up \
            (pg_dump must be at least the server's major version); install postgresql-client-17
            """)
    }

    static let list = """
        ;
        ; Archive created at 2026-06-01 10:00:00 UTC
        ;     dbname: shop
        ;
        ; Selected TOC Entries:
        ;
        6; 2615 16390 SCHEMA - audit berth
        5; 2615 2200 SCHEMA - public pg_database_owner
        3355; 0 0 COMMENT - SCHEMA public pg_database_owner
        851; 1247 16392 TYPE public mood berth
        852; 1247 16399 DOMAIN public positive berth
        215; 1259 16385 TABLE public orders berth
        216; 1259 16384 SEQUENCE public orders_id_seq berth
        3356; 0 0 SEQUENCE OWNED BY public orders_id_seq berth
        217; 1259 16401 VIEW public big orders berth
        218; 1259 16405 MATERIALIZED VIEW audit totals berth
        3203; 2604 16388 DEFAULT public orders id berth
        3349; 0 16385 TABLE DATA public orders berth
        3357; 0 0 SEQUENCE SET public orders_id_seq berth
        3350; 0 16405 MATERIALIZED VIEW DATA audit totals berth
        3205; 2606 16407 CONSTRAINT public orders orders_pkey berth
        """

    @Test("an archive's objects are read from pg_restore --list, names with spaces included, data and ownership entries not")
    func archiveObjects() {
        #expect(PostgresTools.archiveObjects(list: Self.list) == [
            "schema audit", "schema public", "type public.mood", "type public.positive", "relation public.orders",
            "relation public.orders_id_seq", "relation public.big orders", "relation audit.totals",
        ])
    }

    @Test("a restore drops what the archive does not hold: objects made after it; Berth's tables and their schema stay")
    func drops() {
        typealias Object = PostgresTools.Object
        let present = [
            Object(.schema, schema: "", name: "audit"), Object(.schema, schema: "", name: "later"), Object(.schema, schema: "", name: "berth"),
            Object(.table, schema: "public", name: "orders"), Object(.table, schema: "public", name: "items"),
            Object(.view, schema: "public", name: "big orders"), Object(.table, schema: "later", name: "t"),
            Object(.type, schema: "public", name: "mood"), Object(.type, schema: "public", name: "feeling"),
            Object(.table, schema: "public", name: "berth_applies"), Object(.table, schema: "berth", name: "berth_locks"),
            Object(.view, schema: "public", name: "we\"ird"),
        ]
        #expect(PostgresTools.drops(present: present, archive: PostgresTools.archiveObjects(list: Self.list), keeping: Self.berthTables) == [
            "DROP SCHEMA IF EXISTS \"later\" CASCADE;",
            "DROP TYPE IF EXISTS \"public\".\"feeling\" CASCADE;",
            "DROP TABLE IF EXISTS \"public\".\"items\" CASCADE;",
            "DROP VIEW IF EXISTS \"public\".\"we\"\"ird\" CASCADE;",
        ])
    }
}
