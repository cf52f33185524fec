internal import CLibPQ
internal import Foundation

/// A connection to a PostgreSQL server through libpq.
///
/// The session speaks UTF-8, keeps notices to itself (`client_min_messages` is `warning`, and
/// whatever still arrives is dropped, never printed), and returns every column as text except
/// integer columns, which come back as `.integer`.
public final class PostgresDatabase: SQLDatabase {
    /// The URL connected to, without any password: the name of this database in messages.
    public let redactedURL: String
    public var dialect: SQLDialect { .postgres }

    private var handle: OpaquePointer?

    /// Connects to `url` (`postgres://` or `postgresql://`, with user, host, port, database name and
    /// query parameters such as `sslmode`, parsed by libpq). The password comes separately, never
    /// from the URL: one found there is refused (`.invalidArgument`). Without a password libpq may
    /// still find one in `PGPASSWORD` or `~/.pgpass`. A `connect_timeout` in the URL overrides
    /// `connectTimeoutSeconds`; 0 waits without limit.
    public init(url: String, password: String?, connectTimeoutSeconds: Int = 5) throws(DatabaseError) {
        guard let parsed = PostgresURL(url) else {
            throw DatabaseError(.invalidArgument, "not a PostgreSQL URL (postgres://user@host:port/database): \(Self.redact(url))")
        }
        redactedURL = parsed.redacted
        guard !parsed.hasPassword else {
            throw DatabaseError(.invalidArgument, "\(parsed.redacted): the URL holds a password; pass the password separately")
        }

        // With expand_dbname, libpq reads the URL in `dbname`; later entries override it, earlier ones are defaults.
        var settings: [(String, String)] = [
            ("fallback_application_name", "berth"),
            ("connect_timeout", String(max(0, connectTimeoutSeconds))),
            ("dbname", parsed.text),
            ("client_encoding", "UTF8"),
        ]
        if let password { settings.append(("password", password)) }
        let connection = Self.connect(settings)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = connection.map { Self.connectionMessage(String(cString: PQerrorMessage($0)), password: password) }
            PQfinish(connection)
            throw DatabaseError(.connection, "cannot connect to \(parsed.redacted): \(reason ?? "out of memory")")
        }
        PQsetNoticeReceiver(connection, { _, _ in }, nil)
        handle = connection
        do {
            try execute("SET client_min_messages TO warning")
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    public func close() {
        if let handle {
            PQfinish(handle)
        }
        handle = nil
    }

    // MARK: - Statements

    public func execute(_ sql: String) throws(DatabaseError) {
        let connection = try connection()
        guard PQsendQuery(connection, sql) == 1 else { throw failure(connection, nil) }
        // One result per statement: read (and free) them all, so the connection is ready for the next call.
        var firstError: DatabaseError?
        while let result = PQgetResult(connection) {
            if let error = check(result, on: connection), firstError == nil {
                firstError = error
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [SQLRow] {
        let connection = try connection()
        let values = parameters.map { parameter in parameter.postgresText.flatMap { strdup($0) } }
        defer { values.forEach { free($0) } }
        let pointers = values.map { $0.map { UnsafePointer($0) } }
        guard let result = PQexecParams(connection, sql, Int32(clamping: pointers.count), nil, pointers, nil, nil, 0) else {
            throw failure(connection, nil)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK:
            return Self.rows(of: result)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        default:
            if let error = check(result, on: connection) { throw error }
            return []
        }
    }

    public func tableExists(_ name: String) throws(DatabaseError) -> Bool {
        let rows = try query(
            """
            SELECT 1 FROM pg_catalog.pg_class
            WHERE relname = $1 AND relkind IN ('r', 'p') AND pg_catalog.pg_table_is_visible(oid)
            """,
            [.text(name)]
        )
        return !rows.isEmpty
    }

    // MARK: - Transactions

    public func begin() throws(DatabaseError) {
        let connection = try connection()
        // PostgreSQL only warns about a nested BEGIN; SQLite refuses it, and so do we.
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw DatabaseError(.statement, "cannot begin a transaction: one is already open")
        }
        try execute("BEGIN")
    }

    public func commit() throws(DatabaseError) {
        let connection = try connection()
        guard PQtransactionStatus(connection) != PQTRANS_IDLE else {
            throw DatabaseError(.statement, "cannot commit: no transaction is open")
        }
        guard let result = PQexec(connection, "COMMIT") else { throw failure(connection, nil) }
        defer { PQclear(result) }
        if let error = check(result, on: connection) { throw error }
        // COMMIT of a transaction in which a statement failed succeeds, but rolls back.
        if String(cString: PQcmdStatus(result)) == "ROLLBACK" {
            throw DatabaseError(.statement, "the transaction was rolled back, not committed: a statement in it failed")
        }
    }

    public func rollback() throws(DatabaseError) {
        let connection = try connection()
        guard PQtransactionStatus(connection) != PQTRANS_IDLE else { return }
        try execute("ROLLBACK")
    }

    // MARK: - Advisory locks

    /// Takes the session advisory lock `key` if no other session holds it, without waiting.
    /// A session may take a lock it holds again, and must then unlock it as many times.
    public func tryAdvisoryLock(_ key: Int64) throws(DatabaseError) -> Bool {
        let rows = try query("SELECT pg_catalog.pg_try_advisory_lock($1::bigint) AS locked", [.integer(key)])
        guard let locked = rows.first?.bool("locked") else {
            throw DatabaseError(.statement, "pg_try_advisory_lock gave no answer")
        }
        return locked
    }

    /// Releases the session advisory lock `key` once; `.notFound` when this session does not hold it.
    public func advisoryUnlock(_ key: Int64) throws(DatabaseError) {
        let rows = try query("SELECT pg_catalog.pg_advisory_unlock($1::bigint) AS unlocked", [.integer(key)])
        guard rows.first?.bool("unlocked") == true else {
            throw DatabaseError(.notFound, "advisory lock \(key) is not held by this session")
        }
    }

    // MARK: - libpq

    private func connection() throws(DatabaseError) -> OpaquePointer {
        guard let handle else { throw DatabaseError.closedConnection }
        return handle
    }

    private static func connect(_ settings: [(String, String)]) -> OpaquePointer? {
        let keywords = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keywordList = keywords.map { $0.map { UnsafePointer($0) } } + [nil]
        let valueList = values.map { $0.map { UnsafePointer($0) } } + [nil]
        return PQconnectdbParams(keywordList, valueList, 1)
    }

    /// The error a result stands for, nil for success. Ends a COPY the server started, which Berth does not speak.
    private func check(_ result: OpaquePointer, on connection: OpaquePointer) -> DatabaseError? {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return nil
        case PGRES_COPY_IN:
            PQputCopyEnd(connection, "berth does not send COPY data")
            return DatabaseError(.statement, "COPY FROM STDIN is not supported")
        case PGRES_COPY_OUT:
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection, &buffer, 0) > 0 {
                PQfreemem(buffer)
            }
            return DatabaseError(.statement, "COPY TO STDOUT is not supported")
        default:
            return failure(connection, result)
        }
    }

    /// The error of a failed call: from `result` when there is one, else from the connection.
    private func failure(_ connection: OpaquePointer, _ result: OpaquePointer?) -> DatabaseError {
        func field(_ code: Character) -> String? {
            guard let result, let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else {
                return nil
            }
            return String(cString: value)
        }
        let sqlState = field("C")
        var message = field("M") ?? Self.trimmed(String(cString: PQerrorMessage(connection)))
        if let detail = field("D") { message += "; " + detail }
        let code = PQstatus(connection) == CONNECTION_OK ? Self.code(sqlState: sqlState) : .connection
        if code == .connection {
            return DatabaseError(.connection, "lost the connection to \(redactedURL): \(message)", sqlState: sqlState)
        }
        return DatabaseError(code, message, sqlState: sqlState)
    }

    private static func code(sqlState: String?) -> DatabaseError.Code {
        guard let sqlState else { return .statement }
        switch sqlState {
        case let state where state.hasPrefix("23"): return .constraint
        case "55P03", "40001", "40P01": return .busy  // lock not available, serialization failure, deadlock
        case let state where state.hasPrefix("08") && state != "08P01": return .connection
        case "57P01", "57P02", "57P03": return .connection  // the server shut down or is starting
        default: return .statement
        }
    }

    private static func rows(of result: OpaquePointer) -> [SQLRow] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { PQfname(result, $0).map { String(cString: $0) } ?? "" }
        // int8, int2, int4: the only columns answered as numbers.
        let integral = (0..<columnCount).map { [20, 21, 23].contains(PQftype(result, $0)) }
        return (0..<rowCount).map { row in
            let values = (0..<columnCount).map { column -> SQLValue in
                guard PQgetisnull(result, row, column) == 0, let bytes = PQgetvalue(result, row, column) else { return .null }
                let count = Int(PQgetlength(result, row, column))
                let text = bytes.withMemoryRebound(to: UInt8.self, capacity: count) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
                }
                if integral[Int(column)], let value = Int64(text) { return .integer(value) }
                return .text(text)
            }
            return SQLRow(columns: columns, values: values)
        }
    }

    // MARK: - Messages

    /// libpq's connection failure in one line: `connection to server at "h", port 1 failed: Connection refused`
    /// and its hint lines become `connection refused`. Never holds the password.
    static func connectionMessage(_ raw: String, password: String?) -> String {
        var reasons: [String] = []
        for line in raw.split(separator: "\n") where !line.hasPrefix("\t") && !line.hasPrefix(" ") {
            var reason = Substring(trimmed(String(line)))
            if reason.hasPrefix("connection to server"), let failed = reason.firstRange(of: " failed: ") {
                reason = reason[failed.upperBound...]
            }
            for severity in ["FATAL:", "ERROR:"] where reason.hasPrefix(severity) {
                reason = reason.dropFirst(severity.count).drop { $0 == " " }
            }
            var sentence = String(reason)
            // "Connection refused" -> "connection refused", but "SSL ..." stays.
            if let first = sentence.first, first.isUppercase, sentence.dropFirst().first?.isLowercase == true {
                sentence = first.lowercased() + sentence.dropFirst()
            }
            if !sentence.isEmpty, !reasons.contains(sentence) { reasons.append(sentence) }
        }
        var message = reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
        // libpq does not echo passwords; this is a second fence. A very short password would match
        // ordinary words, so only those of 4 characters and more are scrubbed.
        if let password, password.count >= 4 {
            message = message.replacingAll(password, with: "(sensitive)")
        }
        return message
    }

    /// A best-effort redaction of something that is not a PostgreSQL URL: everything between `://` and `@`.
    private static func redact(_ text: String) -> String {
        guard let separator = text.firstRange(of: "://"), let at = text.lastIndex(of: "@"), at > separator.upperBound else {
            return text
        }
        return text[..<separator.upperBound] + "…" + text[at...]
    }

    private static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension SQLValue {
    /// The text form PostgreSQL reads for a parameter of any type; nil for NULL.
    fileprivate var postgresText: String? {
        switch self {
        case .null: nil
        case .integer(let value): String(value)
        case .real(let value) where value.isNaN: "NaN"
        case .real(let value) where value.isInfinite: value < 0 ? "-Infinity" : "Infinity"
        case .real(let value): String(value)
        case .text(let value): value
        }
    }
}
