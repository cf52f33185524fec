/// A named secret: where its value lives, never the value itself (except a literal, allowed outside production).
public struct Secret: Hashable, Sendable, Codable {
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

/// A source is recorded (in a release's snapshot of the environment) by where the value lives; a
/// literal's value is never written: it decodes as an empty literal, and whoever reads the snapshot
/// takes the value from today's environment file.
extension Secret.Source: Codable {
    private enum Key: String, CodingKey { case env, file, literal }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .environmentVariable(let name): try container.encode(name, forKey: .env)
        case .file(let path): try container.encode(path, forKey: .file)
        case .literal: try container.encodeNil(forKey: .literal)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let name = try container.decodeIfPresent(String.self, forKey: .env) {
            self = .environmentVariable(name)
        } else if let path = try container.decodeIfPresent(String.self, forKey: .file) {
            self = .file(path)
        } else if container.contains(.literal) {
            self = .literal("")
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a secret source is env, file or literal"))
        }
    }
}
