public import BerthModel
public import BerthEngine
public import BerthObserve
public import BerthPlan

/// Stage 4: carries out a plan. It decides nothing: it walks the plan's DAG, runs what is ready
/// in parallel up to a bound, and reports every action through an observer. On a failure no new
/// action starts, the running ones finish, and what this apply did is undone where undo is safe
/// (a config file gets its previous content back, a container it created is removed).
public struct Executor: Sendable {
    public typealias MigrationRunner = @Sendable (_ migration: Migration, _ checksum: String) async throws -> Void

    let engine: any ContainerEngine
    let health: any HealthProbe
    let writer: ConfigWriter
    let migrate: MigrationRunner
    let parallelism: Int
    let stopTimeout: Int

    public init(
        engine: any ContainerEngine, health: any HealthProbe = HTTPHealthProbe(), writer: ConfigWriter = ConfigWriter(),
        parallelism: Int = 4, stopTimeout: Int = 10, migrate: @escaping MigrationRunner
    ) {
        self.engine = engine
        self.health = health
        self.writer = writer
        self.parallelism = max(1, parallelism)
        self.stopTimeout = stopTimeout
        self.migrate = migrate
    }

    /// What was done, undone and left, action by action.
    public struct Report: Sendable {
        public var done: [String] = []
        public var failed: [(id: String, error: String)] = []
        public var undone: [String] = []
        /// Done and not undone after a failure (a migration, a removed container).
        public var left: [String] = []
        /// Never started because of a failure.
        public var skipped: [String] = []

        public var succeeded: Bool { failed.isEmpty }
    }

    /// How to take back one action.
    enum Undo: Sendable {
        case restoreConfig(path: String, previous: [UInt8]?, mode: Int)
        case removeContainer(id: String, name: String)
        case none
    }

