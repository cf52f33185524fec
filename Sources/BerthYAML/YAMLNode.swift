public import BerthCore
/// A node of a YAML document with the place it was written.
///
/// Aliases are expanded while the tree is built (sharing storage, so an alias costs no copy);
/// `<<` merge keys are applied, so a consumer sees plain mappings.
///
/// A parsed node is a position in its document's flat storage (`YAMLDocument`): its content and
/// location are made when they are asked for, so a large file costs a few arrays, not an object
/// and a string per node.
public struct YAMLNode: Hashable, Sendable {
    public enum Content: Hashable, Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    let document: YAMLDocument
    let index: Int

    init(document: YAMLDocument, index: Int) {
        self.document = document
        self.index = index
    }

    public init(_ content: Content, at location: SourceLocation) {
        self.init(document: YAMLDocument(built: content, at: location), index: 0)
    }

    public var content: Content {
        get { document.content(of: index) }
        set { self = YAMLNode(newValue, at: location) }
    }

    public var location: SourceLocation {
        get { document.location(of: index) }
        set { self = YAMLNode(content, at: newValue) }
    }

    public var scalar: YAMLScalar? {
        guard document.built == nil else {
            if case .scalar(let value) = content { return value }
            return nil
        }
        return document.scalar(at: index)
    }

    public var sequence: [YAMLNode]? {
        guard isSequence else { return nil }
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        guard isMapping else { return nil }
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The number of pairs of a mapping, told without making them; 0 for a scalar or a sequence.
    package var pairCount: Int {
        guard document.built == nil else { return mapping?.count ?? 0 }
        let entry = document.entries[index]
        return entry.kind == .mapping ? entry.count / 2 : 0
    }

    /// The key of a mapping's pair at `position` (0 to `pairCount` - 1).
    package func key(at position: Int) -> YAMLNode {
        guard document.built == nil else { return builtPairs[position].key }
        return YAMLNode(document: document, index: document.children[document.entries[index].start + 2 * position])
    }

    /// The value of a mapping's pair at `position` (0 to `pairCount` - 1).
    package func value(at position: Int) -> YAMLNode {
        guard document.built == nil else { return builtPairs[position].value }
        return YAMLNode(document: document, index: document.children[document.entries[index].start + 2 * position + 1])
    }

    /// The text of the key of a mapping's pair at `position`.
    package func keyName(at position: Int) -> String {
        guard document.built == nil else { return builtPairs[position].name }
        return document.string(of: document.children[document.entries[index].start + 2 * position])
    }

    /// The number of items of a sequence, told without making them; 0 for a scalar or a mapping.
    package var itemCount: Int {
        guard document.built == nil else { return sequence?.count ?? 0 }
        let entry = document.entries[index]
        return entry.kind == .sequence ? entry.count : 0
    }

    /// The item of a sequence at `position` (0 to `itemCount` - 1).
    package func item(at position: Int) -> YAMLNode {
        guard document.built == nil else { return sequence?[position] ?? self }
        return YAMLNode(document: document, index: document.children[document.entries[index].start + position])
    }

    /// Whether the value of a mapping's pair at `position` is null, told without making the value.
    package func valueIsNull(at position: Int) -> Bool {
        guard document.built == nil else { return builtPairs[position].value.isNull }
        return document.isNull(document.children[document.entries[index].start + 2 * position + 1])
    }

    private var builtPairs: [YAMLPair] {
        if case .mapping(let pairs) = content { return pairs }
        return []
    }

    /// Whether this is a mapping, told without making its pairs.
    package var isMapping: Bool { document.kind(of: index) == .mapping }

    /// Whether this is a sequence, told without making its items.
    package var isSequence: Bool { document.kind(of: index) == .sequence }

    /// The tag of a node that stands in for one already reported as an error (an alias to no
    /// anchor): readers skip it silently, so one mistake gives one diagnostic.
    public static let reportedTag = "tag:berth,2026:reported"

    public static func reported(at location: SourceLocation) -> YAMLNode {
        YAMLNode(.scalar(YAMLScalar("", style: .plain, tag: reportedTag)), at: location)
    }

    /// Whether this node stands in for one already reported.
    public var isReported: Bool {
        guard document.built == nil else { return scalar?.tag == Self.reportedTag }
        return document.tag(of: index) == Self.reportedTag
    }

    /// A null scalar (`~`, `null`, or nothing at all).
    public var isNull: Bool {
        guard document.built == nil else { return scalar?.isNull ?? false }
        return document.isNull(index)
    }

    /// The value of `key` in a mapping node.
    public subscript(key: String) -> YAMLNode? {
        guard document.built == nil else { return mapping?.first { $0.key.scalar?.text == key }?.value }
        return document.value(of: key, inMapping: index)
    }

    /// What a person calls this kind of node in a message.
    public var kindName: String {
        switch document.kind(of: index) {
        case .scalar: return scalar?.kindName ?? "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    public static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        if lhs.document === rhs.document && lhs.index == rhs.index { return true }
        return lhs.location == rhs.location && lhs.content == rhs.content
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(location)
        hasher.combine(content)
    }
}

public struct YAMLPair: Hashable, Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
    /// The key's text; keys are always scalars in the trees `YAMLParser` builds.
    public let name: String

    public init(key: YAMLNode, value: YAMLNode) {
        self.init(key: key, value: value, name: key.scalar?.text ?? "")
    }

    init(key: YAMLNode, value: YAMLNode, name: String) {
        self.key = key
        self.value = value
        self.name = name
    }
}

/// The nodes of one parsed document, stored flat: an entry per node, the children of every
/// collection as indices in one array (a mapping's as key, value, key, value), and the text of
/// every scalar as a range of one byte buffer. A node made by `YAMLNode.init` has a document
/// of its own that holds its content as given.
final class YAMLDocument: Sendable {
    enum Kind: UInt8, Sendable {
        case scalar, sequence, mapping
    }

