import BerthApply
import BerthModel
import BerthDatabase
import BerthTestSupport
import Foundation
import Testing

/// The state store's behaviour, the same on every implementation: the in-memory double, SQLite
/// and (when `BERTH_TEST_POSTGRES_URL` is set) PostgreSQL.
@Suite struct StateStoreTests {
    let ada = LockOwner(user: "ada", host: "build-1", pid: 101)
    let bob = LockOwner(user: "bob", host: "build-2", pid: 202)
    let carol = LockOwner(user: "carol", host: "laptop", pid: 303)
    let minute = Duration.seconds(60)

    // MARK: - Locks

    @Test("takes a free lock", arguments: StateStoreKind.all)
    func acquiresFreeLock(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.lockHolder(environment: "staging", now: at(0)) == nil)
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.lockHolder(environment: "staging", now: at(1)) == LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(60)))
            // Locks are per environment.
            #expect(try store.acquireLock(environment: "production", owner: bob, lease: minute, now: at(1)) == .acquired)
        }
    }

    @Test("a second owner finds the lock held, with its holder and times", arguments: StateStoreKind.all)
    func secondOwnerFindsLockHeld(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            let attempt = try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(10))
            #expect(attempt == .held(LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(60))))
            // Same user and host, another process: someone else.
            let sibling = LockOwner(user: ada.user, host: ada.host, pid: ada.pid + 1)
            #expect(try store.acquireLock(environment: "staging", owner: sibling, lease: minute, now: at(10)) != .acquired)
        }
    }

    @Test("the holder taking its lock again extends the lease and keeps the time it took it", arguments: StateStoreKind.all)
    func holderAcquiresAgain(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(30)) == .acquired)
            #expect(try store.lockHolder(environment: "staging", now: at(31)) == LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(90)))
        }
    }

    @Test("renewing extends the lease", arguments: StateStoreKind.all)
    func renewExtends(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.renewLock(environment: "staging", owner: ada, lease: minute, now: at(45)) == true)
            let renewed = LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(105))
            #expect(try store.lockHolder(environment: "staging", now: at(70)) == renewed)
            // Past the first lease, within the renewed one: still held.
            #expect(try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(70)) == .held(renewed))
        }
    }

    @Test("after its lease expires, another owner takes the lock", arguments: StateStoreKind.all)
    func expiredLeaseIsTaken(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.lockHolder(environment: "staging", now: at(60)) == nil)
            #expect(try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(60)) == .acquired)
            #expect(try store.lockHolder(environment: "staging", now: at(61)) == LockHolder(owner: bob, acquiredAt: at(60), expiresAt: at(120)))
            // The old holder has lost it: renewing fails, releasing does nothing.
            #expect(try store.renewLock(environment: "staging", owner: ada, lease: minute, now: at(61)) == false)
            try store.releaseLock(environment: "staging", owner: ada)
            #expect(try store.lockHolder(environment: "staging", now: at(62))?.owner == bob)
        }
    }

    @Test("a lease that expired but that nobody took is still its holder's to renew", arguments: StateStoreKind.all)
    func renewAfterExpiryWhenUntaken(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.renewLock(environment: "staging", owner: ada, lease: minute, now: at(65)) == true)
            #expect(try store.lockHolder(environment: "staging", now: at(66)) == LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(125)))
        }
    }

    @Test("releasing frees the lock; only the holder can release it", arguments: StateStoreKind.all)
    func releaseFrees(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            try store.releaseLock(environment: "staging", owner: bob)
            #expect(try store.lockHolder(environment: "staging", now: at(1))?.owner == ada)
            try store.releaseLock(environment: "staging", owner: ada)
            #expect(try store.lockHolder(environment: "staging", now: at(1)) == nil)
            #expect(try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(2)) == .acquired)
            // Releasing a free lock is harmless.
            try store.releaseLock(environment: "production", owner: ada)
        }
    }

    @Test("renewing by someone who does not hold the lock is false and changes nothing", arguments: StateStoreKind.all)
    func renewByNonHolder(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.renewLock(environment: "staging", owner: bob, lease: minute, now: at(0)) == false)
            #expect(try store.lockHolder(environment: "staging", now: at(0)) == nil)
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            #expect(try store.renewLock(environment: "staging", owner: bob, lease: minute, now: at(30)) == false)
            #expect(try store.lockHolder(environment: "staging", now: at(30)) == LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(60)))
        }
    }

    @Test("a lease shorter than a millisecond is refused", arguments: StateStoreKind.all)
    func zeroLeaseRefused(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            let error = #expect(throws: StateStoreError.self) {
                try store.acquireLock(environment: "staging", owner: ada, lease: .zero, now: at(0))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.operation == .acquireLock)
            #expect(try store.lockHolder(environment: "staging", now: at(0)) == nil)
        }
    }

    @Test("forcing the lock open removes its holder and leaves an entry in the history", arguments: StateStoreKind.all)
    func forceUnlock(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            let removed = try store.forceUnlock(environment: "staging", by: carol, now: at(5))
            #expect(removed == LockHolder(owner: ada, acquiredAt: at(0), expiresAt: at(60)))
            #expect(try store.lockHolder(environment: "staging", now: at(6)) == nil)
            #expect(try store.renewLock(environment: "staging", owner: ada, lease: minute, now: at(7)) == false)
            #expect(try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(8)) == .acquired)

            // Forcing a free lock removes nothing, and is recorded too.
            #expect(try store.forceUnlock(environment: "production", by: carol, now: at(9)) == nil)

            let history = try store.history(environment: "staging", limit: 10)
            let entry = try #require(history.first)
            #expect(history.count == 1)
            #expect(entry.isForcedUnlock)
            #expect(entry.owner == carol)
            #expect(entry.status == .succeeded)
            #expect(entry.startedAt == at(5))
            #expect(entry.finishedAt == at(5))
            let action = try #require(entry.actions.first)
            #expect(action.type == ActionRecord.forcedUnlockType)
            #expect(action.resource == "lock:staging")
            #expect(action.status == .done)
            #expect(action.detail.contains("ada@build-1 (pid 101)"))

            let production = try store.history(environment: "production", limit: 10)
            #expect(production.count == 1)
            #expect(production.first?.isForcedUnlock == true)
            #expect(production.first?.actions.first?.detail == "the lock was free")
        }
    }

    @Test("a take-over removes only the holder it found dead, never the lock another apply took meanwhile", arguments: StateStoreKind.all)
    func conditionalTakeOver(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            // Bob took over from ada first; carol, who also saw ada dead, removes nothing.
            #expect(try store.forceUnlock(environment: "staging", by: bob, now: at(1), ifHeldBy: ada)?.owner == ada)
            #expect(try store.acquireLock(environment: "staging", owner: bob, lease: minute, now: at(1)) == .acquired)
            #expect(try store.forceUnlock(environment: "staging", by: carol, now: at(2), ifHeldBy: ada) == nil)
            #expect(try store.lockHolder(environment: "staging", now: at(3))?.owner == bob)
            // Only bob's take-over is in the history.
            let entries = try store.history(environment: "staging", limit: 10).filter(\.isForcedUnlock)
            #expect(entries.map(\.owner) == [bob])
        }
    }

    @Test("two connections racing for the lock: exactly one wins each round", arguments: StateStoreKind.all)
    func racingConnections(kind: StateStoreKind) async throws {
        let rounds = 60
        try await StateStoreFixture.with(kind) { fixture in
            let owners = [ada, bob]
            let barrier = StateStoreBarrier(parties: 2)
            let minute = minute
            async let first = onOwnThread { () throws -> [LockAttempt] in
                let store = try fixture.open()
                return try (0..<rounds).map { round throws -> LockAttempt in
                    barrier.wait()
                    return try store.acquireLock(environment: "race-\(round)", owner: owners[0], lease: minute, now: at(Double(round)))
                }
            }
            async let second = onOwnThread { () throws -> [LockAttempt] in
                let store = try fixture.open()
                return try (0..<rounds).map { round throws -> LockAttempt in
                    barrier.wait()
                    return try store.acquireLock(environment: "race-\(round)", owner: owners[1], lease: minute, now: at(Double(round)))
                }
            }
            let results = try await [first, second]
            let store = try fixture.open()
            var wins = [0, 0]
            for round in 0..<rounds {
                let attempts = [results[0][round], results[1][round]]
                let winners = attempts.indices.filter { attempts[$0] == .acquired }
                #expect(winners.count == 1, "round \(round): \(attempts)")
                guard let winner = winners.first, winners.count == 1 else { continue }
                wins[winner] += 1
                let holder = LockHolder(owner: owners[winner], acquiredAt: at(Double(round)), expiresAt: at(Double(round) + 60))
                #expect(attempts[1 - winner] == .held(holder), "round \(round)")
                #expect(try store.lockHolder(environment: "race-\(round)", now: at(Double(round))) == holder)
            }
            #expect(wins.reduce(0, +) == rounds)
        }
    }

    // MARK: - Journal

    @Test("the journal: an apply begins, its actions move on, it finishes; history shows newest first", arguments: StateStoreKind.all)
    func journal(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            let first = try store.beginApply(
                environment: "staging", owner: ada, fingerprint: "sha256:aaa", plan: #"{"format_version":"1"}"#,
                actions: [
                    ActionRecord(actionID: "1", type: "create", resource: "config:app-env"),
                    ActionRecord(actionID: "2", type: "update", resource: "container:web"),
                    ActionRecord(actionID: "3", type: "delete", resource: "container:old"),
                ],
                now: at(0)
            )
            try store.updateAction(applyID: first, actionID: "1", status: .running, detail: "", now: at(1))
            try store.updateAction(applyID: first, actionID: "1", status: .done, detail: "written", now: at(2))
            try store.updateAction(applyID: first, actionID: "2", status: .running, detail: "", now: at(3))
            try store.updateAction(applyID: first, actionID: "2", status: .failed, detail: "image not found", now: at(4))
            try store.updateAction(applyID: first, actionID: "3", status: .skipped, detail: "after a failure", now: at(5))
            try store.updateAction(applyID: first, actionID: "1", status: .undone, detail: "restored", now: at(6))
            try store.finishApply(applyID: first, status: .rolledBack, now: at(7))

            let second = try store.beginApply(
                environment: "staging", owner: bob, fingerprint: "sha256:bbb", plan: "{}",
                actions: [ActionRecord(actionID: "1", type: "update", resource: "container:web")], now: at(10)
            )
            try store.updateAction(applyID: second, actionID: "1", status: .running, detail: "", now: at(11))
            try store.updateAction(applyID: second, actionID: "1", status: .done, detail: "", now: at(12))
            try store.finishApply(applyID: second, status: .succeeded, now: at(13))
            #expect(second > first)

            let elsewhere = try store.beginApply(
                environment: "production", owner: ada, fingerprint: "sha256:ccc", plan: "{}", actions: [], now: at(20))

            let history = try store.history(environment: "staging", limit: 10)
            #expect(history.map(\.id) == [second, first])
            #expect(
                history.last
                    == ApplyRecord(
                        id: first, environment: "staging", startedAt: at(0), finishedAt: at(7), status: .rolledBack, owner: ada,
                        planFingerprint: "sha256:aaa",
                        actions: [
                            ActionRecord(
                                actionID: "1", type: "create", resource: "config:app-env", status: .undone, startedAt: at(1),
                                finishedAt: at(6), detail: "restored"),
                            ActionRecord(
                                actionID: "2", type: "update", resource: "container:web", status: .failed, startedAt: at(3),
                                finishedAt: at(4), detail: "image not found"),
                            ActionRecord(
                                actionID: "3", type: "delete", resource: "container:old", status: .skipped, startedAt: nil,
                                finishedAt: at(5), detail: "after a failure"),
                        ]
                    )
            )
            #expect(
                history.first
                    == ApplyRecord(
                        id: second, environment: "staging", startedAt: at(10), finishedAt: at(13), status: .succeeded, owner: bob,
                        planFingerprint: "sha256:bbb",
                        actions: [
                            ActionRecord(
                                actionID: "1", type: "update", resource: "container:web", status: .done, startedAt: at(11),
                                finishedAt: at(12))
                        ]
                    )
            )
            #expect(try store.history(environment: "staging", limit: 1).map(\.id) == [second])
            #expect(try store.history(environment: "staging", limit: 0).isEmpty)
            #expect(try store.history(environment: "dev", limit: 10).isEmpty)
            let production = try store.history(environment: "production", limit: 10)
            #expect(production.map(\.id) == [elsewhere])
            #expect(production.first?.actions == [])
            #expect(production.first?.status == .running)
            #expect(production.first?.finishedAt == nil)

            #expect(try store.plan(applyID: first) == #"{"format_version":"1"}"#)
            #expect(try store.plan(applyID: 9_999) == nil)
        }
    }

    @Test("a journal keeps the plan's order of many actions", arguments: StateStoreKind.all)
    func manyActions(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            // Not in alphabetical order, and more than one statement's worth.
            let actions = (0..<137).map { ActionRecord(actionID: "a\(136 - $0)", type: "create", resource: "container:c\($0)") }
            let id = try store.beginApply(
                environment: "staging", owner: ada, fingerprint: "f", plan: "{}", actions: actions, now: at(0))
            #expect(try store.history(environment: "staging", limit: 1).first?.actions == actions)
            try store.updateAction(applyID: id, actionID: "a0", status: .done, detail: "", now: at(1))
            #expect(try store.history(environment: "staging", limit: 1).first?.actions.last?.status == .done)
        }
    }

    @Test("unknown applies and actions, duplicate ids and finishing as running are errors", arguments: StateStoreKind.all)
    func journalErrors(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            let id = try store.beginApply(
                environment: "staging", owner: ada, fingerprint: "f", plan: "{}",
                actions: [ActionRecord(actionID: "1", type: "create", resource: "container:web")], now: at(0)
            )
            let unknownAction = #expect(throws: StateStoreError.self) {
                try store.updateAction(applyID: id, actionID: "2", status: .done, detail: "", now: at(1))
            }
            #expect(unknownAction?.code == .notFound)
            let unknownApply = #expect(throws: StateStoreError.self) {
                try store.updateAction(applyID: id + 100, actionID: "1", status: .done, detail: "", now: at(1))
            }
            #expect(unknownApply?.code == .notFound)
            #expect(unknownApply?.operation == .updateAction)
            let unknownFinish = #expect(throws: StateStoreError.self) {
                try store.finishApply(applyID: id + 100, status: .succeeded, now: at(1))
            }
            #expect(unknownFinish?.code == .notFound)
            let unknownInterrupt = #expect(throws: StateStoreError.self) {
                try store.markInterrupted(applyID: id + 100, now: at(1))
            }
            #expect(unknownInterrupt?.code == .notFound)
            let running = #expect(throws: StateStoreError.self) {
                try store.finishApply(applyID: id, status: .running, now: at(1))
            }
            #expect(running?.code == .invalidArgument)
            let duplicate = #expect(throws: StateStoreError.self) {
                try store.beginApply(
                    environment: "staging", owner: ada, fingerprint: "f", plan: "{}",
                    actions: [
                        ActionRecord(actionID: "1", type: "create", resource: "container:a"),
                        ActionRecord(actionID: "1", type: "create", resource: "container:b"),
                    ],
                    now: at(2)
                )
            }
            #expect(duplicate?.code == .invalidArgument)
            // Nothing of the refused calls was kept.
            let history = try store.history(environment: "staging", limit: 10)
            #expect(history.map(\.id) == [id])
            #expect(history.first?.status == .running)
            #expect(history.first?.actions.first?.status == .pending)
        }
    }

    @Test("applies left running are found, and marked interrupted", arguments: StateStoreKind.all)
    func unfinishedApplies(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            let actions = [
                ActionRecord(actionID: "1", type: "create", resource: "container:db"),
                ActionRecord(actionID: "2", type: "create", resource: "container:web"),
            ]
            let finished = try store.beginApply(
                environment: "staging", owner: ada, fingerprint: "f1", plan: "{}", actions: actions, now: at(0))
            try store.finishApply(applyID: finished, status: .succeeded, now: at(1))
            let crashed = try store.beginApply(
                environment: "staging", owner: bob, fingerprint: "f2", plan: "{}", actions: actions, now: at(10))
            try store.updateAction(applyID: crashed, actionID: "1", status: .done, detail: "", now: at(11))
            try store.updateAction(applyID: crashed, actionID: "2", status: .running, detail: "", now: at(12))
            let otherEnvironment = try store.beginApply(
                environment: "production", owner: bob, fingerprint: "f3", plan: "{}", actions: [], now: at(13))

            let unfinished = try store.unfinishedApplies(environment: "staging")
            #expect(unfinished.map(\.id) == [crashed])
            #expect(unfinished.first?.owner == bob)
            #expect(unfinished.first?.actions.map(\.status) == [.done, .running])

            try store.markInterrupted(applyID: crashed, now: at(100))
            #expect(try store.unfinishedApplies(environment: "staging").isEmpty)
            #expect(try store.unfinishedApplies(environment: "production").map(\.id) == [otherEnvironment])
            let record = try #require(try store.history(environment: "staging", limit: 1).first)
            #expect(record.id == crashed)
            #expect(record.status == .interrupted)
            #expect(record.finishedAt == at(100))
            #expect(record.actions.map(\.status) == [.done, .running])

            // An apply that finished stays as it was.
            try store.markInterrupted(applyID: finished, now: at(200))
            try store.markInterrupted(applyID: crashed, now: at(200))
            let history = try store.history(environment: "staging", limit: 10)
            #expect(history.map(\.status) == [.interrupted, .succeeded])
            #expect(history.map(\.finishedAt) == [at(100), at(1)])
        }
    }

    @Test("times are kept to the millisecond", arguments: StateStoreKind.all)
    func millisecondTimes(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.acquireLock(environment: "staging", owner: ada, lease: .milliseconds(1_500), now: at(0.1234)) == .acquired)
            #expect(
                try store.lockHolder(environment: "staging", now: at(0.5))
                    == LockHolder(owner: ada, acquiredAt: at(0.123), expiresAt: at(1.623)))
            #expect(try store.lockHolder(environment: "staging", now: at(1.623)) == nil)
        }
    }

    // MARK: - Each implementation

    // MARK: - Releases

    @Test("releases are numbered per environment, the current one superseded by the next, a failed one superseding nothing",
          arguments: StateStoreKind.all)
    func releasesNumberedAndSuperseded(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let store = try fixture.open()
            let one = ReleaseManifest(
                services: [.init(name: "web", image: "localhost/web:1", imageID: "sha256:aa", specHash: "s1", replicas: 2)],
                configs: [.init(name: "app-env", target: "/srv/app.env", mode: 0o640, sha256: "c1")],
                migrations: [.init(version: "1", description: "create orders", checksum: "m1")]
            )
            var two = one
            two.services[0].image = "localhost/web:2"
            let backup = Backup(id: "r2-database", kind: .database, resource: "sqlite", path: "/b/r2.sqlite", sha256: "bb", size: 4096)
            func release(_ manifest: ReleaseManifest, _ status: ReleaseStatus, backups: [Backup] = []) -> Release {
                Release(
                    number: 0, digest: manifest.digest, createdAt: at(1.0004), by: ada.description, status: status, commit: "abc123",
                    dirty: true, applyID: 7, manifest: manifest, backups: backups, environment: Data("{\"name\":\"staging\"}".utf8)
                )
            }
            let first = try store.recordRelease(environment: "shop/staging", release(one, .current))
            #expect(first.number == 1 && first.parent == nil)
            let failed = try store.recordRelease(environment: "shop/staging", release(two, .failed))
            #expect(failed.number == 2 && failed.parent == 1)
            let second = try store.recordRelease(environment: "shop/staging", release(two, .current, backups: [backup]))
            #expect(second.number == 3 && second.parent == 1)
            _ = try store.recordRelease(environment: "shop/production", release(one, .current))

            let listed = try store.releases(environment: "shop/staging", limit: 10)
            #expect(listed.map(\.number) == [3, 2, 1])
            #expect(listed.map(\.status) == [.current, .failed, .superseded])
            #expect(listed[0] == second)
            #expect(listed[0].backups == [backup] && listed[0].manifest == two && listed[0].createdAt == at(1))
            #expect(listed[0].commit == "abc123" && listed[0].dirty && listed[0].applyID == 7)
            #expect(try store.releases(environment: "shop/staging", limit: 1).map(\.number) == [3])

            try store.setReleaseStatus(environment: "shop/staging", numbers: [3], status: .rolledBack)
            #expect(try store.releases(environment: "shop/staging", limit: 10).map(\.status) == [.rolledBack, .failed, .superseded])
            #expect(try store.releases(environment: "shop/production", limit: 10).map(\.status) == [.current])
        }
    }

    @Test("a manifest's digest is the same for the same content and changes with it")
    func manifestDigest() {
        let manifest = ReleaseManifest(
            services: [
                .init(name: "worker", image: "localhost/worker:1", imageID: nil, specHash: "w", replicas: 1),
                .init(name: "web", image: "localhost/web:1", imageID: "sha256:aa", specHash: "s", replicas: 2),
            ],
            configs: [], migrations: []
        )
        var reordered = manifest
        reordered.services.reverse()
        #expect(ReleaseManifest(services: reordered.services, configs: [], migrations: []).digest == manifest.digest)
        var changed = manifest
        changed.services[0].imageID = "sha256:bb"
        #expect(changed.digest != manifest.digest)
        #expect(manifest.digest.hasPrefix("sha256:") && manifest.digest.count == 71)
    }

    @Test("the in-memory double throws an injected fault once, without doing anything")
    func injectedFault() throws {
        let store = InMemoryStateStore()
        store.failNext(.acquireLock, code: .busy)
        let error = #expect(throws: StateStoreError.self) {
            try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0))
        }
        #expect(error?.code == .busy)
        #expect(error?.operation == .acquireLock)
        #expect(try store.lockHolder(environment: "staging", now: at(0)) == nil)
        #expect(try store.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)

        let custom = StateStoreError(.unavailable, "the disk is gone", operation: .finishApply)
        store.failNext(.finishApply, with: custom)
        let id = try store.beginApply(environment: "staging", owner: ada, fingerprint: "f", plan: "{}", actions: [], now: at(1))
        #expect(throws: custom) { try store.finishApply(applyID: id, status: .succeeded, now: at(2)) }
        #expect(try store.unfinishedApplies(environment: "staging").map(\.id) == [id])
        try store.finishApply(applyID: id, status: .succeeded, now: at(3))
        #expect(try store.history(environment: "staging", limit: 1).first?.finishedAt == at(3))
        #expect(
            store.calls == [.acquireLock, .lockHolder, .acquireLock, .beginApply, .finishApply, .unfinishedApplies, .finishApply, .history])
    }

    @Test("the current owner is this process")
    func currentOwner() {
        let owner = LockOwner.current()
        #expect(owner.pid == ProcessInfo.processInfo.processIdentifier)
        #expect(!owner.user.isEmpty)
        #expect(!owner.host.isEmpty)
        #expect(owner.description == "\(owner.user)@\(owner.host) (pid \(owner.pid))")
    }

    @Test("a SQL store whose connection is closed reports it unavailable")
    func closedConnection() async throws {
        try await StateStoreFixture.with(.sqlite) { fixture in
            let store = try #require(try fixture.open() as? SQLStateStore)
            #expect(store.dialect == .sqlite)
            store.close()
            let error = #expect(throws: StateStoreError.self) { try store.lockHolder(environment: "staging", now: at(0)) }
            #expect(error?.code == .unavailable)
            #expect(error?.cause?.code == .closed)
            #expect(error.map { "\($0)" }?.hasPrefix("state store, lockHolder: the state store at ") == true)
        }
    }

    @Test("a second store on the same database sees the first one's records", arguments: StateStoreKind.sql)
    func sharedRecords(kind: StateStoreKind) async throws {
        try await StateStoreFixture.with(kind) { fixture in
            let one = try fixture.open()
            let two = try fixture.open()
            #expect(try one.acquireLock(environment: "staging", owner: ada, lease: minute, now: at(0)) == .acquired)
            let id = try one.beginApply(environment: "staging", owner: ada, fingerprint: "f", plan: "{}", actions: [], now: at(0))
            #expect(try two.lockHolder(environment: "staging", now: at(1))?.owner == ada)
            #expect(try two.unfinishedApplies(environment: "staging").map(\.id) == [id])
        }
    }
}

