import BerthCore
import Foundation
import Glibc
import Synchronization

/// The real ``HookRunner``: runs the program on this machine.
///
/// The child gets empty standard input, standard output and standard error into one pipe (so the
/// output keeps the order it was written in), no descriptor of Berth's beyond those three, default
/// signal handling with nothing blocked (whatever the thread that starts it had), and a process
/// group of its own. The pipe is read while the child runs, keeping the last 4 KiB, so a chatty
/// child never blocks on a full pipe. At the timeout, or when the waiting task is cancelled, the
/// whole process group is killed (SIGKILL) and the child reaped. Once the child has exited, what is
/// already in the pipe is read and the rest is not waited for: a background process it left
/// behind may keep running, but not keep Berth waiting.
///
/// Starting and waiting block, so they run on a thread of their own (the rule in `Blocking`),
/// polling in slices of ``pollSlice``.
public struct LocalHookRunner: HookRunner {
    /// The longest wait before the child's state, the deadline and cancellation are looked at again.
    static let pollSlice = Duration.milliseconds(20)
    /// How much output an outcome keeps.
    static let outputLimit = 4096

    public init() {}

    public func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome {
        let variables = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let cancellation = CancellationFlag()
        return await withTaskCancellationHandler {
            await Blocking.run("berth-hook") {
                Self.runBlocking(argv, variables: variables, timeout: timeout) { cancellation.isCancelled }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Set from the task's cancellation handler, read by the hook's thread between polls.
    private final class CancellationFlag: Sendable {
        private let value = Atomic<Bool>(false)

        func cancel() { value.store(true, ordering: .relaxed) }

        var isCancelled: Bool { value.load(ordering: .relaxed) }
    }

    /// The whole run, synchronously: start, read and wait, kill at the deadline.
    static func runBlocking(
        _ argv: [String], variables: [String: String], timeout: Duration, isCancelled: () -> Bool
    ) -> HookOutcome {
        let deadline = ContinuousClock.now + timeout
        guard let program = argv.first, !program.isEmpty else { return .cannotRun("", reason: "no program given") }
        let path: String
        switch executablePath(program, searchPath: variables["PATH"]) {
        case .success(let found): path = found
        case .failure(let error): return .cannotRun(program, reason: error.message)
        }

        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return .cannotRun(program, reason: "cannot make a pipe: \(SystemError(errno).message)") }
        let reading = pipeEnds[0]
        defer { close(reading) }
        // Not inherited by programs other threads start (those of this runner close them anyway).
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(reading, F_SETFL, fcntl(reading, F_GETFL) | O_NONBLOCK)
        let started = spawn(path, argv, variables: variables, output: pipeEnds[1])
        close(pipeEnds[1])
        let child: pid_t
        switch started {
        case .success(let pid): child = pid
        case .failure(let error): return .cannotRun(program, reason: error.message)
        }

        var output = OutputTail(limit: outputLimit)
        var pipeOpen = true
        while true {
            if let status = reap(child, blocking: false) {
                if pipeOpen { output.drain(reading) }
                return outcome(status, output: output.text)
            }
            let stopped = isCancelled()
            if stopped || ContinuousClock.now >= deadline {
                kill(-child, SIGKILL)
                _ = reap(child, blocking: true)
                if pipeOpen { output.drain(reading) }
                return stopped ? .cancelled(output: output.text) : .timedOut(after: timeout, output: output.text)
            }
            // Wait for output (or, once every writer has closed the pipe, just for the slice).
            let slice = min(ContinuousClock.now.duration(to: deadline), pollSlice)
            var request = pollfd(fd: pipeOpen ? reading : -1, events: Int16(POLLIN), revents: 0)
            if poll(&request, 1, Int32(clamping: max(slice.millisecondsRoundedUp, 0))) > 0 {
                pipeOpen = output.drain(reading)
            }
        }
    }

    // MARK: Starting

    /// `program` itself when it names a path, else the first executable file of that name on
    /// `searchPath` (an empty entry is the current folder), as `execvp` finds it.
    static func executablePath(_ program: String, searchPath: String?) -> Result<String, SystemError> {
        if program.contains("/") { return .success(program) }
        var denied = false
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return .success(candidate) }
            denied = true
        }
        return .failure(SystemError(denied ? EACCES : ENOENT))
    }

    /// posix_spawn with the child's standard input from /dev/null, its outputs into `output`, no other
    /// descriptors, a process group of its own, and default signal handling with nothing blocked.
    private static func spawn(
        _ path: String, _ argv: [String], variables: [String: String], output: Int32
    ) -> Result<pid_t, SystemError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        _ = closeFrom.map { $0(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = argv.map { strdup($0) } + [nil]
        let environment = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + environment).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, arguments, environment)
        return result == 0 ? .success(pid) : .failure(SystemError(result))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later): the Glibc module does not
    /// show it to Swift (it needs `_GNU_SOURCE`), so it is looked up by name. Without it the child
    /// inherits the descriptors Berth opened without close-on-exec.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    // MARK: Waiting

    /// The child's wait status once it has ended (nil while it runs, when not `blocking`).
    private static func reap(_ child: pid_t, blocking: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(child, &status, blocking ? 0 : WNOHANG)
            if result == child { return status }
            if result == 0 { return nil }
            if errno != EINTR { return nil }
        }
    }

    /// The outcome for a wait status: an exit code, or a signal (the macros `WIFEXITED` and
    /// friends are not visible to Swift: the low 7 bits are the signal, 0 for a normal exit).
    private static func outcome(_ status: Int32, output: String) -> HookOutcome {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF, output: output) : .killed(signal: signal, output: output)
    }

    /// An errno value, told as the system tells it ("No such file or directory").
    struct SystemError: Error {
        var code: Int32

        init(_ code: Int32) {
            self.code = code
        }

        var message: String { String(cString: strerror(code)) }
    }
}

/// The last bytes read from a pipe.
struct OutputTail {
    let limit: Int
    private var bytes: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Reads what the non-blocking `descriptor` has now; false once every writer has closed it.
    @discardableResult
    mutating func drain(_ descriptor: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                append(buffer[0..<count])
            } else if count == 0 {
                return false
            } else if errno != EINTR {
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
        }
    }

    mutating func append(_ more: ArraySlice<UInt8>) {
        bytes.append(contentsOf: more)
        if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
    }

    /// The kept bytes as text; a character cut at the start by the limit is dropped.
    var text: String {
        var kept = bytes.suffix(limit)
        if bytes.count > limit { kept = kept.drop { $0 & 0xC0 == 0x80 } }
        return String(decoding: kept, as: UTF8.self)
    }
}
