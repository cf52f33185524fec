import Glibc
import Synchronization

/// Loopback TCP ports nobody listens on; a range of consecutive ones for a service whose replicas
/// publish `P-Q:80`. Ports handed out once are not handed out again in this process, so tests running
/// side by side never pick the same. They are taken below the kernel's ephemeral range (32768 and up
/// here): under load (wrk through a proxy opens thousands of connections a second) a port from that
/// range that was free a moment ago is soon the local end of some outgoing connection.
public enum FreePorts {
    private static let handedOut = Mutex<Set<Int>>([])

    public static func range(count: Int) throws -> ClosedRange<Int> {
        for _ in 0..<200 {
            let first = Int.random(in: 20_000...(32_000 - count))
            guard bind(port: first) != nil else { continue }
            let range = first...(first + count - 1)
            guard range.dropFirst().allSatisfy({ bind(port: $0) != nil }) else { continue }
            let taken = handedOut.withLock { ports -> Bool in
                guard ports.isDisjoint(with: range) else { return false }
                ports.formUnion(range)
                return true
            }
            if taken { return range }
        }
        throw FixtureError("found no \(count) consecutive free loopback ports")
    }

    /// Binds 127.0.0.1:`port` (0: any) and lets it go again; the port bound, or nil when it is taken.
    private static func bind(port: Int) -> Int? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
