public import BerthModel
import BerthApply
import BerthPlan
import BerthCore
import BerthLoading
import Foundation

/// The copies an apply takes before it changes anything, tied to the release it makes.
///
/// - Before a plan that runs a migration: the database (`r<N>-database`, a file of its own per
///   release: `<root>/r<N>-database.dump` for PostgreSQL, `.sqlite` for SQLite).
/// - Before a plan rewrites or removes a config file that exists: its previous bytes (`r<N>-config-<name>`),
///   stored by content at `<root>/configs/<sha256>`, so the same bytes are kept once and a rollback
///   finds "the bytes release N had" by the hash its manifest records (`findConfig`).
///
/// `N` is the number the store will give the apply's release: the last one's plus one, read under
/// the environment's lock. A file already at a database backup's path was left by an apply that
/// never recorded its release (killed); it is moved aside, never overwritten. A backup that fails
/// stops the apply before anything changes. After the release is recorded, the files of all but
/// the newest `backups.keep` releases that took backups are deleted; their records stay.
public enum Backups {
    /// The marker naming the environment a backup root belongs to: two environments never share one.
    static let marker = ".berth-backups"

    /// The backups `plan` needs, taken now (the database also when `database` says it is about to be
    /// restored over). Empty when it needs none (no migration, no existing config rewritten).
    static func take(
        before plan: Plan, environment: Environment, resolution: DesiredStateResolver.Resolution, store: any StateStore, key: String,
        context: Context, database forced: Bool = false
    ) async throws(SessionError) -> [Backup] {
        // Running a migration, undoing one, or restoring over the database: what is there now is copied first.
        let changesDatabase = forced || plan.actions.contains { $0.kind == .migrate || $0.kind == .undoMigration }
        let database = changesDatabase ? environment.database?.location : nil
        let configs = plan.actions.compactMap { action -> ConfigWrite? in
            guard action.kind == .writeConfig || action.kind == .removeConfig, case .config(let write) = action.target else { return nil }
            return write
        }
        guard database != nil || !configs.isEmpty else { return [] }
        let root = environment.backups.root
        let password = database.flatMap { location -> String? in
            guard case .postgres(_, let secret?) = location else { return nil }
            return resolution.secrets[secret]
        }
        let taken = await Blocking.run("berth-backup") { () -> Result<[Backup], SessionError> in
            do throws(SessionError) {
                let number = try nextRelease(store, key: key)
                let taker = Taker(root: root, number: number, key: key, context: context)
                return .success(try taker.take(database: database, password: password, configs: configs))
            } catch {
                return .failure(error)
            }
        }
        let backups = try taken.get()
        for backup in backups { context.events.notice(.backup(backup)) }
        return backups
    }

    /// Deletes the files of all but the newest `backups.keep` releases that took backups, unless a
    /// kept release holds the same file (a config's bytes are stored once). Only files under the
    /// backup root are deleted. What cannot be read or deleted is said, never fatal.
    static func prune(_ environment: Environment, store: any StateStore, key: String, context: Context) async {
        let settings = environment.backups
        await Blocking.run("berth-backup") {
            let releases: [Release]
            do {
                releases = try store.releases(environment: key, limit: 100_000)
            } catch {
                context.events.notice(.warning("cannot read the releases to delete old backups: \(error)"))
                return
            }
            for path in stale(releases, keep: settings.keep, root: settings.root) where context.backups.exists(path) {
                context.backups.remove(path)
            }
        }
    }

    /// The files `prune` deletes: those of releases past the newest `keep` that took backups, under `root`, held by no kept release.
    public static func stale(_ releases: [Release], keep: Int, root: String) -> [String] {
        let taking = releases.filter { !$0.backups.isEmpty }.sorted { $0.number > $1.number }
        let kept = Set(taking.prefix(keep).flatMap { $0.backups.map(\.path) })
        var seen: Set<String> = []
        return taking.dropFirst(keep).flatMap(\.backups).map(\.path).filter {
            !kept.contains($0) && Paths.isInside($0, root: root) && seen.insert($0).inserted
        }
    }

