import Testing
import BerthModel
import BerthPlan

/// `Planner.destroy`: everything the environment owns goes, in an order that never leaves a dependent
/// behind; what stays is said; a second destroy finds nothing.
@Suite struct DestroyPlannerTests {
    let desired = PlanFixtures.desired()

    func names(_ service: String, _ replica: Int) -> String {
        "shop-dev-\(service)-\(replica)-\(desired.specs[service]!.hash.prefix(8))"
    }

    @Test("replicas, a config and the database: dependents first, the config after the containers that mount it, the database kept")
    func removesEverythingButTheDatabase() {
        let plan = Planner.destroy(desired: desired, observed: PlanFixtures.converged(desired))
        let (web1, web2, worker) = (names("web", 1), names("web", 2), names("worker", 1))
        #expect(plan.actions.map { "\($0.kind.rawValue) \($0.resource) after \($0.dependsOn)" } == [
            "remove container:\(worker) after []",
            "remove container:\(web1) after [\"remove:container:\(worker)\"]",
            "remove container:\(web2) after [\"remove:container:\(worker)\"]",
            "remove-config config:app-env after [\"remove:container:\(web1)\", \"remove:container:\(web2)\"]",
        ])
        #expect(plan.actions.allSatisfy { $0.effect == .delete })
        #expect(plan.summary == Plan.Summary(create: 0, update: 0, delete: 4))
        #expect(plan.kept == ["database:db.sqlite: database kept, with its data (--drop-database drops it)"])
        #expect(plan.problems.isEmpty)
        let config = plan.actions[3]
        #expect(config.undo == .restoreConfig)
        #expect(config.target == .config(ConfigWrite(name: "app-env", path: "/p/.berth/configs/dev/app.env", mode: 0o640, sha256: "c0ffee")))
        #expect(plan.actions[0].target == .container(id: "id-worker-1", name: worker))
    }

    @Test("--drop-database drops it last, after every container; --keep-configs keeps the file and says so")
    func dropsTheDatabaseKeepsConfigs() {
        let plan = Planner.destroy(
            desired: desired, observed: PlanFixtures.converged(desired), options: DestroyOptions(keepConfigs: true, dropDatabase: true)
        )
        let last = try! #require(plan.actions.last)
        #expect(last.kind == .dropDatabase)
        #expect(last.resource == "database:db.sqlite")
        #expect(last.target == .database(.sqlite(path: "/p/db.sqlite")))
        #expect(Set(last.dependsOn) == Set(["worker", "web"].flatMap { service in
            (1...(service == "web" ? 2 : 1)).map { "remove:container:\(names(service, $0))" }
        }))
        #expect(last.cause.contains("/p/db.sqlite") && last.cause.contains("data is lost"))
        #expect(!plan.actions.contains { $0.kind == .removeConfig })
        #expect(plan.kept == ["config:app-env: /p/.berth/configs/dev/app.env stays (--keep-configs)"])

        let rollback = RollbackPlan.of(plan, observed: PlanFixtures.converged(desired))
        let database = try! #require(rollback.first { $0.resource == "database:db.sqlite" })
        #expect(database.action == .restoreDatabase && database.dataLoss)
        #expect(rollback.filter { $0.resource.hasPrefix("container:") }.allSatisfy { $0.action == .recreate && !$0.dataLoss })
    }

    @Test("a running proxy stops first, before any container")
    func stopsTheProxy() {
        var environment = PlanFixtures.environment()
        environment.proxy = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p/.berth/proxy/dev")
        let desired = PlanFixtures.desired(environment)
        var observed = PlanFixtures.converged(desired)
        observed.proxy = ObservedProxy(configSHA256: "feedface")
        let plan = Planner.destroy(desired: desired, observed: observed)
        #expect(plan.actions.first?.kind == .stopProxy)
        #expect(plan.actions.first?.resource == "proxy:dev")
        #expect(plan.actions.filter { $0.kind == .remove }.allSatisfy { $0.dependsOn.contains("stop-proxy:proxy:dev") })
        observed.proxy = ObservedProxy(configSHA256: nil)
        #expect(!Planner.destroy(desired: desired, observed: observed).actions.contains { $0.kind == .stopProxy })
    }

    @Test("what a destroy leaves behind plans nothing, with or without --drop-database")
    func secondDestroyIsEmpty() {
        let after = ObservedState(
            configs: [ObservedConfig(name: "app-env", target: "/p/.berth/configs/dev/app.env", sha256: nil, mode: nil)], migrations: []
        )
        #expect(Planner.destroy(desired: desired, observed: after).isEmpty)
        let dropped = Planner.destroy(desired: desired, observed: after, options: DestroyOptions(dropDatabase: true))
        #expect(dropped.isEmpty)
        #expect(dropped.kept == ["database:db.sqlite: no migration of Berth's is recorded there: nothing of Berth's to drop"])
    }

    @Test("a stopped container and one of a service no longer desired go too")
    func removesStrays() {
        var observed = PlanFixtures.converged(desired)
        observed.containers.append(PlanFixtures.container(service: "old", replica: 1, image: "localhost/old:1", spec: desired.specs["web"]!, state: "exited"))
        let plan = Planner.destroy(desired: desired, observed: observed)
        let stray = try! #require(plan.actions.first { $0.resource.contains("-old-1-") })
        #expect(stray.kind == .remove)
        #expect(stray.cause.contains("it is exited"))
        #expect(plan.actions.filter { $0.kind == .remove }.count == 4)
    }

    @Test("the destroy plan survives the saved-plan document")
    func roundTrips() throws {
        let plan = Planner.destroy(desired: desired, observed: PlanFixtures.converged(desired), options: DestroyOptions(dropDatabase: true))
        #expect(try PlanDocument(plan).plan() == plan)
    }
}
