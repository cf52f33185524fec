#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BerthCore
import BerthEngine

/// `berth-bench everyday [--services 30] [--runs N] DIR`: the everyday commands through the `berth` binary
/// beside this one (release build), each timed from process start to exit, side by side with what a user
/// types without Berth: the `docker` CLI on the same engine (`BERTH_ENGINE`, Podman's Docker API here).
///
/// - status of N running services, against `docker ps --filter label=...`;
/// - the last 5 lines of one service's logs, against `docker logs --tail 5`;
/// - a plan limited to one container (`--target`) and the full plan, with every service changed;
/// - destroy of the N services (re-applied before each run, untimed), against `docker ps -aq` then `docker rm -f`.
enum EverydayBenchmark {
    static func run(services count: Int, runs: Int, engineHost: String, directory: String) async throws {
        let berth = siblingExecutable("berth")
        let docker = ["/usr/local/bin/docker", "/usr/bin/docker"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let project = "bench-ev-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o755)
        mkdir(directory + "/environments", 0o755)
        func write(level: String) throws {
            var text = "project: \(project)\nengine:\n  host: \(engineHost)\nservices:\n"
            for index in 0..<count {
                text += """
                      svc-\(index):
                        image: localhost/berth-example-web:1.0.0
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo svc-\(index) up at level $LEVEL; sleep 600 & wait"]
                        environment:
                          LEVEL: \(level)

                    """
            }
            try ObserveBenchmark.write(text, to: directory + "/environments/bench.yaml")
        }

        func berthRun(_ arguments: [String], expected: Set<Int32> = [0]) throws -> Double {
            try timedProcess(berth, arguments + ["--project", directory], expected: expected)
        }
        func dockerRun(_ arguments: [String]) throws -> Double? {
            guard let docker else { return nil }
            return try timedProcess(docker, ["-H", engineHost] + arguments)
        }
        /// `docker ps -aq` of the project's containers, read, then `docker rm -f` of them: two processes, timed together.
        func dockerRemoveAll() throws -> Double? {
            guard let docker else { return nil }
            let start = now()
            let list = Process()
            list.executableURL = URL(fileURLWithPath: docker)
            list.arguments = ["-H", engineHost, "ps", "-aq", "--filter", "label=berth.project=\(project)"]
            let pipe = Pipe()
            list.standardOutput = pipe
            try list.run()
            let ids = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
            list.waitUntilExit()
            _ = try timedProcess(docker, ["-H", engineHost, "rm", "-f"] + ids)
            return now() - start
        }

        try write(level: "info")
        _ = try berthRun(["apply", "--env", "bench", "--yes"])
        let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: engineHost))
        let first = try await engine.listContainers(labels: ["berth.project": project]).first { $0.name.contains("-svc-0-1-") }

        var figures: [(String, [Double])] = []
        func record(_ name: String, _ body: () throws -> Double?) rethrows {
            var times: [Double] = []
            for _ in 0..<runs { if let time = try body() { times.append(time) } }
            if !times.isEmpty { figures.append((name, times.sorted())) }
        }
        try record("berth status (\(count) services)") { try berthRun(["status", "--env", "bench"]) }
        try record("docker ps --filter label (the same containers)") {
            try dockerRun(["ps", "--filter", "label=berth.project=\(project)"])
        }
        try record("berth logs svc-0 --tail 5") { try berthRun(["logs", "--env", "bench", "svc-0", "--tail", "5"]) }
        if let first {
            try record("docker logs --tail 5 (the same container)") { try dockerRun(["logs", "--tail", "5", first.name]) }
        }
        try write(level: "debug")
        try record("berth plan --target container:svc-0-1 (\(count) services changed)") {
            try berthRun(["plan", "--env", "bench", "--target", "container:svc-0-1"], expected: [2])
        }
        try record("berth plan (the full plan of the same change)") { try berthRun(["plan", "--env", "bench"], expected: [2]) }
        try write(level: "info")
        try record("berth destroy --yes (\(count) containers; re-applied before each run, untimed)") {
            _ = try berthRun(["apply", "--env", "bench", "--yes"])
            return try berthRun(["destroy", "--env", "bench", "--yes"])
        }
        try record("docker ps -aq, then docker rm -f (the same containers)") {
            _ = try berthRun(["apply", "--env", "bench", "--yes"])
            return try dockerRemoveAll()
        }
        for container in try await engine.listContainers(labels: ["berth.project": project]) {
            try await engine.removeContainer(id: container.id, force: true)
        }
        if docker == nil { print("(no docker CLI on this machine: the comparisons are left out)") }
        for (name, times) in figures {
            print("\(name): median \(format(times[times.count / 2])) ms, best \(format(times[0])) ms over \(times.count) runs")
        }
    }
}
