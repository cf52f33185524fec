import Foundation
import FoundationNetworking
public import BerthEngine

/// A project of its own with one routed service, `web`, behind a real HAProxy that Berth starts: a
/// listen port and a range of loopback ports of its own, its containers and proxy removed at the end.
/// The image is the example's (busybox httpd serving `/www`, whose index names the version).
public struct TrafficProject: Sendable {
    public static var isEnabled: Bool {
        ProcessInfo.processInfo.environment["BERTH_ENGINE"] != nil
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy") && LoadGenerator.isAvailable
    }

    public let root: String
    public let project: String
    public let listen: Int
    public let ports: ClosedRange<Int>
    public let engine: DockerEngine

    /// The command of a healthy release: httpd in the foreground, exiting on SIGTERM.
    public static let serve = #"["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]"#
    /// A release that passes its health check but answers 500 on every other path.
    public static let answer500 = #"["sh", "-c", "mkdir -p /tmp/w/cgi-bin && cp /www/health /tmp/w/ && printf '#!/bin/sh\nprintf \"Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nbroken\\n\"\n' > /tmp/w/cgi-bin/index.cgi && chmod +x /tmp/w/cgi-bin/index.cgi && trap 'exit 0' TERM; httpd -f -p 80 -h /tmp/w & wait"]"#
    /// A release that serves for two seconds, then exits.
    public static let exitSoon = #"["sh", "-c", "httpd -f -p 80 -h /www & sleep 2; exit 3"]"#

    public init(prefix: String) throws {
        root = TemporaryDirectory.make(prefix: "berth-traffic")
        project = "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())"
        let ports = try FreePorts.range(count: 9)
        listen = ports.lowerBound
        self.ports = (ports.lowerBound + 1)...ports.upperBound
        engine = DockerEngine(endpoint: try EngineEndpoint(parsing: ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? ""))
        try FileManager.default.createDirectory(atPath: root + "/environments", withIntermediateDirectories: true)
    }

    /// Writes `environments/traffic.yaml`.
    public func write(
        version: String = "1.0.0", command: String = TrafficProject.serve, replicas: Int = 1, strategy: String = "rolling",
        extra: String = ""
    ) throws {
        let text = """
        project: \(project)
        engine:
          host: \(ProcessInfo.processInfo.environment["BERTH_ENGINE"] ?? "")
        proxy:
          kind: haproxy
          listen: "127.0.0.1:\(listen)"
          ports: "\(ports.lowerBound)-\(ports.upperBound)"
        services:
          web:
            image: localhost/berth-example-web:\(version)
            command: \(command)
            replicas: \(replicas)
            restart: "no"
            strategy: \(strategy)
            route: { port: 80, drain_timeout: 5s }
            healthcheck:
              url: http://localhost:80/health
              interval: 500ms
              timeout: 500ms
              retries: 20
            verify: { window: 3s, min_requests: 20, max_wait: 15s }
        \(strategy == "canary" ? "    canary:\n      steps: [{ weight: 20, pause: 3s }, { weight: 100 }]" : "")
        \(strategy == "blue-green" ? "    blue_green: { keep: 10m }" : "")
        \(extra)
        """
        try text.write(toFile: root + "/environments/traffic.yaml", atomically: true, encoding: .utf8)
    }

    public func berth(_ arguments: [String]) async throws -> BerthProcess.Output {
        try await BerthProcess.run(arguments + ["--project", root], in: root)
    }

    public var url: String { "http://127.0.0.1:\(listen)/" }

    /// GETs of `/` through the proxy: the versions that answered, in order ("500" for an error status).
    public func versions(_ count: Int) async -> [String] {
        var seen: [String] = []
        for _ in 0..<count {
            guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!),
                  let http = response as? HTTPURLResponse else { seen.append("error"); continue }
            guard http.statusCode == 200 else { seen.append("\(http.statusCode)"); continue }
            let text = String(decoding: data, as: UTF8.self)
            seen.append(text.range(of: #"version [0-9.]+"#, options: .regularExpression).map { String(text[$0].dropFirst(8)) } ?? "?")
        }
        return seen
    }

    /// The project's containers (one list call).
    public func containers() async throws -> [ContainerSummary] {
        try await engine.listContainers(labels: ["berth.project": project])
    }

    /// Removes the containers and stops the proxy.
    public func tearDown() async {
        for container in (try? await containers()) ?? [] { try? await engine.removeContainer(id: container.id, force: true) }
        let pidFile = root + "/.berth/proxy/traffic/haproxy.pid"
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGTERM)
        }
        try? await Task.sleep(for: .milliseconds(200))
        try? FileManager.default.removeItem(atPath: root)
    }
}
