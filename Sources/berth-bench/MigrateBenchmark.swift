import Foundation
import BerthModel
import BerthDatabase
import BerthApply

/// `berth-bench migrate --migrations 100 --runs 7 DIR` with BERTH_TEST_POSTGRES_URL (postgres://user:password@host:port/db)
/// set: N realistic migrations (CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE INDEX, INSERT), each run on a fresh
/// database, applied by the Migrator and by psql. The fair comparison is one psql process over all files with each
/// file wrapped in BEGIN/COMMIT (one transaction per file, as the Migrator does); `psql -1 -f` per file (one process
/// per file) and all files in one transaction are printed for reference.
enum MigrateBenchmark {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(migrations count: Int, runs: Int, directory: String) throws {
        guard let text = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"], var server = URLComponents(string: text),
              let user = server.user, let host = server.host, let port = server.port else {
            throw Failure(description: "set BERTH_TEST_POSTGRES_URL=postgres://user:password@host:port/database")
        }
        let password = server.password
        server.password = nil
        guard let adminURL = server.string else { throw Failure(description: "bad URL") }

        // The files, and copies wrapped in BEGIN/COMMIT for psql.
        let files = directory + "/migrations", wrapped = directory + "/wrapped"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: wrapped, withIntermediateDirectories: true)
        var planned: [(migration: Migration, checksum: String)] = []
        var wrappedPaths: [String] = []
        for index in 1...count {
            let sql = migration(index)
            let path = files + "/V\(index)__step_\(index).sql"
            try Data(sql.utf8).write(to: URL(fileURLWithPath: path))
            guard let version = MigrationVersion(String(index)) else { throw Failure(description: "version") }
            planned.append((Migration(version: version, description: "step \(index)", path: path), SHA256.hex(Array(sql.utf8))))
            let wrappedPath = wrapped + "/V\(index).sql"
            try Data("BEGIN;\n\(sql)\nCOMMIT;\n".utf8).write(to: URL(fileURLWithPath: wrappedPath))
            wrappedPaths.append(wrappedPath)
        }
        let statements = (1...count).map { migration($0).split(separator: ";").count - 1 }.reduce(0, +)
        print("\(count) migrations, \(statements) statements, in \(files)")

        let admin = try PostgresDatabase(url: adminURL, password: password)
        defer { admin.close() }
        func fresh(_ body: (String, String) throws -> Void) throws {
            let name = "berth_bench_\(UInt32.random(in: 0...UInt32.max))"
            try admin.execute("CREATE DATABASE \(name)")
            defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            var components = server
            components.path = "/" + name
            try body(name, components.string ?? "")
        }
        let psql = ["-X", "-q", "-h", host, "-p", String(port), "-U", user, "-v", "ON_ERROR_STOP=1"]

        var times: [String: [Double]] = [:]
        let order = ["migrator", "psql: one process, BEGIN/COMMIT per file", "psql -1 -f, one process per file", "psql: one process, all files in one transaction"]
        for run in 0..<runs {
            // Rotate the order, so no variant always runs first (cache, checkpoints).
            for offset in 0..<order.count {
                let variant = order[(run + offset) % order.count]
                try fresh { name, url in
                    let start = clock()
                    switch variant {
                    case "migrator":
                        let database = try DatabaseConnector.open(
                            .postgres(url: url, passwordSecret: "password"), secrets: password.map { ["password": $0] } ?? [:]
                        )
                        let applied = try Migrator(database: database).apply(planned)
                        database.close()
                        guard applied.count == count else { throw Failure(description: "applied \(applied.count)") }
                    case "psql: one process, BEGIN/COMMIT per file":
                        try spawn(psql + ["-d", name] + wrappedPaths.flatMap { ["-f", $0] }, password: password)
                    case "psql -1 -f, one process per file":
                        for path in planned.map(\.migration.path) {
                            try spawn(psql + ["-d", name, "-1", "-f", path], password: password)
                        }
                    default:
                        try spawn(psql + ["-d", name, "-1"] + planned.flatMap { ["-f", $0.migration.path] }, password: password)
                    }
                    times[variant, default: []].append(clock() - start)
                    try verify(url: url, password: password, count: count)
                }
            }
        }
        let baseline = median(times[order[1]] ?? [])
        for variant in order {
            let values = (times[variant] ?? []).sorted()
            let ratio = (median(values) / baseline * 100).rounded() / 100
            print("\(variant): median \(round(median(values))) ms, best \(round(values.first ?? 0)) ms over \(values.count) runs; \(ratio)x")
        }
    }

    /// Step N: a table, a column added to the previous one, an index, a few rows.
    static func migration(_ index: Int) -> String {
        var sql = """
            -- Step \(index).
            CREATE TABLE item_\(index) (
                id BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                quantity INTEGER NOT NULL DEFAULT 0,
                note TEXT
            );
            CREATE INDEX item_\(index)_name ON item_\(index) (name);
            INSERT INTO item_\(index) (id, name, quantity) VALUES (1, 'first', 1), (2, 'second', 2), (3, 'third', 3);

            """
        if index > 1 {
            sql += """
                ALTER TABLE item_\(index - 1) ADD COLUMN next_id BIGINT REFERENCES item_\(index) (id);
                UPDATE item_\(index - 1) SET next_id = 1 WHERE id = 1;

                """
        }
        return sql
    }

    static func verify(url: String, password: String?, count: Int) throws {
        let database = try PostgresDatabase(url: url, password: password)
        defer { database.close() }
        let tables = try database.query("SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE tablename LIKE 'item\\_%'")
        guard tables.first?.int("n") == Int64(count) else { throw Failure(description: "\(tables) tables") }
    }

    static func spawn(_ arguments: [String], password: String?) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "psql exited with \(process.terminationStatus)") }
    }

    static func clock() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) * 1_000 + Double(time.tv_nsec) / 1_000_000
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
