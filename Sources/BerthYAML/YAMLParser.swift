internal import CYAML
public import BerthCore
import Foundation

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
        /// Most bytes of scalar text that aliases may add, all aliases together: a long string anchored
        /// once and aliased many times is as much a bomb as a deep one.
        public var maxAliasBytes: Int

        public init(maxDepth: Int = 64, maxAliasExpansion: Int = 100_000, maxAliasBytes: Int = 1 << 20) {
            self.maxDepth = maxDepth
            self.maxAliasExpansion = maxAliasExpansion
            self.maxAliasBytes = maxAliasBytes
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
        // libyaml counts NEL, U+2028 and U+2029 as line breaks; an editor does not. Only a file that
        // has one pays for mapping libyaml's marks to the lines a person sees.
        let unusualBreak = TextLines.firstUnicodeLineBreak(in: bytes)
        var builder = TreeBuilder(file: file, limits: limits, size: bytes.count, lines: unusualBreak.map { _ in TextLines(bytes) })
        guard !bytes.isEmpty else { return Result(root: nil, diagnostics: []) }
        if let unusualBreak, let lines = builder.lines {
            let (line, column) = lines.position(ofByte: unusualBreak)
            let name = bytes[unusualBreak] == 0xC2 ? "U+0085 (next line)" : bytes[unusualBreak + 2] == 0xA8 ? "U+2028 (line separator)" : "U+2029 (paragraph separator)"
            builder.collected.append(.warning(
                at: SourceLocation(file: file, line: line, column: column),
                "a \(name) character: YAML reads it as a line break, most editors show none; write a newline instead"
            ))
        }

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
        return Result(root: builder.stopped ? nil : builder.finish(), diagnostics: builder.diagnostics)
    }

    /// libyaml's own description of what went wrong, where it went wrong.
    private func syntaxError(_ parser: yaml_parser_t, bytes: [UInt8], file: String) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let lines = TextLines(bytes)
        func location(_ position: (line: Int, column: Int)) -> SourceLocation {
            SourceLocation(file: file, line: position.line, column: position.column)
        }
        if parser.error == YAML_READER_ERROR {
            // A reader error has a byte offset, not a line.
            let detail = parser.problem_value >= 0 ? " (byte 0x\(String(parser.problem_value, radix: 16)))" : ""
            return .error(at: location(lines.position(ofByte: parser.problem_offset)), "the file is not valid UTF-8: \(problem)\(detail)")
        }
        // "found unexpected end of stream" at the end of the file helps nobody: an unclosed quote or
        // bracket is reported where it was opened, which the context mark names.
        let atEnd = problem.contains("end of stream") && parser.context != nil
        let mark = atEnd ? parser.context_mark : parser.problem_mark
        let offset = lines.byteOffset(ofScalar: Int(mark.index))
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\t") {
            return .error(at: location(lines.position(ofByte: offset)), "a tab character where YAML expects indentation; indent with spaces")
        }
        var message = "syntax error: \(problem)"
        if atEnd, let context = parser.context.map({ String(cString: $0) }) {
            message = "syntax error: \(context) that starts here, the file ended (\(problem))"
        }
        if let context = parser.context.map({ String(cString: $0) }), !atEnd {
            let start = lines.position(ofScalar: Int(parser.context_mark.index))
            message += " (\(context) at line \(start.line), column \(start.column))"
        }
        return .error(at: location(lines.position(ofByte: offset)), message)
    }
}

/// Turns libyaml events into the flat storage of a `YAMLDocument` with an explicit stack, so that
/// depth costs no native stack.
private struct TreeBuilder {
    typealias Entry = YAMLDocument.Entry

    struct Frame {
        let entry: Int
        let isMapping: Bool
        let anchor: String?
        /// Where this collection's children start in `pending`.
        let firstChild: Int
        /// Nodes in this subtree, counting what aliases inside it expand to.
        var weight = 1
        /// Bytes of scalar text in this subtree, likewise.
        var bytes = 0
    }

    let file: String
    let limits: YAMLParser.Limits
    /// Set when libyaml's lines are not an editor's (see `TextLines`): marks are mapped through it.
    let lines: TextLines?
    var root: Int?
    var collected = BoundedDiagnostics()
    var diagnostics: [Diagnostic] { collected.all }
    var stopped = false
    private var stack: [Frame] = []
    private var anchors: [String: (node: Int, weight: Int, bytes: Int)] = [:]
    private var expanded = 0
    private var expandedBytes = 0
    private var documents = 0

