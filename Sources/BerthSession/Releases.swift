public import BerthModel
public import BerthApply
import BerthPlan
import BerthCore
import BerthLoading
public import Foundation

/// Releases as an apply makes them: what the environment runs afterwards, observed once more, with
/// the backups taken before it, the project's commit and the desired state it was made under.
public enum Releases {
    /// What runs: for each desired service the image as written and the image ID its running
    /// containers were made from; for each config file its target, mode and the hash on disk; the
    /// migrations the history records as applied. Hashes only.
    public static func manifest(desired: DesiredState, observed: ObservedState) -> ReleaseManifest {
        let environment = desired.environment
        var imageIDs: [String: String] = [:]
        for container in observed.containers where container.isRunning && !container.imageID.isEmpty {
            if let service = container.service, imageIDs[service] == nil { imageIDs[service] = container.imageID }
        }
        let onDisk = Dictionary(observed.configs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let descriptions = Dictionary(
            (environment.database?.migrations ?? []).map { ($0.version.text, $0.description) }, uniquingKeysWith: { first, _ in first }
        )
        return ReleaseManifest(
            services: environment.services.map { service in
                ReleaseManifest.Service(
                    name: service.name, image: service.image.text, imageID: imageIDs[service.name],
                    specHash: desired.specs[service.name]?.hash ?? "", replicas: service.replicas
                )
            },
            configs: environment.configs.files.map { file in
                ReleaseManifest.ConfigFile(
                    name: file.name, target: file.target, mode: onDisk[file.name]?.mode ?? file.mode,
                    sha256: onDisk[file.name]?.sha256 ?? desired.configHashes[file.name] ?? ""
                )
            },
            migrations: (observed.migrations ?? []).filter(\.success).map {
                ReleaseManifest.Migration(version: $0.version, description: descriptions[$0.version] ?? $0.description, checksum: $0.checksum)
            }
        )
    }

    /// The environment as a release keeps it: JSON, secrets by reference (a literal's value is never encoded).
    public static func snapshot(_ environment: Environment) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try? encoder.encode(environment)
    }

    /// The environment a release was made from, or nil when it kept none (or one Berth cannot read).
    public static func environment(of release: Release) -> Environment? {
        release.environment.flatMap { try? JSONDecoder().decode(Environment.self, from: $0) }
    }

    /// The environment's newest `limit` releases, newest first; a store that fails says so as a `SessionError`.
    public static func list(_ store: any StateStore, key: String, limit: Int = 100_000) throws(SessionError) -> [Release] {
        do {
            return try store.releases(environment: key, limit: limit)
        } catch {
            throw SessionError("cannot read the releases: \(error)")
        }
    }

    /// The release that is current, if any.
    static func current(_ store: any StateStore, key: String) throws(SessionError) -> Release? {
        // A current release is the newest or shortly before a failed one; a few suffice.
        try list(store, key: key, limit: 50).first { $0.status == .current }
    }
}

extension ApplySession {
    /// Records the release an executed plan made, observing the environment once more for the image IDs
    /// that run. A release that cannot be recorded is said; the apply itself stands.
    func recordRelease(
        _ report: ExecutionReport, resolution: DesiredStateResolver.Resolution, store: any StateStore, key: String,
        applyID: Int64?, backups: [Backup], note: ReleaseNote
    ) async -> Release? {
        let desired = resolution.desired
        let observed: ObservedState
        do throws(SessionError) {
            observed = try await Pipeline(context).observe(resolution)
        } catch {
            context.events.notice(.warning("cannot observe \(desired.environment.name) to record its release: \(error)"))
            return nil
        }
        var manifest = Releases.manifest(desired: desired, observed: observed)
        for index in manifest.services.indices {
            let name = manifest.services[index].name
            if let written = note.imagesAsWritten[name] { manifest.services[index].image = written }
            // A partial apply left the rest as it was: its release records what runs, not what the files ask for,
            // for a service none of whose containers is what its file says (one the targets did not touch).
            if note.partial {
                let running = observed.containers.filter { $0.service == name && $0.isRunning }
                manifest.services[index].replicas = running.count
                if !running.contains(where: { $0.specHash == manifest.services[index].specHash }),
                   let other = running.first {
                    manifest.services[index].image = other.image
                    manifest.services[index].imageID = other.imageID.isEmpty ? nil : other.imageID
                    manifest.services[index].specHash = other.specHash ?? ""
                }
            }
        }
        if note.destroyed {
            // Nothing runs; only the config files still on disk (kept) are there.
            let onDisk = Set(observed.configs.filter { $0.sha256 != nil }.map(\.name))
            manifest = ReleaseManifest(services: [], configs: manifest.configs.filter { onDisk.contains($0.name) }, migrations: manifest.migrations)
        }
        let revision = context.revision.current(in: Paths.resolve(context.project, against: context.currentDirectory))
        let release = Release(
            number: 0, digest: manifest.digest, createdAt: context.clock.now, by: context.owner.description,
            status: report.succeeded ? .current : .failed, commit: revision?.commit, dirty: revision?.dirty ?? false,
            applyID: applyID, summary: note.summary, rollbackTarget: note.rollbackTarget,
            desiredDigest: note.desiredDigest ?? Fingerprint.ofDesired(desired),
            manifest: manifest, backups: backups, environment: note.destroyed ? nil : Releases.snapshot(desired.environment)
        )
        let context = self.context
        return await Blocking.run("berth-release") { () -> Release? in
            do {
                return try store.recordRelease(environment: key, release)
            } catch {
                context.events.notice(.warning("cannot record the release of this apply: \(error)"))
                return nil
            }
        }
    }
}
