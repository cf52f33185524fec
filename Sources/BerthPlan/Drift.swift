public import BerthModel

/// What `berth drift` reports: each difference from the desired state, with a kind and a detail.
public struct DriftItem: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case missing, stopped, changed, unexpected, unhealthy
        case configEdited = "config-edited"
        case configMissing = "config-missing"
        case migrationPending = "migration-pending"
        case migrationChecksum = "migration-checksum"
        case migrationMissing = "migration-missing"
        /// Traffic points elsewhere than the desired containers, or the proxy does not run its layout.
        case proxy
    }

    public var resource: String
    public var kind: Kind
    public var detail: String

    public init(resource: String, kind: Kind, detail: String) {
        self.resource = resource
        self.kind = kind
        self.detail = detail
    }
}

public enum Drift {
    /// The findings as drift, sorted by resource.
    public static func detect(desired: DesiredState, observed: ObservedState) -> [DriftItem] {
        Comparison.findings(desired: desired, observed: observed).map(item).sorted {
            ($0.resource, $0.kind.rawValue) < ($1.resource, $1.kind.rawValue)
        }
    }

    static func item(_ finding: Finding) -> DriftItem {
        switch finding {
        case .migrationPending(let migration, let failedBefore):
            return DriftItem(
                resource: "migration:\(migration.version.text)", kind: .migrationPending,
                detail: failedBefore ? "the last attempt failed" : "not applied"
            )
        case .migrationChecksum(let migration, let recorded, let actual):
            return DriftItem(
                resource: "migration:\(migration.version.text)", kind: .migrationChecksum,
                detail: "the file changed after it was applied (checksum \(recorded.prefix(12)) recorded, \(actual.prefix(12)) now)"
            )
        case .migrationFileMissing(let row):
            return DriftItem(
                resource: "migration:\(row.version)", kind: .migrationMissing,
                detail: "applied (\(row.description)) but its file is no longer in the migrations folder"
            )
        case .configMissing(let config):
            return DriftItem(resource: "config:\(config.name)", kind: .configMissing, detail: "no file at \(config.target)")
        case .configChanged(let config, let seen, let contentChanged, let modeChanged):
            var parts: [String] = []
            if contentChanged { parts.append("content differs from the desired") }
            if modeChanged { parts.append("mode \(String(seen.mode ?? 0, radix: 8)) instead of \(String(config.mode, radix: 8))") }
            return DriftItem(resource: "config:\(config.name)", kind: .configEdited, detail: "\(config.target): " + parts.joined(separator: ", "))
        case .containerMissing(let service, let replica):
            return DriftItem(resource: "container:\(service)-\(replica)", kind: .missing, detail: "no container for \(service) replica \(replica)")
        case .containerOutdated(let service, let replica, let container, let changed):
            let image = changed.contains(.image) ? " (running \(container.image))" : ""
            return DriftItem(
                resource: "container:\(service)-\(replica)", kind: .changed,
                detail: "\(container.name) differs from the desired spec: \(changed.map(\.label).joined(separator: ", "))\(image)"
            )
        case .containerStopped(let service, let replica, let container):
            return DriftItem(resource: "container:\(service)-\(replica)", kind: .stopped, detail: "\(container.name) is \(container.state)")
        case .containerUnhealthy(let service, let replica, let container):
            return DriftItem(resource: "container:\(service)-\(replica)", kind: .unhealthy, detail: "\(container.name) fails its health check")
        case .containerUnexpected(let container, let reason):
            return DriftItem(resource: "container:\(container.name)", kind: .unexpected, detail: reason)
        case .proxyOutdated(let detail):
            return DriftItem(resource: "proxy", kind: .proxy, detail: detail)
        case .trafficMisrouted(let service, let detail):
            return DriftItem(resource: "route:\(service)", kind: .proxy, detail: detail)
        }
    }
}
