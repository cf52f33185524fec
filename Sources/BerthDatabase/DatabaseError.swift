/// A failure of a database operation: a stable `code` to branch on, a `message` for people, and
/// PostgreSQL's SQLSTATE when the server gave one.
///
/// A message never contains a password: a connection error names its target by the URL without one
/// (`cannot connect to postgres://berth@127.0.0.1:1/berth: connection refused`).
public struct DatabaseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connection, notFound, invalidArgument, statement, constraint, busy, closed
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The database could not be opened or reached, refused the login, or the connection broke.
        public static let connection = Code(.connection)
        /// The thing named does not exist: a read-only SQLite file, an advisory lock not held.
        public static let notFound = Code(.notFound)
        /// The caller's input was refused before reaching the database (e.g. a URL holding a password).
        public static let invalidArgument = Code(.invalidArgument)
        /// The database refused or failed a statement (syntax, missing table, wrong parameters ...).
        public static let statement = Code(.statement)
        /// A constraint was violated (unique, primary or foreign key, not null, check).
        public static let constraint = Code(.constraint)
        /// A lock could not be taken in time, or the transaction lost a conflict; retrying may succeed.
        public static let busy = Code(.busy)
        /// The connection was closed by `close()`.
        public static let closed = Code(.closed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// PostgreSQL's five-character SQLSTATE (`42P01`), when the server reported one.
    public let sqlState: String?

    init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String {
        guard let sqlState else { return message }
        return "\(message) (SQLSTATE \(sqlState))"
    }

    static let closedConnection = DatabaseError(.closed, "the database connection is closed")
}
