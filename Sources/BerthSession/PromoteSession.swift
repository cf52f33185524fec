import BerthModel
import BerthApply
import BerthCore
import BerthLoading
import BerthPlan
import Foundation

/// `berth promote` as a library call: the change to DST's environment file that makes it run what SRC runs.
///
/// The release is SRC's current one (or the one asked for): per service the image as written, and the
/// highest migration version it applied. Each service of DST whose image differs gets that image, written
/// where DST's file writes it (or as an override when DST inherits it), and `database.migrate_to` gets the
/// version. Only images and versions are written; never a secret.
///
/// Gates: a release that failed, was rolled back, or is no longer SRC's current one is refused; when DST
/// declares `promotion: { from, soak }`, so is another source, and a release that has run less than the
/// soak. `force` with a reason overrides them, and a written forced promotion is recorded in the history
/// of both environments.
public struct PromoteSession: Sendable {
    public struct Options: Sendable {
        public var from: String
        public var to: String
        /// A release number of SRC; nil for its current release.
        public var release: Int?
        public var write: Bool
        /// Why the gates are overridden; nil: they are not.
        public var forceReason: String?
        /// Writing the file while DST's deployment window is closed, and why; nil: refused then.
        public var windowOverride: WindowOverride?

        public init(
            from: String, to: String, release: Int? = nil, write: Bool = false, forceReason: String? = nil, windowOverride: WindowOverride? = nil
        ) {
            self.windowOverride = windowOverride
            self.from = from
            self.to = to
            self.release = release
            self.write = write
            self.forceReason = forceReason
        }
    }

    /// One value of DST's file that the promotion changes.
    public struct Change: Hashable, Sendable {
        /// The service whose image changes; nil for `database.migrate_to`.
        public var service: String?
        /// As DST has it now; nil when it has none (`migrate_to` not set).
        public var before: String?
        public var after: String
    }

