import Testing
import BerthModel
import BerthPlan

/// The way back from a plan: one step per resource, last change first, each with what it loses.
@Suite struct RollbackPlanTests {
    /// `action resource: detail`, with `!` in front of a step that loses data.
    func lines(_ desired: DesiredState, _ observed: ObservedState) -> [String] {
        let plan = Planner.plan(desired: desired, observed: observed)
        return RollbackPlan.of(plan, observed: observed).map {
            "\($0.dataLoss ? "! " : "")\($0.action.rawValue) \($0.resource): \($0.detail)"
        }
    }

    /// What a finished apply of `desired` leaves, each container with the image ID it ran.
    func converged(_ desired: DesiredState) -> ObservedState {
        var observed = PlanFixtures.converged(desired)
        for index in observed.containers.indices {
            observed.containers[index].imageID = "sha256:\(observed.containers[index].service ?? "")0123456789abcdef"
        }
        return observed
    }

    @Test("a fresh environment: containers removed, the new config removed, migrations without undo need the database backup")
    func fresh() {
        let desired = PlanFixtures.desired()
        let web = "shop-dev-web-%d-\(desired.specs["web"]!.hash.prefix(8))"
        let worker = "shop-dev-worker-1-\(desired.specs["worker"]!.hash.prefix(8))"
        let lost = "only the database backup taken before the apply does, and data written after the apply would be lost"
        #expect(lines(desired, ObservedState(migrations: [])) == [
            "remove container:worker-1: remove \(worker): it did not exist before",
            "remove container:web-2: remove \(web.replacingOccurrences(of: "%d", with: "2")): it did not exist before",
            "remove container:web-1: remove \(web.replacingOccurrences(of: "%d", with: "1")): it did not exist before",
            "remove-config config:app-env: remove /p/.berth/configs/dev/app.env: it did not exist before",
            "! restore-database migration:2: no U2__*.sql undoes 2 (more): \(lost)",
            "! restore-database migration:1: no U1__*.sql undoes 1 (init): \(lost)",
        ])
    }

    @Test("a migration with an undo file is undone by it, without data loss; one without is data loss")
    func migrationUndo() {
        var environment = PlanFixtures.environment()
        environment.database?.migrations[1].undoPath = "/p/environments/migrations/U2__more.sql"
        environment.database?.migrations.append(
            Migration(version: MigrationVersion("3")!, description: "drop orders", path: "/p/environments/migrations/V3__drop_orders.sql")
        )
        var desired = PlanFixtures.desired(environment)
        desired.migrationChecksums["3"] = "ccc"
        let observed = converged(PlanFixtures.desired())
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.lines == ["migrate migration:3: V3__drop_orders.sql is pending"])
        let rollback = RollbackPlan.of(plan, observed: observed)
        #expect(rollback.map(\.action) == [.restoreDatabase])
        #expect(rollback.map(\.dataLoss) == [true])

        // Version 2 pending again (it failed), with its undo file.
        var failed = observed
        failed.migrations = failed.migrations?.filter { $0.version == "1" }
        desired.migrationChecksums["3"] = nil
        desired.environment.database?.migrations.removeLast()
        let steps = RollbackPlan.of(Planner.plan(desired: desired, observed: failed), observed: failed)
        #expect(steps == [RollbackStep(resource: "migration:2", action: .undoMigration, detail: "run U2__more.sql to undo 2 (more)")])
    }

    @Test("a migration a rollback undoes is applied again, and what its undo dropped is data loss")
    func undoneMigration() {
        let step = MigrationStep(
            version: "3", description: "add customers", path: "/p/environments/migrations/V3__add_customers.sql", checksum: "ccc",
            undoPath: "/p/environments/migrations/U3__add_customers.sql"
        )
        let plan = Plan(environment: "dev", project: "shop", fingerprint: "f", actions: [
            PlanAction(kind: .undoMigration, resource: "migration:3", cause: "applied after release 1", effect: .delete, target: .migration(step)),
        ], problems: [])
        let rollback = RollbackPlan.of(plan, observed: ObservedState(migrations: []))
        #expect(rollback.map(\.action) == [.reapplyMigration])
        #expect(rollback.map(\.dataLoss) == [true])
        #expect(rollback.first?.detail.hasPrefix("run V3__add_customers.sql again: ") == true)
    }

    @Test("a replacement is one step per replica: the old container made again from the image ID it ran, with its spec")
    func replacement() {
        let before = PlanFixtures.desired(PlanFixtures.environment(webStrategy: .recreate))
        let after = PlanFixtures.desired(PlanFixtures.environment(webImage: "localhost/web:2.0.0", webStrategy: .recreate))
        let observed = converged(before)
        let old = "shop-dev-web-%d-\(before.specs["web"]!.hash.prefix(8))"
        let new = "shop-dev-web-%d-\(after.specs["web"]!.hash.prefix(8))"
        let stays = "named volumes and bind mounts stay, what it wrote elsewhere is not restored"
        let expected = [2, 1].map { replica in
            let old = old.replacingOccurrences(of: "%d", with: "\(replica)"), new = new.replacingOccurrences(of: "%d", with: "\(replica)")
            return "re-create container:web-\(replica): remove \(new); re-create \(old) from image web012345678 (localhost/web:1.0.0) "
                + "with its previous spec \(before.specs["web"]!.hash.prefix(12)); \(stays)"
        }
        #expect(lines(after, observed) == expected)
    }

    @Test("a rewritten config gets its previous bytes back from the backup; a mode change its mode")
    func config() {
        let desired = PlanFixtures.desired(configHash: "beef")
        var observed = converged(PlanFixtures.desired(configHash: "0123456789abcdef"))
        let rollback = RollbackPlan.of(Planner.plan(desired: desired, observed: observed), observed: observed)
        // The config first in the plan, last in the way back, after the web replicas that mount it.
        #expect(rollback.map(\.resource) == ["container:web-2", "container:web-1", "config:app-env"])
        #expect(rollback.last == RollbackStep(
            resource: "config:app-env", action: .restoreConfig,
            detail: "restore /p/.berth/configs/dev/app.env (sha256 0123456789ab, mode 0640) from the backup taken before the apply"
        ))

        observed = converged(desired)
        observed.configs[0].mode = 0o600
        let mode = RollbackPlan.of(Planner.plan(desired: desired, observed: observed), observed: observed)
        #expect(mode.last?.detail == "set the mode of /p/.berth/configs/dev/app.env back to 0600")
    }

    @Test("a started container is stopped again; a removed one made again from its recorded image ID")
    func startedAndRemoved() {
        let desired = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1))
        var observed = converged(PlanFixtures.desired())
        let index = observed.containers.firstIndex { $0.service == "worker" }!
        observed.containers[index].state = "exited"
        let web2 = observed.containers.first { $0.replica == 2 }!
        #expect(lines(desired, observed) == [
            "re-create container:\(web2.name): re-create \(web2.name) from image web012345678 (localhost/web:1.0.0) with its previous spec "
                + "\(web2.specHash!.prefix(12)); named volumes and bind mounts stay, what it wrote elsewhere is not restored",
            "stop container:worker-1: stop \(observed.containers[index].name) again (it was exited)",
        ])
    }

    @Test("a container whose image ID was not observed is made again from its image as written, and says so")
    func unknownImageID() {
        let desired = PlanFixtures.desired(PlanFixtures.environment(webReplicas: 1))
        let observed = PlanFixtures.converged(PlanFixtures.desired())
        let step = RollbackPlan.of(Planner.plan(desired: desired, observed: observed), observed: observed)
        #expect(step.count == 1)
        #expect(step.first?.detail.contains("from localhost/web:1.0.0 (its image ID was not observed)") == true, "\(step)")
        #expect(step.first?.dataLoss == false)
    }
}
