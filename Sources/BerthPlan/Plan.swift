public import BerthModel

/// What must change, in what order, and why: a value, saved by `plan --out` (as a `PlanDocument`)
/// and carried out by `apply`. The executor decides nothing; every decision is here, down to the
/// spec each new container is created with and how each action is taken back.
public struct Plan: Hashable, Sendable {
    public var environment: String
    public var project: String
    /// Of the desired and observed state the plan was made from: `apply --plan` refuses a plan whose
    /// fingerprint no longer matches.
    public var fingerprint: String
    /// In a dependency order: every action after those it depends on.
    public var actions: [PlanAction]
    /// What stops the plan from being applied: a migration changed after it was applied, an image the
    /// engine does not have, a host port another process holds.
    public var problems: [String]
    /// The resources a partial plan is limited to (`--target`, see `PlanTargets`), sorted; empty for a full plan.
    public var targets: [String]
    /// What the plan leaves as it is on purpose, and why (a destroy keeps the database unless told
    /// otherwise); shown after the actions. Empty for an apply.
    public var kept: [String]

    public init(
        environment: String, project: String, fingerprint: String, actions: [PlanAction], problems: [String], targets: [String] = [],
        kept: [String] = []
    ) {
        self.environment = environment
        self.project = project
        self.fingerprint = fingerprint
        self.actions = actions
        self.problems = problems
        self.targets = targets
        self.kept = kept
    }

    public var isEmpty: Bool { actions.isEmpty }

    /// Limited to targets: the rest of the environment may differ from its files.
    public var isPartial: Bool { !targets.isEmpty }

    /// Resources created, changed and deleted; a replaced container (several steps) counts once, as changed.
    public var summary: Summary {
        var byResource: [String: Set<PlanAction.Effect>] = [:]
        for action in actions where action.kind != .waitHealthy {
            byResource[action.resource, default: []].insert(action.effect)
        }
        var summary = Summary()
        for effects in byResource.values {
            if effects.contains(.update) || effects.count > 1 { summary.update += 1 }
            else if effects == [.create] { summary.create += 1 }
            else { summary.delete += 1 }
        }
        return summary
    }

    public struct Summary: Hashable, Sendable {
        public var create: Int
        public var update: Int
        public var delete: Int

        public init(create: Int = 0, update: Int = 0, delete: Int = 0) {
            self.create = create
            self.update = update
            self.delete = delete
        }
    }

    /// One line per action: the golden form planner tests compare.
    public var lines: [String] {
        actions.map { action in
            var line = "\(action.kind.rawValue) \(action.resource)"
            if !action.dependsOn.isEmpty { line += " after [\(action.dependsOn.joined(separator: ", "))]" }
            return line + ": \(action.cause)"
        }
    }
}

