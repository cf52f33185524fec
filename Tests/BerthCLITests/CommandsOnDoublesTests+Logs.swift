import Foundation
import Testing
@testable import BerthCLI
import BerthEngine
import BerthSession
import BerthTestSupport

/// `berth logs` on the doubles: which containers, the prefixes, the options passed to the engine,
/// secrets masked, and a follow that ends when the containers stop.
extension CommandsOnDoublesTests {
    /// Replicas of web (the environment's service) as an apply would have labelled them, with their logs.
    func seedWeb(_ world: SessionWorld, replicas: [Int: String], service: String = "web") async {
        for (replica, output) in replicas.sorted(by: { $0.key < $1.key }) {
            let name = "shop-dev-\(service)-\(replica)-0123abcd"
            let labels = ["berth.project": "shop", "berth.environment": "dev", "berth.service": service, "berth.replica": String(replica)]
            await world.engine.seed(name: name, spec: ContainerSpec(image: SessionWorld.webImage, labels: labels))
            await world.engine.appendLog(ofContainerNamed: name, output, at: Int(world.clock.now.timeIntervalSince1970))
        }
        // Another environment's container of the same service is never shown.
        await world.engine.seed(name: "shop-prod-\(service)-1", spec: ContainerSpec(
            image: SessionWorld.webImage, labels: ["berth.project": "shop", "berth.environment": "prod", "berth.service": service]
        ))
        await world.engine.clearCalls()
    }

