public import BerthModel
import BerthCore
import BerthDatabase
#if canImport(Glibc)
import Glibc
#endif

/// Backups on the host: files under the environment's backup root, PostgreSQL through its own client
/// programs (found on `PATH`, else under `/usr/lib/postgresql/*/bin`), SQLite through its backup API.
/// A database that also holds Berth's state store keeps those tables out of its backups and its restores.
public struct LocalBackupDriver: BackupDriver {
    /// The process environment the client programs inherit (`PATH` finds them).
    let variables: [String: String]

    public init(variables: [String: String]) {
        self.variables = variables
    }

    public func prepare(folder: String) throws(BackupError) {
        do {
            try PrivateFile.makeDirectory(folder, mode: 0o700)
        } catch {
            throw BackupError("cannot make the backup folder \(error.path): \(error.reason)")
        }
    }

    public func backupDatabase(_ location: DatabaseLocation, password: String?, to path: String) throws(BackupError) -> StoredFile? {
        switch location {
        case .sqlite(let database):
            guard LocalFileSystem().fileExists(atPath: database) else { return nil }
            do {
                try SQLiteBackup.copy(database, to: path)
            } catch {
                throw BackupError("cannot back up the SQLite database \(database): \(error)")
            }
        case .postgres(let url, _):
            try dump(url, password: password, to: path)
        }
        guard let stored = inspect(path) else { throw BackupError("the backup \(path) vanished as it was written") }
        return stored
    }

    public func restoreDatabase(_ location: DatabaseLocation, password: String?, from path: String, mask: String?) throws(BackupError) {
        var maskSQL: String?
        if let mask {
            do throws(FileSystemError) {
                maskSQL = String(decoding: try LocalFileSystem().readFile(atPath: mask), as: UTF8.self)
            } catch {
                throw BackupError("cannot read the masking file \(error.path): \(error.reason); nothing was restored")
            }
        }
        switch location {
        case .sqlite(let database):
            do {
                try SQLiteBackup.restore(database, from: path, then: maskSQL)
            } catch {
                throw BackupError("cannot restore the SQLite database \(database) from \(path): \(error)")
            }
        case .postgres(let url, _):
            try restore(url, password: password, from: path, mask: mask)
        }
    }

    public func store(_ bytes: [UInt8], at path: String) throws(BackupError) -> StoredFile {
        let stored = StoredFile(bytes)
        if inspect(path) == stored { return stored }
        do {
            try PrivateFile.makeDirectory(Paths.directory(of: path), mode: 0o700)
            try PrivateFile.write(bytes, to: path, mode: 0o600)
        } catch {
            throw BackupError("cannot write the backup \(path): \(error.reason)")
        }
        return stored
    }

    public func read(_ path: String) -> [UInt8]? { try? LocalFileSystem().readFile(atPath: path) }

