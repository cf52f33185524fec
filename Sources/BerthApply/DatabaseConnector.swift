public import BerthModel
public import BerthDatabase

/// Opens the database a `DatabaseLocation` names.
///
/// SQLite: the file at its path, created with its parent folders unless `readOnly`; a missing file
/// with `readOnly` is `.notFound` and nothing is created. PostgreSQL: the URL (which never holds a
/// password) with the password from `secrets[passwordSecret]`; with `readOnly` every transaction of
/// the session is read-only (`default_transaction_read_only`).
public enum DatabaseConnector {
    public static func open(
        _ location: DatabaseLocation, secrets: [String: String], readOnly: Bool = false
    ) throws(DatabaseError) -> any SQLDatabase {
        switch location {
        case .sqlite(let path):
            return try SQLiteDatabase(path: path, readOnly: readOnly)
        case .postgres(let url, let passwordSecret):
            // A secret that is named but not given leaves the password to libpq (PGPASSWORD, ~/.pgpass);
            // the server's refusal then says what is wrong.
            let database = try PostgresDatabase(url: url, password: passwordSecret.flatMap { secrets[$0] })
            if readOnly {
                do {
                    try database.execute("SET default_transaction_read_only TO on")
                } catch {
                    database.close()
                    throw error
                }
            }
            return database
        }
    }
}