    private var entries: [Entry] = []
    private var children: [Int] = []
    private var text: [UInt8] = []
    private var tags: [String] = []
    private var tagIndices: [String: Int32] = [:]
    /// The children of the open collections, innermost last.
    private var pending: [Int] = []

    init(file: String, limits: YAMLParser.Limits, size: Int, lines: TextLines?) {
        self.file = file
        self.limits = limits
        self.lines = lines
        // A node takes ten bytes of YAML or more; a scalar's text is no longer than it was written.
        entries.reserveCapacity(size / 10)
        children.reserveCapacity(size / 10)
        text.reserveCapacity(size)
    }

    var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    /// The document built; nil when it has no root.
    func finish() -> YAMLNode? {
        guard let root else { return nil }
        let document = YAMLDocument(file: file, entries: entries, children: children, text: text, tags: tags)
        return YAMLNode(document: document, index: root)
    }

    mutating func fail(_ diagnostic: Diagnostic) {
        collected.append(diagnostic)
        stopped = true
    }

    private var cursor = TextLines.Cursor()

    private mutating func position(_ mark: yaml_mark_t) -> (line: Int, column: Int) {
        lines?.position(ofScalar: Int(mark.index), from: &cursor) ?? (Int(mark.line) + 1, Int(mark.column) + 1)
    }

    private mutating func location(_ mark: yaml_mark_t) -> SourceLocation {
        let (line, column) = position(mark)
        return SourceLocation(file: file, line: line, column: column)
    }

    private func location(of node: Int) -> SourceLocation {
        SourceLocation(file: file, line: Int(entries[node].line), column: Int(entries[node].column))
    }

    private mutating func append(
        _ kind: YAMLDocument.Kind, at mark: yaml_mark_t, style: YAMLScalar.Style = .plain, isASCII: Bool = true, tag: Int32 = -1,
        start: Int = 0, count: Int = 0
    ) -> Int {
        let (line, column) = position(mark)
        entries.append(Entry(
            kind: kind, style: style, isASCII: isASCII, tag: tag, line: Int32(truncatingIfNeeded: line),
            column: Int32(truncatingIfNeeded: column), start: start, count: count
        ))
        return entries.count - 1
    }

    /// A scalar that stands in for a node already reported.
    private mutating func reported(at location: SourceLocation) -> Int {
        entries.append(Entry(
            kind: .scalar, style: .plain, tag: tagIndex(YAMLNode.reportedTag), line: Int32(truncatingIfNeeded: location.line),
            column: Int32(truncatingIfNeeded: location.column), start: text.count, count: 0
        ))
        return entries.count - 1
    }

    private mutating func tagIndex(_ tag: String) -> Int32 {
        if let index = tagIndices[tag] { return index }
        let index = Int32(tags.count)
        tags.append(tag)
        tagIndices[tag] = index
        return index
    }

