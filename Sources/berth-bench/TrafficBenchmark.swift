#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BerthCore
import BerthEngine
import BerthTestSupport

/// `berth-bench traffic [--runs N] DIR`: releases behind the real HAProxy, through the `berth` binary
/// beside this one, on the engine at `BERTH_ENGINE`:
/// - the time from the moment the last new replica is healthy to the moment all traffic is on the new
///   version (the switch done: new servers ready, old ones draining), read from `apply --json`'s events
///   as they arrive;
/// - the latency the proxy adds: wrk (10 s, 2 threads, 16 connections) on a replica directly and through the proxy;
/// - a whole blue-green release of a 2-replica service, against an image-change apply of the same service
///   unrouted (start-first), as Berth did it before.
enum TrafficBenchmark {
    static func run(runs: Int, engineHost: String, directory: String) async throws {
        let berth = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth").path
        let project = "bench-tr-\(UInt32.random(in: 0...UInt32.max))"
        let ports = try FreePorts.range(count: 12)
        mkdir(directory, 0o755)
        mkdir(directory + "/environments", 0o755)
        let file = directory + "/environments/bench.yaml"
        func write(version: String, routed: Bool, round: Int = 0) throws {
            let traffic = routed ? """
                    strategy: blue-green
                    route: { port: 80, drain_timeout: 5s }
                    verify: { window: 1s, min_requests: 20 }
                    blue_green: { keep: 0s }
                """ : """
                    strategy: start-first
                    ports: ["127.0.0.1::80"]
                """
            let text = """
                project: \(project)
                engine:
                  host: \(engineHost)
                proxy:
                  listen: "127.0.0.1:\(ports.lowerBound)"
                  ports: "\(ports.lowerBound + 1)-\(ports.upperBound)"
                services:
                  web:
                    image: localhost/berth-example-web:\(version)
                    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]
                    replicas: 2
                    environment: { ROUND: "\(round)" }
                    healthcheck: { url: http://localhost:80/health, interval: 200ms, timeout: 200ms, retries: 50 }
                \(traffic)

                """
            try ObserveBenchmark.write(text, to: file)
        }
        /// `berth apply --json`: its wall time, and the times (from its start) at which each event line arrived.
        func apply() throws -> (total: Double, events: [(Double, String)]) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: berth)
            process.arguments = ["apply", "--env", "bench", "--yes", "--json", "--project", directory]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            let start = now()
            try process.run()
            var events: [(Double, String)] = []
            var pending = Data()
            while true {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                let at = now() - start
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    events.append((at, String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            process.waitUntilExit()
            let total = now() - start
            guard process.terminationStatus == 0 else {
                throw FileSystemError(path: directory, reason: "berth apply failed: \(events.map(\.1).suffix(5).joined(separator: "\n"))")
            }
            return (total, events)
        }
        func finished(_ events: [(Double, String)], _ kind: String) -> [Double] {
            events.filter { $0.1.contains("\"event\":\"finished\"") && $0.1.contains("\"action\":\"\(kind):") }.map(\.0)
        }

        var switches: [Double] = [], blueGreen: [Double] = [], verifyWindows: [Double] = [], unrouted: [Double] = []
        try write(version: "1.0.0", routed: true)
        _ = try apply()
        var version = "1.1.0"
        for round in 1...max(runs, 1) {
            // A new spec each round: every release starts new containers (the set kept before goes, keep being 0s).
            try write(version: version, routed: true, round: round)
            let (total, events) = try apply()
            blueGreen.append(total)
            if let healthy = finished(events, "wait-healthy").max(), let switched = finished(events, "switch").first {
                switches.append(switched - healthy)
            }
            verifyWindows.append(1000)
            version = version == "1.1.0" ? "1.0.0" : "1.1.0"
        }

        // The proxy's added latency, on the replicas of the last release.
        let engine = DockerEngine(endpoint: try EngineEndpoint(parsing: engineHost))
        let containers = try await engine.listContainers(labels: ["berth.project": project])
        let endpoint = try containers.compactMap { $0.labels["berth.endpoint"] }.first ?? { throw FileSystemError(path: directory, reason: "no routed replica") }()
        func wrk(_ url: String) async throws -> LoadGenerator.Summary {
            let load = try LoadGenerator(url: url, seconds: 10)
            try await Task.sleep(for: .seconds(11))
            return await load.stop()
        }
        let direct = try await wrk("http://\(endpoint)/")
        let proxied = try await wrk("http://127.0.0.1:\(ports.lowerBound)/")

        // The same service unrouted: an image-change apply as before (start-first).
        try write(version: version, routed: false)
        _ = try apply()
        for round in 1...max(runs, 1) {
            version = version == "1.1.0" ? "1.0.0" : "1.1.0"
            try write(version: version, routed: false, round: round)
            unrouted.append(try apply().total)
        }

        for container in try await engine.listContainers(labels: ["berth.project": project]) {
            try await engine.removeContainer(id: container.id, force: true)
        }
        if let text = try? String(contentsOfFile: directory + "/.berth/proxy/bench/haproxy.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGUSR1)
        }
        func median(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return sorted.isEmpty ? "-" : format(sorted[sorted.count / 2])
        }
        print("new version healthy -> all traffic on it (switch done): median \(median(switches)) ms over \(switches.count) releases; each: \(switches.map(format).joined(separator: ", ")) ms")
        print("wrk 10 s, 2 threads, 16 connections, directly on a replica (\(endpoint)): \(direct)")
        print("wrk 10 s, 2 threads, 16 connections, through the proxy: \(proxied)")
        print("proxy's added latency: p50 +\(format(proxied.p50Milliseconds - direct.p50Milliseconds)) ms, p99 +\(format(proxied.p99Milliseconds - direct.p99Milliseconds)) ms")
        print("blue-green release of 2 replicas (1 s verification window included): median \(median(blueGreen)) ms; without the window \(median(zip(blueGreen, verifyWindows).map { $0 - $1 })) ms")
        print("image-change apply of the same 2 replicas unrouted (start-first): median \(median(unrouted)) ms")
    }
}