    @Test("logs: each replica's lines after its aligned label, one replica after the other, from one list call; secrets masked")
    func logsPrefixed() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "starting\nready\n", 2: "token=\(SessionWorld.secret)\nno newline at the end"])
        let shown = await berth(["logs", "--env", "dev", "web"], world)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout == """
            web-1 | starting
            web-1 | ready
            web-2 | token=(sensitive)
            web-2 | no newline at the end

            """)
        #expect(!shown.stdout.contains(SessionWorld.secret) && !shown.stderr.contains(SessionWorld.secret))
        #expect(await world.engine.calls == ["list", "logs shop-dev-web-1-0123abcd", "logs shop-dev-web-2-0123abcd"])
    }

    @Test("logs --replica N: that replica alone, without a prefix; a replica that does not exist names those that do")
    func logsReplica() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "one\n", 2: "two\n"])
        let second = await berth(["logs", "--env", "dev", "web", "--replica", "2"], world)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "two\n")
        let missing = await berth(["logs", "--env", "dev", "web", "--replica", "3"], world)
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr == "error: web has no replica 3 in dev; its replicas: 1, 2\n", "\(missing.stderr)")
        #expect(await berth(["logs", "--env", "dev", "web", "--replica", "0"], world).status == 64)
    }

    @Test("logs while a replacement keeps an old container: both under their names, the old one first, with --replica too")
    func logsDuringReplacement() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "old\n", 2: "two\n"])
        let labels = ["berth.project": "shop", "berth.environment": "dev", "berth.service": "web", "berth.replica": "1"]
        await world.engine.seed(name: "shop-dev-web-1-4567cdef", spec: ContainerSpec(image: SessionWorld.webImage, labels: labels))
        await world.engine.appendLog(ofContainerNamed: "shop-dev-web-1-4567cdef", "new\n")
        let shown = await berth(["logs", "--env", "dev", "web", "--replica", "1"], world)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout == "web-1 (shop-dev-web-1-0123abcd) | old\nweb-1 (shop-dev-web-1-4567cdef) | new\n")
        let all = await berth(["logs", "--env", "dev", "web", "--replica", "3"], world)
        #expect(all.stderr == "error: web has no replica 3 in dev; its replicas: 1, 2\n", "\(all.stderr)")
    }

    @Test("logs of an unknown service suggests the closest and lists the environment's services; a service without containers says so")
    func logsUnknownService() async throws {
        let world = try SessionWorld()
        let unknown = await berth(["logs", "--env", "dev", "webb"], world)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: dev has no service 'webb'; did you mean 'web'? (its services: web)\n", "\(unknown.stderr)")
        #expect(await world.engine.calls.isEmpty)
        let none = await berth(["logs", "--env", "dev", "web"], world)
        #expect(none.status == 1)
        #expect(none.stderr == "error: web has no container in dev (berth apply --env dev creates them)\n", "\(none.stderr)")
        #expect(await world.engine.calls == ["list"])
    }

    @Test("logs --tail N and --since pass through to each replica; a --since that is no time is a usage error")
    func logsTailAndSince() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "a\nb\nc\n", 2: "d\ne\n"])
        let now = Int(world.clock.now.timeIntervalSince1970)
        await world.engine.appendLog(ofContainerNamed: "shop-dev-web-1-0123abcd", "later\n", at: now + 60)
        let tail = await berth(["logs", "--env", "dev", "web", "--tail", "2"], world)
        #expect(tail.stdout == "web-1 | c\nweb-1 | later\nweb-2 | d\nweb-2 | e\n", "\(tail.stderr)")
        world.clock.advance(by: .seconds(120))
        let recent = await berth(["logs", "--env", "dev", "web", "--since", "90s"], world)
        #expect(recent.stdout == "web-1 | later\n", "\(recent.stderr)")
        #expect(await berth(["logs", "--env", "dev", "web", "--since", "yesterday"], world).status == 64)
    }

    @Test("--since: a duration before now, or an RFC 3339 time with an offset or fractions; anything else says what it takes")
    func sinceTimes() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try ServiceLogs.since("10m", now: now) == 1_800_000_000 - 600)
        #expect(try ServiceLogs.since("1h30m", now: now) == 1_800_000_000 - 5400)
        #expect(try ServiceLogs.since("2026-12-01T09:00:00Z", now: now) == 1_796_115_600)
        #expect(try ServiceLogs.since("2026-12-01T10:00:00.5+01:00", now: now) == 1_796_115_600)
        #expect(throws: SessionError("'yesterday' is neither a duration (10m, 1h, 30s) nor an RFC 3339 time (2026-12-01T09:00:00Z)")) {
            try ServiceLogs.since("yesterday", now: now)
        }
    }

    @Test("logs --follow prints whole lines of every replica as they come and exits 0 when every container has stopped")
    func logsFollow() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "one\n", 2: "two\n"])
        let run = Task { await berth(["logs", "--env", "dev", "web", "--follow", "--tail", "1"], world) }
        for name in ["shop-dev-web-1-0123abcd", "shop-dev-web-2-0123abcd"] {
            while await world.engine.followers(ofContainerNamed: name) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        await world.engine.appendLog(ofContainerNamed: "shop-dev-web-2-0123abcd", "par")
        await world.engine.appendLog(ofContainerNamed: "shop-dev-web-1-0123abcd", "three\n")
        await world.engine.appendLog(ofContainerNamed: "shop-dev-web-2-0123abcd", "tial\n")
        await world.engine.setExited(ofContainerNamed: "shop-dev-web-1-0123abcd", exitCode: 0)
        await world.engine.setState(ofContainerNamed: "shop-dev-web-2-0123abcd", to: "exited")
        let followed = await run.value
        #expect(followed.status == 0, "\(followed.stderr)")
        let lines = followed.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines) == ["web-1 | one", "web-2 | two", "web-1 | three", "web-2 | partial"], "\(followed.stdout)")
        #expect(lines.firstIndex(of: "web-1 | one")! < lines.firstIndex(of: "web-1 | three")!)
    }

    @Test("logs: an engine failure while reading a replica is exit 1 naming it")
    func logsEngineFailure() async throws {
        let world = try SessionWorld()
        await seedWeb(world, replicas: [1: "one\n", 2: "two\n"])
        await world.engine.fail(.logs, with: .status(500, message: "log driver gone", endpoint: "memory"))
        let failed = await berth(["logs", "--env", "dev", "web", "--replica", "1"], world)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("cannot read the logs of web-1 (shop-dev-web-1-0123abcd): the engine at memory answered 500: log driver gone"), "\(failed.stderr)")
    }
}
