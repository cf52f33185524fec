import BerthCore
import Glibc
import Synchronization

/// Why a socket exchange stopped, before it is told in terms of an endpoint (``EngineError``).
enum SocketFailure: Error, Hashable, Sendable {
    case connect(reason: String)
    case lost(reason: String)
    case timeout
    case cancelled
    case malformed(detail: String)
}

/// Set from a task's cancellation handler, read by the I/O thread between polls.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func cancel() {
        value.store(true, ordering: .relaxed)
    }

    var isCancelled: Bool { value.load(ordering: .relaxed) }
}

/// One connected, non-blocking stream socket whose every wait is bounded by a deadline.
///
/// Synchronous by design: ``SocketTransport`` runs it on a thread of its own, never on the
/// Swift concurrency pool. Waits poll in slices so a cancellation is noticed within ``pollSlice``.
struct SocketConnection: ~Copyable {
    typealias Deadline = ContinuousClock.Instant

    /// The longest single poll() before the cancellation flag is checked again.
    static let pollSlice = Duration.milliseconds(100)

    private let descriptor: Int32
    private let cancellation: CancellationFlag

    private init(descriptor: Int32, cancellation: CancellationFlag) {
        self.descriptor = descriptor
        self.cancellation = cancellation
    }

    deinit {
        close(descriptor)
    }

    // MARK: Connecting

    static func connect(
        to endpoint: EngineEndpoint, deadline: Deadline, cancellation: CancellationFlag
    ) throws(SocketFailure) -> SocketConnection {
        switch endpoint {
        case .unix(let path): try connectUnix(path: path, deadline: deadline, cancellation: cancellation)
        case .tcp(let host, let port): try connectTCP(host: host, port: port, deadline: deadline, cancellation: cancellation)
        }
    }

    private static func connectUnix(
        path: String, deadline: Deadline, cancellation: CancellationFlag
    ) throws(SocketFailure) -> SocketConnection {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw .connect(reason: "the socket path is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connection = try open(family: AF_UNIX, protocol: 0, cancellation: cancellation)
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        while true {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(connection.descriptor, $0, length) }
            }
            if result == 0 { return connection }
            switch errno {
            case EINTR:
                continue
            case EINPROGRESS:
                try connection.finishConnecting(deadline: deadline)
                return connection
            case EAGAIN:
                // The listener's backlog is full: try again shortly, within the deadline.
                try connection.sleep(.milliseconds(10), deadline: deadline)
            default:
                throw .connect(reason: systemMessage(errno))
            }
        }
    }

    private static func connectTCP(
        host: String, port: Int, deadline: Deadline, cancellation: CancellationFlag
    ) throws(SocketFailure) -> SocketConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .connect(reason: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastFailure = SocketFailure.connect(reason: "no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            do throws(SocketFailure) {
                let connection = try open(
                    family: info.pointee.ai_family, protocol: info.pointee.ai_protocol, cancellation: cancellation
                )
                var result: Int32
                repeat {
                    result = Glibc.connect(connection.descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen)
                } while result != 0 && errno == EINTR
                if result == 0 { return connection }
                guard errno == EINPROGRESS else { throw SocketFailure.connect(reason: systemMessage(errno)) }
                try connection.finishConnecting(deadline: deadline)
                return connection
            } catch {
                if case .connect = error { lastFailure = error } else { throw error }
            }
        }
        throw lastFailure
    }

    private static func open(
        family: Int32, protocol: Int32, cancellation: CancellationFlag
    ) throws(SocketFailure) -> SocketConnection {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let descriptor = socket(family, type, `protocol`)
        guard descriptor >= 0 else { throw .connect(reason: "cannot create a socket: \(systemMessage(errno))") }
        return SocketConnection(descriptor: descriptor, cancellation: cancellation)
    }

    /// Waits for a non-blocking connect to complete and reports its outcome.
    private func finishConnecting(deadline: Deadline) throws(SocketFailure) {
        try wait(for: Int16(POLLOUT), deadline: deadline)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            throw .connect(reason: Self.systemMessage(errno))
        }
        if error != 0 { throw .connect(reason: Self.systemMessage(error)) }
    }

    // MARK: Reading and writing

    /// Writes all of `bytes` (never raising SIGPIPE).
    func write(_ bytes: [UInt8], deadline: Deadline) throws(SocketFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written >= 0 {
                offset += written
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), deadline: deadline)
            default: throw .lost(reason: "\(Self.systemMessage(errno)) (while sending the request)")
            }
        }
    }

    /// Reads what is available into `buffer`, waiting for at least one byte; 0 means the peer closed.
    func read(into buffer: inout [UInt8], deadline: Deadline) throws(SocketFailure) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), deadline: deadline)
            default: throw .lost(reason: "\(Self.systemMessage(errno)) (while reading the response)")
            }
        }
    }

    // MARK: Waiting

    private func wait(for events: Int16, deadline: Deadline) throws(SocketFailure) {
        while true {
            if cancellation.isCancelled { throw .cancelled }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timeout }
            var request = pollfd(fd: descriptor, events: events, revents: 0)
            let result = poll(&request, 1, Self.milliseconds(min(remaining, Self.pollSlice)))
            if result > 0 { return }  // ready, or an error the next call will report
            if result < 0 && errno != EINTR { throw .lost(reason: Self.systemMessage(errno)) }
        }
    }

    private func sleep(_ duration: Duration, deadline: Deadline) throws(SocketFailure) {
        if cancellation.isCancelled { throw .cancelled }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { throw .timeout }
        var request = pollfd(fd: -1, events: 0, revents: 0)
        _ = poll(&request, 0, Self.milliseconds(min(remaining, duration)))
    }

    /// Rounded up, so a wait never spins with a zero timeout before the deadline.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(duration.millisecondsRoundedUp, 0))
    }

    static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
