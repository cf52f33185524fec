public import BerthModel

/// What must change, in what order, and why: a value (Codable, Sendable), saved by `plan --out`
/// and carried out by `apply`. The executor decides nothing; every decision is here.
public struct Plan: Hashable, Sendable, Codable {
    public var environment: String
    public var project: String
    /// Of the desired and observed state the plan was made from: `apply --plan` refuses a plan whose
    /// fingerprint no longer matches.
    public var fingerprint: String
    /// In a dependency order: every action after those it depends on.
    public var actions: [PlanAction]
    /// What stops the plan from being applied (a migration changed after it was applied).
    public var problems: [String]

    public var isEmpty: Bool { actions.isEmpty }

    /// Resources created, changed and deleted; a replaced container (created and removed) counts once, as changed.
    public var summary: Summary {
        var byResource: [String: Set<PlanAction.Effect>] = [:]
        for action in actions { byResource[action.resource, default: []].insert(action.effect) }
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

public struct PlanAction: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// Apply one database migration.
        case migrate
        /// Write a config file (atomically, with its mode).
        case writeConfig = "write-config"
        /// Create and start a container.
        case create
        /// Stop and remove a container.
        case remove
        /// Start a stopped container.
        case start
    }

    /// What the action does to its resource, for the summary.
    public enum Effect: String, Hashable, Sendable, Codable {
        case create, update, delete
    }

    /// `kind:resource`, unique in the plan.
    public var id: String
    public var kind: Kind
    /// `KIND:NAME`: `container:web-1`, `config:app-env`, `migration:3`.
    public var resource: String
    public var cause: String
    public var dependsOn: [String]
    public var changes: [FieldChange]
    public var effect: Effect
    /// What the action works on.
    public var target: Target

    public enum Target: Hashable, Sendable, Codable {
        case migration(version: String)
        case config(name: String)
        /// A container to create: its service, replica and name.
        case newContainer(service: String, replica: Int, name: String)
        /// An existing container, by id and name.
        case container(id: String, name: String)
    }

    public init(
        kind: Kind, resource: String, cause: String, effect: Effect, dependsOn: [String] = [], changes: [FieldChange] = [],
        target: Target
    ) {
        self.id = "\(kind.rawValue):\(resource)"
        self.kind = kind
        self.resource = resource
        self.cause = cause
        self.dependsOn = dependsOn
        self.changes = changes
        self.effect = effect
        self.target = target
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
