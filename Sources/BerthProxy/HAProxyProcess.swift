import BerthCore
import BerthModel
import Foundation
import Glibc

/// The HAProxy program and its master process: checks a configuration, starts the master, and finds,
/// signals and awaits the one that runs an environment's configuration (by its pid file, and only
/// when that process runs `haproxy` with this configuration, so a reused pid is never signalled).
/// Blocking: called on a thread of its own.
struct HAProxyProcess {
    var settings: ProxySettings
    var clock: any BerthClock

    /// `haproxy` on `searchPath`, else `/usr/sbin/haproxy`; nil when there is none.
    static func find(searchPath: String?) -> String? {
        let folders = (searchPath ?? "").split(separator: ":").map(String.init) + ["/usr/sbin"]
        return folders.map { $0 + "/haproxy" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether `haproxy -c` accepts the configuration at `path`; its alerts in the error when not.
    func check(_ path: String, executable: String) throws(ProxyError) {
        let result = try run(executable, ["-c", "-f", path])
        guard result.status != 0 else { return }
        throw ProxyError("HAProxy rejects the configuration (haproxy -c exited with \(result.status)): \(Self.alerts(in: result.output))")
    }

    /// What HAProxy's output says went wrong: its alerts, without their prefix, else its first lines.
    private static func alerts(in output: String) -> String {
        // `[ALERT]    (4711) : config : parsing [FILE:22] : 'bind' : invalid port '70000'`
        let alerts = output.split(separator: "\n").filter { $0.hasPrefix("[ALERT]") }.map { line in
            line.range(of: ") : ").map { String(line[$0.upperBound...]) } ?? String(line)
        }
        return alerts.isEmpty ? HAProxyRuntimeAPI.excerpt(output) : alerts.prefix(4).joined(separator: "; ")
    }

    /// Whether the listen address can be bound, tried the way HAProxy binds it (`SO_REUSEPORT`, so a
    /// running HAProxy of this user holding it does not count). HAProxy itself, finding it cannot bind
    /// during a reload, retries for about two seconds with the old process's listener paused: checked
    /// first, an address that is not on this machine, or a port another program holds, refuses the
    /// configuration before anything stops answering.
    func checkListener() throws(ProxyError) {
        let listen = settings.listen
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let host = listen.hostIP.flatMap { $0.isEmpty ? nil : $0 }
        // `bind :PORT` is every IPv4 address.
        hints.ai_family = host == nil ? AF_INET : AF_UNSPEC
        let status = getaddrinfo(host, String(listen.port), &hints, &list)
        guard status == 0, let info = list else {
            throw ProxyError("the proxy cannot listen on \(listen): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(info) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ProxyError("cannot make a socket: \(PrivateFile.lastError())") }
        defer { close(descriptor) }
        var one: Int32 = 1
        for option in [SO_REUSEADDR, SO_REUSEPORT] {
            setsockopt(descriptor, SOL_SOCKET, option, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw ProxyError("the proxy cannot listen on \(listen): \(PrivateFile.lastError())")
        }
    }

    /// Starts the master process in the background (`-W -D`); the pid file is the configuration's `pidfile`.
    func start(executable: String) throws(ProxyError) {
        let result = try run(executable, ["-W", "-D", "-f", settings.configPath])
        guard result.status == 0 else {
            throw ProxyError("HAProxy did not start (exited with \(result.status)): \(Self.alerts(in: result.output))")
        }
    }

    /// The pid of the master process that runs this configuration, nil when none does.
    func master() -> Int32? {
        guard let data = FileManager.default.contents(atPath: settings.pidFile),
              let pid = Int32(String(decoding: data, as: UTF8.self).split(separator: "\n").first ?? ""), pid > 0,
              Self.isAlive(pid),
              let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return nil }
        let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let program = arguments.first, program.hasSuffix("haproxy"), arguments.contains(settings.configPath) else { return nil }
        return pid
    }

    /// Sends `signal` to `pid`; false when it is gone.
    func send(_ signal: Int32, to pid: Int32) -> Bool { kill(pid, signal) == 0 }

    /// Waits until `pid` has exited (or is a zombie nobody reaped yet); false when it still runs at `deadline`.
    func awaitExit(of pid: Int32, until deadline: Duration) -> Bool {
        while Self.isAlive(pid) {
            guard clock.elapsed < deadline else { return false }
            clock.sleepBlocking(for: .milliseconds(20))
        }
        return true
    }

    /// Whether `pid` exists and is not a zombie (a daemon's parent is the init process, which may reap it late).
    private static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return true }
        // `4711 (haproxy) S 1 ...`: the state follows the last `)`.
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return true }
        return text[text.index(after: close)...].trimmingPrefix(" ").first != "Z"
    }

    /// Runs `executable` to its end with standard output and error read from one socket (killed when
    /// that has not ended within ten seconds). Spawned directly rather than through Foundation's
    /// `Process`, which learns of a child's end from a socket the child inherits: a daemon
    /// (`haproxy -D`) would keep it open for its whole life. Only standard input, output and error
    /// reach the child, so no other descriptor of this process leaks into a daemon.
    private func run(_ executable: String, _ arguments: [String]) throws(ProxyError) -> (status: Int32, output: String) {
        // A socket pair rather than a pipe: it is made close-on-exec at once, so no other child inherits it.
        var output: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &output) == 0 else {
            throw ProxyError("cannot make a socket pair: \(PrivateFile.lastError())")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        _ = Self.closeFrom?(&actions, 3)
        // The child starts with no signal blocked and the signals HAProxy is driven by at their defaults,
        // whatever the spawning thread blocks or ignores (a daemon keeps both for its whole life).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        for signal in [SIGHUP, SIGINT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGTTIN, SIGTTOU] { sigaddset(&signals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(output[1])
        defer { close(output[0]) }
        guard spawned == 0 else { throw ProxyError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        let (text, ended) = readOutput(output[0], until: clock.deadline(after: .seconds(10)))
        if !ended { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitStatus, String(decoding: text, as: UTF8.self))
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up by name: a GNU
    /// extension Swift's Glibc module does not show. Without it (an older glibc) descriptors may leak.
    private static let closeFrom: CloseFrom? = {
        // A null handle is RTLD_DEFAULT: every object loaded.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// What `descriptor` gives until its end (`ended`) or `deadline`.
    private func readOutput(_ descriptor: Int32, until deadline: Duration) -> (output: [UInt8], ended: Bool) {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while clock.elapsed < deadline {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 100)
            if ready < 0 && errno != EINTR { return (output, true) }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (output, true) }
            output += buffer[0..<count]
        }
        return (output, false)
    }
}
