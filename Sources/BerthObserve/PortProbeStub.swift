// Temporary until the port probe lands.
public import BerthModel
public protocol PortProbe: Sendable { func isFree(_ port: HostPort) -> Bool }
public struct SocketPortProbe: PortProbe { public init() {}; public func isFree(_ port: HostPort) -> Bool { true } }
public struct InMemoryPortProbe: PortProbe {
    public var taken: Set<HostPort>
    public init(taken: Set<HostPort> = []) { self.taken = taken }
    public func isFree(_ port: HostPort) -> Bool { !taken.contains(port) }
}
