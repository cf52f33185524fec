public import Foundation

/// What an environment ran once an apply finished: per service the image as written and the image
/// ID the engine ran, per config file its target, mode and content hash, the applied migrations.
/// What a rollback returns to and what release notes compare. Never a secret's value: configs and
/// specs appear as hashes.
public struct ReleaseManifest: Hashable, Sendable, Codable {
    public struct Service: Hashable, Sendable, Codable {
        public var name: String
        /// As the environment file writes it: `localhost/web:1.4.0`.
        public var image: String
        /// What the engine ran (`sha256:...`); nil when no container of the service was running.
        public var imageID: String?
        /// The `berth.spec-hash` of its containers.
        public var specHash: String
        public var replicas: Int

        public init(name: String, image: String, imageID: String?, specHash: String, replicas: Int) {
            self.name = name
            self.image = image
            self.imageID = imageID
            self.specHash = specHash
            self.replicas = replicas
        }
    }

    public struct ConfigFile: Hashable, Sendable, Codable {
        public var name: String
        public var target: String
        public var mode: Int
        /// SHA-256 of the bytes written.
        public var sha256: String

        public init(name: String, target: String, mode: Int, sha256: String) {
            self.name = name
            self.target = target
            self.mode = mode
            self.sha256 = sha256
        }
    }

    public struct Migration: Hashable, Sendable, Codable {
        public var version: String
        public var description: String
        public var checksum: String

        public init(version: String, description: String, checksum: String) {
            self.version = version
            self.description = description
            self.checksum = checksum
        }
    }

    /// In name order.
    public var services: [Service]
    /// In name order.
    public var configs: [ConfigFile]
    /// In version order.
    public var migrations: [Migration]

    public init(services: [Service], configs: [ConfigFile], migrations: [Migration]) {
        self.services = services.sorted { $0.name < $1.name }
        self.configs = configs.sorted { $0.name < $1.name }
        self.migrations = migrations
    }

    /// The manifest as canonical JSON: keys sorted, no spaces. What `digest` hashes.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// `sha256:` and the SHA-256 of `canonicalJSON()`: two releases that ran the same thing have the same digest.
    public var digest: String { "sha256:" + SHA256.hex(Array(canonicalJSON())) }
}

/// A copy taken before an apply changed something: a database dump, or a config file's previous bytes.
public struct Backup: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case database, config
    }

    /// Unique within the environment: `r3-database`, `r3-config-app-env`.
    public var id: String
    public var kind: Kind
    /// The config's name, or the database's kind (`postgres`, `sqlite`).
    public var resource: String
    /// Absolute path of the file holding it (mode 0600).
    public var path: String
    public var sha256: String
    public var size: Int

    public init(id: String, kind: Kind, resource: String, path: String, sha256: String, size: Int) {
        self.id = id
        self.kind = kind
        self.resource = resource
        self.path = path
        self.sha256 = sha256
        self.size = size
    }
}

public enum ReleaseStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// What the environment runs now.
    case current
    /// A later release replaced it.
    case superseded
    /// Its apply failed (what it changed was undone, or is named in the journal).
    case failed
    /// A rollback went back past it.
    case rolledBack = "rolled-back"
}

/// One release of an environment: an apply (or a rollback) that changed something.
public struct Release: Hashable, Sendable {
    /// 1, 2, ... per environment.
    public var number: Int
    public var digest: String
    public var createdAt: Date
    /// Who applied it: `ada@build-7 (pid 4242)`.
    public var by: String
    public var status: ReleaseStatus
    /// The project's git commit when it is a git repository; `dirty` when the tree had changes.
    public var commit: String?
    public var dirty: Bool
    /// The release that was current before this one.
    public var parent: Int?
    /// The journal's id of the apply that made it.
    public var applyID: Int64?
    /// `apply`, `apply --target container:web-1` (``partialSummaryPrefix``), `rollback of 4 to 2`, or
    /// `destroy` (``destroySummary``).
    public var summary: String
    /// For a rollback, the release it went back to. A rollback pins the environment: an apply of the
    /// desired state it was made under (`desiredDigest`) does not roll forward again.
    public var rollbackTarget: Int?
    /// A hash of the environment files' desired state when the release was made (`Fingerprint.ofDesired`).
    public var desiredDigest: String?
    public var manifest: ReleaseManifest
    public var backups: [Backup]
    /// The environment as loaded for this release, secrets by reference only (`Secret.Source`'s
    /// encoding drops a literal's value), so that a rollback can plan back to it.
    public var environment: Data?

    public init(
        number: Int, digest: String, createdAt: Date, by: String, status: ReleaseStatus, commit: String? = nil, dirty: Bool = false,
        parent: Int? = nil, applyID: Int64? = nil, summary: String = "apply", rollbackTarget: Int? = nil, desiredDigest: String? = nil,
        manifest: ReleaseManifest, backups: [Backup] = [], environment: Data? = nil
    ) {
        self.number = number
        self.digest = digest
        self.createdAt = createdAt
        self.by = by
        self.status = status
        self.commit = commit
        self.dirty = dirty
        self.parent = parent
        self.applyID = applyID
        self.summary = summary
        self.rollbackTarget = rollbackTarget
        self.desiredDigest = desiredDigest
        self.manifest = manifest
        self.backups = backups
        self.environment = environment
    }
}

extension Release {
    /// The summary of a release a destroy made: nothing of the environment runs.
    public static let destroySummary = "destroy"
    /// How the summary of a partial apply (`--target`) begins: the rest was left as it was.
    public static let partialSummaryPrefix = "apply --target "

    public var isDestroy: Bool { summary == Self.destroySummary }
    public var isPartial: Bool { summary.hasPrefix(Self.partialSummaryPrefix) }
}