    struct Entry: Sendable {
        var kind: Kind
        var style: YAMLScalar.Style
        /// Whether a scalar's text is all ASCII, so that it equals another ASCII text only byte for byte.
        var isASCII = true
        /// An index in `tags`, or -1 for none.
        var tag: Int32
        /// 1-based.
        var line: Int32
        var column: Int32
        /// A scalar's bytes in `text`, a collection's children in `children`.
        var start: Int
        var count: Int
    }

    let file: String
    let entries: [Entry]
    let children: [Int]
    let text: [UInt8]
    let tags: [String]
    let built: (content: YAMLNode.Content, location: SourceLocation)?

    init(file: String, entries: [Entry], children: [Int], text: [UInt8], tags: [String]) {
        self.file = file
        self.entries = entries
        self.children = children
        self.text = text
        self.tags = tags
        built = nil
    }

    init(built content: YAMLNode.Content, at location: SourceLocation) {
        file = location.file
        entries = []
        children = []
        text = []
        tags = []
        built = (content, location)
    }

    func kind(of index: Int) -> Kind {
        guard let built else { return entries[index].kind }
        switch built.content {
        case .scalar: return .scalar
        case .sequence: return .sequence
        case .mapping: return .mapping
        }
    }

    func location(of index: Int) -> SourceLocation {
        if let built { return built.location }
        let entry = entries[index]
        return SourceLocation(file: file, line: Int(entry.line), column: Int(entry.column))
    }

    func tag(of index: Int) -> String? {
        let tag = entries[index].tag
        return tag < 0 ? nil : tags[Int(tag)]
    }

    func string(of index: Int) -> String {
        let entry = entries[index]
        return text.withUnsafeBufferPointer { text in
            String(decoding: UnsafeBufferPointer(rebasing: text[entry.start..<(entry.start + entry.count)]), as: UTF8.self)
        }
    }

    /// A parsed node's scalar; nil for a collection.
    func scalar(at index: Int) -> YAMLScalar? {
        let entry = entries[index]
        guard entry.kind == .scalar else { return nil }
        return YAMLScalar(string(of: index), style: entry.style, tag: tag(of: index))
    }

    func content(of index: Int) -> YAMLNode.Content {
        if let built { return built.content }
        let entry = entries[index]
        let range = entry.start..<(entry.start + entry.count)
        switch entry.kind {
        case .scalar:
            return .scalar(YAMLScalar(string(of: index), style: entry.style, tag: tag(of: index)))
        case .sequence:
            return .sequence(children[range].map { YAMLNode(document: self, index: $0) })
        case .mapping:
            var pairs: [YAMLPair] = []
            pairs.reserveCapacity(entry.count / 2)
            for position in stride(from: range.lowerBound, to: range.upperBound, by: 2) {
                let key = children[position]
                pairs.append(YAMLPair(
                    key: YAMLNode(document: self, index: key),
                    value: YAMLNode(document: self, index: children[position + 1]),
                    name: string(of: key)
                ))
            }
            return .mapping(pairs)
        }
    }

    /// The value under `key` in a parsed mapping, without making its pairs.
    func value(of key: String, inMapping index: Int) -> YAMLNode? {
        let entry = entries[index]
        guard entry.kind == .mapping else { return nil }
        for position in stride(from: entry.start, to: entry.start + entry.count, by: 2)
        where Self.sameText(bytes(of: children[position]), key.utf8) {
            return YAMLNode(document: self, index: children[position + 1])
        }
        return nil
    }

    /// Whether a parsed node is a null scalar, as `YAMLScalar.isNull` tells, without making its string.
    func isNull(_ index: Int) -> Bool {
        let entry = entries[index]
        guard entry.kind == .scalar else { return false }
        if entry.tag >= 0 { return tags[Int(entry.tag)] == "tag:yaml.org,2002:null" }
        guard entry.style == .plain else { return false }
        // "", "~", "null", "Null" or "NULL".
        switch entry.count {
        case 0: return true
        case 1: return text[entry.start] == UInt8(ascii: "~")
        case 4:
            let word = text[entry.start..<(entry.start + 4)]
            return word.elementsEqual("null".utf8) || word.elementsEqual("Null".utf8) || word.elementsEqual("NULL".utf8)
        default: return false
        }
    }

    func bytes(of index: Int) -> ArraySlice<UInt8> {
        let entry = entries[index]
        return text[entry.start..<(entry.start + entry.count)]
    }

    /// Whether two UTF-8 texts are equal as Swift compares strings.
    static func sameText(_ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> Bool {
        if first.elementsEqual(second) { return true }
        // Different bytes can still be canonically equal text, but only outside ASCII.
        if !first.contains(where: { $0 >= 0x80 }) && !second.contains(where: { $0 >= 0x80 }) { return false }
        return String(decoding: first, as: UTF8.self) == String(decoding: second, as: UTF8.self)
    }
}
