import Testing
import Foundation
import BerthEngine
import BerthTestSupport

/// A copy of the example project whose dev environment runs on the real engine: a project name and
/// loopback host ports of its own (the example's may be taken by the demo), SQLite under the copy,
/// its containers removed at the end.
struct LiveDev {
    static let isEnabled = ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil

    let root: String
    let project: String
    let ports: ClosedRange<Int>
    let engine: DockerEngine

    static func with(_ prefix: String, _ body: (LiveDev) async throws -> Void) async throws {
        let root = try BerthProcess.copyOfExampleProject()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let ports = try FreePorts.range(count: 2)
        let dev = LiveDev(
            root: root, project: project, ports: ports,
            engine: DockerEngine(endpoint: try EngineEndpoint(parsing: ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? ""))
        )
        try dev.edit("environments/base.yaml") { $0.replacingOccurrences(of: "project: shop", with: "project: \(project)") }
        try dev.edit("environments/dev.yaml") {
            $0.replacingOccurrences(of: "18080-18081", with: "\(ports.lowerBound)-\(ports.upperBound)")
        }
        do {
            try await body(dev)
        } catch {
            await dev.removeContainers()
            throw error
        }
        await dev.removeContainers()
    }

    /// `berth ARGUMENTS` in the project.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> BerthProcess.Output {
        try await BerthProcess.run(arguments, in: root, environment: environment)
    }

    /// The project's containers, by name.
    func containers() async throws -> [ContainerSummary] {
        try await engine.listContainers(labels: ["berth.project": project]).sorted { $0.name < $1.name }
    }

    func edit(_ path: String, _ change: (String) -> String) throws {
        let full = root + "/" + path
        try change(try String(contentsOfFile: full, encoding: .utf8)).write(toFile: full, atomically: true, encoding: .utf8)
    }

    func removeContainers() async {
        for container in (try? await engine.listContainers(labels: ["berth.project": project])) ?? [] {
            try? await engine.removeContainer(id: container.id, force: true)
        }
    }
}