    mutating func consume(_ event: yaml_event_t) {
        let mark = event.start_mark
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                fail(.error(at: location(mark), "a second YAML document starts here; a Berth file holds exactly one"))
            }

        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let tag = checkedTag(data.tag, at: mark)
            let start = text.count
            var isASCII = true
            if let value = data.value, data.length > 0 {
                let bytes = UnsafeBufferPointer(start: value, count: data.length)
                isASCII = bytes.allSatisfy { $0 < 0x80 }
                text.append(contentsOf: bytes)
            }
            var node = append(
                .scalar, at: mark, style: Self.style(data.style), isASCII: isASCII, tag: tag, start: start, count: data.length
            )
            if tag >= 0, let problem = Self.contradiction(tags[Int(tag)], text[start..<(start + data.length)]) {
                // Reported here, once: what reads the value takes the stand-in and says nothing more.
                collected.append(.error(at: location(mark), problem))
                node = reported(at: location(mark))
            }
            if let anchor = Self.string(data.anchor) { anchors[anchor] = (node, 1, data.length) }
            add(node, weight: 1, bytes: data.length)

        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let (node, weight, bytes) = anchors[name] else {
                let open = stack.contains { $0.anchor == name }
                let here = location(mark)
                collected.append(.error(
                    at: here,
                    open ? "alias *\(name) refers to a node that contains it" : "alias *\(name) names no anchor defined before it"
                ))
                add(reported(at: here), weight: 1)
                return
            }
            expanded += weight
            expandedBytes += bytes
            if expanded > limits.maxAliasExpansion {
                fail(.error(
                    at: location(mark),
                    "aliases expand to more than \(limits.maxAliasExpansion) nodes; refusing to expand further (an alias bomb?)"
                ))
                return
            }
            if expandedBytes > limits.maxAliasBytes {
                fail(.error(
                    at: location(mark),
                    "aliases expand to more than \(limits.maxAliasBytes) bytes of text; refusing to expand further (an alias bomb?)"
                ))
                return
            }
            add(node, weight: weight, bytes: bytes)

        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let (anchorPointer, tagPointer) = isMapping
                ? (event.data.mapping_start.anchor, event.data.mapping_start.tag)
                : (event.data.sequence_start.anchor, event.data.sequence_start.tag)
            let collectionTag = checkedTag(tagPointer, at: mark)
            if collectionTag >= 0, tags[Int(collectionTag)] != (isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq") {
                let shown = "!!" + tags[Int(collectionTag)].dropFirst("tag:yaml.org,2002:".count)
                collected.append(.error(at: location(mark), "\(shown) on a \(isMapping ? "mapping" : "list"): the tag says another kind of value"))
            }
            guard stack.count < limits.maxDepth else {
                fail(.error(at: location(mark), "nesting deeper than \(limits.maxDepth) levels"))
                return
            }
            let node = append(isMapping ? .mapping : .sequence, at: mark)
            stack.append(Frame(entry: node, isMapping: isMapping, anchor: Self.string(anchorPointer), firstChild: pending.count))

        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            var end = pending.count
            if frame.isMapping, (end - frame.firstChild) % 2 == 1 { end -= 1 } // a key without a value
            let start = children.count
            if frame.isMapping, let merged = resolvedPairs(frame.firstChild..<end) {
                children.append(contentsOf: merged)
            } else {
                children.append(contentsOf: pending[frame.firstChild..<end])
            }
            pending.removeSubrange(frame.firstChild...)
            entries[frame.entry].start = start
            entries[frame.entry].count = children.count - start
            if let anchor = frame.anchor { anchors[anchor] = (frame.entry, frame.weight, frame.bytes) }
            add(frame.entry, weight: frame.weight, bytes: frame.bytes)

