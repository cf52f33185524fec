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
    /// The files of a SQLite database.
    public static func sqliteFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm", path + "-journal"]
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

    /// One block that drops each object of `current_schema()` that no extension owns, views before the
    /// tables they read (`CASCADE` takes what depends on them: a view of a dropped table, a sequence it owns).
    public static let postgresStatement = """
        DO $berth$
        DECLARE
            item record;
        BEGIN
            FOR item IN
                SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                    WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
                    format('%I.%I', n.nspname, c.relname) AS name
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
                ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'S' THEN 3 ELSE 2 END, c.relname
            LOOP
                EXECUTE format('DROP %s IF EXISTS %s CASCADE', item.kind, item.name);
            END LOOP;
            FOR item IN
                SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END AS kind,
                    p.oid::regprocedure::text AS name
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema()
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('DROP %s IF EXISTS %s CASCADE', item.kind, item.name);
            END LOOP;
            FOR item IN
                SELECT format('%I.%I', n.nspname, t.typname) AS name
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r', 'm', 'c')
                    AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('DROP TYPE IF EXISTS %s CASCADE', item.name);
            END LOOP;
        END
        $berth$
        """
}
