#if canImport(Glibc)
internal import Glibc
#endif
import BerthModel
public import BerthDatabase
import BerthObserve

/// What `berth destroy --drop-database` drops: what Berth owns in the environment's database, never
/// more. For SQLite, the file with its `-wal`, `-shm` and `-journal` companions. For PostgreSQL, every
/// object of the schema the migrations ran in (`current_schema()`: the first of the connection's search
/// path): tables, views, materialized views, sequences, functions, procedures and types, objects that
/// belong to an extension excepted, and with them `berth_schema_history`; in one transaction. The
/// schema itself, other schemas, the database and the server stay.
public enum DatabaseDrop {
    /// The files of a SQLite database, the database itself last: a drop cut short leaves the main file,
    /// so the next destroy finds the database and finishes, and no stale journal is left beside a new one.
    public static func sqliteFiles(_ path: String) -> [String] {
        [path + "-wal", path + "-shm", path + "-journal", path]
    }

    /// Deletes a SQLite database's files; one that is not there is fine.
    public static func dropSQLite(at path: String) throws(ApplyError) {
        for file in sqliteFiles(path) where unlink(file) != 0 && errno != ENOENT {
            throw ApplyError("cannot delete \(file): \(String(cString: strerror(errno)))")
        }
    }

    /// Drops the objects of the connection's current schema, in one transaction.
    public static func dropPostgres(_ database: any SQLDatabase) throws(DatabaseError) {
        try database.begin()
        do throws(DatabaseError) {
            try database.execute(postgresStatement)
            try database.execute("DROP TABLE IF EXISTS \(SchemaHistoryTable.name)")
            try database.commit()
        } catch {
            try? database.rollback()
            throw error
        }
    }

    /// One block that drops each object of `current_schema()` that no extension owns: relations (views
    /// first), aggregates, types, then functions and procedures, each list read before the first drop so
    /// that a name never comes from an object already gone. `CASCADE` takes what depends on them inside
    /// the schema (a view of a dropped table, a sequence it owns, a function of a dropped type). Anything
    /// outside the schema that `CASCADE` would take too (a column of another schema's table typed by
    /// one of these types, a view over these tables, a foreign key to them) stops the whole drop: the
    /// objects outside the schema are fingerprinted before and after, and a difference raises, which
    /// rolls the transaction back.
    public static let postgresStatement = """
        DO $berth$
        DECLARE
            outside_before text;
            outside_after text;
            relations text[];
            kinds text[];
            routines text[];
            routine_kinds text[];
            types text[];
        BEGIN
            outside_before := \(outsideFingerprint);
            SELECT array_agg(name ORDER BY rank, name), array_agg(kind ORDER BY rank, name) INTO relations, kinds FROM (
                SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                    WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
                    format('%I.%I', n.nspname, c.relname) AS name,
                    CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'S' THEN 3 ELSE 2 END AS rank
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
            ) listed;
            SELECT array_agg(name ORDER BY rank, name), array_agg(kind ORDER BY rank, name) INTO routines, routine_kinds FROM (
                SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END AS kind,
                    p.oid::regprocedure::text AS name, CASE p.prokind WHEN 'a' THEN 0 ELSE 1 END AS rank
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema()
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
            ) listed;
            SELECT array_agg(format('%I.%I', n.nspname, t.typname) ORDER BY t.typname) INTO types
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r', 'm', 'c')
                    AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'));
            FOR i IN 1 .. coalesce(array_length(relations, 1), 0) LOOP
                EXECUTE format('DROP %s IF EXISTS %s CASCADE', kinds[i], relations[i]);
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(routines, 1), 0) LOOP
                IF routine_kinds[i] = 'AGGREGATE' THEN EXECUTE format('DROP AGGREGATE IF EXISTS %s CASCADE', routines[i]); END IF;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(types, 1), 0) LOOP
                EXECUTE format('DROP TYPE IF EXISTS %s CASCADE', types[i]);
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(routines, 1), 0) LOOP
                IF routine_kinds[i] <> 'AGGREGATE' THEN EXECUTE format('DROP %s IF EXISTS %s CASCADE', routine_kinds[i], routines[i]); END IF;
            END LOOP;
            outside_after := \(outsideFingerprint);
            IF outside_before IS DISTINCT FROM outside_after THEN
                RAISE EXCEPTION 'objects of other schemas depend on objects of schema % (a column, view, foreign key, default or trigger); dropping it would take them too, so nothing was dropped', current_schema();
            END IF;
        END
        $berth$
        """

    /// One text for every object outside `current_schema()` that a `CASCADE` in it could take: relations, their
    /// columns, constraints, defaults, triggers and rules, routines and types.
    static let outsideFingerprint = """
        (SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
                SELECT 'c' || c.oid FROM pg_class c WHERE c.relnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.atttypid || a.attisdropped::text
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'k' || k.oid FROM pg_constraint k WHERE k.connamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'd' || ad.oid FROM pg_attrdef ad JOIN pg_class c ON c.oid = ad.adrelid WHERE c.relnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 't' || tg.oid FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid WHERE c.relnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'r' || r.oid FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'p' || p.oid FROM pg_proc p WHERE p.pronamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
                UNION ALL SELECT 'y' || t.oid FROM pg_type t WHERE t.typnamespace NOT IN (current_schema()::text::regnamespace, 'pg_toast'::regnamespace)
            ) objects(item))
        """
}
