public import BerthModel
public import Foundation

/// A plan on disk (`plan --out`) and in the journal: a versioned document of its own, not the internal
/// `Plan` type, so that the format changes only on purpose. It holds hashes and secret references,
/// never a secret's value. The top level carries `format_version`; its own keys are snake_case.
public struct PlanDocument: Codable, Sendable {
    public static let formatVersion = "1"

    public var formatVersion: String
    public var project: String
    public var environment: String
    public var fingerprint: String
    public var problems: [String]
    public var actions: [Action]
    /// The resources a partial plan is limited to (`plan --target`); absent for a full plan.
    public var targets: [String]?
    /// What the plan leaves on purpose; absent when nothing is.
    public var kept: [String]?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case project, environment, fingerprint, problems, actions, targets, kept
    }

    public struct Action: Codable, Sendable {
        public var id: String
        public var type: PlanAction.Kind
        public var resource: String
        public var cause: String
        public var dependsOn: [String]
        public var changes: [FieldChange]
        public var diff: [String]
        public var effect: PlanAction.Effect
        public var undo: PlanAction.Undo
        /// Absent when empty.
        public var commits: [String]?
        public var target: Target

        enum CodingKeys: String, CodingKey {
            case dependsOn = "depends_on"
            case id, type, resource, cause, changes, diff, effect, undo, commits, target
        }
    }

    /// Exactly one member is set. Keys inside targets are the model's own (camelCase): label names and
    /// variable names are data, and no key strategy may touch them.
    public struct Target: Codable, Sendable {
        public var migration: MigrationStep?
        public var config: ConfigWrite?
        public var newContainer: ContainerBlueprint?
        public var container: ExistingContainer?
        public var health: HealthGate?
        public var proxy: ProxyLayout?
        public var trafficSwitch: TrafficSwitch?
        public var drain: DrainGate?
        public var verification: VerifyGate?
        public var hook: HookRun?
        public var database: DatabaseLocation?
    }

    public struct ExistingContainer: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
    }

    public init(_ plan: Plan) {
        formatVersion = Self.formatVersion
        project = plan.project
        environment = plan.environment
        fingerprint = plan.fingerprint
        problems = plan.problems
        targets = plan.targets.isEmpty ? nil : plan.targets
        kept = plan.kept.isEmpty ? nil : plan.kept
        actions = plan.actions.map { action in
            var target = Target()
            switch action.target {
            case .migration(let step): target.migration = step
            case .config(let write): target.config = write
            case .newContainer(let blueprint): target.newContainer = blueprint
            case .container(let id, let name): target.container = ExistingContainer(id: id, name: name)
            case .health(let gate): target.health = gate
            case .proxy(let layout): target.proxy = layout
            case .trafficSwitch(let change): target.trafficSwitch = change
            case .drain(let gate): target.drain = gate
            case .verification(let gate): target.verification = gate
            case .hook(let run): target.hook = run
            case .database(let location): target.database = location
            }
            return Action(
                id: action.id, type: action.kind, resource: action.resource, cause: action.cause, dependsOn: action.dependsOn,
                changes: action.changes, diff: action.diff, effect: action.effect, undo: action.undo,
                commits: action.commits.isEmpty ? nil : action.commits, target: target
            )
        }
    }

    /// The plan again; fails for another format version or an action without a target.
    public func plan() throws(PlanDocumentError) -> Plan {
        guard formatVersion == Self.formatVersion else {
            throw PlanDocumentError("format_version \(formatVersion) is not one this Berth reads (\(Self.formatVersion))")
        }
        let restored = try actions.map { (document: Action) throws(PlanDocumentError) -> PlanAction in
            let target: PlanAction.Target
            if let step = document.target.migration { target = .migration(step) }
            else if let write = document.target.config { target = .config(write) }
            else if let blueprint = document.target.newContainer { target = .newContainer(blueprint) }
            else if let container = document.target.container { target = .container(id: container.id, name: container.name) }
            else if let gate = document.target.health { target = .health(gate) }
            else if let layout = document.target.proxy { target = .proxy(layout) }
            else if let change = document.target.trafficSwitch { target = .trafficSwitch(change) }
            else if let gate = document.target.drain { target = .drain(gate) }
            else if let gate = document.target.verification { target = .verification(gate) }
            else if let run = document.target.hook { target = .hook(run) }
            else if let location = document.target.database { target = .database(location) }
            else { throw PlanDocumentError("action \(document.id) has no target") }
            let action = PlanAction(
                kind: document.type, resource: document.resource, cause: document.cause, effect: document.effect,
                dependsOn: document.dependsOn, changes: document.changes, diff: document.diff, undo: document.undo,
                commits: document.commits ?? [], target: target
            )
            guard action.id == document.id else {
                throw PlanDocumentError("action \(document.id) is not \(action.id), as its type and resource say")
            }
            return action
        }
        return Plan(
            environment: environment, project: project, fingerprint: fingerprint, actions: restored, problems: problems,
            targets: PlanTargets.normalized(targets ?? []), kept: kept ?? []
        )
    }

    /// Pretty JSON, keys sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The document in `data`; what keeps it from being one is said in a line, by the path of the value.
    public static func decode(_ data: Data) throws(PlanDocumentError) -> PlanDocument {
        do {
            return try JSONDecoder().decode(PlanDocument.self, from: data)
        } catch let error as DecodingError {
            throw PlanDocumentError("it is not a plan that berth plan --out saved: " + Self.describe(error))
        } catch {
            throw PlanDocumentError("it is not a plan that berth plan --out saved: \(error.localizedDescription)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)) has a value of the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context.codingPath)) is not valid"
        @unknown default:
            return "\(error)"
        }
    }
}

public struct PlanDocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
