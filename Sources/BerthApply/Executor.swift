public import BerthCore
public import BerthModel
public import BerthEngine
public import BerthObserve
public import BerthPlan
public import BerthProxy

/// Stage 4: carries out a plan, and decides nothing. It walks the plan's DAG, runs what is ready in
/// parallel up to a bound, and reports every action through an observer. What each action does is
/// in the plan (a create carries the spec it sends, a health wait its gate, every action its undo);
/// what happens on a name conflict is an injected policy. On a failure no new action starts, the
/// running ones finish, and the actions done are taken back in reverse, each as the plan says.
public struct Executor: Sendable {
    public typealias MigrationRunner = @Sendable (_ step: MigrationStep) async throws -> Void
    /// Drops what Berth owns in a database (`berth destroy --drop-database`).
    public typealias DatabaseDropper = @Sendable (_ location: DatabaseLocation) async throws -> Void

    /// The drivers the actions use.
    public struct Drivers: Sendable {
        public var engine: any ContainerEngine
        public var configs: any ConfigFiles
        public var health: any HealthProbe
        public var clock: any BerthClock
        public var nameConflicts: any NameConflictPolicy
        public var migrate: MigrationRunner
        /// Runs a migration's `U` file and removes it from the history.
        public var undoMigration: MigrationRunner
        /// The proxy in front of routed services; nil when the environment has none.
        public var proxy: (any ProxyDriver)?
        /// Runs the hooks around a switch.
        public var hooks: any HookRunner
        public var dropDatabase: DatabaseDropper

        public init(
            engine: any ContainerEngine, configs: any ConfigFiles = ConfigWriter(), health: any HealthProbe = HTTPHealthProbe(),
            clock: any BerthClock = SystemClock(), nameConflicts: any NameConflictPolicy = AdoptIdenticalContainer(),
            migrate: @escaping MigrationRunner,
            undoMigration: @escaping MigrationRunner = { step in throw ApplyError("migration \(step.version): no way to undo migrations was given") },
            proxy: (any ProxyDriver)? = nil, hooks: any HookRunner = LocalHookRunner(),
            dropDatabase: @escaping DatabaseDropper = { _ in throw ApplyError("no way to drop a database was given") }
        ) {
            self.dropDatabase = dropDatabase
            self.proxy = proxy
            self.hooks = hooks
            self.undoMigration = undoMigration
            self.engine = engine
            self.configs = configs
            self.health = health
            self.clock = clock
            self.nameConflicts = nameConflicts
            self.migrate = migrate
        }
    }

    /// What a plan never holds, given at apply time: secret values and rendered config contents.
    public struct Inputs: Sendable {
        public var secrets: [String: String]
        /// Config name -> content; it must hash to what the plan says.
        public var configs: [String: [UInt8]]

        public init(secrets: [String: String] = [:], configs: [String: [UInt8]] = [:]) {
            self.secrets = secrets
            self.configs = configs
        }
    }

    let drivers: Drivers
    let parallelism: Int
    let stopTimeout: Int

    public init(drivers: Drivers, parallelism: Int = 4, stopTimeout: Int = 10) {
        self.drivers = drivers
        self.parallelism = max(1, parallelism)
        self.stopTimeout = stopTimeout
    }

    /// How an action done is taken back, with what it learnt while running.
    enum Reversal: Sendable {
        case restoreConfig(path: String, previous: (content: [UInt8], mode: Int)?)
        case removeContainer(id: String)
        case startContainer(id: String)
        case undoMigration(MigrationStep)
        case setServers(ProxySettings, backend: String, [ServerSetting])
        case none
    }

