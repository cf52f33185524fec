public import BerthCore
import BerthModel
public import BerthEngine

/// What a create does when the engine says the name is taken. Injected into the executor, so the
/// choice is made in one place and tested on its own.
public protocol NameConflictPolicy: Sendable {
    /// The id of the container to go on with, or nil to fail the create.
    func resolve(name: String, spec: ContainerSpec, engine: any ContainerEngine, clock: any BerthClock) async -> String?
}

/// Fails every conflict: a name that is taken is an error.
public struct RefuseNameConflicts: NameConflictPolicy {
    public init() {}

    public func resolve(name: String, spec: ContainerSpec, engine: any ContainerEngine, clock: any BerthClock) async -> String? {
        nil
    }
}

/// Goes on with the container of that name when it carries exactly the spec's Berth labels, the spec
/// hash included: the create of an apply that was killed can reach the engine after this plan
/// observed it, and that container is the one asked for. The engine takes a name before it lists the
/// container, so a create still in flight gets a few moments (`attempts` lists, `pause` apart).
public struct AdoptIdenticalContainer: NameConflictPolicy {
    public var attempts: Int
    public var pause: Duration

    public init(attempts: Int = 20, pause: Duration = .milliseconds(250)) {
        self.attempts = attempts
        self.pause = pause
    }

    public func resolve(name: String, spec: ContainerSpec, engine: any ContainerEngine, clock: any BerthClock) async -> String? {
        let keys = [BerthLabel.project, BerthLabel.environment, BerthLabel.service, BerthLabel.replica, BerthLabel.specHash]
        let labels = spec.labels.filter { keys.contains($0.key) }
        guard labels.count == keys.count else { return nil }
        for attempt in 0..<max(attempts, 1) {
            if attempt > 0 {
                do { try await clock.sleep(for: pause) } catch { return nil }
            }
            if let id = (try? await engine.listContainers(labels: labels))?.first(where: { $0.name == name })?.id { return id }
        }
        return nil
    }
}
