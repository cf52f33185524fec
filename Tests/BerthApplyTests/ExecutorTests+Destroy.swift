import Foundation
import Synchronization
import Testing
import BerthCore
import BerthModel
import BerthEngine
import BerthPlan
import BerthProxy
import BerthApply

/// The steps only a destroy plans: the proxy stopped, a config file removed (and put back when a later
/// step fails), the database dropped; each exactly as the plan says.
extension ExecutorTests {
    static let settings = ProxySettings(listen: HostPort(hostIP: "127.0.0.1", port: 18000), root: "/p/.berth/proxy/dev")

    static func destroySteps() -> [PlanAction] {
        let stop = PlanAction(
            kind: .stopProxy, resource: "proxy:dev", cause: "destroy", effect: .delete,
            target: .proxy(ProxyLayout(environment: "dev", settings: settings, backends: []))
        )
        let config = PlanAction(
            kind: .removeConfig, resource: "config:app", cause: "destroy", effect: .delete, dependsOn: [stop.id], undo: .restoreConfig,
            target: .config(ConfigWrite(name: "app", path: "/c/app.env", mode: 0o640, sha256: SHA256.hex(content)))
        )
        let drop = PlanAction(
            kind: .dropDatabase, resource: "database:app.sqlite", cause: "destroy", effect: .delete, dependsOn: [config.id],
            target: .database(.sqlite(path: "/p/app.sqlite"))
        )
        return [stop, config, drop]
    }

    /// The databases dropped so far.
    final class Drops: Sendable {
        let locations = Mutex<[DatabaseLocation]>([])
    }

    func destroyExecutor(configs: InMemoryConfigFiles, proxy: InMemoryProxy, dropped: Drops, failDrop: Bool) -> Executor {
        Executor(
            drivers: Executor.Drivers(
                engine: InMemoryEngine(), configs: configs, clock: TestClock(), migrate: { _ in }, proxy: proxy,
                dropDatabase: { location in
                    if failDrop { throw ApplyError("database is locked") }
                    dropped.locations.withLock { $0.append(location) }
                }
            )
        )
    }

    @Test("a destroy's steps: the proxy stops, the config file goes, the database is dropped, in the plan's order")
    func destroySucceeds() async throws {
        let configs = InMemoryConfigFiles(files: ["/c/app.env": (Self.content, 0o640)])
        let proxy = InMemoryProxy()
        let dropped = Drops()
        let report = await destroyExecutor(configs: configs, proxy: proxy, dropped: dropped, failDrop: false)
            .execute(Self.plan(Self.destroySteps()), inputs: Executor.Inputs(), observer: Recorder())
        #expect(report.succeeded)
        #expect(report.done == ["stop-proxy:proxy:dev", "remove-config:config:app", "drop-database:database:app.sqlite"])
        #expect(proxy.snapshot.calls == ["stop /p/.berth/proxy/dev"])
        #expect(configs.read("/c/app.env") == nil)
        #expect(dropped.locations.withLock { $0 } == [.sqlite(path: "/p/app.sqlite")])
    }

    @Test("a drop that fails is reported and the config file it came after is put back as it was")
    func destroyDropFails() async throws {
        let configs = InMemoryConfigFiles(files: ["/c/app.env": (Self.content, 0o640)])
        let report = await destroyExecutor(configs: configs, proxy: InMemoryProxy(), dropped: Drops(), failDrop: true)
            .execute(Self.plan(Self.destroySteps()), inputs: Executor.Inputs(), observer: Recorder())
        #expect(report.failed.map { $0.id } == ["drop-database:database:app.sqlite"])
        #expect(report.failed.first?.error.contains("database is locked") == true)
        #expect(report.undone == ["remove-config:config:app"])
        #expect(configs.read("/c/app.env")?.content == Self.content)
        #expect(configs.read("/c/app.env")?.mode == 0o640)
    }
}
