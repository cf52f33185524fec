/// A named secret: where its value lives, never the value itself (except a literal, allowed outside production).
public struct Secret: Hashable, Sendable {
    public enum Source: Hashable, Sendable {
        /// An environment variable of the process that runs Berth.
        case environmentVariable(String)
        /// A file, absolute path.
        case file(String)
        /// A value written in the environment file; refused in production.
        case literal(String)
    }

    public var name: String
    public var source: Source

    public init(name: String, source: Source) {
        self.name = name
        self.source = source
    }
}
