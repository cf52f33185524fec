#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BerthCore
import BerthEngine

/// `berth-bench rollback [--runs N] DIR`: the apply that moves one service to a new image, and the
/// rollback that takes it back, both through the `berth` binary beside this one (release build), on
/// the engine at `BERTH_ENGINE`, timed from process start to exit.
enum RollbackBenchmark {
    static func run(runs: Int, engineHost: String, directory: String) async throws {
        let berth = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth").path
        let project = "bench-rb-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o755)
        mkdir(directory + "/environments", 0o755)
        func write(image: String) throws {
            let text = """
                project: \(project)
                engine:
                  host: \(engineHost)
                services:
                  web:
                    image: \(image)
                    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]

                """
            try ObserveBenchmark.write(text, to: directory + "/environments/bench.yaml")
        }
        func berthRun(_ arguments: [String]) throws -> Double {
            try timedProcess(berth, arguments + ["--project", directory], expected: [0])
        }
        try write(image: "localhost/berth-example-web:1.0.0")
        _ = try berthRun(["apply", "--env", "bench", "--yes"])
        var forward: [Double] = [], back: [Double] = []
        for _ in 0..<runs {
            try write(image: "localhost/berth-example-web:1.1.0")
            forward.append(try berthRun(["apply", "--env", "bench", "--yes", "--roll-forward"]))
            back.append(try berthRun(["rollback", "--env", "bench", "--yes"]))
            // The files name 1.1.0 again for the next round's apply: moving forward on purpose.
        }
        let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: engineHost))
        for container in try await engine.listContainers(labels: ["berth.project": project]) {
            try await engine.removeContainer(id: container.id, force: true)
        }
        forward.sort()
        back.sort()
        print("berth apply, one image 1.0.0 -> 1.1.0: median \(format(forward[forward.count / 2])) ms, best \(format(forward[0])) ms")
        print("berth rollback to the release before: median \(format(back[back.count / 2])) ms, best \(format(back[0])) ms")
        print("ratio of medians (rollback / apply): \(format(back[back.count / 2] / forward[forward.count / 2]))")
    }
}
