import BerthDatabase
import BerthTestSupport
import Foundation
import Testing

/// Fresh, empty databases for the tests: a SQLite file in a new temporary folder, or (when
/// `BERTH_TEST_POSTGRES_URL` is set, as `scripts/test.sh` does) a new PostgreSQL schema set as
/// the search path and dropped afterwards.
enum TestDatabase {
    /// The test server's URL without its password, and the password, from `BERTH_TEST_POSTGRES_URL`.
    static let postgres: (url: String, password: String?)? = {
        guard let text = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"], !text.isEmpty,
            var components = URLComponents(string: text)
        else { return nil }
        let password = components.password
        components.password = nil
        guard let url = components.string else { return nil }
        return (url, password)
    }()

    static var hasPostgres: Bool { postgres != nil }

    /// The dialects the behaviour tests run against.
    static var dialects: [SQLDialect] { hasPostgres ? [.sqlite, .postgres] : [.sqlite] }

    /// A new connection to the test server's database (no schema of its own).
    static func connectPostgres() throws -> PostgresDatabase {
        let server = try #require(postgres, "BERTH_TEST_POSTGRES_URL is not set")
        return try PostgresDatabase(url: server.url, password: server.password)
    }

    /// Runs `body` with a fresh, empty database of `dialect`, and removes it afterwards.
    static func withFresh<T>(_ dialect: SQLDialect, _ body: (any SQLDatabase) throws -> T) throws -> T {
        switch dialect {
        case .sqlite:
            let folder = TemporaryDirectory.make(prefix: "berth-db")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let database = try SQLiteDatabase(path: folder + "/state/berth.sqlite")
            defer { database.close() }
            return try body(database)
        case .postgres:
            let database = try connectPostgres()
            defer { database.close() }
            let schema = "berth_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try database.execute("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
            defer {
                // The body may have closed its connection (or broken it): then drop through a new one.
                let drop = "DROP SCHEMA IF EXISTS \(schema) CASCADE"
                if (try? database.execute(drop)) == nil, let cleaner = try? connectPostgres() {
                    try? cleaner.execute(drop)
                    cleaner.close()
                }
            }
            return try body(database)
        }
    }

    /// The number of rows in `table`.
    static func count(_ table: String, in database: any SQLDatabase) throws -> Int64? {
        try database.query("SELECT count(*) AS n FROM \(table)").first?.int("n")
    }
}

/// A failure the tests provoke on purpose.
struct ExpectedFailure: Error, Equatable {}
