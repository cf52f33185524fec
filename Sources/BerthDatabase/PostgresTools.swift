internal import Foundation

/// What Berth asks of PostgreSQL's client programs (`pg_dump`, `pg_restore`, `psql`), built purely:
/// their arguments, their versions, and what an archive holds. Running them is the caller's part.
///
/// A password never appears here: the child gets it in its environment (`PGPASSWORD`), and the URLs
/// Berth passes hold none (a URL with one is refused before).
public enum PostgresTools {
    /// `pg_dump` of the whole database in its custom format (what `pg_restore` reads), on standard
    /// output, but the tables named in `excluding` (in any schema). `--no-password`: never a prompt.
    /// The fastest compression: the dump is in an apply's way, and zlib's default level took about twice
    /// as long on 10 MB for a file a tenth smaller.
    public static func dumpArguments(url: String, excluding tables: [String]) -> [String] {
        ["--format=custom", "--compress=1", "--no-password", "--dbname=\(url)"] + tables.map { "--exclude-table=*.\($0)" }
    }

    /// `pg_restore --list`: the archive's table of contents.
    public static func listArguments(archive: String) -> [String] {
        ["--list", archive]
    }

    /// `pg_restore` turning the archive into SQL on standard output that drops what it holds first
    /// (`--clean --if-exists`) and makes it again.
    public static func scriptArguments(archive: String) -> [String] {
        ["--clean", "--if-exists", "--file=-", archive]
    }

    /// `psql` running `drops` and then the script in `file` as one transaction: on the first error,
    /// everything is rolled back.
    /// `mask`, an SQL file, runs after the script in the same transaction, with the search path the
    /// script emptied set back to the default (so that the mask names tables as the application does).
    public static func runArguments(url: String, drops: [String], file: String, mask: String? = nil) -> [String] {
        var arguments = ["--no-psqlrc", "--quiet", "--no-password", "--single-transaction", "--set=ON_ERROR_STOP=1", "--dbname=\(url)"]
        if !drops.isEmpty { arguments.append("--command=\(drops.joined(separator: "\n"))") }
        arguments.append("--file=\(file)")
        if let mask { arguments += ["--command=RESET search_path;", "--file=\(mask)"] }
        return arguments
    }

    /// The child's environment: the caller's, with the password (when there is one) and a bounded
    /// wait for the connection.
    public static func environment(_ inherited: [String: String], password: String?) -> [String: String] {
        var environment = inherited
        if let password { environment["PGPASSWORD"] = password }
        if environment["PGCONNECT_TIMEOUT"] == nil { environment["PGCONNECT_TIMEOUT"] = "10" }
        return environment
    }

    /// The major version of `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`, or of `psql (PostgreSQL) 9.6.24`: 15, 9.6 -> 9.
    public static func majorVersion(ofToolOutput output: String) -> Int? {
        guard let marker = output.range(of: "(PostgreSQL) ") else { return nil }
        let digits = output[marker.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int(digits)
    }

    /// The major version of `SHOW server_version_num`: 150018 -> 15, 90624 -> 9.
    public static func majorVersion(ofServerVersionNumber number: Int) -> Int { number / 10_000 }

    /// Why `tool` (at `toolMajor`) cannot dump a server of `serverMajor`, or nil when it can.
    public static func dumpVersionProblem(tool: String, toolMajor: Int, serverMajor: Int) -> String? {
        guard toolMajor < serverMajor else { return nil }
        return "\(tool) is version \(toolMajor), older than the PostgreSQL \(serverMajor) server it would back up "
            + "(pg_dump must be at least the server's major version); install postgresql-client-\(serverMajor)"
    }

    // MARK: - What a restore removes

    /// An object of the database as a restore compares it with the archive.
    public struct Object: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case schema, table, view, materializedView, sequence, foreignTable, type, domain
        }

        public var kind: Kind
        /// Empty for a schema.
        public var schema: String
        public var name: String

        public init(_ kind: Kind, schema: String, name: String) {
            self.kind = kind
            self.schema = schema
            self.name = name
        }

        /// Tables, views and sequences share one namespace (and so do types and domains): an archive's
        /// table replaces a view of the same name.
        var key: String {
            switch kind {
            case .schema: "schema \(name)"
            case .type, .domain: "type \(schema).\(name)"
            default: "relation \(schema).\(name)"
            }
        }

