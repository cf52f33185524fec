/// Which of a container's output ``ContainerEngine/logStream(id:options:)`` asks for.
public struct LogOptions: Hashable, Sendable {
    /// Only output written at or after this time (seconds since 1970); nil for everything.
    public var since: Int?
    /// Only the last `tail` lines written before the request; nil for all of them.
    public var tail: Int?
    /// Keep the stream open and pass on output as the container writes it, until it stops.
    public var follow: Bool

    public init(since: Int? = nil, tail: Int? = nil, follow: Bool = false) {
        self.since = since
        self.tail = tail
        self.follow = follow
    }
}
