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

/// A literal value never shows when a model value is printed, dumped or logged.
extension Secret.Source: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .environmentVariable(let name): "env \(name)"
        case .file(let path): "file \(path)"
        case .literal: "value (sensitive)"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["source": description]) }
}
