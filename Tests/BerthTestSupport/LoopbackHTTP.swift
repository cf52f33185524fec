import Glibc

/// A plain HTTP/1.0 GET on 127.0.0.1 over a connection of its own, every step bounded by a timeout.
/// Blocking: call it from a thread of its own.
public enum LoopbackHTTP {
    public struct Response: Hashable, Sendable, CustomStringConvertible {
        public var status: Int
        public var body: String

        public init(status: Int, body: String) {
            self.status = status
            self.body = body
        }

        public var description: String { "\(status) \(body)" }
    }

    /// The response; nil when there is no complete one (nothing listens, the connection broke, the time ran out).
    /// `host` is the Host header (`127.0.0.1:PORT` by default).
    public static func get(port: Int, path: String, host: String? = nil, timeout: Int = 2) -> Response? {
        guard let descriptor = connect(port: port, timeout: timeout) else { return nil }
        defer { close(descriptor) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return nil
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n") else { return nil }
        let statusLine = text[..<head.lowerBound].prefix { $0 != "\r" }.split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        return Response(status: status, body: String(text[head.upperBound...]))
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        guard let descriptor = connect(port: port, timeout: 1) else { return false }
        close(descriptor)
        return true
    }

    private static func connect(port: Int, timeout: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }
}
