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

/// `berth-bench observe --services 30 --engine unix:///run/berth-podman.sock DIR`: a converged
/// environment of N services on the real engine; times the whole plan (load, resolve, observe,
/// plan) against one bare list call, and counts the engine calls a plan makes.
enum ObserveBenchmark {
    static func run(services count: Int, runs: Int, engineHost: String, directory: String) async throws {
        let project = "bench-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o755)
        mkdir(directory + "/environments", 0o755)
        var text = "project: \(project)\nengine:\n  host: \(engineHost)\nservices:\n"
        for index in 0..<count {
            text += "  svc-\(index):\n    image: localhost/berth-example-web:1.0.0\n    environment:\n      INDEX: \"\(index)\"\n"
        }
        try write(text, to: directory + "/environments/bench.yaml")

        let loader = ProjectLoader(project: directory, currentDirectory: "/")
        guard let environment = try loader.load("bench").environment else { throw FileSystemError(path: directory, reason: "invalid") }
        let resolution = try DesiredStateResolver(variables: [:]).resolve(environment)
        let endpoint = try EngineEndpoint(parsing: engineHost)
        let engine = DockerEngine(endpoint: endpoint)
        print("creating \(count) containers of project \(project)...")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in environment.services {
                group.addTask {
                    let name = "\(project)-bench-\(service.name)-1-\(resolution.desired.specs[service.name]?.hash.prefix(8) ?? "")"
                    let blueprint = Blueprints.container(for: service, replica: 1, name: name, desired: resolution.desired)
                    let id = try await engine.createContainer(name: name, spec: try ContainerSpec(blueprint, secrets: resolution.secrets))
                    try await engine.startContainer(id: id)
                }
            }
            try await group.waitForAll()
        }
        do {
            let labels = [BerthLabel.project: project, BerthLabel.environment: "bench"]
            try await measureAsync("bare list call", runs: runs) { try await engine.listContainers(labels: labels).count }
            let counting = CountingEngine(engine)
            try await measureAsync("berth plan (load, resolve, observe, plan)", runs: runs) {
                guard let loaded = try loader.load("bench").environment else { throw FileSystemError(path: directory, reason: "invalid") }
                let resolved = try DesiredStateResolver(variables: [:]).resolve(loaded)
                let observed = try await Observer(engine: counting).observe(resolved.desired, secrets: resolved.secrets)
                let plan = Planner.plan(desired: resolved.desired, observed: observed)
                guard plan.isEmpty else { throw FileSystemError(path: directory, reason: "not converged: \(plan.lines.prefix(3))") }
                return observed.containers.count
            }
            print("engine calls per plan: \(await counting.calls / runs) (\(await counting.calls) over \(runs) runs)")
        }
        print("removing them...")
        let all = try await engine.listContainers(labels: [BerthLabel.project: project])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for container in all { group.addTask { try await engine.removeContainer(id: container.id, force: true) } }
            try await group.waitForAll()
        }
    }

    static func measureAsync(_ name: String, runs: Int, _ body: () async throws -> Int) async throws {
        var times: [Double] = []
        var size = 0
        for _ in 0..<runs {
            let start = now()
            size = try await body()
            times.append(now() - start)
        }
        times.sort()
        print("\(name): median \(format(times[times.count / 2])) ms, best \(format(times[0])) ms over \(runs) runs; \(size) containers")
    }

    static func write(_ text: String, to path: String) throws {
        guard let handle = fopen(path, "w") else { throw FileSystemError(path: path, reason: "cannot create") }
        fputs(text, handle)
        fclose(handle)
    }
}

/// Counts the calls that reach the engine.
actor CountingEngine: ContainerEngine {
    let base: any ContainerEngine
    var calls = 0

    init(_ base: any ContainerEngine) {
        self.base = base
    }

    func version() async throws(EngineError) -> EngineVersion { calls += 1; return try await base.version() }
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] {
        calls += 1
        return try await base.listContainers(labels: labels)
    }
    func listImages() async throws(EngineError) -> [ImageSummary] { calls += 1; return try await base.listImages() }
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        calls += 1
        return try await base.createContainer(name: name, spec: spec)
    }
    func startContainer(id: String) async throws(EngineError) { calls += 1; try await base.startContainer(id: id) }
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) {
        calls += 1
        try await base.stopContainer(id: id, timeoutSeconds: timeoutSeconds)
    }
    func removeContainer(id: String, force: Bool) async throws(EngineError) { calls += 1; try await base.removeContainer(id: id, force: force) }
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { calls += 1; return try await base.logs(id: id, since: since) }
    func inspect(id: String) async throws(EngineError) -> ContainerInspection { calls += 1; return try await base.inspect(id: id) }
}
