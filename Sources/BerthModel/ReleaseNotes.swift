public import Foundation

/// What changed from one release of an environment to another, from their manifests: services added
/// and removed, images (as written and the IDs the engine ran), config files by hash, migrations
/// applied or undone, and the project's commits between the two. Never a config's content or a
/// secret's value.
public struct ReleaseNotes: Hashable, Sendable {
    /// A service whose image changed; `before` is nil for a service added, `after` for one removed.
    public struct ImageChange: Hashable, Sendable {
        public var service: String
        public var before: String?
        public var after: String?
        public var beforeID: String?
        public var afterID: String?

        public init(service: String, before: String?, after: String?, beforeID: String?, afterID: String?) {
            self.service = service
            self.before = before
            self.after = after
            self.beforeID = beforeID
            self.afterID = afterID
        }
    }

    /// A config file whose content changed, by SHA-256; nil for a side without the file.
    public struct ConfigChange: Hashable, Sendable {
        public var name: String
        public var before: String?
        public var after: String?

        public init(name: String, before: String?, after: String?) {
            self.name = name
            self.before = before
            self.after = after
        }
    }

    public struct MigrationChange: Hashable, Sendable {
        public enum Change: String, Hashable, Sendable, Codable {
            case applied, undone
        }

        public var version: String
        public var description: String
        public var change: Change

        public init(version: String, description: String, change: Change) {
            self.version = version
            self.description = description
            self.change = change
        }
    }

    public struct Commit: Hashable, Sendable {
        public var id: String
        public var subject: String

        public init(id: String, subject: String) {
            self.id = id
            self.subject = subject
        }
    }

    public var environment: String
    /// Nil when `to` is the first release: everything in it is new.
    public var from: Int?
    public var to: Int
    /// In name order.
    public var servicesAdded: [String]
    public var servicesRemoved: [String]
    /// In service name order.
    public var images: [ImageChange]
    /// In name order.
    public var configs: [ConfigChange]
    /// In version order.
    public var migrations: [MigrationChange]
    /// Oldest first.
    public var commits: [Commit]
    /// Who made `to`, when, and how (`apply`, `rollback of 4 to 2`).
    public var appliedBy: String
    public var appliedAt: Date
    public var summary: String

    public init(
        environment: String, from: Int?, to: Int, servicesAdded: [String] = [], servicesRemoved: [String] = [], images: [ImageChange] = [],
        configs: [ConfigChange] = [], migrations: [MigrationChange] = [], commits: [Commit] = [], appliedBy: String, appliedAt: Date,
        summary: String = "apply"
    ) {
        self.environment = environment
        self.from = from
        self.to = to
        self.servicesAdded = servicesAdded
        self.servicesRemoved = servicesRemoved
        self.images = images
        self.configs = configs
        self.migrations = migrations
        self.commits = commits
        self.appliedBy = appliedBy
        self.appliedAt = appliedAt
        self.summary = summary
    }

    /// Nothing changed between the two releases.
    public var isEmpty: Bool {
        servicesAdded.isEmpty && servicesRemoved.isEmpty && images.isEmpty && configs.isEmpty && migrations.isEmpty && commits.isEmpty
    }

    /// The notes from `from` (nil: from nothing) to `to`. A pure function of the two manifests; the
    /// commits between them come from the project's version control and are passed in.
    public static func between(_ from: Release?, _ to: Release, environment: String, commits: [Commit] = []) -> ReleaseNotes {
        let old = from?.manifest ?? ReleaseManifest(services: [], configs: [], migrations: [])
        let new = to.manifest
        let oldServices = Dictionary(old.services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newServices = Dictionary(new.services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let names = Set(oldServices.keys).union(newServices.keys).sorted()
        let images: [ImageChange] = names.compactMap { name in
            let before = oldServices[name], after = newServices[name]
            // An image ID only one side observed (no container ran) is no change of image.
            let idChanged = before?.imageID != nil && after?.imageID != nil && before?.imageID != after?.imageID
            guard before?.image != after?.image || idChanged else { return nil }
            return ImageChange(service: name, before: before?.image, after: after?.image, beforeID: before?.imageID, afterID: after?.imageID)
        }

        let oldConfigs = Dictionary(old.configs.map { ($0.name, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        let newConfigs = Dictionary(new.configs.map { ($0.name, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        let configs: [ConfigChange] = Set(oldConfigs.keys).union(newConfigs.keys).sorted().compactMap { name in
            oldConfigs[name] == newConfigs[name] ? nil : ConfigChange(name: name, before: oldConfigs[name], after: newConfigs[name])
        }

        // `3` and `0003` are the same version.
        func key(_ migration: ReleaseManifest.Migration) -> String {
            MigrationVersion(migration.version).map { $0.parts.map(String.init).joined(separator: ".") } ?? migration.version
        }
        let oldVersions = Set(old.migrations.map(key)), newVersions = Set(new.migrations.map(key))
        let applied = new.migrations.filter { !oldVersions.contains(key($0)) }
            .map { MigrationChange(version: $0.version, description: $0.description, change: .applied) }
        let undone = old.migrations.filter { !newVersions.contains(key($0)) }
            .map { MigrationChange(version: $0.version, description: $0.description, change: .undone) }
        let migrations = (applied + undone).sorted { a, b in
            guard let x = MigrationVersion(a.version), let y = MigrationVersion(b.version) else { return a.version < b.version }
            return x < y
        }

        return ReleaseNotes(
            environment: environment, from: from?.number, to: to.number,
            servicesAdded: names.filter { oldServices[$0] == nil }, servicesRemoved: names.filter { newServices[$0] == nil },
            images: images, configs: configs, migrations: migrations, commits: commits, appliedBy: to.by, appliedAt: to.createdAt,
            summary: to.summary
        )
    }
}
