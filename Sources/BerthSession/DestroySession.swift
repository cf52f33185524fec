import BerthCore
import BerthModel
import BerthApply
public import BerthPlan

/// `berth destroy` as a library call: removes what the environment owns, as a plan first, through
/// the apply's own path (lock, journal, executor and its undo, release).
///
/// 1. Load the environment; refuse a production one (`production: true`, the rule `refresh-data`
///    follows) unless `forceProduction`; check the deployment window as an apply does.
/// 2. Take the environment's lock, observe once, and plan the removal purely (`Planner.destroy`):
///    the proxy, every container with the environment's labels, the config files Berth wrote (unless
///    kept), the database only when asked. An empty plan changes nothing and records nothing.
/// 3. Show the plan and ask (not with `--yes`); back up the config files it removes and, before a
///    drop, the database; journal and run the plan.
/// 4. Record the destroy as a release (`summary` "destroy") that runs nothing and keeps no environment:
///    `berth rollback` goes back from it to the release before, re-creating what ran; rolling back *to*
///    it is refused.
public struct DestroySession: Sendable {
    public struct Options: Sendable {
        public var environment: String
        public var destroy: DestroyOptions
        /// `--force-production`: a production environment is destroyed too.
        public var forceProduction: Bool
        /// Confirmation, lock and stop timeouts, parallelism, window override: as an apply takes them.
        public var apply: ApplySession.Options

        public init(environment: String, destroy: DestroyOptions = DestroyOptions(), forceProduction: Bool = false, apply: ApplySession.Options) {
            self.environment = environment
            self.destroy = destroy
            self.forceProduction = forceProduction
            self.apply = apply
        }
    }

    let context: Context

    public init(_ context: Context) {
        self.context = context
    }

    public func run(_ options: Options) async throws(SessionError) -> ApplySession.Outcome {
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(options.environment)
        if environment.isProduction, !options.forceProduction {
            throw SessionError(
                "\(environment.name) is a production environment: berth destroy removes it only with --force-production as well; nothing was changed"
            )
        }
        if environment.policy?.approval != nil {
            // Approvals are of saved plans, and a destroy is planned afresh: nothing to approve it by yet.
            throw SessionError(
                "\(environment.name) applies only approved plans (policy.approval), and berth destroy takes no saved plan; "
                    + "nothing was changed (remove the policy in a reviewed change first to take the environment down)"
            )
        }
        let window = try WindowGate.check(environment: environment, at: context.clock.now, operation: .destroy, override: options.apply.windowOverride)
        let resolution = try pipeline.resolve(environment)
        let session = ApplySession(context)
        return try await session.withLock(environment, resolution: resolution, timeout: options.apply.lockTimeout) { store, lease throws(SessionError) in
            try WindowGate.recordOverride(
                window, options.apply.windowOverride, environment: environment, operation: .destroy, store: store,
                key: ApplySession.key(environment), owner: context.owner, now: context.clock.now
            )
            let observed = try await pipeline.observe(resolution)
            if let reason = observed.containersUnobserved {
                // Without the list, containers may still run on the configs and the database this would remove.
                throw SessionError("cannot list \(environment.name)'s containers, so nothing was destroyed: \(reason)")
            }
            let plan = Planner.destroy(desired: resolution.desired, observed: observed, options: options.destroy)
            guard plan.problems.isEmpty else { throw SessionError(plan.problems) }
            guard !plan.isEmpty else { return .noChanges(plan) }
            return try await session.carryOut(
                plan, options: options.apply, resolution: resolution, inputs: Executor.Inputs(), store: store, lease: lease,
                release: ApplySession.ReleaseNote(summary: Release.destroySummary, destroyed: true),
                backupDatabase: plan.actions.contains { $0.kind == .dropDatabase }
            )
        }
    }
}