public struct PlanAction: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// Apply one database migration.
        case migrate
        /// Undo one applied migration with its `U<version>__*.sql` file, and remove it from the history.
        case undoMigration = "undo-migration"
        /// Write a config file (atomically, with its mode).
        case writeConfig = "write-config"
        /// Stop a container, keeping it (a replacement that must free its host port first).
        case stop
        /// Create and start a container from the blueprint the action carries.
        case create
        /// Wait until a new container answers its HTTP health check.
        case waitHealthy = "wait-healthy"
        /// Start a stopped container.
        case start
        /// Stop and remove a container.
        case remove
        /// Write the proxy's configuration, start it or reload it seamlessly.
        case configureProxy = "configure-proxy"
        /// Set a backend's server table through the proxy's runtime API.
        case `switch`
        /// Await the open sessions of draining servers, then take them out of rotation.
        case drain
        /// Watch a new version that takes traffic; a failure takes the release back.
        case verify
        /// Run a command around a switch.
        case hook
        /// Remove a config file Berth wrote (`berth destroy`).
        case removeConfig = "remove-config"
        /// Stop the proxy Berth runs for the environment and remove its files (`berth destroy`).
        case stopProxy = "stop-proxy"
        /// Drop what Berth owns in the environment's database (`berth destroy --drop-database`).
        case dropDatabase = "drop-database"
    }

    /// What the action does to its resource, for the summary.
    public enum Effect: String, Hashable, Sendable, Codable {
        case create, update, delete
    }

    /// How the action is taken back when a later one fails. Decided by the planner, carried out by the executor.
    public enum Undo: String, Hashable, Sendable, Codable {
        /// Cannot be taken back (an applied migration, a removed container): it is left.
        case none
        /// The file gets its previous content and mode back (or goes, if there was none).
        case restoreConfig = "restore-config"
        /// The container the action created is removed.
        case removeCreated = "remove-created"
        /// The container the action stopped is started again.
        case startAgain = "start-again"
        /// The migration is undone with its `U` file, when every migration the apply ran has one.
        case undoMigration = "undo-migration"
        /// The backend's server table is set back to what it was.
        case switchBack = "switch-back"
    }

    /// `kind:resource`, unique in the plan.
    public var id: String
    public var kind: Kind
    /// `KIND:NAME`: `container:web-1`, `config:app-env`, `migration:3`.
    public var resource: String
    public var cause: String
    public var dependsOn: [String]
    public var changes: [FieldChange]
    /// A config file's changed lines as a unified diff, secret values masked; empty otherwise.
    public var diff: [String]
    public var effect: Effect
    public var undo: Undo
    /// Actions whose undo this one makes void when it succeeds: once a replacement's old container is
    /// removed, the new one is the replica, and a later failure elsewhere must not take it away.
    public var commits: [String]
    /// What the action works on.
    public var target: Target

    public enum Target: Hashable, Sendable {
        case migration(MigrationStep)
        case config(ConfigWrite)
        /// A container to create, as it will be sent (secrets by reference).
        case newContainer(ContainerBlueprint)
        /// An existing container, by id and name.
        case container(id: String, name: String)
        /// A new container's HTTP health check to wait for.
        case health(HealthGate)
        /// The proxy's configuration.
        case proxy(ProxyLayout)
        case trafficSwitch(TrafficSwitch)
        case drain(DrainGate)
        case verification(VerifyGate)
        case hook(HookRun)
        /// The environment's database (a PostgreSQL URL carries no password).
        case database(DatabaseLocation)
    }

    public init(
        kind: Kind, resource: String, cause: String, effect: Effect, dependsOn: [String] = [], changes: [FieldChange] = [],
        diff: [String] = [], undo: Undo = .none, commits: [String] = [], target: Target
    ) {
        self.id = "\(kind.rawValue):\(resource)"
        self.kind = kind
        self.resource = resource
        self.cause = cause
        self.dependsOn = dependsOn
        self.changes = changes
        self.diff = diff
        self.effect = effect
        self.undo = undo
        self.commits = commits
        self.target = target
    }
}

/// A migration to apply: the file and the checksum it had when the plan was made.
public struct MigrationStep: Hashable, Sendable, Codable {
    public var version: String
    public var description: String
    public var path: String
    public var checksum: String
    /// The migration's `U<version>__*.sql` file, when it has one: what undoes it.
    public var undoPath: String?

    public init(version: String, description: String, path: String, checksum: String, undoPath: String? = nil) {
        self.version = version
        self.description = description
        self.path = path
        self.checksum = checksum
        self.undoPath = undoPath
    }
}

/// A config file to write: where, with which mode, and the hash its content must have (the content
/// itself may hold secrets, so it comes from the resolver at apply time and is checked against this).
public struct ConfigWrite: Hashable, Sendable, Codable {
    public var name: String
    public var path: String
    public var mode: Int
    public var sha256: String

    public init(name: String, path: String, mode: Int, sha256: String) {
        self.name = name
        self.path = path
        self.mode = mode
        self.sha256 = sha256
    }
}

public struct FieldChange: Hashable, Sendable, Codable {
    public var field: String
    public var before: String?
    public var after: String?

    public init(field: String, before: String?, after: String?) {
        self.field = field
        self.before = before
        self.after = after
    }
}
