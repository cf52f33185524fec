public import BerthModel
import BerthLoading

/// One difference `berth parity` reports: `service:web` / `image`, `config:app-conf` / `config`, ...
public struct ParityDifference: Hashable, Sendable, Codable {
    /// `service:NAME`, `config:NAME` or `migration:VERSION`.
    public var resource: String
    /// `service`, `image`, `config` or `migration`.
    public var kind: String
    /// What differs, in words; hashes and image ids, never a value.
    public var detail: String

    public init(resource: String, kind: String, detail: String) {
        self.resource = resource
        self.kind = kind
        self.detail = detail
    }
}

/// What `berth parity` compares of one environment: what it runs where it was observed, else what it
/// declares. Ports, replicas, hosts and template values are its own and are left out.
public struct ParitySide: Hashable, Sendable {
    public struct Image: Hashable, Sendable {
        /// The image reference the environment declares.
        public var reference: String
        /// The image ids its running containers have, sorted; empty when none was observed.
        public var ids: [String]

        public init(reference: String, ids: [String] = []) {
            self.reference = reference
            self.ids = ids
        }
    }

    public var name: String
    /// Service name -> its image.
    public var images: [String: Image]
    /// Config name -> hex SHA-256 of the file on disk, else of the rendered content.
    public var configs: [String: String]
    /// The migrations applied (observed), else the ones the environment would apply.
    public var migrations: Set<MigrationVersion>
    public var ignore: [String]

    public init(
        name: String, images: [String: Image] = [:], configs: [String: String] = [:], migrations: Set<MigrationVersion> = [],
        ignore: [String] = []
    ) {
        self.name = name
        self.images = images
        self.configs = configs
        self.migrations = migrations
        self.ignore = ignore
    }

    /// The side of an environment from its desired state and, when there is one, its observation.
    public init(desired: DesiredState, observed: ObservedState?) {
        let environment = desired.environment
        var images: [String: Image] = [:]
        for service in environment.services {
            let ids = Set(
                (observed?.containers ?? []).filter { $0.service == service.name && $0.isRunning && !$0.imageID.isEmpty }.map(\.imageID)
            )
            images[service.name] = Image(reference: service.image.description, ids: ids.sorted())
        }
        var configs = desired.configHashes
        for config in observed?.configs ?? [] {
            if let sha256 = config.sha256 { configs[config.name] = sha256 }
        }
        let migrations: Set<MigrationVersion>
        if let applied = observed?.migrations {
            migrations = Set(applied.filter(\.success).compactMap { MigrationVersion($0.version) })
        } else {
            let declared = environment.database?.migrations.map(\.version) ?? []
            let limit = environment.database?.migrateTo
            migrations = Set(declared.filter { version in limit.map { version <= $0 } ?? true })
        }
        self.init(name: environment.name, images: images, configs: configs, migrations: migrations, ignore: environment.parity?.ignore ?? [])
    }
}

