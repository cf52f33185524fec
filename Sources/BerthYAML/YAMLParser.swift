internal import CYAML
public import BerthCore

/// Reads one YAML document into a `YAMLNode` tree through libyaml's event parser.
///
/// Problems that libyaml does not catch are caught here: duplicate keys, unknown aliases,
/// alias bombs, unsupported tags, a second document, and nesting deep enough to hurt a
/// recursive consumer. Syntax errors end the parse (libyaml cannot go on after one);
/// every other problem is collected and the parse goes on.
public struct YAMLParser: Sendable {
    public struct Limits: Sendable {
        /// Deepest nesting of sequences and mappings.
        public var maxDepth: Int
        /// Most nodes that aliases may add to the document, all aliases together.
        public var maxAliasExpansion: Int

        public init(maxDepth: Int = 64, maxAliasExpansion: Int = 100_000) {
            self.maxDepth = maxDepth
            self.maxAliasExpansion = maxAliasExpansion
        }
    }

    public struct Result: Sendable {
        /// The document's root; nil for an empty file or one that could not be read.
        public var root: YAMLNode?
        public var diagnostics: [Diagnostic]

        public init(root: YAMLNode?, diagnostics: [Diagnostic]) {
            self.root = root
            self.diagnostics = diagnostics
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses `bytes`, naming `file` in every location.
    public func parse(_ bytes: [UInt8], file: String) -> Result {
        var builder = TreeBuilder(file: file, limits: limits)
        guard !bytes.isEmpty else { return Result(root: nil, diagnostics: []) }

        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer {
            parser.deallocate()
            event.deallocate()
        }
        guard yaml_parser_initialize(parser) == 1 else {
            return Result(root: nil, diagnostics: [.error(at: builder.start, "out of memory starting the YAML parser")])
        }
        defer { yaml_parser_delete(parser) }

        bytes.withUnsafeBufferPointer { buffer in
            // libyaml asserts on a NULL input; `bytes` is not empty, so the base address exists.
            guard let base = buffer.baseAddress else { return }
            yaml_parser_set_input_string(parser, base, buffer.count)
            while true {
                guard yaml_parser_parse(parser, event) == 1 else {
                    builder.fail(syntaxError(parser.pointee, bytes: bytes, file: file))
                    return
                }
                let done = event.pointee.type == YAML_STREAM_END_EVENT
                builder.consume(event.pointee)
                yaml_event_delete(event)
                if done || builder.stopped { return }
            }
        }
        return Result(root: builder.stopped ? nil : builder.root, diagnostics: builder.diagnostics)
    }

    /// libyaml's own description of what went wrong, where it went wrong.
    private func syntaxError(_ parser: yaml_parser_t, bytes: [UInt8], file: String) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        if parser.error == YAML_READER_ERROR {
            // A reader error has a byte offset, not a line: count the lines ourselves.
            let (line, column) = Self.lineAndColumn(ofByte: parser.problem_offset, in: bytes)
            let detail = parser.problem_value >= 0 ? " (byte 0x\(String(parser.problem_value, radix: 16)))" : ""
            return .error(
                at: SourceLocation(file: file, line: line, column: column),
                "the file is not valid UTF-8: \(problem)\(detail)"
            )
        }
        // "found unexpected end of stream" at the end of the file helps nobody: an unclosed quote or
        // bracket is reported where it was opened, which the context mark names.
        let atEnd = problem.contains("end of stream") && parser.context != nil
        let mark = atEnd ? parser.context_mark : parser.problem_mark
        let location = SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        if Self.character(atLine: Int(mark.line), column: Int(mark.column), in: bytes) == UInt8(ascii: "\t") {
            return .error(at: location, "a tab character where YAML expects indentation; indent with spaces")
        }
        var message = "syntax error: \(problem)"
        if atEnd, let context = parser.context.map({ String(cString: $0) }) {
            message = "syntax error: \(context) that starts here, the file ended (\(problem))"
        }
        if let context = parser.context.map({ String(cString: $0) }), !atEnd {
            let start = parser.context_mark
            message += " (\(context) at line \(start.line + 1), column \(start.column + 1))"
        }
        return .error(at: location, message)
    }

    static func lineAndColumn(ofByte offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1 // count characters, not continuation bytes
            }
        }
        return (line, column)
    }

    /// The byte at a 0-based line and character column, if it is ASCII.
    static func character(atLine line: Int, column: Int, in bytes: [UInt8]) -> UInt8? {
        var currentLine = 0, index = 0
        while currentLine < line, index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { currentLine += 1 }
            index += 1
        }
        var characters = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
            if bytes[index] & 0xC0 != 0x80 {
                if characters == column { return bytes[index] }
                characters += 1
            }
            index += 1
        }
        return nil
    }
}

/// Turns libyaml events into nodes with an explicit stack, so that depth costs no native stack.
private struct TreeBuilder {
    final class Frame {
        let isMapping: Bool
        let location: SourceLocation
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// Nodes in this subtree, counting what aliases inside it expand to.
        var weight = 1

        init(isMapping: Bool, location: SourceLocation, anchor: String?) {
            self.isMapping = isMapping
            self.location = location
            self.anchor = anchor
        }
    }

    let file: String
    let limits: YAMLParser.Limits
    var root: YAMLNode?
    var diagnostics: [Diagnostic] = []
    var stopped = false
    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
    private var expanded = 0
    private var documents = 0

