public import BerthCore
public import BerthModel
import Foundation
import Glibc

/// HAProxy 2.6 or later, in master-worker mode, driven through its runtime API on the admin socket.
///
/// Every exchange is one connection carrying one line of commands. The configuration is written
/// only by `configure`, checked by `haproxy -c` first; a reload (SIGUSR2 to the master) happens only
/// when the running process reports another layout, and keeps the server table through the server
/// state file. Socket, process and file work runs on threads of its own (`Blocking`).
public struct HAProxyDriver: ProxyDriver {
    /// The `haproxy` program; nil: found on `PATH` or at `/usr/sbin/haproxy` when needed.
    public var executable: String?
    public var clock: any BerthClock
    /// The longest one runtime API exchange may take.
    public var timeout: Duration
    /// The longest a start, a reload or a stop is awaited.
    public var processTimeout: Duration

    public init(
        executable: String? = nil, clock: any BerthClock = SystemClock(), timeout: Duration = .seconds(5),
        processTimeout: Duration = .seconds(5)
    ) {
        self.executable = executable
        self.clock = clock
        self.timeout = timeout
        self.processTimeout = processTimeout
    }

    /// `haproxy` on `PATH`, else `/usr/sbin/haproxy`; nil when this machine has none.
    public static func findExecutable() -> String? {
        HAProxyProcess.find(searchPath: ProcessInfo.processInfo.environment["PATH"])
    }

    // MARK: - ProxyDriver

    public func observe(_ settings: ProxySettings) async -> ObservedProxy {
        await Blocking.run("berth-haproxy") { observeNow(settings) }
    }

    public func configure(_ layout: ProxyLayout) async throws(ProxyError) {
        try await Blocking.run("berth-haproxy") { () throws(ProxyError) in try configureNow(layout) }
    }

    public func set(_ settings: ProxySettings, backend: String, servers: [ServerSetting]) async throws(ProxyError) {
        let lines = HAProxyRuntimeAPI.lines(try HAProxyRuntimeAPI.setCommands(backend: backend, servers: servers))
        try await Blocking.run("berth-haproxy") { () throws(ProxyError) in
            for line in lines {
                let refusals = HAProxyRuntimeAPI.refusals(in: try ask(settings, line))
                guard refusals.isEmpty else {
                    throw ProxyError("HAProxy refused a change of \(backend)'s servers: \(refusals.prefix(4).joined(separator: "; "))")
                }
            }
        }
    }

    public func counters(_ settings: ProxySettings, backend: String) async throws(ProxyError) -> [ServerCounters] {
        try await Blocking.run("berth-haproxy") { () throws(ProxyError) in
            try HAProxyRuntimeAPI.parseCounters(try ask(settings, HAProxyRuntimeAPI.statisticsCommand(backend: backend)), backend: backend)
        }
    }

    public func stop(_ settings: ProxySettings) async throws(ProxyError) {
        try await Blocking.run("berth-haproxy") { () throws(ProxyError) in try stopNow(settings) }
    }

    // MARK: - Blocking work

    private func observeNow(_ settings: ProxySettings) -> ObservedProxy {
        do throws(UnixSocketClient.Failure) {
            let answer = try client(settings).exchange(HAProxyRuntimeAPI.observeCommand)
            do throws(ProxyError) {
                return try HAProxyRuntimeAPI.parseObserved(answer)
            } catch {
                return ObservedProxy(configSHA256: nil, unreachable: error.message)
            }
        } catch .absent(let reason) {
            guard let pid = process(settings).master() else { return ObservedProxy(configSHA256: nil) }
            return ObservedProxy(configSHA256: nil, unreachable: "HAProxy runs (pid \(pid)) but its runtime API does not answer: \(reason)")
        } catch {
            return ObservedProxy(configSHA256: nil, unreachable: "HAProxy's runtime API at \(settings.adminSocket): \(error)")
        }
    }

