public import BerthCore
public import BerthSession
import BerthModel

/// `berth status`: per service what runs, which containers the proxy serves and with what share of new
/// clients, and the verification of its latest release; as text and as the contract's JSON.
public struct StatusView: Sendable {
    let status: EnvironmentStatus

    public init(_ status: EnvironmentStatus) {
        self.status = status
    }

    public func json() -> JSONValue {
        let proxy: JSONValue = status.proxyListen.map { .object(["listen": .string($0), "running": .bool(status.proxyRunning)]) } ?? .null
        let drift: [JSONValue] = status.drift.map {
            .object(["resource": .string($0.resource), "kind": .string($0.kind.rawValue), "detail": .string($0.detail)])
        }
        return .object([
            "format_version": .string("1"),
            "environment": .string(status.environment),
            "proxy": proxy,
            "services": .array(status.services.map(Self.json)),
            "drift": .array(drift),
        ])
    }

    static func json(_ service: EnvironmentStatus.ServiceStatus) -> JSONValue {
        let containers: [JSONValue] = service.containers.map { container in
            let endpoint: JSONValue = container.endpoint.map(JSONValue.string) ?? .null
            return .object([
                "name": .string(container.name), "replica": container.replica.map(JSONValue.int) ?? .null,
                "image": .string(container.image), "image_id": .string(container.imageID), "state": .string(container.state),
                "health": .string(container.health.rawValue), "health_result": container.healthResult.map(JSONValue.string) ?? .null,
                "uptime": container.uptime.map(JSONValue.string) ?? .null, "endpoint": endpoint,
                "ports": .array(container.ports.map { .string($0.description) }),
            ])
        }
        let serving: [JSONValue] = service.serving.map(json)
        var verification: JSONValue = .null
        if let check = service.verification {
            verification = .object(["state": .string(check.state), "stage": .string(check.stage), "detail": .string(check.detail)])
        }
        return .object([
            "name": .string(service.name),
            "replicas": .int(service.replicas),
            "strategy": .string(service.strategy.rawValue),
            "containers": .array(containers),
            "serving": .array(serving),
            "verification": verification,
        ])
    }

    static func json(_ server: EnvironmentStatus.Serving) -> JSONValue {
        let container: JSONValue = server.container.map(JSONValue.string) ?? .null
        let image: JSONValue = server.image.map(JSONValue.string) ?? .null
        return .object([
            "container": container, "image": image, "weight": .int(server.weight), "share": .int(Int(server.share.rounded())),
            "state": .string(server.admin.rawValue), "slot": .string(server.slot), "endpoint": .string(server.endpoint),
            "up": .bool(server.up),
        ])
    }

    public func text() -> String {
        var out = "Environment \(status.environment)"
        if let listen = status.proxyListen { out += ", proxy on \(listen) (\(status.proxyRunning ? "running" : "not running"))" }
        out += "\n"
        for service in status.services {
            out += "\n\(service.name): \(service.containers.filter { $0.state == "running" }.count) of \(service.replicas) running, \(service.strategy.rawValue)\n"
            out += Self.table(service.containers.map(Self.row(service.name)))
            if !service.serving.isEmpty {
                out += "  traffic:\n"
                for server in service.serving {
                    let share = server.admin == .ready ? "\(Int(server.share.rounded()))%" : server.admin.rawValue
                    out += "    \(server.slot) \(share.padding(to: 5)) \(server.container ?? "(no container of \(service.name))") \(server.image ?? "")\(server.up ? "" : " (down)")\n"
                }
            } else if service.verification != nil || service.strategy.isRouted {
                out += "  traffic: none\n"
            }
            if let verification = service.verification {
                var detail = Substring(verification.detail)
                if detail.hasPrefix(verification.state + ": ") { detail = detail.dropFirst(verification.state.count + 2) }
                out += "  verification (\(verification.stage)): \(verification.state)" + (detail.isEmpty ? "" : ": \(detail)") + "\n"
            }
        }
        if !status.drift.isEmpty {
            out += "\nDrift: \(status.drift.count) (berth drift --env \(status.environment))\n"
        }
        return out
    }

    /// One replica's columns: replica, container, image (with its ID), state and health, uptime, where it listens.
    static func row(_ service: String) -> (EnvironmentStatus.ContainerStatus) -> [String] {
        { container in
            let replica = container.replica.map { "\(service)-\($0)" } ?? service
            let id = container.imageID.hasPrefix("sha256:") ? " (\(container.imageID.dropFirst(7).prefix(12)))" : ""
            var state = container.state
            if container.health != .unknown { state += ", \(container.health.rawValue)" }
            if let result = container.healthResult { state += " (\(result))" }
            // "Up About an hour" reads "up about an hour" in a line.
            let uptime = container.uptime.map { "up " + $0.prefix(1).lowercased() + $0.dropFirst() } ?? "-"
            let ports = container.ports.map(\.description)
            let endpoint = container.endpoint.flatMap { endpoint in ports.contains { $0.hasPrefix(endpoint + "/") } ? nil : endpoint }
            let listens = (endpoint.map { [$0] } ?? []) + ports
            return [replica, container.name, container.image + id, state, uptime, listens.isEmpty ? "-" : listens.joined(separator: " ")]
        }
    }

    /// Rows as columns aligned by their widest cell, two spaces apart, indented by two.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(to: widths[column])
            }
            return "  " + cells.joined(separator: "  ") + "\n"
        }.joined()
    }
}
