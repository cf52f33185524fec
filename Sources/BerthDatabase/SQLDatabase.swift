/// One connection to a SQL database, used from one task at a time.
///
/// Two implementations: `SQLiteDatabase` and `PostgresDatabase`. Both report every failure as a
/// `DatabaseError` and behave alike where SQL lets them: `begin` inside a transaction and `commit`
/// outside one fail, `rollback` outside one does nothing, and `query` runs exactly one statement.
public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs SQL with no parameters; may hold several statements (a migration script).
    /// Stops at the first statement that fails and throws its error.
    func execute(_ sql: String) throws(DatabaseError)

    /// Runs one statement with parameters (written as `dialect.placeholder(n)`), returning its rows
    /// (none for a statement without rows).
    func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [SQLRow]

    /// Whether a table of this name is visible to unqualified SQL on this connection.
    func tableExists(_ name: String) throws(DatabaseError) -> Bool

    func begin() throws(DatabaseError)
    func commit() throws(DatabaseError)
    /// Undoes the open transaction; does nothing when none is open.
    func rollback() throws(DatabaseError)

    /// Closes the connection; every later call throws `DatabaseError.Code.closed`. Closing twice is harmless.
    func close()
}

extension SQLDatabase {
    /// Runs `sql` without parameters, returning its rows.
    public func query(_ sql: String) throws(DatabaseError) -> [SQLRow] {
        try query(sql, [])
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it (or the commit)
    /// throws, and rethrows that error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin()
        let value: T
        do {
            value = try body()
        } catch {
            try? rollback()
            throw error
        }
        do {
            try commit()
        } catch {
            // A COMMIT that failed on SQLite (busy) leaves the transaction open.
            try? rollback()
            throw error
        }
        return value
    }
}