    public struct Outcome: Sendable {
        public var from: String
        public var to: String
        public var release: Int
        public var changes: [Change]
        /// A unified diff of DST's file, with its `---`/`+++` header; empty when nothing changes.
        public var diff: [String]
        public var written: Bool
        /// The gates `force` overrode, as their refusals said.
        public var overridden: [String]
    }

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ options: Options) throws(SessionError) -> Outcome {
        let pipeline = Pipeline(context)
        let loader = pipeline.loader
        let names: [String]
        do {
            names = try loader.environmentNames()
        } catch {
            throw SessionError(error.description)
        }
        for name in [options.from, options.to] where !names.contains(name) {
            throw SessionError("there is no environment '\(name)' (environments: \(names.sorted().joined(separator: ", ")))")
        }
        guard options.from != options.to else { throw SessionError("an environment is not promoted to itself") }
        let destination = try pipeline.load(options.to)
        // Writing the destination's file is the change its window governs; a preview changes nothing.
        let now = context.clock.now
        let window = options.write
            ? try WindowGate.check(environment: destination, at: now, operation: .promote, override: options.windowOverride)
            : nil

        let (store, key) = try StateStoreAccess.open(options.from, context: context)
        let releases = try Releases.list(store, key: key, limit: 200)
        let current = releases.first { $0.status == .current }
        guard let release = options.release.map({ number in releases.first { $0.number == number } }) ?? current else {
            throw SessionError(
                options.release.map { "\(options.from) has no release \($0)" }
                    ?? "\(options.from) has no current release to promote; berth releases --env \(options.from) lists them"
            )
        }
        let refusals = gates(release, current: current, destination: destination, from: options.from, known: Set(names))
        guard refusals.isEmpty || options.forceReason != nil else {
            throw SessionError(refusals + ["--force --reason TEXT promotes it anyway, recorded in the history"])
        }

        let (changes, edits) = changes(release, into: destination)
        let path = loader.environmentsDirectory + "/\(options.to).yaml"
        let shown = loader.display(path)
        let old: [UInt8]
        do {
            old = try context.fileSystem.readFile(atPath: path)
        } catch {
            throw SessionError("cannot read \(shown): \(error.reason)")
        }
        let new: [UInt8]
        do {
            new = try EnvironmentFileEditor.apply(edits, to: old, file: shown)
        } catch {
            throw SessionError(error.message)
        }
        var outcome = Outcome(
            from: options.from, to: options.to, release: release.number, changes: changes, diff: [], written: false, overridden: refusals
        )
        guard new != old else { return outcome }
        outcome.diff = ["--- \(shown)", "+++ \(shown)"]
            + UnifiedDiff.lines(old: String(decoding: old, as: UTF8.self), new: String(decoding: new, as: UTF8.self), maxLines: 10_000)
        try validate(new, at: path, shown: shown, changes: changes, loader: loader)
        guard options.write else { return outcome }
        do {
            try context.configs.write(new, to: path, mode: context.fileSystem.fileMode(atPath: path) ?? 0o644)
        } catch {
            throw SessionError("cannot write \(shown): \(error)")
        }
        outcome.written = true
        if let window {
            let (targetStore, targetKey) = try StateStoreAccess.open(options.to, context: context)
            try WindowGate.recordOverride(
                window, options.windowOverride, environment: destination, operation: .promote, store: targetStore, key: targetKey,
                owner: context.owner, now: now
            )
        }
        if let reason = options.forceReason, !refusals.isEmpty {
            record(outcome, reason: reason, source: (store, key))
        }
        return outcome
    }

    /// Why the release may not be promoted, one line a gate; empty when it may.
    func gates(_ release: Release, current: Release?, destination: Environment, from: String, known: Set<String>) -> [String] {
        var refusals: [String] = []
        let name = "release \(release.number) of \(from)"
        if let promotion = destination.promotion, promotion.from != from {
            let missing = known.contains(promotion.from) ? "" : ", an environment the project does not have"
            refusals.append("gate source: \(destination.name) is promoted from \(promotion.from) (promotion.from\(missing)), not from \(from)")
        }
        switch release.status {
        case .failed: refusals.append("gate succeeded: \(name) failed")
        case .rolledBack: refusals.append("gate rolled back: \(name) was rolled back")
        case .current, .superseded: break
        }
        if release.status != .failed, release.status != .rolledBack, release.number != current?.number {
            refusals.append("gate current: \(name) is not its current release (\(current.map { "\($0.number) is" } ?? "none is"))")
        }
        if release.isPartial {
            refusals.append("gate whole: \(name) applied only part of \(from) (\(release.summary)); the rest may not run what the files name")
        }
        if release.isDestroy {
            refusals.append("gate destroy: \(name) took \(from) down; nothing of it runs")
        }
        if let soak = destination.promotion?.soak, soak.milliseconds > 0 {
            let passes = release.createdAt.addingTimeInterval(Double(soak.milliseconds) / 1000)
            let now = context.clock.now
            if now < passes {
                let ran = TimeSpan(milliseconds: max(0, Int(now.timeIntervalSince(release.createdAt) * 1000)))
                refusals.append(
                    "gate soak: \(name) has run \(ran) of the \(soak) soak; it passes at \(ISO8601DateFormatter().string(from: passes))"
                )
            }
        }
        return refusals
    }

    /// What differs between the release and DST, and the edits of DST's file that change it.
    func changes(_ release: Release, into destination: Environment) -> ([Change], [EnvironmentFileEditor.Edit]) {
        var changes: [Change] = []
        var edits: [EnvironmentFileEditor.Edit] = []
        let images = Dictionary(release.manifest.services.map { ($0.name, $0.image) }, uniquingKeysWith: { first, _ in first })
        for service in destination.services {
            guard let image = images[service.name], image != service.image.text else { continue }
            changes.append(Change(service: service.name, before: service.image.text, after: image))
            edits.append(.init(["services", service.name, "image"], image))
        }
        let ran = release.manifest.migrations.compactMap { MigrationVersion($0.version) }.max()
        if let database = destination.database, let ran, database.migrateTo != ran {
            changes.append(Change(service: nil, before: database.migrateTo?.text, after: ran.text))
            edits.append(.init(["database", "migrate_to"], ran.text))
        }
        return (changes, edits)
    }

    /// The edited file loads, and gives the images and version the promotion wrote.
    func validate(_ bytes: [UInt8], at path: String, shown: String, changes: [Change], loader: ProjectLoader) throws(SessionError) {
        let files = OverlayFileSystem(base: context.fileSystem, path: path, bytes: bytes)
        let edited = ProjectLoader(project: context.project, currentDirectory: context.currentDirectory, fileSystem: files, variables: context.variables)
        let name = String(Paths.fileName(of: path).dropLast(5))
        let result: LoadResult
        do {
            result = try edited.load(name)
        } catch {
            throw SessionError("\(shown) as promoted does not load: \(error.description); nothing written")
        }
        guard let environment = result.environment else {
            throw SessionError(
                ["\(shown) as promoted would not validate; nothing written:"]
                    + result.diagnostics.filter { $0.severity == .error }.map(\.description)
            )
        }
        for change in changes {
            let now = change.service.map { environment.service(named: $0)?.image.text } ?? environment.database?.migrateTo?.text
            guard now == change.after else {
                throw SessionError("\(shown) as promoted gives \(change.service ?? "migrate_to") \(now ?? "nothing"), not \(change.after); nothing written")
            }
        }
    }

    /// A forced promotion in the history of DST and of SRC; a failure to record is said, the promotion stands.
    func record(_ outcome: Outcome, reason: String, source: (store: any StateStore, key: String)) {
        let detail = "forced promotion of release \(outcome.release) of \(outcome.from) to \(outcome.to) by \(context.owner.user): \(reason)"
            + " (overridden: \(outcome.overridden.map { $0.split(separator: ":").first.map(String.init) ?? $0 }.joined(separator: ", ")))"
        let action = ActionRecord(
            actionID: "promote", type: "promote", resource: "environment:\(outcome.to)", status: .done,
            startedAt: context.clock.now, finishedAt: context.clock.now, detail: detail
        )
        do {
            let (store, key) = try StateStoreAccess.open(outcome.to, context: context)
            try store.recordEvent(environment: key, by: context.owner, now: context.clock.now, action)
            try source.store.recordEvent(environment: source.key, by: context.owner, now: context.clock.now, action)
        } catch {
            context.events.notice(.warning("the forced promotion is not recorded in the history: \(error)"))
        }
    }
}

/// A file system that reads one file's bytes from memory: a file as it would be, loaded before it is written.
struct OverlayFileSystem: FileSystem {
    let base: any FileSystem
    let path: String
    let bytes: [UInt8]

    func readFile(atPath path: String) throws(FileSystemError) -> [UInt8] {
        path == self.path ? bytes : try base.readFile(atPath: path)
    }

    func fileExists(atPath path: String) -> Bool { path == self.path || base.fileExists(atPath: path) }
    func directoryExists(atPath path: String) -> Bool { base.directoryExists(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws(FileSystemError) -> [FileName] { try base.contentsOfDirectory(atPath: path) }
    func resolvingSymlinks(_ path: String) -> String? { base.resolvingSymlinks(path) }
    func fileMode(atPath path: String) -> Int? { base.fileMode(atPath: path) }
    func entryKind(atPath path: String) -> FileEntryKind { base.entryKind(atPath: path) }
}
