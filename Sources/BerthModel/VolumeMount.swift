/// A volume in compose's short syntax: `SOURCE:TARGET[:ro|rw]`.
public struct VolumeMount: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Source: Hashable, Sendable, Codable {
        /// A named volume the engine manages.
        case named(String)
        /// A host path, absolute.
        case bind(String)
    }

    public var source: Source
    /// Absolute path inside the container.
    public var target: String
    public var readOnly: Bool

    public init(source: Source, target: String, readOnly: Bool) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }

    public var description: String {
        let source: String
        switch self.source {
        case .named(let name): source = name
        case .bind(let path): source = path
        }
        return "\(source):\(target)\(readOnly ? ":ro" : "")"
    }
}
