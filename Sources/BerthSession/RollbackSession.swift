import BerthCore
import BerthModel
import BerthApply
public import BerthPlan
import BerthLoading
import Foundation

/// `berth rollback` as a library call: back to a release (by default the one before the current),
/// through the apply's own path (lock, journal, health gates, undo on failure).
///
/// The way back is planned like any apply, from the desired state the release was made from (kept
/// with it, secrets by reference): containers from the image IDs it recorded, so the exact bits run
/// even if a tag has moved; config files with the bytes it recorded, found among the backups by their
/// hash; migrations applied since undone with their `U` files, newest first and last of all. A
/// migration without one stops the rollback, naming it. The rollback is a release itself and pins
/// the environment: an apply of unchanged environment files does not roll forward again.
public struct RollbackSession: Sendable {
    public struct Options: Sendable {
        public var environment: String
        /// The release to go back to; nil for the parent of the current one.
        public var to: Int?
        public var apply: ApplySession.Options
        /// Called with the plan before anything is asked or done (`--out`).
        public var planned: (@Sendable (Plan) throws(SessionError) -> Void)?
        /// Where a migration applied since has no undo file: restore the database backup taken before
        /// the first release after the target that migrated, instead of refusing.
        public var restoreDatabase: Bool

        public init(
            environment: String, to: Int? = nil, apply: ApplySession.Options, planned: (@Sendable (Plan) throws(SessionError) -> Void)? = nil,
            restoreDatabase: Bool = false
        ) {
            self.environment = environment
            self.to = to
            self.apply = apply
            self.planned = planned
            self.restoreDatabase = restoreDatabase
        }
    }

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ options: Options) async throws(SessionError) -> ApplySession.Outcome {
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(options.environment)
        let window = try WindowGate.check(
            environment: environment, at: context.clock.now, operation: .rollback, override: options.apply.windowOverride
        )
        let current = try pipeline.resolve(environment)
        let session = ApplySession(context)
        return try await session.withLock(environment, resolution: current, timeout: options.apply.lockTimeout) { store, lease throws(SessionError) in
            let key = ApplySession.key(environment)
            try WindowGate.recordOverride(
                window, options.apply.windowOverride, environment: environment, operation: .rollback, store: store, key: key,
                owner: context.owner, now: context.clock.now
            )
            let releases = try Releases.list(store, key: key)
            guard let from = releases.first(where: { $0.status == .current }) else {
                throw SessionError("\(environment.name) has no current release to roll back from; berth releases --env \(environment.name) lists them")
            }
            let number = options.to ?? from.rollbackTarget.flatMap { target in releases.first { $0.number == target }?.parent } ?? from.parent
            guard let number, let target = releases.first(where: { $0.number == number }) else {
                throw SessionError(
                    options.to.map { "\(environment.name) has no release \($0)" } ?? "release \(from.number) of \(environment.name) has no earlier release to roll back to"
                )
            }
            guard !target.isDestroy else {
                throw SessionError(
                    "release \(target.number) is the destroy of \(environment.name): nothing ran in it to return to; berth destroy --env \(environment.name) removes the environment again"
                )
            }
            guard target.status != .failed else {
                throw SessionError("release \(target.number) failed; roll back to a release that ran (berth releases --env \(environment.name))")
            }
            let way = try await wayBack(to: target, from: from, current: current, releases: releases, restoreDatabase: options.restoreDatabase)
            let plan = way.plan
            guard plan.problems.isEmpty else { throw SessionError(plan.problems) }
            try options.planned?(plan)
            var restore: RestoreSession.Target?
            if let backup = way.restore {
                let restoring = RestoreSession(context)
                guard let location = environment.database?.location else { throw SessionError("\(environment.name) has no database to restore") }
                let found = try await restoring.find(backup.id, location: location, in: releases, key: key)
                context.events.notice(.warning(
                    "the database will be restored from \(backup.id), taken before release \(found.release) at "
                        + "\(ISO8601DateFormatter().string(from: found.takenAt)): data written to it since then will be lost "
                        + "(a backup of it as it is now is taken first)"
                ))
                restore = found
            }
            guard !plan.isEmpty || restore != nil else { return .noChanges(plan) }
            let password: String? = if case .postgres(_, let secret?) = environment.database?.location { current.secrets[secret] } else { nil }
            let outcome = try await session.carryOut(
                plan, options: options.apply, resolution: way.resolution,
                inputs: Executor.Inputs(secrets: way.resolution.secrets, configs: way.resolution.renderedConfigs), store: store, lease: lease,
                release: ApplySession.ReleaseNote(
                    summary: "rollback of \(from.number) to \(target.number)", rollbackTarget: target.number,
                    imagesAsWritten: Dictionary(target.manifest.services.map { ($0.name, $0.image) }, uniquingKeysWith: { first, _ in first }),
                    desiredDigest: Fingerprint.ofDesired(current.desired)
                ),
                backupDatabase: restore != nil,
                beforeExecuting: { () throws(SessionError) in
                    guard let restore, let location = environment.database?.location else { return }
                    _ = try await RestoreSession(context).restore(restore, location: location, password: password, store: store, key: key)
                }
            )
            if case .applied(let applied) = outcome, applied.succeeded {
                let passed = releases.filter { $0.number > target.number && ($0.status == .current || $0.status == .superseded) }.map(\.number)
                do {
                    try store.setReleaseStatus(environment: key, numbers: passed, status: .rolledBack)
                } catch {
                    context.events.notice(.warning("cannot mark releases \(passed) as rolled back: \(error)"))
                }
            }
            return outcome
        }
    }

    /// The plan from what runs now to `target`, and the resolution it is carried out with.
    func wayBack(
        to target: Release, from: Release, current: DesiredStateResolver.Resolution, releases: [Release], restoreDatabase: Bool
    ) async throws(SessionError) -> (plan: Plan, resolution: DesiredStateResolver.Resolution, restore: Backup?) {
        guard var environment = Releases.environment(of: target) else {
            throw SessionError("release \(target.number) keeps no environment to return to (it was made by an older Berth)")
        }
        var problems: [String] = []
        // A literal secret's value is never kept: today's file gives it.
        let today = current.desired.environment
        for index in environment.secrets.indices {
            guard case .literal = environment.secrets[index].source else { continue }
            if let secret = today.secrets.first(where: { $0.name == environment.secrets[index].name }) {
                environment.secrets[index].source = secret.source
            } else {
                problems.append("the secret \(environment.secrets[index].name) of release \(target.number) was written in the file and is no longer there")
            }
        }
        // The exact bits the release ran.
        let recorded = Dictionary(target.manifest.services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let written = environment
        for index in environment.services.indices {
            if let id = recorded[environment.services[index].name]?.imageID { environment.services[index].image = ImageReference(imageID: id) }
        }
        let pipeline = Pipeline(context)
        var (resolution, configProblems) = try prepare(environment, target: target, releases: releases)
        var observed = try await pipeline.observe(resolution)
        // A blue-green set kept since the release still runs its exact spec: named by the image as the release
        // wrote it, those containers are current, and the way back is a switch, with nothing started.
        let keptSets = environment.services.indices.filter { index in
            let service = environment.services[index]
            guard service.traffic != nil, let entry = recorded[service.name] else { return false }
            return observed.containers.contains {
                $0.service == service.name && $0.isRunning && $0.specHash == entry.specHash && (entry.imageID ?? $0.imageID) == $0.imageID
            }
        }
        if !keptSets.isEmpty {
            for index in keptSets { environment.services[index].image = written.services[index].image }
            (resolution, configProblems) = try prepare(environment, target: target, releases: releases)
            observed = try await pipeline.observe(resolution)
        }
        problems += configProblems

        // The history is planned against the release's migrations: those applied since are undone below.
        let kept = Set(target.manifest.migrations.map(\.version))
        let applied = (observed.migrations ?? []).filter(\.success)
        let since = applied.filter { !kept.contains($0.version) }.sorted { newer, older in
            guard let first = MigrationVersion(newer.version), let second = MigrationVersion(older.version) else { return newer.version > older.version }
            return first > second
        }
        observed.migrations = observed.migrations?.filter { kept.contains($0.version) }
        var plan = try await pipeline.plan(resolution, observed: observed)
        plan.problems += problems

        let undoFiles = Dictionary(
            (today.database?.migrations ?? []).map { ($0.version.text, $0) }, uniquingKeysWith: { first, _ in first }
        )
        let withoutUndo = since.filter { undoFiles[$0.version]?.undoPath == nil }
        if restoreDatabase, !withoutUndo.isEmpty {
            // The backup taken before the first release after the target that migrated holds the target's schema:
            // no migration ran between the two. With it restored, nothing is left to undo.
            let backup = releases.filter { $0.number > target.number }.sorted { $0.number < $1.number }
                .lazy.compactMap { $0.backups.first { $0.kind == .database } }.first
            guard let backup else {
                plan.problems.append("no database backup was taken after release \(target.number): there is nothing to restore")
                return (plan, resolution, nil)
            }
            return (plan, resolution, backup)
        }
        let before = plan.actions.map(\.id)
        var last: String?
        for row in since {
            guard let migration = undoFiles[row.version], let undoPath = migration.undoPath else {
                plan.problems.append(
                    "migration \(row.version) (\(row.description)) was applied after release \(target.number) and has no undo file (U\(row.version)__*.sql); "
                        + "the rollback cannot undo it: berth rollback --restore-database restores the database backup taken before it "
                        + "(data written since would be lost)"
                )
                continue
            }
            let action = PlanAction(
                kind: .undoMigration, resource: "migration:\(row.version)",
                cause: "applied after release \(target.number); undone with \(Paths.fileName(of: undoPath))", effect: .delete,
                dependsOn: last.map { [$0] } ?? before,
                target: .migration(MigrationStep(
                    version: row.version, description: row.description, path: migration.path, checksum: row.checksum, undoPath: undoPath
                ))
            )
            plan.actions.append(action)
            last = action.id
        }
        return (plan, resolution, nil)
    }

    /// The bytes of a config file whose content hashed to `sha256`, from the newest config backup that still holds them.
    /// The environment resolved, with the config bytes the release recorded where today's rendering differs.
    private func prepare(
        _ environment: Environment, target: Release, releases: [Release]
    ) throws(SessionError) -> (DesiredStateResolver.Resolution, [String]) {
        var problems: [String] = []
        var resolution = try Pipeline(context).resolve(environment)
        // Config files: the bytes the release recorded, from the backups, where today's rendering differs.
        for file in target.manifest.configs where resolution.desired.configHashes[file.name] != file.sha256 {
            guard let bytes = configBytes(sha256: file.sha256, in: releases) else {
                problems.append(
                    "config \(file.name): the bytes release \(target.number) wrote (\(file.sha256.prefix(12))) are in no backup; it cannot be restored"
                )
                continue
            }
            resolution.renderedConfigs[file.name] = bytes
            resolution.desired.configHashes[file.name] = file.sha256
            resolution.desired.maskedConfigs[file.name] = resolution.masked(config: file.name, content: bytes)
        }

        return (resolution, problems)
    }

    private func configBytes(sha256: String, in releases: [Release]) -> [UInt8]? {
        var bytes: [UInt8]?
        _ = Backups.findConfig(sha256: sha256, in: releases) { backup in
            guard let read = try? context.fileSystem.readFile(atPath: backup.path), SHA256.hex(read) == sha256 else { return false }
            bytes = read
            return true
        }
        return bytes
    }
}