    init(file: String, limits: YAMLParser.Limits) {
        self.file = file
        self.limits = limits
    }

    var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    mutating func fail(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
        stopped = true
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    mutating func consume(_ event: yaml_event_t) {
        let here = location(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                fail(.error(at: here, "a second YAML document starts here; a Berth file holds exactly one"))
            }

        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let tag = checkedTag(data.tag, at: here)
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let node = YAMLNode(.scalar(YAMLScalar(text, style: Self.style(data.style), tag: tag)), at: here)
            if let anchor = Self.string(data.anchor) { anchors[anchor] = (node, 1) }
            add(node, weight: 1)

        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let (node, weight) = anchors[name] else {
                let open = stack.contains { $0.anchor == name }
                diagnostics.append(.error(
                    at: here,
                    open ? "alias *\(name) refers to a node that contains it" : "alias *\(name) names no anchor defined before it"
                ))
                add(YAMLNode.reported(at: here), weight: 1)
                return
            }
            expanded += weight
            if expanded > limits.maxAliasExpansion {
                fail(.error(
                    at: here,
                    "aliases expand to more than \(limits.maxAliasExpansion) nodes; refusing to expand further (an alias bomb?)"
                ))
                return
            }
            add(node, weight: weight)

        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let (anchorPointer, tagPointer) = isMapping
                ? (event.data.mapping_start.anchor, event.data.mapping_start.tag)
                : (event.data.sequence_start.anchor, event.data.sequence_start.tag)
            _ = checkedTag(tagPointer, at: here)
            guard stack.count < limits.maxDepth else {
                fail(.error(at: here, "nesting deeper than \(limits.maxDepth) levels"))
                return
            }
            stack.append(Frame(isMapping: isMapping, location: here, anchor: Self.string(anchorPointer)))

        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            let node = frame.isMapping
                ? YAMLNode(.mapping(resolvedPairs(frame.pairs)), at: frame.location)
                : YAMLNode(.sequence(frame.items), at: frame.location)
            if let anchor = frame.anchor { anchors[anchor] = (node, frame.weight) }
            add(node, weight: frame.weight)

        default:
            break
        }
    }

    private mutating func add(_ node: YAMLNode, weight: Int) {
        guard let top = stack.last else {
            root = node
            return
        }
        top.weight += weight
        guard top.isMapping else {
            top.items.append(node)
            return
        }
        if let key = top.pendingKey {
            top.pairs.append(YAMLPair(key: key, value: node))
            top.pendingKey = nil
        } else if node.scalar != nil {
            top.pendingKey = node
        } else {
            diagnostics.append(.error(at: node.location, "a mapping key must be a plain value, not \(node.kindName)"))
            top.pendingKey = YAMLNode.reported(at: node.location)
        }
    }

    /// Reports duplicate keys and applies `<<` merge keys: explicit keys win over merged ones,
    /// and among merged mappings the earlier one wins.
    private mutating func resolvedPairs(_ pairs: [YAMLPair]) -> [YAMLPair] {
        var hasMerge = false
        // Most mappings are small: comparing with the keys before is cheaper than hashing them all.
        var seen: [String: Int]? = pairs.count > 16 ? Dictionary(minimumCapacity: pairs.count) : nil
        for index in pairs.indices {
            if Self.isMergeKey(pairs[index].key) {
                hasMerge = true
                continue
            }
            let name = pairs[index].name
            var first: Int?
            if seen != nil {
                first = seen?[name]
                if first == nil { seen?[name] = index }
            } else {
                var earlier = 0
                while earlier < index {
                    if pairs[earlier].name == name, !Self.isMergeKey(pairs[earlier].key) { first = earlier; break }
                    earlier += 1
                }
            }
            if let first {
                let location = pairs[first].key.location
                diagnostics.append(.error(
                    at: pairs[index].key.location,
                    "duplicate key '\(name)' (first at line \(location.line), column \(location.column))"
                ))
            }
        }
        guard hasMerge else { return pairs }

        var result: [YAMLPair] = []
        var added = Set(pairs.filter { !Self.isMergeKey($0.key) }.map(\.name))
        for pair in pairs {
            guard Self.isMergeKey(pair.key) else {
                result.append(pair)
                continue
            }
            let sources: [YAMLNode]
            switch pair.value.content {
            case .mapping: sources = [pair.value]
            case .sequence(let items) where items.allSatisfy({ $0.mapping != nil }): sources = items
            default:
                diagnostics.append(.error(
                    at: pair.value.location,
                    "the value of '<<' must be a mapping or a list of mappings, not \(pair.value.kindName)"
                ))
                continue
            }
            for source in sources {
                for merged in source.mapping ?? [] where added.insert(merged.name).inserted {
                    result.append(merged)
                }
            }
        }
        return result
    }

    private static func isMergeKey(_ key: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = key.content, scalar.text.utf8.count == 2, scalar.text == "<<" else { return false }
        return scalar.isPlain || scalar.tag == "tag:yaml.org,2002:merge"
    }

    private static let supportedTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:float", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge",
    ]

    private mutating func checkedTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, at location: SourceLocation) -> String? {
        guard let tag = Self.string(pointer) else { return nil }
        if !Self.supportedTags.contains(tag) && tag != "!" {
            let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
            diagnostics.append(.error(at: location, "unsupported tag \(shown)"))
        }
        return tag == "!" ? nil : tag
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}
