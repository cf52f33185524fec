import Foundation
import Glibc
import BerthTestSupport

/// `berth-bench pathological [--berth PATH] [--case NAME] [--runs N] DIR`: writes each pathological project of
/// issue 8 at full size below DIR, runs the `berth` beside this program on it (`validate`, then `render` and `plan`
/// of one environment) as a child process, and prints a row per command: the median wall time over the runs, the
/// child's largest peak resident size (from wait4), the exit code and the first line of standard error.
///
/// A child's peak from wait4 is at least the size of the process that started it (Linux counts the memory the
/// child had before exec), so the projects are written by another process (`--write-only`) and this one stays
/// small; it prints its own size first, the floor of every figure.
///
/// `plan` needs an engine: without one it loads and resolves (templates rendered, secrets and files hashed),
/// then stops at observing a project with services, with exit 1 and the engine's error as its first line.
/// With `BERTH_ENGINE` set, it is passed on as `DOCKER_HOST`, and `plan` observes and plans.
enum PathologicalBenchmark {
    struct Run {
        var seconds: Double
        var peakResidentMiB: Double
        var status: Int32
        var firstLine: String
    }

    static func write(directory: String, only: String?) throws {
        mkdir(directory, 0o755)
        for project in PathologicalProjects.all(.full) where only == nil || only == project.name {
            let root = directory + "/" + project.name
            try? FileManager.default.removeItem(atPath: root)
            try project.write(to: root)
        }
    }

    static func run(directory: String, berth: String, only: String?, runs: Int, timeout: Double) throws {
        mkdir(directory, 0o755)
        let writer = try spawn(
            siblingExecutable("berth-bench"), ["pathological", "--write-only"] + (only.map { ["--case", $0] } ?? []) + [directory],
            directory: directory, timeout: 600
        )
        guard writer.status == 0 else { throw BenchError("writing the projects failed: \(writer.firstLine)") }
        print("berth: \(berth); projects in \(directory); this process: \(format(peakResidentMiB())) MiB at its peak")
        if let engine = getenv("BERTH_ENGINE") { setenv("DOCKER_HOST", engine, 1) }
        // The secret of the generated environment of `berth-bench generate`, for plan's resolution.
        setenv("BENCH_TOKEN", "token", 1)
        print("| case | size | command | time | peak RSS | exit | first line of standard error |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        var mismatches: [String] = []
        for project in PathologicalProjects.all(.full) where only == nil || only == project.name {
            let root = directory + "/" + project.name
            let commands = [["validate"], ["render", "--env", project.environment], ["plan", "--env", project.environment]]
            for arguments in commands {
                var results: [Run] = []
                for _ in 0..<max(1, runs) {
                    results.append(try spawn(berth, arguments + ["--project", root, "--no-color"], directory: directory, timeout: timeout))
                }
                var result = results[results.count - 1]
                result.seconds = results.map(\.seconds).sorted()[results.count / 2]
                result.peakResidentMiB = results.map(\.peakResidentMiB).max() ?? 0
                let line = result.firstLine.replacingOccurrences(of: root + "/", with: "")
                print("| \(project.name) | \(project.summary) | \(arguments[0]) | \(milliseconds(result.seconds)) ms | "
                    + "\(format(result.peakResidentMiB)) MiB | \(result.status) | \(cut(line)) |")
                if arguments[0] == "validate" {
                    let expected = project.firstDiagnostic?.description ?? ""
                    if result.status != project.status || !line.hasPrefix(expected) {
                        mismatches.append("\(project.name): expected exit \(project.status) and '\(expected)', got \(result.status) and '\(line)'")
                    }
                }
            }
        }
        for mismatch in mismatches { print("MISMATCH \(mismatch)") }
        if !mismatches.isEmpty { exit(1) }
    }

    private static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded()))" }

    private static func cut(_ line: String) -> String {
        let escaped = line.replacingOccurrences(of: "|", with: "\\|")
        return escaped.count > 140 ? String(escaped.prefix(140)) + "…" : escaped
    }

    /// Runs `executable ARGUMENTS` with standard output to /dev/null and standard error to a file, killing it
    /// after `timeout` seconds; its own resource usage comes from wait4.
    static func spawn(_ executable: String, _ arguments: [String], directory: String, timeout: Double) throws -> Run {
        let errorFile = directory + "/stderr.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let began = now()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { throw BenchError("wait4: \(String(cString: strerror(errno)))") }
            if now() - began > timeout * 1000 {
                kill(pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                return Run(seconds: (now() - began) / 1000, peakResidentMiB: Double(usage.ru_maxrss) / 1024, status: -1, firstLine: "killed after \(timeout) s")
            }
            usleep(500)
        }
        let seconds = (now() - began) / 1000
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let text = (try? readFile(errorFile)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return Run(seconds: seconds, peakResidentMiB: Double(usage.ru_maxrss) / 1024, status: exitStatus, firstLine: firstLine)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
