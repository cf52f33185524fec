#if canImport(Glibc)
internal import Glibc
#endif

/// Files that hold what other files held (a database, a config with secrets): created with their
/// final, private mode from the first moment (never wider for an instant, whatever the umask),
/// written whole, synced to the disk, and put in place by a rename.
public enum PrivateFile {
    /// Folders that are missing on the way to `path` are made: `path` itself with `mode`, those above it
    /// 0755. An existing `path` whose mode lets group or others in is narrowed to `mode`.
    public static func makeDirectory(_ path: String, mode: Int = 0o700) throws(FileSystemError) {
        var current = ""
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() {
            current += "/" + part
            let last = index == parts.count - 1
            if mkdir(current, mode_t(last ? mode : 0o755)) != 0 && errno != EEXIST {
                throw FileSystemError(path: current, reason: lastError())
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileSystemError(path: path, reason: "is not a folder")
        }
        if Int(info.st_mode) & 0o077 & ~mode != 0, chmod(path, mode_t(mode)) != 0 {
            throw FileSystemError(path: path, reason: "cannot narrow its mode to \(String(mode, radix: 8)): \(lastError())")
        }
    }

    /// Opens a new file at `path` for writing, created with `mode` (an existing file is refused).
    public static func create(_ path: String, mode: Int = 0o600) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError(path: path, reason: lastError()) }
        // The umask may have taken bits away; it never adds any.
        if fchmod(fd, mode_t(mode)) != 0 {
            let reason = lastError()
            close(fd)
            unlink(path)
            throw FileSystemError(path: path, reason: reason)
        }
        return fd
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Copies what is left of `source` into `destination`.
    public static func copy(from source: Int32, to destination: Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            if count == 0 { return true }
            guard chunk.withUnsafeBytes({ writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: destination) }) else { return false }
        }
    }

    /// Writes `bytes` as the file at `path` with `mode`: beside it first, synced, then renamed into place.
    public static func write(_ bytes: [UInt8], to path: String, mode: Int = 0o600) throws(FileSystemError) {
        try move(try writeBeside(path, bytes: bytes, mode: mode), to: path)
    }

    /// Writes `bytes` with `mode` to a new file beside `path` (`.NAME.berth-PID`), synced, and gives its
    /// path: for a file another program checks before `move` puts it in place.
    public static func writeBeside(_ path: String, bytes: [UInt8], mode: Int = 0o600) throws(FileSystemError) -> String {
        let temporary = "\(Paths.directory(of: path))/.\(Paths.fileName(of: path)).berth-\(getpid())"
        unlink(temporary)
        let fd = try create(temporary, mode: mode)
        let written = bytes.withUnsafeBytes { writeAll($0, to: fd) } && fsync(fd) == 0
        let reason = lastError()
        close(fd)
        guard written else {
            unlink(temporary)
            throw FileSystemError(path: path, reason: reason)
        }
        return temporary
    }

    /// Renames `temporary` over `path` (in the same folder) and syncs the folder; `temporary` is removed if that fails.
    public static func move(_ temporary: String, to path: String) throws(FileSystemError) {
        guard rename(temporary, path) == 0 else {
            let reason = lastError()
            unlink(temporary)
            throw FileSystemError(path: path, reason: reason)
        }
        syncDirectory(of: path)
    }

    /// Makes a rename or an unlink in the folder of `path` durable.
    public static func syncDirectory(of path: String) {
        let fd = open(Paths.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The permission bits of a regular file, nil when there is none.
    public static func mode(of path: String) -> Int? { LocalFileSystem().fileMode(atPath: path) }

    /// The error of the last failed system call, for a message.
    public static func lastError() -> String { String(cString: strerror(errno)) }
}
