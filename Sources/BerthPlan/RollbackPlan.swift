public import BerthModel
import BerthCore

/// One resource's way back once a plan has been applied: what would be done to it, and whether that
/// loses data. Works from hashes, image IDs and names only, never a secret's value.
public struct RollbackStep: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable, Codable, CaseIterable {
        /// A container the plan creates goes again.
        case remove
        /// A container the plan replaces or removes is made again from the image ID it ran, with its previous spec.
        case recreate = "re-create"
        /// A container the plan starts is stopped again.
        case stop
        /// A config file the plan rewrites gets its previous bytes and mode back.
        case restoreConfig = "restore-config"
        /// A config file the plan writes for the first time goes again.
        case removeConfig = "remove-config"
        /// A migration is undone by its `U<version>__*.sql` file.
        case undoMigration = "undo-migration"
        /// A migration without an undo file: only the database backup taken before the apply undoes it.
        case restoreDatabase = "restore-database"
        /// A migration the plan undoes is applied again: its schema comes back, the data its undo dropped does not.
        case reapplyMigration = "reapply-migration"
        /// Traffic goes back to the servers that had it before.
        case switchBack = "switch-back"
        /// The proxy is configured again for the previous layout.
        case reconfigureProxy = "reconfigure-proxy"
        /// A command ran (a hook): Berth does not undo what it did.
        case none
        /// Berth knows no way back for this action: a person decides.
        case manual
    }

    /// `KIND:NAME`, as in the plan.
    public var resource: String
    public var action: Action
    /// Taking it back loses data written after the apply (or the step has no known way back).
    public var dataLoss: Bool
    public var detail: String

    public init(resource: String, action: Action, dataLoss: Bool = false, detail: String) {
        self.resource = resource
        self.action = action
        self.dataLoss = dataLoss
        self.detail = detail
    }
}

/// How a plan would be undone after it has been applied: one step per resource, the resource changed
/// last first. A replacement (stop, create, wait, remove) is one step: the old container made again.
/// A pure function of the plan (which migrations have an undo file) and the state it was made from
/// (what ran before: image IDs, spec hashes, config hashes).
public enum RollbackPlan {
    public static func of(_ plan: Plan, observed: ObservedState) -> [RollbackStep] {
        var groups: [String: [PlanAction]] = [:]
        var lastIndex: [String: Int] = [:]
        for (index, action) in plan.actions.enumerated() {
            groups[action.resource, default: []].append(action)
            lastIndex[action.resource] = index
        }
        let before = Before(observed: observed)
        return lastIndex.sorted { $0.value > $1.value }.map { resource, _ in
            before.step(resource: resource, actions: groups[resource] ?? [])
        }
    }

    /// What there was before the plan: containers by id, config files by name.
    private struct Before {
        let containers: [String: ObservedContainer]
        let configs: [String: ObservedConfig]

