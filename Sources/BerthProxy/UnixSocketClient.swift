import BerthCore
import Glibc

/// One request-and-answer exchange over a unix stream socket: connect, send, read until the peer
/// closes. Every step is bounded by one deadline (the socket's send and receive timeouts are what is
/// left of it). Blocking: run it on a thread of its own (`Blocking.run`), never on the concurrency pool.
struct UnixSocketClient {
    enum Failure: Error, Equatable {
        /// Nothing listens: the socket file is missing, or nobody accepts on it.
        case absent(String)
        case failed(String)
        case timeout
    }

    var path: String
    var timeout: Duration

    func exchange(_ request: String) throws(Failure) -> String {
        let deadline = ContinuousClock.now + timeout
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw .failed("the socket path \(path) is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .failed("cannot create a socket: \(PrivateFile.lastError())") }
        defer { close(descriptor) }
        try limit(descriptor, to: deadline)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            switch errno {
            case ENOENT, ECONNREFUSED: throw .absent("\(path): \(PrivateFile.lastError())")
            case EAGAIN, EWOULDBLOCK, EINPROGRESS: throw .timeout
            default: throw .failed("cannot connect to \(path): \(PrivateFile.lastError())")
            }
        }
        let bytes = Array((request + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            try limit(descriptor, to: deadline)
            let written = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                return send(descriptor, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .failed("cannot send to \(path): \(PrivateFile.lastError())")
            }
            offset += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            try limit(descriptor, to: deadline)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return String(decoding: answer, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .failed("cannot read from \(path): \(PrivateFile.lastError())")
            }
            answer += buffer[0..<count]
        }
    }

    /// Sets the send and receive timeouts to what is left until `deadline`.
    private func limit(_ descriptor: Int32, to deadline: ContinuousClock.Instant) throws(Failure) {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { throw .timeout }
        let microseconds = max(left.millisecondsRoundedUp, 1) * 1000
        var value = timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, size) == 0,
              setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, size) == 0
        else { throw .failed("cannot set the socket's timeout: \(PrivateFile.lastError())") }
    }
}

extension UnixSocketClient.Failure: CustomStringConvertible {
    var description: String {
        switch self {
        case .absent(let reason), .failed(let reason): reason
        case .timeout: "no answer within the timeout"
        }
    }
}
