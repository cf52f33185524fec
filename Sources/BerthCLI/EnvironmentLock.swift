import ArgumentParser
import Foundation
import BerthModel
import BerthDatabase
import BerthApply

/// One apply per environment at a time: a lease in the state store, renewed while the apply runs,
/// that expires by itself when its holder dies. A holder on this host whose process is gone is
/// taken over at once (the take-over is recorded in the journal, as `berth unlock` is).
struct EnvironmentLock {
    static let lease = Duration.seconds(60)

    let store: any StateStore
    let key: String
    let owner = LockOwner.current()
    let console: Console

    /// `project/environment`: a shared PostgreSQL store may serve several projects.
    static func key(_ environment: Environment) -> String { "\(environment.project)/\(environment.name)" }

    static func openStore(_ environment: Environment, secrets: [String: String], console: Console) throws -> any StateStore {
        do {
            return try SQLStateStore(database: DatabaseConnector.open(environment.state.store, secrets: secrets))
        } catch {
            console.fail("cannot open the state store: \(error)")
            throw ExitCode(1)
        }
    }

    /// Takes the lease, waiting up to `timeout` for another apply to finish.
    func acquire(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var told = false
        while true {
            let attempt: LockAttempt
            do {
                attempt = try store.acquireLock(environment: key, owner: owner, lease: Self.lease, now: Date())
            } catch {
                console.fail("cannot take the lock of \(key): \(error)")
                throw ExitCode(1)
            }
            guard case .held(let holder) = attempt else { return }
            if holder.owner.host == owner.host, !Self.isRunning(holder.owner.pid) {
                console.error("the lock of \(key) is held by \(holder.owner), which is no longer running: taking it over\n")
                _ = try? store.forceUnlock(environment: key, by: owner, now: Date())
                continue
            }
            let since = ISO8601DateFormatter().string(from: holder.acquiredAt)
            if clock.now >= deadline {
                console.fail("\(key) is being applied by \(holder.owner) since \(since); try again later, or wait with --lock-timeout")
                throw ExitCode(1)
            }
            if !told {
                console.error("waiting for the lock of \(key), held by \(holder.owner) since \(since)\n")
                told = true
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Whether a process of this host still runs. A zombie does not: it ended, and stays in the process
    /// table only until its parent reaps it, which never happens under an init that does not reap orphans.
    static func isRunning(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        // /proc/PID/stat: "PID (COMMAND) STATE ..."; the command may itself hold ")".
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: end)...].first { $0 != " " } != "Z"
    }

    /// Renews the lease every third of it until cancelled, on a connection of its own.
    func keepAlive(renewalStore: any StateStore) -> Task<Void, Never> {
        let key = self.key, owner = self.owner, console = self.console
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.lease / 3)
                if Task.isCancelled { return }
                if (try? renewalStore.renewLock(environment: key, owner: owner, lease: Self.lease, now: Date())) == false {
                    console.error("warning: the lock of \(key) was taken from this apply\n")
                    return
                }
            }
        }
    }

    func release() {
        try? store.releaseLock(environment: key, owner: owner)
    }
}
