import Foundation
import Glibc
import Synchronization

/// A TCP listener on 127.0.0.1 for transport and health-check tests: it serves one connection with canned bytes,
/// or (with `serving: false`) accepts nothing, so clients connect and then wait forever.
public final class LoopbackServer: Sendable {
    public let port: Int
    private let descriptor: Int32
    private let request = Mutex<[UInt8]?>(nil)
    private let closedByClient = Atomic<Bool>(false)

    /// Listens on a free port; when `serving`, answers the first connection with `pieces`,
    /// written one by one with a pause between them, then closes it (with `holdingOpen`, only once the
    /// client has closed its end, which ``clientClosed`` then tells).
    public init(serving: Bool = true, pieces: [String] = [], holdingOpen: Bool = false) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        port = Self.localPort(of: descriptor)
        guard serving else { return }
        let bytes = pieces.map { Array($0.utf8) }
        Thread { [self] in
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            let received = Self.readRequest(client)
            request.withLock { $0 = received }
            for (index, piece) in bytes.enumerated() {
                if index > 0 { usleep(20_000) }
                _ = piece.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            guard holdingOpen else { return }
            var byte: UInt8 = 0
            while recv(client, &byte, 1, 0) > 0 {}
            closedByClient.store(true, ordering: .sequentiallyConsistent)
        }.start()
    }

    deinit {
        close(descriptor)
    }

    /// Whether the client closed a connection held open.
    public var clientClosed: Bool { closedByClient.load(ordering: .sequentiallyConsistent) }

    /// The request the server read, as text (nil until one arrived).
    public var receivedRequest: String? {
        request.withLock { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// A port on 127.0.0.1 that nothing listens on (free at the time of asking).
    public static func freePort() throws -> Int {
        let server = try LoopbackServer(serving: false)
        return server.port
    }

    private static func localPort(of descriptor: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Reads up to the end of the headers and a Content-Length body.
    private static func readRequest(_ client: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received }
            received += buffer[0..<count]
            let text = String(decoding: received, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return received }
        }
    }
}