        default:
            break
        }
    }

    private mutating func add(_ node: Int, weight: Int, bytes: Int = 0) {
        guard let top = stack.indices.last else {
            root = node
            return
        }
        stack[top].weight += weight
        stack[top].bytes += bytes
        var node = node
        if stack[top].isMapping, (pending.count - stack[top].firstChild) % 2 == 0, entries[node].kind != .scalar {
            let location = location(of: node)
            collected.append(.error(at: location, "a mapping key must be a plain value, not \(kindName(node))"))
            node = reported(at: location)
        }
        pending.append(node)
    }

    private func kindName(_ node: Int) -> String {
        switch entries[node].kind {
        case .scalar: return scalar(node).kindName
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    private func bytes(_ node: Int) -> ArraySlice<UInt8> {
        text[entries[node].start..<(entries[node].start + entries[node].count)]
    }

    private func name(_ node: Int) -> String { String(decoding: bytes(node), as: UTF8.self) }

    private func scalar(_ node: Int) -> YAMLScalar {
        YAMLScalar(name(node), style: entries[node].style, tag: entries[node].tag < 0 ? nil : tags[Int(entries[node].tag)])
    }

    /// Reports duplicate keys of the mapping whose pairs are `range` of `pending` (key, value, key,
    /// value), and applies `<<` merge keys: explicit keys win over merged ones, and among merged
    /// mappings the earlier one wins. Nil when there is no merge key, and the pairs stand as they are.
    private mutating func resolvedPairs(_ range: Range<Int>) -> [Int]? {
        var hasMerge = false
        let count = range.count / 2
        // Most mappings are small: comparing with the keys before is cheaper than hashing them all.
        var seen: [String: Int]? = count > 16 ? Dictionary(minimumCapacity: count) : nil
        for index in 0..<count {
            let key = pending[range.lowerBound + 2 * index]
            if isMergeKey(key) {
                hasMerge = true
                continue
            }
            var first: Int?
            if seen != nil {
                let name = name(key)
                first = seen?[name]
                if first == nil { seen?[name] = index }
            } else {
                var earlier = 0
                while earlier < index {
                    let other = pending[range.lowerBound + 2 * earlier]
                    if sameText(other, key), !isMergeKey(other) { first = earlier; break }
                    earlier += 1
                }
            }
            if let first {
                let firstPlace = location(of: pending[range.lowerBound + 2 * first])
                collected.append(.error(
                    at: location(of: key),
                    "duplicate key '\(name(key))' (first at line \(firstPlace.line), column \(firstPlace.column))"
                ))
            }
        }
        guard hasMerge else { return nil }
        let pairs = Array(pending[range])

        var result: [Int] = []
        var added = Set(stride(from: 0, to: pairs.count, by: 2).filter { !isMergeKey(pairs[$0]) }.map { name(pairs[$0]) })
        for position in stride(from: 0, to: pairs.count, by: 2) {
            let (key, value) = (pairs[position], pairs[position + 1])
            guard isMergeKey(key) else {
                result += [key, value]
                continue
            }
            let sources: [Int]
            switch entries[value].kind {
            case .mapping: sources = [value]
            case .sequence where items(of: value).allSatisfy({ entries[$0].kind == .mapping }): sources = Array(items(of: value))
            default:
                collected.append(.error(
                    at: location(of: value),
                    "the value of '<<' must be a mapping or a list of mappings, not \(kindName(value))"
                ))
                continue
            }
            for source in sources {
                let merged = items(of: source)
                for position in stride(from: merged.startIndex, to: merged.endIndex, by: 2)
                where added.insert(name(merged[position])).inserted {
                    result += [merged[position], merged[position + 1]]
                }
            }
        }
        return result
    }

    private func items(of node: Int) -> ArraySlice<Int> {
        children[entries[node].start..<(entries[node].start + entries[node].count)]
    }

    private func sameText(_ first: Int, _ second: Int) -> Bool {
        if entries[first].isASCII && entries[second].isASCII {
            return entries[first].count == entries[second].count && bytes(first).elementsEqual(bytes(second))
        }
        return YAMLDocument.sameText(bytes(first), bytes(second))
    }

    private func isMergeKey(_ key: Int) -> Bool {
        let entry = entries[key]
        guard entry.kind == .scalar, entry.count == 2, bytes(key).elementsEqual("<<".utf8) else { return false }
        return (entry.style == .plain && entry.tag < 0) || (entry.tag >= 0 && tags[Int(entry.tag)] == "tag:yaml.org,2002:merge")
    }

    private static let supportedTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:float", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge",
    ]

    /// The index of a node's tag in `tags`, -1 for none.
    private mutating func checkedTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, at mark: yaml_mark_t) -> Int32 {
        guard let tag = Self.string(pointer) else { return -1 }
        if !Self.supportedTags.contains(tag) && tag != "!" {
            let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
            collected.append(.error(at: location(mark), "unsupported tag \(shown)"))
        }
        return tag == "!" ? -1 : tagIndex(tag)
    }

    /// Why a scalar's text is not what its core tag says (`!!int abc`, `!!bool yes`, `!!null x`); nil when it is.
    static func contradiction(_ tag: String, _ bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        func matches(_ pattern: String) -> Bool { text.range(of: "^(" + pattern + ")$", options: .regularExpression) != nil }
        switch tag {
        case "tag:yaml.org,2002:int":
            return matches("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+") ? nil : "!!int '\(shown)' is not an integer"
        case "tag:yaml.org,2002:float":
            return matches("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)")
                ? nil : "!!float '\(shown)' is not a number"
        case "tag:yaml.org,2002:bool":
            return matches("true|True|TRUE|false|False|FALSE") ? nil : "!!bool '\(shown)' is not true or false"
        case "tag:yaml.org,2002:null":
            return matches("|~|null|Null|NULL") ? nil : "!!null '\(shown)' is not null; drop the tag, or the value"
        case "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq":
            return "\("!!" + tag.dropFirst("tag:yaml.org,2002:".count)) on a plain value: the tag says another kind of value"
        default:
            return nil
        }
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
