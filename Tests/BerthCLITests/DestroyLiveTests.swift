import Testing
import Foundation
import BerthEngine
import BerthTestSupport

/// `berth destroy` on the real engine: the example's dev environment applied, then removed.
@Suite(.enabled(if: LiveDev.isEnabled, "needs BERTH_ENGINE"))
struct DestroyLiveTests {
    func exists(_ dev: LiveDev, _ path: String) -> Bool { FileManager.default.fileExists(atPath: dev.root + "/" + path) }

    /// The files (not folders) under the environment's config root.
    func configFiles(_ dev: LiveDev) -> [String] {
        let root = dev.root + "/.berth/configs/dev"
        let entries = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return entries.filter { entry in
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &folder) && !folder.boolValue
        }
    }

    @Test("apply, then destroy: no container with the project's labels and no config file is left; a second destroy changes nothing")
    func applyThenDestroy() async throws {
        try await LiveDev.with("destroy") { dev in
            let applied = try await dev.run(["apply", "--env", "dev", "--yes"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try await dev.containers().count == 3)
            #expect(!configFiles(dev).isEmpty)

            let destroyed = try await dev.run(["destroy", "--env", "dev", "--yes"])
            #expect(destroyed.status == 0, "\(destroyed.stdout)\(destroyed.stderr)")
            #expect(destroyed.stdout.contains("database kept"), "\(destroyed.stdout)")
            #expect(try await dev.containers().isEmpty)
            #expect(configFiles(dev).isEmpty, "\(configFiles(dev))")
            #expect(exists(dev, ".berth/dev.sqlite"))

            let history = try await dev.run(["history", "--env", "dev"])
            let again = try await dev.run(["destroy", "--env", "dev", "--yes"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.hasPrefix("Nothing to destroy"), "\(again.stdout)")
            #expect(try await dev.run(["history", "--env", "dev"]).stdout == history.stdout)

            // The destroy is a release: rolling back from it re-creates what ran.
            let back = try await dev.run(["rollback", "--env", "dev", "--yes"])
            #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
            #expect(try await dev.containers().count == 3)
            #expect(!configFiles(dev).isEmpty)
        }
    }

    @Test("--drop-database backs the SQLite database up, then deletes it")
    func dropDatabase() async throws {
        try await LiveDev.with("destroy-db") { dev in
            #expect(try await dev.run(["apply", "--env", "dev", "--yes"]).status == 0)
            #expect(exists(dev, ".berth/dev.sqlite"))
            let destroyed = try await dev.run(["destroy", "--env", "dev", "--yes", "--drop-database"])
            #expect(destroyed.status == 0, "\(destroyed.stdout)\(destroyed.stderr)")
            #expect(destroyed.stderr.contains("backup r2-database"), "\(destroyed.stderr)")
            #expect(!exists(dev, ".berth/dev.sqlite"))
            #expect(exists(dev, ".berth/backups/dev/r2-database.sqlite"))
            #expect(try await dev.containers().isEmpty)
        }
    }

    @Test("destroy --env production is refused without --force-production and changes nothing")
    func refusesProduction() async throws {
        try await LiveDev.with("destroy-prod") { dev in
            let refused = try await dev.run(["destroy", "--env", "production", "--yes"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("production is a production environment"), "\(refused.stderr)")
            #expect(refused.stdout.isEmpty)
            #expect(!exists(dev, ".berth"))
        }
    }
}

/// `berth destroy` of a routed service behind the real HAProxy that Berth started.
@Suite(.enabled(if: TrafficProject.isEnabled, "needs BERTH_ENGINE, haproxy and wrk"))
struct DestroyProxyLiveTests {
    @Test("destroy stops the proxy and removes its files, then the containers behind it")
    func stopsTheProxy() async throws {
        try await TrafficLiveTests.withProject("destroy-tr") { project in
            try project.write()
            let applied = try await project.berth(["apply", "--env", "traffic", "--yes"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(await project.versions(1) == ["1.0.0"])
            let proxy = project.root + "/.berth/proxy/traffic"
            #expect(FileManager.default.fileExists(atPath: proxy + "/haproxy.pid"))

            let destroyed = try await project.berth(["destroy", "--env", "traffic", "--yes", "--no-color"])
            #expect(destroyed.status == 0, "\(destroyed.stdout)\(destroyed.stderr)")
            #expect(destroyed.stdout.hasPrefix("- stop-proxy"), "\(destroyed.stdout)")
            #expect(try await project.containers().isEmpty)
            for file in ["haproxy.pid", "admin.sock", "haproxy.cfg"] {
                #expect(!FileManager.default.fileExists(atPath: proxy + "/" + file), "\(file)")
            }
            #expect(await project.versions(1) == ["error"])
            let again = try await project.berth(["destroy", "--env", "traffic", "--yes"])
            #expect(again.status == 0 && again.stdout.hasPrefix("Nothing to destroy"), "\(again.stdout)\(again.stderr)")
        }
    }
}
