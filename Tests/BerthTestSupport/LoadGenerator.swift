import Foundation

/// `wrk` on a loopback URL for as long as a deploy takes: started before it, interrupted after it (wrk
/// prints its summary on SIGINT), bounded by `seconds` in any case.
public final class LoadGenerator: @unchecked Sendable {
    /// What wrk counted.
    public struct Summary: Hashable, Sendable, CustomStringConvertible {
        public var requests: Int
        /// Responses outside 2xx and 3xx.
        public var non2xx: Int
        /// Connect, read, write and timeout errors.
        public var socketErrors: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var requestsPerSecond: Double
        /// wrk's own text.
        public var raw: String

        public var description: String {
            "\(requests) requests, \(non2xx) non-2xx/3xx, \(socketErrors) socket errors, p50 \(p50Milliseconds) ms, p99 \(p99Milliseconds) ms"
        }

        public static func parse(_ text: String) -> Summary {
            func number(after label: String, in line: Substring) -> Double? {
                guard let range = line.range(of: label) else { return nil }
                let rest = line[range.upperBound...].drop { $0 == " " }
                return Double(rest.prefix { $0.isNumber || $0 == "." })
            }
            func milliseconds(_ line: Substring) -> Double {
                let token = line.split(separator: " ").last.map(String.init) ?? ""
                let value = Double(token.prefix { $0.isNumber || $0 == "." }) ?? 0
                if token.hasSuffix("us") { return value / 1000 }
                if token.hasSuffix("ms") { return value }
                if token.hasSuffix("s") { return value * 1000 }
                return value
            }
            var summary = Summary(requests: 0, non2xx: 0, socketErrors: 0, p50Milliseconds: 0, p99Milliseconds: 0, requestsPerSecond: 0, raw: text)
            for line in text.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                if trimmed.hasPrefix("50%") { summary.p50Milliseconds = milliseconds(trimmed) }
                if trimmed.hasPrefix("99%") { summary.p99Milliseconds = milliseconds(trimmed) }
                if trimmed.contains("requests in") { summary.requests = Int(trimmed.prefix { $0.isNumber }) ?? 0 }
                if trimmed.hasPrefix("Non-2xx or 3xx responses:") { summary.non2xx = Int(number(after: ":", in: trimmed) ?? 0) }
                if trimmed.hasPrefix("Requests/sec:") { summary.requestsPerSecond = number(after: ":", in: trimmed) ?? 0 }
                if trimmed.hasPrefix("Socket errors:") {
                    summary.socketErrors = ["connect", "read", "write", "timeout"].reduce(0) { total, label in
                        total + Int(number(after: label, in: trimmed) ?? 0)
                    }
                }
            }
            return summary
        }
    }

    private let pid: pid_t
    private let output: String

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") }

    /// Starts `wrk -t THREADS -c CONNECTIONS -d SECONDS --timeout 5s --latency URL` (a request slower than 5 s counts as failed). Spawned with no signal blocked and
    /// default dispositions: a test runner's threads block signals, and a child would inherit that and
    /// never see the SIGINT that asks for its summary.
    public init(url: String, connections: Int = 16, threads: Int = 2, seconds: Int = 90) throws {
        output = TemporaryDirectory.make(prefix: "berth-wrk") + "/wrk.out"
        let arguments = ["/usr/bin/wrk", "-t", "\(threads)", "-c", "\(connections)", "-d", "\(seconds)s", "--timeout", "5s", "--latency", url]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, arguments[0], &actions, &attributes, argv, environ)
        guard code == 0 else { throw FixtureError("cannot start wrk: \(String(cString: strerror(code)))") }
        pid = child
    }

    /// Interrupts wrk (it prints its summary on SIGINT) and reads the summary.
    public func stop() async -> Summary {
        kill(pid, SIGINT)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent)
        return Summary.parse(text)
    }
}