    /// The file's SHA-256 and size, read in chunks.
    public func inspect(_ path: String) -> StoredFile? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var size = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += count
        }
        return StoredFile(sha256: hasher.finalize().hexString, size: size)
    }

    public func exists(_ path: String) -> Bool { LocalFileSystem().fileExists(atPath: path) }

    public func move(_ path: String, to destination: String) throws(BackupError) {
        do {
            try PrivateFile.move(path, to: destination)
        } catch {
            throw BackupError("cannot move \(path) aside: \(error.reason)")
        }
    }

    public func remove(_ path: String) {
        unlink(path)
    }

    // MARK: - PostgreSQL

    /// `pg_dump` into a new file of mode 0600, after checking that it is not older than the server.
    private func dump(_ url: String, password: String?, to path: String) throws(BackupError) {
        let serverMajor = try serverVersion(url, password: password)
        let tool = try locate("pg_dump", serverMajor: serverMajor)
        let fd: Int32
        do {
            fd = try PrivateFile.create(path)
        } catch {
            throw BackupError("cannot create the backup \(path): \(error.reason)")
        }
        let result: ChildProcess.Result
        do throws(BackupError) {
            result = try child(tool, PostgresTools.dumpArguments(url: url, excluding: SQLStateStore.tables), password: password).run(output: fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard result.succeeded, synced else {
            unlink(path)
            throw BackupError("cannot back up \(url): \(result.succeeded ? "cannot sync \(path)" : result.failure("pg_dump"))")
        }
        PrivateFile.syncDirectory(of: path)
    }

    /// The archive's SQL (`pg_restore --clean --if-exists`) run by `psql` in one transaction, after
    /// dropping what the database holds that the archive does not (made after the backup).
    /// The SQL file `mask`, when given, runs after the script in the same transaction.
    private func restore(_ url: String, password: String?, from archive: String, mask: String?) throws(BackupError) {
        let restoreTool = try locate("pg_restore", serverMajor: nil)
        let psql = try locate("psql", serverMajor: nil)
        guard let list = try child(restoreTool, PostgresTools.listArguments(archive: archive), password: nil).outputText() else {
            throw BackupError("\(archive) is not an archive pg_restore \(restoreTool.major) can read")
        }
        let drops = PostgresTools.drops(
            present: try objects(url, password: password), archive: PostgresTools.archiveObjects(list: list), keeping: SQLStateStore.tables
        )

        // The script holds the data: a private file beside the archive, removed afterwards.
        let script = "\(Paths.directory(of: archive))/.\(Paths.fileName(of: archive)).restore-\(getpid()).sql"
        unlink(script)
        let fd: Int32
        do {
            fd = try PrivateFile.create(script)
        } catch {
            throw BackupError("cannot write \(script): \(error.reason)")
        }
        defer { unlink(script) }
        let written: ChildProcess.Result
        do throws(BackupError) {
            written = try child(restoreTool, PostgresTools.scriptArguments(archive: archive), password: nil).run(output: fd)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard written.succeeded else { throw BackupError("cannot read \(archive): \(written.failure("pg_restore"))") }
        let ran = try child(psql, PostgresTools.runArguments(url: url, drops: drops, file: script, mask: mask), password: password).run()
        guard ran.succeeded else {
            throw BackupError("cannot restore \(url) (nothing was changed: it runs in one transaction): \(ran.failure("psql"))")
        }
    }

    private func serverVersion(_ url: String, password: String?) throws(BackupError) -> Int {
        do {
            let database = try PostgresDatabase(url: url, password: password)
            defer { database.close() }
            guard let number = try database.query("SHOW server_version_num").first?.int("server_version_num") else {
                throw BackupError("\(url) did not say its version")
            }
            return PostgresTools.majorVersion(ofServerVersionNumber: Int(number))
        } catch let error as BackupError {
            throw error
        } catch {
            throw BackupError("cannot back up \(url): \(error)")
        }
    }

    /// The schemas, relations and types the database holds now.
    private func objects(_ url: String, password: String?) throws(BackupError) -> [PostgresTools.Object] {
        do {
            let database = try PostgresDatabase(url: url, password: password)
            defer { database.close() }
            return try database.query(PostgresTools.objectsQuery).compactMap { row in
                guard let kind = row.string("kind").flatMap(PostgresTools.Object.Kind.init(rawValue:)),
                      let schema = row.string("schema"), let name = row.string("name") else { return nil }
                return PostgresTools.Object(kind, schema: schema, name: name)
            }
        } catch {
            throw BackupError("cannot restore \(url): \(error)")
        }
    }

    struct Tool {
        var path: String
        var major: Int
    }

    /// The first `name` on `PATH`, else the newest under `/usr/lib/postgresql/*/bin`, that is at least
    /// `serverMajor` when one is given. Debian's `pg_wrapper` on `PATH` (a Perl script that runs the newest
    /// installed version, tens of milliseconds a start) is passed over for the programs it would run.
    private func locate(_ name: String, serverMajor: Int?) throws(BackupError) -> Tool {
        let path = variables["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/bin:/usr/bin:/bin"
        let installed = ((try? LocalFileSystem().contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { version in version.text.flatMap { Int($0) }.map { ($0, "/usr/lib/postgresql/\(version)/bin") } }
            .sorted { $0.0 > $1.0 }.map(\.1)
        var tooOld: Tool?
        let files = LocalFileSystem()
        for folder in path.split(separator: ":").map(String.init) + installed {
            let candidate = folder + "/" + name
            if !installed.isEmpty, let real = files.resolvingSymlinks(candidate), Paths.fileName(of: real) == "pg_wrapper" { continue }
            guard access(candidate, X_OK) == 0,
                  let version = try ChildProcess(executable: candidate, arguments: ["--version"], environment: variables).outputText(),
                  let major = PostgresTools.majorVersion(ofToolOutput: version) else { continue }
            let tool = Tool(path: candidate, major: major)
            guard let serverMajor, major < serverMajor else { return tool }
            tooOld = tooOld ?? tool
        }
        if let tooOld, let serverMajor,
           let problem = PostgresTools.dumpVersionProblem(tool: tooOld.path, toolMajor: tooOld.major, serverMajor: serverMajor) {
            throw BackupError(problem)
        }
        throw BackupError("\(name) is not installed (on Debian: apt-get install postgresql-client)")
    }

    private func child(_ tool: Tool, _ arguments: [String], password: String?) -> ChildProcess {
        ChildProcess(executable: tool.path, arguments: arguments, environment: PostgresTools.environment(variables, password: password))
    }
}