    public func execute(_ plan: Plan, resolution: DesiredStateResolver.Resolution, observer: any ExecutionObserver) async -> Report {
        let actions = Dictionary(plan.actions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let order = Dictionary(plan.actions.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Per action, how many of its dependencies are still to finish, and who waits on it.
        var waiting: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for action in plan.actions {
            let known = Set(action.dependsOn.filter { actions[$0] != nil })
            waiting[action.id] = known.count
            for dependency in known { dependents[dependency, default: []].append(action.id) }
        }
        var ready = plan.actions.filter { waiting[$0.id] == 0 }.map(\.id)
        var report = Report()
        var undo: [(id: String, undo: Undo)] = []
        var stopping = false

        await withTaskGroup(of: (String, Result<Undo, ApplyError>, Duration).self) { group in
            var running = 0
            func launch() {
                while !stopping, running < parallelism, !ready.isEmpty {
                    let id = ready.removeFirst()
                    guard let action = actions[id] else { continue }
                    running += 1
                    observer.started(action)
                    group.addTask {
                        let clock = ContinuousClock()
                        let start = clock.now
                        let result = await perform(action, resolution: resolution)
                        return (id, result, clock.now - start)
                    }
                }
            }
            launch()
            while let (id, result, duration) = await group.next() {
                running -= 1
                guard let action = actions[id] else { continue }
                switch result {
                case .success(let reversal):
                    report.done.append(id)
                    undo.append((id, reversal))
                    observer.finished(action, error: nil, duration: duration)
                    for other in dependents[id] ?? [] {
                        waiting[other, default: 0] -= 1
                        if waiting[other] == 0 { ready.append(other) }
                    }
                    // Keep the plan's order among what is ready.
                    ready.sort { (order[$0] ?? 0) < (order[$1] ?? 0) }
                case .failure(let error):
                    report.failed.append((id, error.message))
                    observer.finished(action, error: error.message, duration: duration)
                    stopping = true
                }
                launch()
            }
        }

        let finished = Set(report.done + report.failed.map(\.id))
        report.skipped = plan.actions.map(\.id).filter { !finished.contains($0) }
        guard !report.failed.isEmpty else { return report }
        for (id, reversal) in undo.reversed() {
            switch reversal {
            case .none:
                report.left.append(id)
            default:
                if await takeBack(reversal) { report.undone.append(id) } else { report.left.append(id) }
                observer.undone(id, succeeded: report.undone.last == id)
            }
        }
        return report
    }

    // MARK: Actions

    private func perform(_ action: PlanAction, resolution: DesiredStateResolver.Resolution) async -> Result<Undo, ApplyError> {
        do throws(ApplyError) {
            return .success(try await run(action, resolution: resolution))
        } catch {
            return .failure(error)
        }
    }

    private func run(_ action: PlanAction, resolution: DesiredStateResolver.Resolution) async throws(ApplyError) -> Undo {
        let environment = resolution.desired.environment
        switch action.target {
        case .migration(let version):
            guard let migration = environment.database?.migrations.first(where: { $0.version.text == version }),
                  let checksum = resolution.desired.migrationChecksums[version] else {
                throw ApplyError("\(action.resource): no such migration in the desired state")
            }
            do {
                try await migrate(migration, checksum)
            } catch {
                throw ApplyError("\(action.resource): \(error)")
            }
            return .none

        case .config(let name):
            guard let config = environment.configs.file(named: name), let content = resolution.renderedConfigs[name] else {
                throw ApplyError("\(action.resource): no such config in the desired state")
            }
            let previous = writer.read(config.target)
            try writer.write(content, to: config.target, mode: config.mode)
            return .restoreConfig(path: config.target, previous: previous, mode: config.mode)

        case .newContainer(let serviceName, let replica, let name):
            guard let service = environment.service(named: serviceName) else {
                throw ApplyError("\(action.resource): no service \(serviceName) in the desired state")
            }
            let spec = ContainerBlueprint.spec(for: service, replica: replica, resolution: resolution)
            let id: String
            do {
                id = try await engine.createContainer(name: name, spec: spec)
            } catch {
                // The create of an apply that died may reach the engine after this plan observed it: a container
                // of this name with Berth's labels and this spec hash is the one asked for.
                guard error.isNameConflict, let existing = await sameContainer(named: name, spec: spec) else {
                    throw ApplyError("\(action.resource): cannot create \(name): \(error)")
                }
                id = existing
            }
            do {
                try await engine.startContainer(id: id)
            } catch {
                try? await engine.removeContainer(id: id, force: true)
                throw ApplyError("\(action.resource): cannot start \(name): \(error)")
            }
            if let failure = await waitUntilHealthy(service, replica: replica, spec: spec) {
                try? await engine.removeContainer(id: id, force: true)
                throw ApplyError("\(action.resource): \(name) \(failure)")
            }
            return .removeContainer(id: id, name: name)

        case .container(let id, let name):
            do {
                if action.kind == .start {
                    try await engine.startContainer(id: id)
                } else {
                    try await engine.stopContainer(id: id, timeoutSeconds: stopTimeout)
                    try await engine.removeContainer(id: id, force: true)
                }
            } catch {
                if action.kind == .remove && error.isNotFound { return .none }
                throw ApplyError("\(action.resource): cannot \(action.kind.rawValue) \(name): \(error)")
            }
            return .none
        }
    }

    /// The id of the container named `name` that carries `spec`'s Berth labels, the spec hash included.
    /// The engine takes a name before the container is listed, so a create still in flight gets a few moments.
    private func sameContainer(named name: String, spec: ContainerSpec) async -> String? {
        let keys = [BerthLabel.project, BerthLabel.environment, BerthLabel.service, BerthLabel.replica, BerthLabel.specHash]
        let labels = spec.labels.filter { keys.contains($0.key) }
        guard labels.count == keys.count else { return nil }
        for attempt in 0..<20 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(250)) }
            if let id = (try? await engine.listContainers(labels: labels))?.first(where: { $0.name == name })?.id { return id }
        }
        return nil
    }

    /// Nil once the replica answers its HTTP health check (or has none); otherwise why not.
    /// Waits the start period plus `retries` intervals, as the engine would.
    private func waitUntilHealthy(_ service: Service, replica: Int, spec: ContainerSpec) async -> String? {
        guard let check = service.healthcheck, case .http(let http) = check.check else { return nil }
        guard let published = spec.ports.first(where: { $0.containerPort == http.containerPort }), let port = published.hostPort else {
            return nil
        }
        let host = published.hostIP.flatMap { $0 == "0.0.0.0" || $0 == "::" ? nil : $0 } ?? "127.0.0.1"
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(check.startPeriod.milliseconds + check.retries * check.interval.milliseconds + check.timeout.milliseconds)
        // Poll often at first: a fresh replica usually answers within a second.
        let pause = Duration.milliseconds(min(250, check.interval.milliseconds))
        while clock.now < deadline {
            if await health.isHealthy(host: host, port: port, path: http.path, timeout: .milliseconds(check.timeout.milliseconds)) {
                return nil
            }
            try? await Task.sleep(for: pause)
        }
        return "did not pass its health check \(http.url) (port \(port)) in time"
    }

    private func takeBack(_ reversal: Undo) async -> Bool {
        switch reversal {
        case .restoreConfig(let path, let previous, let mode):
            if let previous {
                do { try writer.write(previous, to: path, mode: mode) } catch { return false }
            } else {
                writer.remove(path)
            }
            return true
        case .removeContainer(let id, _):
            do {
                try await engine.removeContainer(id: id, force: true)
                return true
            } catch {
                return false
            }
        case .none:
            return false
        }
    }
}

/// Progress of an apply, as it happens: the CLI renders it on standard error.
public protocol ExecutionObserver: Sendable {
    func started(_ action: PlanAction)
    func finished(_ action: PlanAction, error: String?, duration: Duration)
    func undone(_ actionID: String, succeeded: Bool)
}
