import Foundation
import BerthCore
import BerthModel
import BerthEngine
import BerthDatabase
import BerthObserve
import BerthPlan
import BerthApply
import BerthSession
import BerthLoading

/// `berth-bench backup --megabytes 10 --runs 7 DIR`: what the backup before a migration adds to an apply.
///
/// An environment with a database of about N MB (one table of rows of ~150 bytes) and no services is
/// applied through `ApplySession` (the in-memory engine and state store, the real database), each time
/// with one new migration (`ALTER TABLE ... ADD COLUMN`, which rewrites nothing): once with the host's
/// backup driver, once with one that has nothing to copy, alternately. SQLite always; PostgreSQL when
/// BERTH_TEST_POSTGRES_URL (postgres://user:password@host:port/db) is set. Also the backup call alone.
enum BackupBenchmark {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(megabytes: Int, runs: Int, directory: String) async throws {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/environments", withIntermediateDirectories: true)
        let rows = megabytes * 1024 * 1024 / 150
        try await measure(
            "sqlite", database: "url: sqlite:.berth/app.sqlite", variables: [:], rows: rows, runs: runs, directory: directory,
            fill: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows)) "
                + "INSERT INTO events SELECT i, 'kind-' || (i % 10), hex(randomblob(60)) FROM n;"
        )
        guard let text = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"], var server = URLComponents(string: text) else {
            print("postgres: skipped (set BERTH_TEST_POSTGRES_URL)")
            return
        }
        let password = server.password
        server.password = nil
        let admin = try PostgresDatabase(url: server.string ?? "", password: password)
        defer { admin.close() }
        let name = "berth_bench_backup_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE DATABASE \(name)")
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        server.path = "/" + name
        try await measure(
            "postgres", database: "url: \(server.string ?? "")\n  password: { secret: db }", variables: ["BENCH_DB_PASSWORD": password ?? ""],
            rows: rows, runs: runs, directory: directory,
            fill: "INSERT INTO events SELECT i, 'kind-' || (i % 10), md5(i::text) || md5((i + 1)::text) || md5((i + 2)::text) "
                + "FROM generate_series(1, \(rows)) AS i;"
        )
    }

    private static func measure(
        _ kind: String, database: String, variables: [String: String], rows: Int, runs: Int, directory: String, fill: String
    ) async throws {
        let migrations = directory + "/environments/\(kind)-migrations"
        try FileManager.default.createDirectory(atPath: migrations, withIntermediateDirectories: true)
        var text = "project: bench\nengine:\n  host: unix:///nonexistent/bench.sock\ndatabase:\n  \(database)\n  migrations: \(kind)-migrations\n"
        if !variables.isEmpty { text += "secrets:\n  db: { env: BENCH_DB_PASSWORD }\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/environments/\(kind).yaml"))
        try Data("CREATE TABLE events (id BIGINT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL);\n\(fill)\n".utf8)
            .write(to: URL(fileURLWithPath: migrations + "/V1__events.sql"))

        let live = LocalBackupDriver(variables: ProcessInfo.processInfo.environment)
        let store = InMemoryStateStore()
        func apply(backups: any BackupDriver) async throws -> Double {
            let context = Context(
                project: directory, currentDirectory: "/", fileSystem: LocalFileSystem(), variables: variables,
                engine: { _ in InMemoryEngine() },
                database: { location, secrets throws(DatabaseError) in try DatabaseConnector.open(location, secrets: secrets) },
                stateStore: { _, _ in store }, history: SQLMigrationHistory(), health: InMemoryHealthProbe(), ports: InMemoryPortProbe(),
                configs: ConfigWriter(), clock: SystemClock(), nameConflicts: AdoptIdenticalContainer(), owner: LockOwner.current(),
                isProcessRunning: { _ in true }, events: Silent(), backups: backups
            )
            let start = now()
            let outcome = try await ApplySession(context).run(ApplySession.Options(environment: kind))
            let time = now() - start
            guard case .applied(let applied) = outcome, applied.succeeded else { throw Failure(description: "\(kind): \(outcome)") }
            return time
        }
        _ = try await apply(backups: NothingToCopy(host: live))

        let environment = try ProjectLoader(project: directory, currentDirectory: "/").load(kind).environment
        guard let location = environment?.database?.location else { throw Failure(description: "\(kind): no database") }
        print("\(kind): \(rows) rows, \(try size(of: location, secrets: ["db": variables["BENCH_DB_PASSWORD"] ?? ""]))")

        var with: [Double] = [], without: [Double] = [], alone: [Double] = [], bare: [Double] = []
        var version = 1
        for run in 0..<runs {
            for variant in run % 2 == 0 ? [true, false] : [false, true] {
                version += 1
                try Data("ALTER TABLE events ADD COLUMN c\(version) INTEGER;\n".utf8)
                    .write(to: URL(fileURLWithPath: migrations + "/V\(version)__column.sql"))
                let time = try await apply(backups: variant ? live : NothingToCopy(host: live))
                if variant { with.append(time) } else { without.append(time) }
            }
            let path = directory + "/alone-\(run)"
            let start = now()
            let stored = try live.backupDatabase(location, password: variables["BENCH_DB_PASSWORD"], to: path)
            alone.append(now() - start)
            if run == 0 { print("\(kind): backup file \(format(Double(stored?.size ?? 0) / 1_048_576)) MiB") }
            live.remove(path)
            let copyStart = now()
            try copy(location, password: variables["BENCH_DB_PASSWORD"], to: path)
            bare.append(now() - copyStart)
            live.remove(path)
        }
        for (name, times) in [
            ("apply with one migration, with the backup", with), ("apply with one migration, without", without),
            ("the backup alone (driver call: version check, copy, sync, SHA-256)", alone),
            (kind == "sqlite" ? "the copy alone (SQLite's backup API)" : "pg_dump --format=custom --compress=1 alone", bare),
        ] {
            let sorted = times.sorted()
            print("\(kind): \(name): median \(format(sorted[sorted.count / 2])) ms, best \(format(sorted[0])) ms over \(sorted.count) runs")
        }
        let added = with.sorted()[with.count / 2] - without.sorted()[without.count / 2]
        print("\(kind): the backup adds \(format(added)) ms to the median apply")
    }

    /// The copy without Berth around it: SQLite's backup API, or pg_dump run directly.
    private static func copy(_ location: DatabaseLocation, password: String?, to path: String) throws {
        switch location {
        case .sqlite(let database):
            try SQLiteBackup.copy(database, to: path)
        case .postgres(let url, _):
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["pg_dump", "--format=custom", "--compress=1", "--no-password", "--dbname=\(url)", "--file=\(path)"]
            var environment = ProcessInfo.processInfo.environment
            environment["PGPASSWORD"] = password
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failure(description: "pg_dump exited with \(process.terminationStatus)") }
        }
    }

    /// The table's size and the database's, as the database reports them.
    private static func size(of location: DatabaseLocation, secrets: [String: String]) throws -> String {
        let database = try DatabaseConnector.open(location, secrets: secrets)
        defer { database.close() }
        switch location {
        case .sqlite(let path):
            let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return "database file \(format(Double(bytes) / 1_048_576)) MiB"
        case .postgres:
            let row = try database.query(
                "SELECT pg_total_relation_size('events') AS events, pg_database_size(current_database()) AS total"
            ).first
            return "events table \(format(Double(row?.int("events") ?? 0) / 1_048_576)) MiB (database \(format(Double(row?.int("total") ?? 0) / 1_048_576)) MiB)"
        }
    }

    /// The host's driver, except that no database has anything to copy: the apply without the backup.
    struct NothingToCopy: BackupDriver {
        let host: LocalBackupDriver

        func prepare(folder: String) throws(BackupError) { try host.prepare(folder: folder) }
        func backupDatabase(_ location: DatabaseLocation, password: String?, to path: String) throws(BackupError) -> StoredFile? { nil }
        func restoreDatabase(_ location: DatabaseLocation, password: String?, from path: String, mask: String?) throws(BackupError) {}
        func store(_ bytes: [UInt8], at path: String) throws(BackupError) -> StoredFile { try host.store(bytes, at: path) }
        func read(_ path: String) -> [UInt8]? { host.read(path) }
        func inspect(_ path: String) -> StoredFile? { host.inspect(path) }
        func exists(_ path: String) -> Bool { host.exists(path) }
        func move(_ path: String, to destination: String) throws(BackupError) { try host.move(path, to: destination) }
        func remove(_ path: String) { host.remove(path) }
    }

    struct Silent: SessionEvents {
        func notice(_ notice: SessionNotice) {}
        func started(_ action: PlanAction) {}
        func progress(_ action: PlanAction, _ message: String) {}
        func finished(_ action: PlanAction, error: String?, duration: Duration) {}
        func undone(_ actionID: String, succeeded: Bool) {}
    }
}