        /// `DROP ... IF EXISTS ... CASCADE` of this object.
        public var drop: String {
            let what: String =
                switch kind {
                case .schema: "SCHEMA"
                case .table: "TABLE"
                case .view: "VIEW"
                case .materializedView: "MATERIALIZED VIEW"
                case .sequence: "SEQUENCE"
                case .foreignTable: "FOREIGN TABLE"
                case .type: "TYPE"
                case .domain: "DOMAIN"
                }
            let name = kind == .schema ? PostgresTools.quote(name) : "\(PostgresTools.quote(schema)).\(PostgresTools.quote(self.name))"
            return "DROP \(what) IF EXISTS \(name) CASCADE;"
        }
    }

    /// The objects an archive holds, from `pg_restore --list`: lines such as
    /// `215; 1259 16385 TABLE public orders berth` (id; catalog, oid, kind, schema, name, owner).
    public static func archiveObjects(list: String) -> Set<String> {
        let kinds: [(String, Object.Kind)] = [
            ("MATERIALIZED VIEW ", .materializedView), ("FOREIGN TABLE ", .foreignTable), ("TABLE ", .table), ("VIEW ", .view),
            ("SEQUENCE ", .sequence), ("TYPE ", .type), ("DOMAIN ", .domain), ("SCHEMA ", .schema),
        ]
        var objects: Set<String> = []
        for line in list.split(separator: "\n") where !line.hasPrefix(";") {
            // After "ID;", three fields: catalog oid, object oid, then the kind and its words.
            guard let semicolon = line.firstIndex(of: ";") else { continue }
            let fields = line[line.index(after: semicolon)...].split(separator: " ", maxSplits: 2)
            guard fields.count == 3 else { continue }
            let rest = fields[2]
            guard let (prefix, kind) = kinds.first(where: { rest.hasPrefix($0.0) }) else { continue }
            // "SEQUENCE OWNED BY", "TABLE DATA", ... are not objects of their own.
            let words = rest.dropFirst(prefix.count).split(separator: " ")
            guard words.count >= 3, !["DATA", "OWNED", "SET", "ATTACH"].contains(words[0]) else { continue }
            let schema = String(words[0])
            let name = words.dropFirst().dropLast().joined(separator: " ")
            objects.insert(kind == .schema ? Object(.schema, schema: "", name: name).key : Object(kind, schema: schema, name: name).key)
        }
        return objects
    }

    /// The query listing the database's own objects that a restore compares: schemas, relations and
    /// types outside the system schemas, not owned by an extension, not a table's own sequence.
    /// Columns: `kind`, `schema`, `name`.
    public static let objectsQuery = """
        SELECT 'schema' AS kind, '' AS schema, n.nspname AS name
          FROM pg_catalog.pg_namespace n
         WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
                           AND d.objid = n.oid AND d.deptype = 'e')
        UNION ALL
        SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materializedView'
                              WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreignTable' ELSE 'type' END,
               n.nspname, c.relname
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND NOT c.relispartition
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                           AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
        UNION ALL
        SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.typname
          FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typtype IN ('e', 'd', 'r')
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass
                           AND d.objid = t.oid AND d.deptype = 'e')
        """

    /// What a restore drops before the archive's script runs: the objects made after the archive was
    /// taken (a table a later migration created would otherwise stay, and block that migration the
    /// next time it runs). The tables named in `keeping` stay (they were left out of the archive), and so
    /// does a schema holding one; objects inside a schema that goes are not named again.
    public static func drops(present: [Object], archive: Set<String>, keeping tables: [String]) -> [String] {
        func isState(_ object: Object) -> Bool { object.kind == .table && tables.contains(object.name) }
        let stateSchemas = Set(present.filter(isState).map(\.schema))
        let extra = present.filter {
            !archive.contains($0.key) && !isState($0) && !($0.kind == .schema && stateSchemas.contains($0.name))
        }
        let droppedSchemas = Set(extra.filter { $0.kind == .schema }.map(\.name))
        return extra.filter { $0.kind == .schema || !droppedSchemas.contains($0.schema) }
            .sorted { ($0.kind == .schema ? 0 : 1, $0.schema, $0.name) < ($1.kind == .schema ? 0 : 1, $1.schema, $1.name) }
            .map(\.drop)
    }

    /// `"name"`, with `"` doubled.
    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