    /// The config backup holding the bytes whose SHA-256 is `sha256` (the hash a release's manifest records
    /// for a config), from the newest release that has one; `present` may skip a backup whose file is gone.
    public static func findConfig(sha256: String, in releases: [Release], where present: (Backup) -> Bool = { _ in true }) -> Backup? {
        for release in releases.sorted(by: { $0.number > $1.number }) {
            if let backup = release.backups.first(where: { $0.kind == .config && $0.sha256 == sha256 && present($0) }) { return backup }
        }
        return nil
    }

    /// The backup with `id` and the release that recorded it.
    public static func find(id: String, in releases: [Release]) -> (backup: Backup, release: Release)? {
        for release in releases {
            if let backup = release.backups.first(where: { $0.id == id }) { return (backup, release) }
        }
        return nil
    }

    /// `postgres` or `sqlite`: a database backup's `resource`.
    public static func resource(of location: DatabaseLocation) -> String {
        switch location {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// The number the next release of `key` gets.
    private static func nextRelease(_ store: any StateStore, key: String) throws(SessionError) -> Int {
        do {
            return (try store.releases(environment: key, limit: 1).first?.number ?? 0) + 1
        } catch {
            throw SessionError("cannot read the releases to number the backups: \(error); nothing was changed")
        }
    }

    /// One apply's backups, on a thread of its own.
    private struct Taker {
        let root: String
        let number: Int
        let key: String
        let context: Context

        var driver: any BackupDriver { context.backups }

        func take(database: DatabaseLocation?, password: String?, configs: [ConfigWrite]) throws(SessionError) -> [Backup] {
            try claim()
            var backups: [Backup] = []
            if let database, let backup = try backUp(database, password: password) { backups.append(backup) }
            for write in configs {
                // Only a file that is there has bytes to lose; a missing one is simply created.
                guard let current = context.configs.read(write.path) else { continue }
                let stored: StoredFile
                do {
                    stored = try driver.store(current.content, at: "\(root)/configs/\(StoredFile(current.content).sha256)")
                } catch {
                    // The database copy taken for this apply is of no use without it.
                    backups.filter { $0.kind == .database }.forEach { driver.remove($0.path) }
                    throw failure("config \(write.name) (\(write.path))", error)
                }
                backups.append(Backup(
                    id: "r\(number)-config-\(write.name)", kind: .config, resource: write.name,
                    path: "\(root)/configs/\(stored.sha256)", sha256: stored.sha256, size: stored.size
                ))
            }
            return backups
        }

        /// Makes the root and checks that it is this environment's, marking it so on first use.
        private func claim() throws(SessionError) {
            guard !root.isEmpty else { throw SessionError("the environment names no backups.root; nothing was changed") }
            do {
                try driver.prepare(folder: root)
                let path = "\(root)/\(Backups.marker)"
                if let owner = driver.read(path).map({ String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }) {
                    guard owner == key else {
                        throw SessionError(
                            "backups.root \(root) holds the backups of \(owner); give \(key) a folder of its own (the default is .berth/backups/ENV). Nothing was changed."
                        )
                    }
                } else {
                    _ = try driver.store(Array("\(key)\n".utf8), at: path)
                }
            } catch let error as SessionError {
                throw error
            } catch {
                throw SessionError("cannot use the backup folder \(root): \(error); nothing was changed")
            }
        }

        private func backUp(_ location: DatabaseLocation, password: String?) throws(SessionError) -> Backup? {
            let id = "r\(number)-database"
            let resource = Backups.resource(of: location)
            let suffix = resource == "postgres" ? "dump" : "sqlite"
            let path = "\(root)/\(id).\(suffix)"
            do {
                if driver.exists(path) {
                    let aside = "\(root)/\(id).unrecorded-\(Int64(context.clock.now.timeIntervalSince1970 * 1000)).\(suffix)"
                    try driver.move(path, to: aside)
                    context.events.notice(.warning(
                        "\(path) was left by an apply that recorded no release (killed?); kept as \(aside)"
                    ))
                }
                guard let stored = try driver.backupDatabase(location, password: password, to: path) else { return nil }
                return Backup(id: id, kind: .database, resource: resource, path: path, sha256: stored.sha256, size: stored.size)
            } catch {
                throw failure("the \(resource) database", error)
            }
        }

        private func failure(_ what: String, _ error: BackupError) -> SessionError {
            SessionError("cannot back up \(what) before the apply: \(error); nothing was changed")
        }
    }
}
