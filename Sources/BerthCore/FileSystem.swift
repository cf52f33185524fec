#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What loading reads: files, folders and links. Loading never writes.
public protocol FileSystem: Sendable {
    func readFile(atPath path: String) throws(FileSystemError) -> [UInt8]
    func fileExists(atPath path: String) -> Bool
    func directoryExists(atPath path: String) -> Bool
    /// Entry names as the file system holds them, sorted. A name need not be UTF-8 text: each caller
    /// says what one that is not means, rather than have it vanish or change into another name.
    func contentsOfDirectory(atPath path: String) throws(FileSystemError) -> [FileName]
    /// The path with every symbolic link resolved, for an existing file; nil otherwise. A path that is
    /// not UTF-8 text comes as `FileName` shows it, fit to compare and to show, not to open.
    func resolvingSymlinks(_ path: String) -> String?
    /// The permission bits of a regular file; nil when there is none.
    func fileMode(atPath path: String) -> Int?
    /// What is at `path`, following links: only a regular file is ever read.
    func entryKind(atPath path: String) -> FileEntryKind
}

/// What a path names. Berth reads regular files only: a named pipe would block a read forever, and a
/// device or a folder is never what a person meant.
public enum FileEntryKind: Hashable, Sendable {
    case regular, directory, namedPipe, device, socket, other, missing
    /// A symbolic link whose target does not exist.
    case danglingLink(target: String)

    /// Why this is not a file Berth can read, as the end of a sentence about the path; nil for a regular file.
    public var notAFile: String? {
        switch self {
        case .regular: nil
        case .directory: "is a directory, not a file"
        case .namedPipe: "is a named pipe, not a file"
        case .device: "is a device, not a file"
        case .socket: "is a socket, not a file"
        case .other: "is not a regular file"
        case .missing: "does not exist"
        case .danglingLink(let target): "is a symbolic link to \(target), which does not exist"
        }
    }
}

extension FileSystem {
    /// Regular, directory or missing, from the protocol's other answers: enough for file systems without
    /// pipes, devices or links (the in-memory one).
    public func entryKind(atPath path: String) -> FileEntryKind {
        if fileExists(atPath: path) { return .regular }
        return directoryExists(atPath: path) ? .directory : .missing
    }
}

/// A name in a folder (or a path) as the file system holds it: bytes, nearly always UTF-8 text, but on
/// Linux any bytes but `/` and NUL (a name written in Latin-1 on another machine, `caf\xE9.conf`).
public struct FileName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(_ text: String) { bytes = Array(text.utf8) }

    /// The name as text; nil when its bytes are not UTF-8.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    /// The name as messages show it: its text, with each byte that is not part of UTF-8 text written
    /// `\xE9`. ASCII stays as it is, so a name that ends in `.yaml` still does when shown.
    public var description: String {
        if let text { return text }
        var out = ""
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            if length > 0, index + length <= bytes.count,
               let scalar = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                out += scalar
                index += length
            } else {
                // Never ASCII, so always two digits.
                out += "\\x" + String(lead, radix: 16, uppercase: true)
                index += 1
            }
        }
        return out
    }

    public static func < (lhs: FileName, rhs: FileName) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

public struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// The machine's own file system.
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func readFile(atPath path: String) throws(FileSystemError) -> [UInt8] {
        // O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused just below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = Self.lastError()
            throw FileSystemError(path: path, reason: entryKind(atPath: path).notAFile.flatMap { $0 == "does not exist" ? nil : $0 } ?? reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(path: path, reason: Self.lastError()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileSystemError(path: path, reason: Self.kind(info.st_mode).notAFile ?? "is not a regular file")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, reason: Self.lastError())
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    public func fileExists(atPath path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    public func directoryExists(atPath path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func contentsOfDirectory(atPath path: String) throws(FileSystemError) -> [FileName] {
        guard let directory = opendir(path) else { throw FileSystemError(path: path, reason: Self.lastError()) }
        defer { closedir(directory) }
        var names: [FileName] = []
        while let entry = readdir(directory) {
            // The name's own bytes, read where they lie up to the NUL: a record is only as long as its name needs,
            // so a copy of the whole 256-byte `d_name` could read past the end of readdir's buffer; and
            // `String(cString:)` would change bytes that are not UTF-8.
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                let start = UnsafeRawPointer(pointer)
                let length = strlen(start.assumingMemoryBound(to: CChar.self))
                return FileName(bytes: Array(UnsafeRawBufferPointer(start: start, count: length)))
            }
            if name.bytes != [0x2E] && name.bytes != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted()
    }

    public func fileMode(atPath path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_mode & 0o7777)
    }

    public func entryKind(atPath path: String) -> FileEntryKind {
        var info = stat()
        if stat(path, &info) == 0 { return Self.kind(info.st_mode) }
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return .missing }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        let target = count > 0 ? FileName(bytes: buffer.prefix(count).map { UInt8(bitPattern: $0) }).description : "?"
        return .danglingLink(target: target)
    }

    private static func kind(_ mode: mode_t) -> FileEntryKind {
        switch mode & S_IFMT {
        case S_IFREG: .regular
        case S_IFDIR: .directory
        case S_IFIFO: .namedPipe
        case S_IFCHR, S_IFBLK: .device
        case S_IFSOCK: .socket
        default: .other
        }
    }

    public func resolvingSymlinks(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return FileName(bytes: Array(UnsafeBufferPointer(start: resolved, count: strlen(resolved))).map { UInt8(bitPattern: $0) }).description
    }

    /// The current directory, for making a relative project path absolute.
    public static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Files held in memory, for tests.
public struct InMemoryFileSystem: FileSystem {
    public var files: [String: [UInt8]]

    public init(files: [String: String] = [:]) {
        self.files = files.mapValues { Array($0.utf8) }
    }

    public func readFile(atPath path: String) throws(FileSystemError) -> [UInt8] {
        guard let bytes = files[Paths.normalize(path)] else { throw FileSystemError(path: path, reason: "No such file or directory") }
        return bytes
    }

    public func fileExists(atPath path: String) -> Bool { files[Paths.normalize(path)] != nil }

    public func directoryExists(atPath path: String) -> Bool {
        let prefix = Paths.normalize(path) + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }

    public func contentsOfDirectory(atPath path: String) throws(FileSystemError) -> [FileName] {
        let prefix = Paths.normalize(path) + "/"
        let names = Set(files.keys.filter { $0.hasPrefix(prefix) }.compactMap {
            $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init)
        })
        guard !names.isEmpty else { throw FileSystemError(path: path, reason: "No such file or directory") }
        return names.map(FileName.init).sorted()
    }

    public func resolvingSymlinks(_ path: String) -> String? {
        fileExists(atPath: path) || directoryExists(atPath: path) ? Paths.normalize(path) : nil
    }

    public func fileMode(atPath path: String) -> Int? { fileExists(atPath: path) ? 0o644 : nil }
}