// MARK: - Helpers

/// `seconds` after a fixed moment (2023-11-14T22:13:20Z).
private func at(_ seconds: Double) -> Date {
    Date(timeIntervalSince1970: 1_700_000_000 + seconds)
}

enum StateStoreKind: String, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var all: [StateStoreKind] { [.memory] + sql }
    static var sql: [StateStoreKind] { StateStoreFixture.postgresServer == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A fresh, empty state store of one kind; `open()` gives another connection to the same records
/// (the same instance for the in-memory double). SQLite: a file in a new temporary folder;
/// PostgreSQL: a new database `berth_state_<random>`, dropped afterwards.
struct StateStoreFixture: Sendable {
    let open: @Sendable () throws -> any StateStore

    /// The test server's URL without its password, and the password, from `BERTH_TEST_POSTGRES_URL`.
    static let postgresServer: (url: URLComponents, password: String?)? = {
        guard let text = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"], !text.isEmpty,
            var components = URLComponents(string: text)
        else { return nil }
        let password = components.password
        components.password = nil
        return (components, password)
    }()

    static func with<T>(_ kind: StateStoreKind, _ body: (StateStoreFixture) async throws -> T) async throws -> T {
        switch kind {
        case .memory:
            let store = InMemoryStateStore()
            return try await body(StateStoreFixture { store })
        case .sqlite:
            let folder = TemporaryDirectory.make(prefix: "berth-state")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/state/berth.sqlite"
            return try await body(StateStoreFixture { try SQLStateStore(database: SQLiteDatabase(path: path)) })
        case .postgres:
            let server = try #require(postgresServer, "BERTH_TEST_POSTGRES_URL is not set")
            let admin = try PostgresDatabase(url: try #require(server.url.string), password: server.password)
            defer { admin.close() }
            let name = "berth_state_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try admin.execute("CREATE DATABASE \(name)")
            defer { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            var components = server.url
            components.path = "/" + name
            let url = try #require(components.string)
            let password = server.password
            return try await body(StateStoreFixture { try SQLStateStore(database: PostgresDatabase(url: url, password: password)) })
        }
    }
}

/// Lets `parties` threads pass only together, round after round (or after a minute of waiting).
private final class StateStoreBarrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var waiting = 0
    private var generation = 0

    init(parties: Int) { self.parties = parties }

    func wait() {
        condition.lock()
        defer { condition.unlock() }
        let current = generation
        waiting += 1
        if waiting == parties {
            waiting = 0
            generation += 1
            condition.broadcast()
            return
        }
        // A party that failed never comes: give up waiting rather than hang the test run.
        let deadline = Date(timeIntervalSinceNow: 60)
        while generation == current, condition.wait(until: deadline) {}
    }
}

/// Runs blocking work on a thread of its own, so two of them really run at once.
private func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