    private func configureNow(_ layout: ProxyLayout) throws(ProxyError) {
        let settings = layout.settings
        let running = try runningLayout(settings)
        if running == layout.sha256 { return }
        let executable = try program()
        try files { () throws(FileSystemError) in try PrivateFile.makeDirectory(settings.root, mode: 0o700) }
        let candidate = try files { () throws(FileSystemError) in
            try PrivateFile.writeBeside(settings.configPath, bytes: Array(HAProxyConfiguration.text(for: layout).utf8))
        }
        // Gone once moved into place; left behind by nothing that fails.
        defer { unlink(candidate) }
        let process = process(settings)
        try process.check(candidate, executable: executable)
        try process.checkListener()
        if running != nil {
            guard let master = process.master() else {
                throw ProxyError("HAProxy answers on \(settings.adminSocket) but no master process of it is in \(settings.pidFile)")
            }
            let table = try ask(settings, HAProxyRuntimeAPI.serverStateCommand)
            // Saved as HAProxy wrote it (the format it loads), once it reads as a table.
            _ = try HAProxyRuntimeAPI.parseServersState(table)
            try files { () throws(FileSystemError) in
                try PrivateFile.write(Array(table.utf8), to: settings.serverStateFile)
                try PrivateFile.move(candidate, to: settings.configPath)
            }
            guard process.send(SIGUSR2, to: master) else { throw ProxyError("the HAProxy master (pid \(master)) is gone") }
            do throws(ProxyError) {
                try awaitLayout(layout)
            } catch {
                // A master whose new process fails keeps the old one running; the next configure tries again.
                throw ProxyError("HAProxy did not reload: \(error.message)")
            }
        } else {
            if let master = process.master() {
                throw ProxyError("HAProxy runs (pid \(master)) but its runtime API at \(settings.adminSocket) does not answer")
            }
            // A table saved before an earlier reload would bring back servers of another life: a new proxy starts empty.
            unlink(settings.serverStateFile)
            try files { () throws(FileSystemError) in try PrivateFile.move(candidate, to: settings.configPath) }
            try process.start(executable: executable)
            try awaitLayout(layout)
        }
    }

    private func stopNow(_ settings: ProxySettings) throws(ProxyError) {
        let process = process(settings)
        if let master = process.master() {
            // A soft stop lets requests in flight finish; a hard one follows when they take too long.
            _ = process.send(SIGUSR1, to: master)
            if !process.awaitExit(of: master, until: clock.deadline(after: .seconds(1))) {
                _ = process.send(SIGTERM, to: master)
                guard process.awaitExit(of: master, until: clock.deadline(after: processTimeout)) else {
                    throw ProxyError("HAProxy (pid \(master)) did not stop within \(processTimeout.shortDescription)")
                }
            }
        }
        for path in [settings.pidFile, settings.adminSocket, settings.serverStateFile, settings.configPath] { unlink(path) }
    }

    /// The layout hash the running process reports; nil when none runs.
    private func runningLayout(_ settings: ProxySettings) throws(ProxyError) -> String? {
        do throws(UnixSocketClient.Failure) {
            return HAProxyRuntimeAPI.parseLayout(try client(settings).exchange(HAProxyRuntimeAPI.layoutCommand))
        } catch .absent {
            return nil
        } catch {
            throw ProxyError("HAProxy's runtime API at \(settings.adminSocket): \(error)")
        }
    }

    /// Waits until the runtime API reports `layout` (a new process answers on the socket).
    private func awaitLayout(_ layout: ProxyLayout) throws(ProxyError) {
        let deadline = clock.deadline(after: processTimeout)
        var last = "no answer"
        while true {
            do throws(ProxyError) {
                if try runningLayout(layout.settings) == layout.sha256 { return }
                last = "it still runs another layout"
            } catch {
                last = error.message
            }
            guard clock.elapsed < deadline else {
                throw ProxyError("HAProxy did not report the new layout within \(processTimeout.shortDescription) (\(last))")
            }
            clock.sleepBlocking(for: .milliseconds(20))
        }
    }

    /// One exchange; a proxy that does not run is an error here.
    private func ask(_ settings: ProxySettings, _ line: String) throws(ProxyError) -> String {
        do throws(UnixSocketClient.Failure) {
            return try client(settings).exchange(line)
        } catch .absent(let reason) {
            throw ProxyError("HAProxy does not run (\(reason))")
        } catch {
            throw ProxyError("HAProxy's runtime API at \(settings.adminSocket): \(error)")
        }
    }

    private func client(_ settings: ProxySettings) -> UnixSocketClient { UnixSocketClient(path: settings.adminSocket, timeout: timeout) }

    private func process(_ settings: ProxySettings) -> HAProxyProcess { HAProxyProcess(settings: settings, clock: clock) }

    private func program() throws(ProxyError) -> String {
        guard let found = executable ?? Self.findExecutable() else {
            throw ProxyError("HAProxy is not installed: no haproxy on PATH or at /usr/sbin/haproxy")
        }
        return found
    }

    private func files<Value>(_ work: () throws(FileSystemError) -> Value) throws(ProxyError) -> Value {
        do throws(FileSystemError) {
            return try work()
        } catch {
            throw ProxyError("cannot write the proxy's files: \(error)")
        }
    }
}
