internal import CSQLite
internal import Foundation

/// A connection to a SQLite database file.
///
/// Waits up to 5 seconds for a lock held by another connection, enforces foreign keys, and starts
/// write transactions with `BEGIN IMMEDIATE` so two writers never deadlock halfway.
public final class SQLiteDatabase: SQLDatabase {
    public let path: String
    public let isReadOnly: Bool
    public var dialect: SQLDialect { .sqlite }

    /// The connection, for what this module does beside SQL (`SQLiteBackup`); nil once closed.
    private(set) var handle: OpaquePointer?

    /// Opens the database at `path`, creating the file and its parent folders unless `readOnly`.
    /// A missing file with `readOnly` throws `.notFound` and creates nothing.
    public init(path: String, readOnly: Bool = false) throws(DatabaseError) {
        self.path = path
        self.isReadOnly = readOnly
        let inMemory = path.isEmpty || path == ":memory:"
        if !inMemory {
            if readOnly {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw DatabaseError(.notFound, "no SQLite database at \(path)")
                }
            } else {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw DatabaseError(.connection, "cannot create the folder \(folder) for the SQLite database \(path)")
                }
            }
        }

        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let reason = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(opened)
            throw DatabaseError(.connection, "cannot open the SQLite database \(path): \(reason)")
        }
        handle = opened
        sqlite3_busy_timeout(opened, 5_000)
        // Reading the schema now turns "file is not a database" into an error of `init`.
        guard sqlite3_exec(opened, "PRAGMA foreign_keys = ON; SELECT count(*) FROM sqlite_master", nil, nil, nil) == SQLITE_OK
        else {
            let reason = String(cString: sqlite3_errmsg(opened))
            close()
            throw DatabaseError(.connection, "cannot open the SQLite database \(path): \(reason)")
        }
    }

    deinit {
        close()
    }

    public func close() {
        if let handle {
            sqlite3_close_v2(handle)
        }
        handle = nil
    }

    public func execute(_ sql: String) throws(DatabaseError) {
        let db = try connection()
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            throw failure(db, message: message.map { String(cString: $0) })
        }
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [SQLRow] {
        let db = try connection()
        guard let statement = try prepare(sql, in: db) else { return [] }
        defer { sqlite3_finalize(statement) }
        try bind(parameters, to: statement, in: db)

        var rows: [SQLRow] = []
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { index in sqlite3_column_name(statement, index).map { String(cString: $0) } ?? "" }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append(SQLRow(columns: columns, values: (0..<count).map { value(of: statement, at: $0) }))
            case SQLITE_DONE:
                return rows
            default:
                throw failure(db)
            }
        }
    }

    public func tableExists(_ name: String) throws(DatabaseError) -> Bool {
        let rows = try query(
            """
            SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE
            UNION ALL
            SELECT 1 FROM sqlite_temp_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE
            """,
            [.text(name)]
        )
        return !rows.isEmpty
    }

    public func begin() throws(DatabaseError) {
        try execute(isReadOnly ? "BEGIN" : "BEGIN IMMEDIATE")
    }

    public func commit() throws(DatabaseError) {
        try execute("COMMIT")
    }

    public func rollback() throws(DatabaseError) {
        let db = try connection()
        // SQLite may already have rolled back on its own (after a full disk or a busy error).
        guard sqlite3_get_autocommit(db) == 0 else { return }
        try execute("ROLLBACK")
    }

    // MARK: - Statements

    private func connection() throws(DatabaseError) -> OpaquePointer {
        guard let handle else { throw DatabaseError.closedConnection }
        return handle
    }

    /// The prepared statement of `sql`, nil when it holds no statement; more than one is an error.
    private func prepare(_ sql: String, in db: OpaquePointer) throws(DatabaseError) -> OpaquePointer? {
        let result: Result<OpaquePointer?, DatabaseError> = sql.withCString { text in
            var statement: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            guard sqlite3_prepare_v2(db, text, -1, &statement, &tail) == SQLITE_OK else {
                return .failure(failure(db))
            }
            // Whatever follows the first statement may only be blanks, comments and semicolons.
            while let rest = tail, rest.pointee != 0 {
                var next: OpaquePointer?
                var nextTail: UnsafePointer<CChar>?
                let status = sqlite3_prepare_v2(db, rest, -1, &next, &nextTail)
                if status != SQLITE_OK || next != nil {
                    sqlite3_finalize(next)
                    sqlite3_finalize(statement)
                    return .failure(DatabaseError(
                        .statement, "a query runs one statement; this SQL holds more (run a script with execute)"))
                }
                guard let nextTail, nextTail != rest else { break }
                tail = nextTail
            }
            return .success(statement)
        }
        return try result.get()
    }

    private func bind(_ parameters: [SQLValue], to statement: OpaquePointer, in db: OpaquePointer) throws(DatabaseError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw DatabaseError(.statement, "the statement takes \(expected) parameters, \(parameters.count) given")
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch parameter {
                case .null: sqlite3_bind_null(statement, index)
                case .integer(let value): sqlite3_bind_int64(statement, index, value)
                case .real(let value): sqlite3_bind_double(statement, index, value)
                case .text(let value): Self.bind(text: value, to: statement, at: index)
                }
            guard status == SQLITE_OK else { throw failure(db) }
        }
    }

    /// SQLite's `SQLITE_TRANSIENT` (a macro Swift cannot import): SQLite copies the text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(text: String, to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // An empty buffer may have no address, and a null pointer would bind NULL, not ''.
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                sqlite3_bind_text64(statement, index, pointer, sqlite3_uint64(bytes.count), transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    private func value(of statement: OpaquePointer, at column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL:
            return .null
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, column))
        default:  // text, or a blob read as the text of its bytes
            guard let text = sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        }
    }

    /// The error SQLite reports for the last failed call on `db`.
    private func failure(_ db: OpaquePointer, message: String? = nil) -> DatabaseError {
        let text = message ?? String(cString: sqlite3_errmsg(db))
        let code: DatabaseError.Code =
            switch sqlite3_extended_errcode(db) & 0xff {
            case SQLITE_CONSTRAINT: .constraint
            case SQLITE_BUSY, SQLITE_LOCKED: .busy
            default: .statement
            }
        return DatabaseError(code, text)
    }
}
