public import BerthModel
public import BerthLoading
import BerthObserve
public import BerthPlan
import BerthEngine

/// load -> resolve -> observe -> plan, as every command that looks at the world runs it, on the
/// drivers of a `Context`. Changes nothing. Each step fails with a `SessionError` that says
/// everything that is wrong at once.
public struct Pipeline: Sendable {
    public let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public var loader: ProjectLoader {
        ProjectLoader(
            project: context.project, currentDirectory: context.currentDirectory, fileSystem: context.fileSystem,
            variables: context.variables
        )
    }

    /// The environment, its diagnostics told as a notice (warnings too) before anything else.
    public func load(_ name: String) throws(SessionError) -> Environment {
        let result: LoadResult
        do {
            result = try loader.load(name)
        } catch {
            throw SessionError(error.description)
        }
        if !result.diagnostics.isEmpty { context.events.notice(.diagnostics(result.diagnostics)) }
        guard let environment = result.environment else { throw SessionError("\(result.file) is invalid") }
        return environment
    }

    public func resolve(_ environment: Environment) throws(SessionError) -> DesiredStateResolver.Resolution {
        do {
            return try DesiredStateResolver(fileSystem: context.fileSystem, variables: context.variables).resolve(environment)
        } catch {
            throw SessionError(error.problems)
        }
    }

    /// One `ObservedState`: one container list call, one history query, config files hashed in parallel.
    /// An environment without services observes without an engine when none can be reached.
    public func observe(_ resolution: DesiredStateResolver.Resolution) async throws(SessionError) -> ObservedState {
        let environment = resolution.desired.environment
        let engine: (any ContainerEngine)?
        do throws(SessionError) {
            engine = try context.engine(environment.engine.host)
        } catch {
            guard environment.services.isEmpty else { throw error }
            engine = nil
        }
        let observer = Observer(
            engine: engine, fileSystem: context.fileSystem, history: context.history, health: context.health, proxy: context.proxy,
            clock: context.clock
        )
        do throws(ObserveError) {
            let observed = try await observer.observe(resolution.desired, secrets: resolution.secrets) { name, content in
                resolution.masked(config: name, content: content)
            }
            if let reason = observed.containersUnobserved {
                context.events.notice(.warning("containers of \(environment.name) were not observed (it has no services): \(reason)"))
            }
            return observed
        } catch {
            throw SessionError(error.description)
        }
    }

    /// The plan, with a problem for every new container whose image the engine lacks or whose host
    /// port something else holds (checked only when the plan creates containers). A loopback port the
    /// planner chose for a routed replica and found taken is avoided: the plan is made again without it.
    ///
    /// With `targets`, the plan is limited to them and what they need (`PlanTargets`) before it is checked;
    /// a target that names no resource of the environment is an error, with the closest names.
    public func plan(
        _ resolution: DesiredStateResolver.Resolution, observed: ObservedState, targets: [String] = []
    ) async throws(SessionError) -> Plan {
        var observed = observed
        var images: [ImageSummary]?
        while true {
            let plan = try Self.limited(Planner.plan(desired: resolution.desired, observed: observed), to: targets, resolution: resolution, observed: observed)
            let needs = Preflight.needs(plan)
            guard !needs.images.isEmpty else { return plan }
            if images == nil {
                let engine = try context.engine(resolution.desired.environment.engine.host)
                do {
                    images = try await engine.listImages()
                } catch {
                    throw SessionError("cannot list the container engine's images: \(error)")
                }
            }
            let ports = context.ports
            let taken = Set(needs.ports.filter { !ports.isFree($0) })
            if let range = resolution.desired.environment.proxy?.ports, observed.unavailablePorts.count < 1_000 {
                let endpoints = Set(taken.filter { $0.hostIP == "127.0.0.1" && range.contains($0.port) }.map(\.port))
                    .subtracting(observed.unavailablePorts)
                    .subtracting(observed.containers.flatMap { $0.ports.map(\.port) })
                if !endpoints.isEmpty {
                    observed.unavailablePorts.formUnion(endpoints)
                    continue
                }
            }
            // A rollback names images by the IDs its release recorded.
            let preflight = Preflight(images: (images ?? []).flatMap { $0.repoTags + $0.repoDigests + [$0.id] }, takenPorts: taken)
            return preflight.check(plan, observed: observed)
        }
    }

    /// The plan limited to `targets`, or an error naming every target that is no resource of the environment.
    static func limited(
        _ plan: Plan, to targets: [String], resolution: DesiredStateResolver.Resolution, observed: ObservedState
    ) throws(SessionError) -> Plan {
        guard !targets.isEmpty else { return plan }
        let resources = PlanTargets.resources(desired: resolution.desired, observed: observed, plan: plan)
        let unknown = PlanTargets.unknown(targets, resources: resources)
        guard unknown.isEmpty else {
            let name = resolution.desired.environment.name
            throw SessionError(unknown.map { target in
                guard let colon = target.firstIndex(of: ":"), colon != target.startIndex else {
                    return "--target \(target): a target is KIND:NAME, as the plan names resources (container:web-1, config:app-env, migration:4, service:web)"
                }
                let kind = target[...colon]
                let kinds = Array(Set(resources.compactMap { resource in resource.firstIndex(of: ":").map { String(resource[..<$0]) } })).sorted()
                guard kinds.contains(String(kind.dropLast())) || kind == "service:" else {
                    let closest = Suggestion.didYouMean(String(kind.dropLast()), in: kinds)
                    return "--target \(target): '\(kind.dropLast())' is no kind of resource\(closest) (\(name) has \(kinds.joined(separator: ", "))); nothing was planned"
                }
                let sameKind = resources.filter { $0.hasPrefix(kind) }
                let listed = sameKind.isEmpty ? "it has no \(kind.dropLast()) resources" : "its \(kind.dropLast()) resources: \(Self.few(sameKind))"
                let suggestion = Suggestion.didYouMean(target, in: sameKind.isEmpty ? resources : sameKind)
                return "--target \(target): \(name) has no such resource\(suggestion) (\(listed)); nothing was planned"
            })
        }
        return plan.limited(to: targets, observed: observed)
    }

    /// The first names of a list, and how many more.
    private static func few(_ names: [String], limit: Int = 12) -> String {
        names.count <= limit ? names.joined(separator: ", ") : names.prefix(limit).joined(separator: ", ") + " and \(names.count - limit) more"
    }

    /// Everything a plan is made from, and the plan.
    public struct Planned: Sendable {
        public var environment: Environment
        public var resolution: DesiredStateResolver.Resolution
        public var observed: ObservedState
        public var plan: Plan
    }

    /// - Parameter targets: limit the plan to these resources and what they need (`--target`).
    public func plan(_ name: String, targets: [String] = []) async throws(SessionError) -> Planned {
        let environment = try load(name)
        let resolution = try resolve(environment)
        let observed = try await observe(resolution)
        let plan = try await plan(resolution, observed: observed, targets: targets)
        return Planned(environment: environment, resolution: resolution, observed: observed, plan: plan)
    }

    /// Every difference from the desired state.
    public func drift(_ name: String) async throws(SessionError) -> [DriftItem] {
        let resolution = try resolve(try load(name))
        let observed = try await observe(resolution)
        return Drift.detect(desired: resolution.desired, observed: observed)
    }
}
