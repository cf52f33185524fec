public import BerthCore
public import BerthModel
import Foundation

/// `berth releases`: an environment's releases, newest first, with their backups; as text and as
/// the contract's JSON. Hashes and image IDs only, never a secret.
public struct ReleasesView: Sendable {
    let environment: String
    let releases: [Release]
    /// Paths of backups whose file is gone (deleted past `backups.keep`, or by hand).
    let missing: Set<String>
    /// Who approved the plan of each release (`user@host`), by release number.
    let approvers: [Int: [String]]

    public init(environment: String, releases: [Release], missing: Set<String> = [], approvers: [Int: [String]] = [:]) {
        self.environment = environment
        self.releases = releases
        self.missing = missing
        self.approvers = approvers
    }

    public func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "environment": .string(environment),
            "releases": .array(releases.map { release in
                var json = Self.json(release, missing: missing)
                if case .object(var members) = json {
                    members.append(.init("approved_by", .array((approvers[release.number] ?? []).map(JSONValue.string))))
                    json = .object(members)
                }
                return json
            }),
        ])
    }

    static func json(_ release: Release, missing: Set<String> = []) -> JSONValue {
        let manifest = release.manifest
        return .object([
            "number": .int(release.number),
            "digest": .string(release.digest),
            "created_at": .string(HistoryView.time(release.createdAt)),
            "by": .string(release.by),
            "status": .string(release.status.rawValue),
            "summary": .string(release.summary),
            "commit": release.commit.map(JSONValue.string) ?? .null,
            "dirty": .bool(release.dirty),
            "parent": release.parent.map { .int($0) } ?? .null,
            "rollback_to": release.rollbackTarget.map { .int($0) } ?? .null,
            "services": .array(manifest.services.map {
                .object([
                    "name": .string($0.name), "image": .string($0.image), "image_id": $0.imageID.map(JSONValue.string) ?? .null,
                    "spec_hash": .string($0.specHash), "replicas": .int($0.replicas),
                ])
            }),
            "configs": .array(manifest.configs.map {
                .object(["name": .string($0.name), "target": .string($0.target), "mode": .string(String($0.mode, radix: 8)), "sha256": .string($0.sha256)])
            }),
            "migrations": .array(manifest.migrations.map { .object(["version": .string($0.version), "checksum": .string($0.checksum)]) }),
            "backups": .array(release.backups.map {
                .object([
                    "id": .string($0.id), "kind": .string($0.kind.rawValue), "resource": .string($0.resource), "path": .string($0.path),
                    "sha256": .string($0.sha256), "size": .int($0.size), "present": .bool(!missing.contains($0.path)),
                ])
            }),
        ])
    }

    public func text() -> String {
        guard !releases.isEmpty else { return "No releases of \(environment) yet.\n" }
        var out = ""
        for release in releases {
            let commit = release.commit.map { "  commit \($0.prefix(12))\(release.dirty ? " (dirty)" : "")" } ?? ""
            out += "#\(release.number)  \(HistoryView.time(release.createdAt))  \(release.status.rawValue)  \(release.summary)  by \(release.by)\(commit)\n"
            out += "    digest \(release.digest)\n"
            if let names = approvers[release.number] { out += "    approved by \(names.joined(separator: ", "))\n" }
            for service in release.manifest.services {
                let id = service.imageID.map { " (\(ImageReference.shortID($0)))" } ?? ""
                out += "    service \(service.name): \(service.image)\(id) x\(service.replicas)\n"
            }
            for config in release.manifest.configs { out += "    config \(config.name): \(config.target) \(config.sha256.prefix(12))\n" }
            if let last = release.manifest.migrations.last {
                out += "    migrations: \(release.manifest.migrations.count), up to \(last.version)\n"
            }
            for backup in release.backups {
                let gone = missing.contains(backup.path) ? " (file deleted)" : ""
                out += "    backup \(backup.id): \(backup.kind.rawValue) \(backup.resource), \(ByteSize.text(backup.size)), \(backup.path)\(gone)\n"
            }
        }
        return out
    }
}
