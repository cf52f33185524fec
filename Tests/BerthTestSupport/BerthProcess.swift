import Foundation

/// Runs the built `berth` executable, as a user or a CI job would.
public enum BerthProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The package's root folder.
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// `berth` beside the test bundle (same build folder), or `BERTH_BINARY`.
    public static var executable: String {
        if let path = ProcessInfo.processInfo.environment["BERTH_BINARY"] { return path }
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return bundle.appendingPathComponent("berth").path
    }

    /// Runs `berth ARGUMENTS` in `directory` with no terminal; output goes through files, so no pipe can fill up.
    /// Waiting does not hold a thread of the concurrency pool, which other tests need meanwhile.
    public static func run(
        _ arguments: [String], in directory: String = packageRoot, environment: [String: String] = [:], unset: [String] = []
    ) async throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError("no berth executable at \(executable); build it first (swift build --build-tests)")
        }
        return try await run(executable: executable, arguments, in: directory, environment: environment, unset: unset)
    }

    /// Runs any program the same way.
    public static func run(
        executable: String, _ arguments: [String], in directory: String = packageRoot, environment: [String: String] = [:],
        unset: [String] = []
    ) async throws -> Output {
        let scratch = TemporaryDirectory.make(prefix: "berth-run")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outURL = URL(fileURLWithPath: scratch + "/stdout"), errURL = URL(fileURLWithPath: scratch + "/stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = try prepared(executable, arguments, in: directory, environment: environment, unset: unset, output: scratch)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Output(
            status: process.terminationStatus,
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8)
        )
    }

    /// Every file below `directory` with its size and modification time: equal snapshots mean nothing was written.
    public static func snapshot(_ directory: String) -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)
            let size = attributes?[.size].map { "\($0)" } ?? "?"
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[relative] = "\(size) \(modified)"
        }
        return result
    }

    /// A copy of the example project (its `environments/`) in a new temporary folder.
    public static func copyOfExampleProject() throws -> String {
        let root = TemporaryDirectory.make(prefix: "berth-example")
        try FileManager.default.copyItem(atPath: packageRoot + "/environments", toPath: root + "/environments")
        return root
    }
}

extension BerthProcess {
    /// A `berth` started and left running (`logs --follow`), its output in files that can be read at any time.
    public final class Running: Sendable {
        private let process: Process
        private let scratch: String

        fileprivate init(process: Process, scratch: String) {
            self.process = process
            self.scratch = scratch
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: scratch)
        }

        /// What it wrote to standard output so far.
        public var stdout: String { (try? String(contentsOfFile: scratch + "/stdout", encoding: .utf8)) ?? "" }
        public var stderr: String { (try? String(contentsOfFile: scratch + "/stderr", encoding: .utf8)) ?? "" }

        public func signal(_ signal: Int32) {
            kill(process.processIdentifier, signal)
        }

        /// Waits until `condition` holds for standard output, at most `timeout`; whether it did.
        public func waitForOutput(timeout: Duration, _ condition: (String) -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if condition(stdout) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return condition(stdout)
        }

        /// Its exit status once it ended, waiting at most `timeout`; nil if it still runs (it is then killed).
        public func exitStatus(within timeout: Duration) async throws -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            guard !process.isRunning else {
                kill(process.processIdentifier, SIGKILL)
                return nil
            }
            return process.terminationStatus
        }
    }

    /// Starts `berth ARGUMENTS` in `directory` with no terminal, without waiting for it.
    public static func start(_ arguments: [String], in directory: String) throws -> Running {
        let scratch = TemporaryDirectory.make(prefix: "berth-running")
        FileManager.default.createFile(atPath: scratch + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/stderr", contents: nil)
        let process = try prepared(executable, arguments, in: directory, environment: [:], unset: [], output: scratch)
        try process.run()
        return Running(process: process, scratch: scratch)
    }

    /// A process of `executable` with no terminal and without `NO_COLOR`, writing to `output`/stdout and `output`/stderr.
    static func prepared(
        _ executable: String, _ arguments: [String], in directory: String, environment: [String: String], unset: [String], output: String
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = ProcessInfo.processInfo.environment
        variables.removeValue(forKey: "NO_COLOR")
        for (key, value) in environment { variables[key] = value }
        for key in unset { variables.removeValue(forKey: key) }
        process.environment = variables
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output + "/stderr"))
        return process
    }
}
