internal import CSQLite
internal import BerthCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Copies of a SQLite database file: taken with SQLite's online backup API, which copies one committed
/// state even while other connections write (in WAL or rollback mode), and put back by an atomic swap.
public enum SQLiteBackup {
    /// Copies the database at `source` into a new file at `destination`, created with mode 0600 (an
    /// existing file is refused). On failure nothing is left at `destination`.
    public static func copy(_ source: String, to destination: String) throws(DatabaseError) {
        let from = try SQLiteDatabase(path: source, readOnly: true)
        defer { from.close() }
        do throws(FileSystemError) {
            close(try PrivateFile.create(destination))
        } catch {
            throw DatabaseError(.connection, "cannot create \(destination): \(error.reason)")
        }
        do throws(DatabaseError) {
            let to = try SQLiteDatabase(path: destination)
            defer { to.close() }
            try backup(from: from, to: to, what: "copy \(source)")
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(destination + suffix) }
            throw error
        }
    }

    /// Puts the database at `path` back as the copy at `backup` holds it. The copy is checked first
    /// (`PRAGMA quick_check`), written beside `path` with the current file's mode (0600 when there is
    /// none), synced, and renamed over it; the old file's `-wal`, `-shm` and `-journal` are removed
    /// just before, since they belong to the old file. A connection that has the old file open keeps
    /// reading it until it opens the file again: stop the application first. `mask`, when given, is SQL
    /// run in one transaction on the copy before it is renamed into place: a failure leaves `path` as it was.
    public static func restore(_ path: String, from backup: String, then mask: String? = nil) throws(DatabaseError) {
        try check(backup)
        let mode = PrivateFile.mode(of: path) ?? 0o600
        let temporary = "\(Paths.directory(of: path))/.\(Paths.fileName(of: path)).berth-restore-\(getpid())"
        unlink(temporary)
        let source = Glibc.open(backup, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw DatabaseError(.notFound, "cannot read \(backup): \(PrivateFile.lastError())") }
        defer { close(source) }
        let fd: Int32
        do throws(FileSystemError) {
            fd = try PrivateFile.create(temporary, mode: mode)
        } catch {
            throw DatabaseError(.connection, "cannot write beside \(path): \(error.reason)")
        }
        let copied = PrivateFile.copy(from: source, to: fd) && fsync(fd) == 0
        let reason = PrivateFile.lastError()
        close(fd)
        guard copied else {
            unlink(temporary)
            throw DatabaseError(.connection, "cannot write beside \(path): \(reason)")
        }
        if let mask {
            do throws(DatabaseError) {
                try run(mask, on: temporary)
            } catch {
                for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) }
                throw DatabaseError(.invalidArgument, "the masking SQL failed, nothing was restored: \(error)")
            }
        }
        for suffix in ["-wal", "-shm", "-journal"] { unlink(path + suffix) }
        do throws(FileSystemError) {
            try PrivateFile.move(temporary, to: path)
        } catch {
            throw DatabaseError(.connection, "cannot put \(backup) in place of \(path): \(error.reason)")
        }
    }

    /// `sql` in one transaction on the database at `path`, which is closed (and synced) before it returns.
    static func run(_ sql: String, on path: String) throws(DatabaseError) {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        try database.begin()
        do throws(DatabaseError) {
            try database.execute(sql)
            try database.commit()
        } catch {
            try? database.rollback()
            throw error
        }
    }

    /// Refuses a file that is not a sound SQLite database.
    static func check(_ path: String) throws(DatabaseError) {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        defer { database.close() }
        let rows: [SQLRow]
        do {
            rows = try database.query("PRAGMA quick_check")
        } catch {
            throw DatabaseError(.invalidArgument, "\(path) is not a sound SQLite database: \(error)")
        }
        let answers = rows.compactMap { $0.columns.first.flatMap($0.string) }
        guard answers == ["ok"] else {
            throw DatabaseError(.invalidArgument, "\(path) is not a sound SQLite database: \(answers.prefix(3).joined(separator: "; "))")
        }
    }

    /// Copies every page in one step, so that the copy is one snapshot; a writer holding the lock is
    /// waited for (up to about 10 seconds).
    private static func backup(from sourceDatabase: SQLiteDatabase, to destinationDatabase: SQLiteDatabase, what: String) throws(DatabaseError) {
        guard let source = sourceDatabase.handle, let destination = destinationDatabase.handle else { throw DatabaseError.closedConnection }
        guard let backup = sqlite3_backup_init(destination, "main", source, "main") else {
            throw DatabaseError(.statement, "cannot \(what): \(String(cString: sqlite3_errmsg(destination)))")
        }
        var status = SQLITE_OK
        for _ in 0..<200 {
            status = sqlite3_backup_step(backup, -1)
            guard status == SQLITE_BUSY || status == SQLITE_LOCKED else { break }
            sqlite3_sleep(50)
        }
        let finished = sqlite3_backup_finish(backup)
        guard status == SQLITE_DONE, finished == SQLITE_OK else {
            let code = status == SQLITE_BUSY || status == SQLITE_LOCKED ? DatabaseError.Code.busy : .statement
            let reason = status == SQLITE_DONE ? String(cString: sqlite3_errmsg(destination)) : String(cString: sqlite3_errstr(status))
            throw DatabaseError(code, "cannot \(what): \(reason)")
        }
    }
}
