#if canImport(Glibc)
import Glibc
#endif
import BerthModel
import BerthLoading
import BerthEngine
import BerthObserve
import BerthPlan
import BerthApply
import BerthCore

/// `berth-bench apply --services 30 [--parallelism N] DIR`: a cold apply of N services through the
/// executor against the same N containers created and started directly through the API, all at once.
enum ApplyBenchmark {
    static func run(services count: Int, runs: Int, parallelism: Int, engineHost: String, directory: String) async throws {
        let project = "bench-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o755)
        mkdir(directory + "/environments", 0o755)
        var text = "project: \(project)\nengine:\n  host: \(engineHost)\nservices:\n"
        for index in 0..<count {
            text += "  svc-\(index):\n    image: localhost/berth-example-web:1.0.0\n    environment:\n      INDEX: \"\(index)\"\n"
        }
        try ObserveBenchmark.write(text, to: directory + "/environments/bench.yaml")
        let loader = ProjectLoader(project: directory, currentDirectory: "/")
        guard let environment = try loader.load("bench").environment else { throw FileSystemError(path: directory, reason: "invalid") }
        let resolution = try DesiredStateResolver(variables: [:]).resolve(environment)
        let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: engineHost))
        let labels = [BerthLabel.project: project]

        func removeAll() async throws {
            let all = try await engine.listContainers(labels: labels)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for container in all { group.addTask { try await engine.removeContainer(id: container.id, force: true) } }
                try await group.waitForAll()
            }
        }

        var direct: [Double] = [], berth: [Double] = []
        for _ in 0..<runs {
            let start = now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in environment.services {
                    group.addTask {
                        let name = "\(project)-direct-\(service.name)"
                        let blueprint = Blueprints.container(for: service, replica: 1, name: name, desired: resolution.desired)
                        let id = try await engine.createContainer(name: name, spec: try ContainerSpec(blueprint, secrets: resolution.secrets))
                        try await engine.startContainer(id: id)
                    }
                }
                try await group.waitForAll()
            }
            direct.append(now() - start)
            try await removeAll()

            let applyStart = now()
            let observed = try await Observer(engine: engine).observe(resolution.desired, secrets: resolution.secrets)
            let plan = Planner.plan(desired: resolution.desired, observed: observed)
            let report = await Executor(drivers: Executor.Drivers(engine: engine, migrate: { _ in }), parallelism: parallelism)
                .execute(plan, inputs: Executor.Inputs(secrets: resolution.secrets, configs: resolution.renderedConfigs), observer: Quiet())
            berth.append(now() - applyStart)
            guard report.succeeded else { throw FileSystemError(path: directory, reason: "apply failed: \(report.failed)") }
            try await removeAll()
        }
        direct.sort()
        berth.sort()
        print("direct API, \(count) creates+starts at once: median \(format(direct[direct.count / 2])) ms, best \(format(direct[0])) ms")
        print("berth apply (observe, plan, execute; parallelism \(parallelism)): median \(format(berth[berth.count / 2])) ms, best \(format(berth[0])) ms")
        print("ratio of medians: \(format(berth[berth.count / 2] / direct[direct.count / 2]))")
    }

    struct Quiet: ExecutionObserver {
        func started(_ action: PlanAction) {}
        func progress(_ action: PlanAction, _ message: String) {}
        func finished(_ action: PlanAction, error: String?, duration: Duration) {}
        func undone(_ actionID: String, succeeded: Bool) {}
    }
}