/// The comparison of two environments, a pure function of their sides.
public enum Parity {
    /// Every difference between `side` and `other`, in resource order, without those that either
    /// environment's `parity.ignore` names (both lists apply: an expected difference is expected whichever
    /// side is compared with the other).
    public static func differences(_ side: ParitySide, with other: ParitySide) -> [ParityDifference] {
        let (a, b) = (side.name, other.name)
        var found: [ParityDifference] = []
        for name in Set(side.images.keys).union(other.images.keys).sorted() {
            let resource = "service:\(name)"
            switch (side.images[name], other.images[name]) {
            case (let mine?, let theirs?):
                if let detail = imageDifference(mine, theirs, a, b) {
                    found.append(ParityDifference(resource: resource, kind: "image", detail: detail))
                }
            case (_?, nil):
                found.append(ParityDifference(resource: resource, kind: "service", detail: "only in \(a)"))
            default:
                found.append(ParityDifference(resource: resource, kind: "service", detail: "only in \(b)"))
            }
        }
        for name in Set(side.configs.keys).union(other.configs.keys).sorted() {
            let resource = "config:\(name)"
            switch (side.configs[name], other.configs[name]) {
            case (let mine?, let theirs?) where mine != theirs:
                found.append(ParityDifference(
                    resource: resource, kind: "config", detail: "content differs: \(a) sha256:\(short(mine)), \(b) sha256:\(short(theirs))"
                ))
            case (_?, nil):
                found.append(ParityDifference(resource: resource, kind: "config", detail: "only in \(a)"))
            case (nil, _?):
                found.append(ParityDifference(resource: resource, kind: "config", detail: "only in \(b)"))
            default:
                break
            }
        }
        for version in side.migrations.symmetricDifference(other.migrations).sorted() {
            let (applied, missing) = side.migrations.contains(version) ? (a, b) : (b, a)
            found.append(ParityDifference(
                resource: "migration:\(version)", kind: "migration", detail: "applied in \(applied), not in \(missing)"
            ))
        }
        let ignore = side.ignore + other.ignore
        return found.filter { !isIgnored($0, by: ignore) }
    }

    /// Whether an entry of `parity.ignore` names the difference's kind or its resource.
    static func isIgnored(_ difference: ParityDifference, by ignore: [String]) -> Bool {
        ignore.contains { entry in
            if entry == difference.kind || entry == difference.resource { return true }
            let prefix = "migration:"
            guard entry.hasPrefix(prefix), difference.resource.hasPrefix(prefix) else { return false }
            return MigrationVersion(String(entry.dropFirst(prefix.count))) == MigrationVersion(String(difference.resource.dropFirst(prefix.count)))
        }
    }

    /// By image id when both sides' containers were observed, else by the declared reference.
    static func imageDifference(_ mine: ParitySide.Image, _ theirs: ParitySide.Image, _ a: String, _ b: String) -> String? {
        if !mine.ids.isEmpty, !theirs.ids.isEmpty {
            guard mine.ids != theirs.ids else { return nil }
            return "image id differs: \(a) runs \(running(mine)), \(b) runs \(running(theirs))"
        }
        guard mine.reference != theirs.reference else { return nil }
        return "image differs: \(a) \(describe(mine)), \(b) \(describe(theirs))"
    }

    /// What runs: the image IDs, with the reference the file declares (a container may run an older one).
    private static func running(_ image: ParitySide.Image) -> String {
        "image \(image.ids.map(short).joined(separator: ", ")) (declared \(image.reference))"
    }

    private static func describe(_ image: ParitySide.Image) -> String {
        guard !image.ids.isEmpty else { return "\(image.reference) (not running)" }
        return "\(image.reference) (\(image.ids.map(short).joined(separator: ", ")))"
    }

    /// `sha256:0123456789ab...` -> `0123456789ab`.
    static func short(_ hash: String) -> String {
        let hex = hash.hasPrefix("sha256:") ? hash.dropFirst(7) : Substring(hash)
        return String(hex.prefix(12))
    }
}

/// `berth parity` as a library call: both environments loaded, resolved and observed once each.
public struct ParitySession: Sendable {
    public struct Report: Hashable, Sendable {
        public var environment: String
        public var with: String
        public var differences: [ParityDifference]
        public var inParity: Bool { differences.isEmpty }
    }

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ name: String, with other: String) async throws(SessionError) -> Report {
        guard name != other else { throw SessionError("\(name) is compared with itself; name another environment with --with") }
        let side = try await self.side(name)
        let otherSide = try await self.side(other)
        return Report(environment: name, with: other, differences: Parity.differences(side, with: otherSide))
    }

    private func side(_ name: String) async throws(SessionError) -> ParitySide {
        let pipeline = Pipeline(context)
        let resolution = try pipeline.resolve(try pipeline.load(name))
        let observed = try await pipeline.observe(resolution)
        return ParitySide(desired: resolution.desired, observed: observed)
    }
}
