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
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
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