    /// Runs `plan`. `halt` is asked before each action starts: a reason (the lock was lost) stops the
    /// apply there, without undo, since the environment may no longer be this apply's to change.
    public func execute(
        _ plan: Plan, inputs: Inputs, observer: any ExecutionObserver, halt: @escaping @Sendable () -> String? = { nil }
    ) async -> ExecutionReport {
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
        var report = ExecutionReport()
        var reversals: [(id: String, reversal: Reversal)] = []
        var stopping = false

        await withTaskGroup(of: (String, Result<Reversal, ApplyError>, Duration).self) { group in
            var running = 0
            func launch() {
                while !stopping, running < parallelism, !ready.isEmpty {
                    if let reason = halt() {
                        report.halted = reason
                        stopping = true
                        return
                    }
                    if Task.isCancelled {
                        report.halted = "the apply was cancelled"
                        stopping = true
                        return
                    }
                    let id = ready.removeFirst()
                    guard let action = actions[id] else { continue }
                    running += 1
                    observer.started(action)
                    group.addTask {
                        let start = drivers.clock.elapsed
                        let result = await perform(action, inputs: inputs, observer: observer)
                        return (id, result, drivers.clock.elapsed - start)
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
                    reversals.append((id, reversal))
                    // A replacement that finished is the replica now: its steps are no longer taken back.
                    if !action.commits.isEmpty { reversals.removeAll { action.commits.contains($0.id) } }
                    observer.finished(action, error: nil, duration: duration)
                    for other in dependents[id] ?? [] {
                        waiting[other, default: 0] -= 1
                        if waiting[other] == 0 { ready.append(other) }
                    }
                    // Keep the plan's order among what is ready.
                    ready.sort { (order[$0] ?? 0) < (order[$1] ?? 0) }
                case .failure(let error):
                    report.failed.append(.init(id: id, error: error.message))
                    observer.finished(action, error: error.message, duration: duration)
                    stopping = true
                }
                launch()
            }
        }

        let finished = Set(report.done + report.failed.map(\.id))
        report.skipped = plan.actions.map(\.id).filter { !finished.contains($0) }
        if report.succeeded { return report }
        if report.failed.isEmpty, !Task.isCancelled {
            // Halted (the lock was lost): the environment may be another apply's now, so nothing is undone,
            // except a container stopped for a replacement that never started: it runs again.
            let created = Set(report.done.compactMap { actions[$0] }.filter { $0.kind == .create }.map(\.resource))
            reversals = reversals.filter { entry in
                guard case .startContainer = entry.reversal, let resource = actions[entry.id]?.resource else { return false }
                return !created.contains(resource)
            }
        }
        // Migrations are undone only when every one this apply ran has an undo file: undoing some and not
        // others would leave a schema that no release had. Otherwise all are left, and the report says so.
        let migrationsRun = report.done.compactMap { actions[$0] }.filter { $0.kind == .migrate }
        if migrationsRun.contains(where: { $0.undo != .undoMigration }) {
            reversals.removeAll { if case .undoMigration = $0.reversal { true } else { false } }
        }
        // Undo runs to its end even when the apply's task was cancelled. What is not undone is left.
        let undo = Task { [reversals, report] in
            var report = report
            for (id, reversal) in reversals.reversed() {
                if case .none = reversal { continue }
                let succeeded = await takeBack(reversal)
                if succeeded { report.undone.append(id) }
                observer.undone(id, succeeded: succeeded)
            }
            let undone = Set(report.undone)
            report.left = report.done.filter { !undone.contains($0) }
            return report
        }
        return await undo.value
    }

    // MARK: Actions

    private func perform(_ action: PlanAction, inputs: Inputs, observer: any ExecutionObserver) async -> Result<Reversal, ApplyError> {
        do throws(ApplyError) {
            let reversal = try await run(action, inputs: inputs, observer: observer)
            return .success(action.undo == .none ? .none : reversal)
        } catch {
            return .failure(error)
        }
    }

    private func run(_ action: PlanAction, inputs: Inputs, observer: any ExecutionObserver) async throws(ApplyError) -> Reversal {
        let engine = drivers.engine
        switch action.target {
        case .migration(let step):
            let undoing = action.kind == .undoMigration
            do {
                try await (undoing ? drivers.undoMigration : drivers.migrate)(step)
            } catch {
                throw ApplyError("\(action.resource): \(error)")
            }
            return !undoing && action.undo == .undoMigration ? .undoMigration(step) : .none

        case .config(let write) where action.kind == .removeConfig:
            let configs = drivers.configs
            return try await Blocking.run("berth-config") { () throws(ApplyError) -> Reversal in
                // Already gone: nothing to take back.
                guard let previous = configs.read(write.path) else { return .none }
                configs.remove(write.path)
                guard configs.read(write.path) == nil else { throw ApplyError("\(action.resource): cannot remove \(write.path)") }
                return .restoreConfig(path: write.path, previous: previous)
            }

        case .config(let write):
            guard let content = inputs.configs[write.name] else {
                throw ApplyError("\(action.resource): no content was resolved for config \(write.name)")
            }
            guard SHA256.hex(content) == write.sha256 else {
                throw ApplyError("\(action.resource): the content of config \(write.name) is not the one the plan was made with")
            }
            // fsync'd writes block: they run on a thread of their own (the rule in `Blocking`).
            let configs = drivers.configs
            return try await Blocking.run("berth-config") { () throws(ApplyError) -> Reversal in
                let previous = configs.read(write.path)
                try configs.write(content, to: write.path, mode: write.mode)
                return .restoreConfig(path: write.path, previous: previous)
            }

        case .newContainer(let blueprint):
            let spec = try ContainerSpec(blueprint, secrets: inputs.secrets)
            let id: String
            do {
                id = try await engine.createContainer(name: blueprint.name, spec: spec)
            } catch {
                guard error.isNameConflict,
                      let existing = await drivers.nameConflicts.resolve(
                        name: blueprint.name, spec: spec, engine: engine, clock: drivers.clock
                      ) else {
                    throw ApplyError("\(action.resource): cannot create \(blueprint.name): \(error)")
                }
                observer.progress(action, "\(blueprint.name) was already created (by an apply that was stopped): going on with it")
                id = existing
            }
            do {
                try await start(id)
            } catch {
                try? await engine.removeContainer(id: id, force: true)
                throw ApplyError("\(action.resource): cannot start \(blueprint.name): \(error)")
            }
            return .removeContainer(id: id)

        case .health(var gate):
            if gate.port == nil {
                // The engine picked the host port: one list call finds it.
                let listed = try? await engine.listContainers(labels: gate.labels)
                guard let port = listed?.first(where: { $0.name == gate.container })?.ports
                    .first(where: { $0.privatePort == gate.containerPort && $0.publicPort != nil }) else {
                    throw ApplyError("\(action.resource): cannot find the host port of \(gate.container) for its health check")
                }
                gate.port = port.publicPort
                gate.host = HostPort(hostIP: port.ip, port: port.publicPort ?? 0).reachableAddress
            }
            let wait = HealthWait(probe: drivers.health, clock: drivers.clock)
            if let failure = await wait.wait(for: gate, progress: { observer.progress(action, $0) }) {
                throw ApplyError("\(action.resource): \(failure)")
            }
            return .none

        case .container(let id, let name):
            do {
                switch action.kind {
                case .start:
                    try await start(id)
                case .stop:
                    do {
                        try await engine.stopContainer(id: id, timeoutSeconds: stopTimeout)
                    } catch {
                        // The engine may have stopped it before the answer was lost: it runs again, as it was.
                        try? await start(id)
                        throw error
                    }
                    return .startContainer(id: id)
                case .remove:
                    try await engine.stopContainer(id: id, timeoutSeconds: stopTimeout)
                    try await engine.removeContainer(id: id, force: true)
                case .migrate, .undoMigration, .writeConfig, .create, .waitHealthy, .configureProxy, .switch, .drain, .verify, .hook,
                     .removeConfig, .stopProxy, .dropDatabase:
                    throw ApplyError("\(action.resource): a \(action.kind.rawValue) action cannot work on the existing container \(name)")
                }
            } catch let error as ApplyError {
                throw error
            } catch {
                if action.kind == .remove, let error = error as? EngineError, error.isNotFound { return .none }
                throw ApplyError("\(action.resource): cannot \(action.kind.rawValue) \(name): \(error)")
            }
            return .none

        case .database(let location):
            guard action.kind == .dropDatabase else { throw ApplyError("\(action.resource): a \(action.kind.rawValue) action cannot work on a database") }
            do {
                try await drivers.dropDatabase(location)
            } catch {
                throw ApplyError("\(action.resource): cannot drop it: \(error)")
            }
            return .none

        case .proxy, .trafficSwitch, .drain, .verification, .hook:
            return try await runTraffic(action, observer: observer)
        }
    }

    /// Starts a container. A host port that the engine is still releasing after a stop (Podman's conmon
    /// exits a moment after the container) is waited for, ten seconds at most.
    private func start(_ id: String) async throws(EngineError) {
        var attempt = 0
        while true {
            do {
                return try await drivers.engine.startContainer(id: id)
            } catch {
                attempt += 1
                guard attempt < 40, "\(error)".contains("address already in use") else { throw error }
                do { try await drivers.clock.sleep(for: .milliseconds(250)) } catch { throw .cancelled(endpoint: "\(error)") }
            }
        }
    }

    private func takeBack(_ reversal: Reversal) async -> Bool {
        switch reversal {
        case .restoreConfig(let path, let previous):
            let configs = drivers.configs
            return await Blocking.run("berth-config") { () -> Bool in
                if let previous {
                    do { try configs.write(previous.content, to: path, mode: previous.mode) } catch { return false }
                } else {
                    configs.remove(path)
                }
                return true
            }
        case .removeContainer(let id):
            do {
                try await drivers.engine.removeContainer(id: id, force: true)
                return true
            } catch {
                return false
            }
        case .startContainer(let id):
            do {
                try await start(id)
                return true
            } catch {
                return false
            }
        case .undoMigration(let step):
            do {
                try await drivers.undoMigration(step)
                return true
            } catch {
                return false
            }
        case .setServers(let settings, let backend, let servers):
            do {
                try await drivers.proxy?.set(settings, backend: backend, servers: servers)
                return drivers.proxy != nil
            } catch {
                return false
            }
        case .none:
            return false
        }
    }
}

/// What was done, undone and left, action by action.
public struct ExecutionReport: Hashable, Sendable {
    public struct Failure: Hashable, Sendable {
        public var id: String
        public var error: String

        public init(id: String, error: String) {
            self.id = id
            self.error = error
        }
    }

    public var done: [String] = []
    public var failed: [Failure] = []
    public var undone: [String] = []
    /// Done and not undone after a failure (a migration, a removed container).
    public var left: [String] = []
    /// Never started because of a failure or a halt.
    public var skipped: [String] = []
    /// Why no further action started, when something other than a failed action stopped the apply.
    public var halted: String?

    public init() {}

    public var succeeded: Bool { failed.isEmpty && halted == nil }
}

/// Progress of an apply, as it happens: the session journals it and a view renders it.
public protocol ExecutionObserver: Sendable {
    func started(_ action: PlanAction)
    /// A step within a running action: a health wait's attempt, an adopted container.
    func progress(_ action: PlanAction, _ message: String)
    func finished(_ action: PlanAction, error: String?, duration: Duration)
    func undone(_ actionID: String, succeeded: Bool)
}
