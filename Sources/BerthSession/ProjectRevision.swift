import Foundation

/// The version control of a user's project, as releases record it: the commit the project is at,
/// and the subjects of the commits between two of them (for release notes). A driver of `Context`.
public protocol ProjectRevision: Sendable {
    /// The commit `directory` is at and whether its tree has changes; nil when it is not a git
    /// repository (or git is missing).
    func current(in directory: String) -> (commit: String, dirty: Bool)?
    /// The commits after `from` up to `to`, oldest first, as `(id, subject)`; empty when either is unknown.
    func commits(in directory: String, from: String, to: String) -> [(id: String, subject: String)]
}

/// `git`, run as a child process with a bounded wait.
public struct GitRevision: ProjectRevision {
    public init() {}

    public func current(in directory: String) -> (commit: String, dirty: Bool)? {
        guard let head = run(["rev-parse", "--verify", "HEAD"], in: directory)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return nil }
        let status = run(["status", "--porcelain", "--untracked-files=no"], in: directory) ?? ""
        return (head, !status.isEmpty)
    }

    public func commits(in directory: String, from: String, to: String) -> [(id: String, subject: String)] {
        guard from != to, let log = run(["log", "--reverse", "--format=%H%x09%s", "\(from)..\(to)"], in: directory) else { return [] }
        return log.split(separator: "\n").compactMap { line -> (id: String, subject: String)? in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2 else { return nil }
            return (String(fields[0]), String(fields[1]))
        }
    }

    /// Standard output of `git -C directory arguments...`, nil when git fails or is missing.
    private func run(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A project that is not under version control: the default driver, and the double for tests that do not care.
public struct NoRevision: ProjectRevision {
    public init() {}
    public func current(in directory: String) -> (commit: String, dirty: Bool)? { nil }
    public func commits(in directory: String, from: String, to: String) -> [(id: String, subject: String)] { [] }
}