        init(observed: ObservedState) {
            containers = Dictionary(observed.containers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            configs = Dictionary(observed.configs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }

        func step(resource: String, actions: [PlanAction]) -> RollbackStep {
            let kinds = Set(actions.map(\.kind))
            let created = actions.lazy.compactMap(\.blueprintName).first
            // The container there was before (stopped, started or removed by the plan).
            let old = actions.lazy.compactMap { action -> (id: String, name: String)? in
                guard case .container(let id, let name) = action.target else { return nil }
                return (id, name)
            }.first
            if let migration = actions.lazy.compactMap(\.migrationStep).first, kinds == [.migrate] {
                return undo(migration, resource: resource)
            }
            if let migration = actions.lazy.compactMap(\.migrationStep).first, kinds == [.undoMigration] {
                return RollbackStep(
                    resource: resource, action: .reapplyMigration, dataLoss: true,
                    detail: "run \(Paths.fileName(of: migration.path)) again: it makes \(migration.version) (\(migration.description)) again, but what its undo dropped comes back only from the database backup taken before the apply"
                )
            }
            if let config = actions.lazy.compactMap(\.configWrite).first, kinds == [.writeConfig] {
                return restore(config, resource: resource)
            }
            if let old, kinds.contains(.remove) {
                let stopped = containers[old.id].flatMap { $0.isRunning ? nil : " (it was \($0.state))" } ?? ""
                var detail = "re-create \(old.name)\(stopped) from \(image(of: old.id)) with its previous spec\(spec(of: old.id))"
                if let created { detail = "remove \(created); " + detail }
                return RollbackStep(
                    resource: resource, action: .recreate,
                    detail: detail + "; named volumes and bind mounts stay, what it wrote elsewhere is not restored"
                )
            }
            if let created, kinds.isSubset(of: [.create, .waitHealthy]) {
                return RollbackStep(resource: resource, action: .remove, detail: "remove \(created): it did not exist before")
            }
            if kinds.isSubset(of: [.switch, .drain, .verify]), let first = actions.lazy.compactMap(\.trafficSwitch).first {
                let ready = first.previous.filter { $0.admin == .ready }.map { "\($0.slot) \($0.endpoint)" }
                return RollbackStep(
                    resource: resource, action: .switchBack,
                    detail: ready.isEmpty ? "take \(first.backend)'s servers out of rotation again" : "traffic of \(first.backend) back to \(ready.joined(separator: ", "))"
                )
            }
            if kinds == [.configureProxy] {
                return RollbackStep(resource: resource, action: .reconfigureProxy, detail: "configure the proxy for the previous routes (a seamless reload)")
            }
            if let config = actions.lazy.compactMap(\.configWrite).first, kinds == [.removeConfig] {
                return RollbackStep(
                    resource: resource, action: .restoreConfig,
                    detail: "berth apply writes \(config.path) again (its bytes, sha256 \(Short.hash(config.sha256) ?? ""), are backed up before it goes)"
                )
            }
            if kinds == [.stopProxy] {
                return RollbackStep(resource: resource, action: .reconfigureProxy, detail: "berth apply starts the proxy again with its layout")
            }
            if kinds == [.dropDatabase] {
                return RollbackStep(
                    resource: resource, action: .restoreDatabase, dataLoss: true,
                    detail: "the data comes back only from the backup taken before the drop (berth restore); berth apply alone migrates an empty database"
                )
            }
            if kinds == [.hook] {
                return RollbackStep(resource: resource, action: .none, detail: "a command ran; what it did is not undone")
            }
            if let old, kinds == [.start] {
                let state = containers[old.id]?.state ?? "stopped"
                return RollbackStep(resource: resource, action: .stop, detail: "stop \(old.name) again (it was \(state))")
            }
            let what = actions.map(\.kind.rawValue).joined(separator: ", ")
            return RollbackStep(
                resource: resource, action: .manual, dataLoss: true, detail: "no known way back from \(what): check \(resource) by hand"
            )
        }

        /// A migration's undo file, or the database backup and what it costs.
        private func undo(_ migration: MigrationStep, resource: String) -> RollbackStep {
            if let undoPath = migration.undoPath {
                return RollbackStep(
                    resource: resource, action: .undoMigration,
                    detail: "run \(Paths.fileName(of: undoPath)) to undo \(migration.version) (\(migration.description))"
                )
            }
            return RollbackStep(
                resource: resource, action: .restoreDatabase, dataLoss: true,
                detail: "no U\(migration.version)__*.sql undoes \(migration.version) (\(migration.description)): only the database backup taken before the apply does, and data written after the apply would be lost"
            )
        }

        /// A config file's previous bytes and mode, or its removal when it is new.
        private func restore(_ config: ConfigWrite, resource: String) -> RollbackStep {
            guard let seen = configs[config.name], let sha256 = seen.sha256 else {
                return RollbackStep(resource: resource, action: .removeConfig, detail: "remove \(config.path): it did not exist before")
            }
            let mode = seen.mode.map(Short.octal) ?? "?"
            if sha256 == config.sha256 {
                return RollbackStep(resource: resource, action: .restoreConfig, detail: "set the mode of \(config.path) back to \(mode)")
            }
            return RollbackStep(
                resource: resource, action: .restoreConfig,
                detail: "restore \(config.path) (sha256 \(Short.hash(sha256) ?? ""), mode \(mode)) from the backup taken before the apply"
            )
        }

        /// `image 0123456789ab (localhost/web:1.0.0)`, or the image as written when its ID was not observed.
        private func image(of id: String) -> String {
            guard let container = containers[id] else { return "the image it ran (not observed)" }
            guard !container.imageID.isEmpty else { return "\(container.image) (its image ID was not observed)" }
            let id = ImageReference.shortID(container.imageID)
            // A rollback's container names its image by the ID.
            return container.image == container.imageID ? "image \(id)" : "image \(id) (\(container.image))"
        }

        private func spec(of id: String) -> String {
            containers[id]?.specHash.flatMap(Short.hash).map { " \($0)" } ?? ""
        }
    }
}

extension PlanAction {
    var migrationStep: MigrationStep? {
        if case .migration(let step) = target { return step }
        return nil
    }

    var trafficSwitch: TrafficSwitch? {
        if case .trafficSwitch(let change) = target { return change }
        return nil
    }

    var configWrite: ConfigWrite? {
        if case .config(let write) = target { return write }
        return nil
    }
}
