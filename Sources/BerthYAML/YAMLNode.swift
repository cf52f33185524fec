public import BerthCore
/// A node of a YAML document with the place it was written.
///
/// Aliases are expanded while the tree is built (sharing storage, so an alias costs no copy);
/// `<<` merge keys are applied, so a consumer sees plain mappings.
public struct YAMLNode: Hashable, Sendable {
    public enum Content: Hashable, Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let value) = content { return value }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The tag of a node that stands in for one already reported as an error (an alias to no
    /// anchor): readers skip it silently, so one mistake gives one diagnostic.
    public static let reportedTag = "tag:berth,2026:reported"

    public static func reported(at location: SourceLocation) -> YAMLNode {
        YAMLNode(.scalar(YAMLScalar("", style: .plain, tag: reportedTag)), at: location)
    }

    /// Whether this node stands in for one already reported.
    public var isReported: Bool { scalar?.tag == Self.reportedTag }

    /// A null scalar (`~`, `null`, or nothing at all).
    public var isNull: Bool { scalar?.isNull ?? false }

    /// The value of `key` in a mapping node.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar?.text == key }?.value
    }

    /// What a person calls this kind of node in a message.
    public var kindName: String {
        switch content {
        case .scalar(let scalar): return scalar.kindName
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

public struct YAMLPair: Hashable, Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
    /// The key's text; keys are always scalars in the trees `YAMLParser` builds.
    public let name: String

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
        self.name = key.scalar?.text ?? ""
    }
}
