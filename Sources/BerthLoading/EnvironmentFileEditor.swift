public import BerthModel
import BerthYAML
import BerthCore

/// Sets scalars of an environment file by key path, touching only their bytes. Pure: bytes in, bytes out.
///
/// A scalar the file writes is replaced where the parser found it, in the same quoting style; the rest of
/// the file (comments, blank lines, order, indentation) stays byte for byte. A key the file does not write
/// (one it inherits through `extends:`) is added as the fewest lines that hold it, indented as the file
/// indents: under its parent's line when the parent is written, at the end of the file otherwise. The
/// file it inherits from is never touched. What cannot be edited surely (a flow mapping on the way, a
/// block scalar, a value from an alias or a template) is refused, to be edited by hand.
public enum EnvironmentFileEditor {
    public struct Edit: Hashable, Sendable {
        /// The keys from the top: `["services", "web", "image"]`.
        public var path: [String]
        public var value: String

        public init(_ path: [String], _ value: String) {
            self.path = path
            self.value = value
        }
    }

    /// The file with every edit made, in order. `file` names the file in messages.
    public static func apply(_ edits: [Edit], to bytes: [UInt8], file: String) throws(ValueError) -> [UInt8] {
        var result = bytes
        for edit in edits where !edit.path.isEmpty {
            result = try apply(edit, to: result, file: file)
        }
        return result
    }

    private static func apply(_ edit: Edit, to bytes: [UInt8], file: String) throws(ValueError) -> [UInt8] {
        let keyPath = edit.path.joined(separator: ".")
        let parsed = YAMLParser().parse(bytes, file: file)
        guard !parsed.diagnostics.contains(where: { $0.severity == .error }) else {
            throw ValueError("\(file) does not parse; fix it first")
        }
        let source = Source(bytes)
        guard let root = parsed.root, !(root.scalar?.isNull ?? false) else {
            return source.appending(lines(for: edit.path, value: edit.value, indent: 0, unit: 2))
        }
        guard root.isMapping else { throw ValueError("\(file) is not a mapping") }
        let unit = indentUnit(root)
        var node = root
        var parentKey: YAMLNode?
        for (depth, key) in edit.path.enumerated() {
            guard let pair = node.mapping?.first(where: { $0.name == key }) else {
                let rest = Array(edit.path[depth...])
                guard let parentKey else {
                    return source.appending(lines(for: rest, value: edit.value, indent: 0, unit: unit))
                }
                let childIndent = node.location.column - 1
                guard source.isBlockMapping(node, after: parentKey) else {
                    throw ValueError("\(file):\(node.location.line):\(node.location.column): \(keyPath): a flow mapping is in the way; edit it by hand")
                }
                return source.inserting(lines(for: rest, value: edit.value, indent: childIndent, unit: unit), afterLine: parentKey.location.line)
            }
            if depth == edit.path.count - 1 {
                return try source.replacing(pair.value, with: edit.value, keyPath: keyPath, file: file)
            }
            guard pair.value.isMapping, !pair.value.isReported else {
                throw ValueError("\(file):\(pair.value.location.line):\(pair.value.location.column): \(keyPath): \(key) is not a mapping; edit it by hand")
            }
            parentKey = pair.key
            node = pair.value
        }
        return bytes
    }

    /// `key:` lines, each nested one `unit` deeper, the last with the value.
    static func lines(for path: [String], value: String, indent: Int, unit: Int) -> [String] {
        path.enumerated().map { depth, key in
            let spaces = String(repeating: " ", count: indent + depth * unit)
            return depth == path.count - 1 ? "\(spaces)\(key): \(written(value, style: .plain))" : "\(spaces)\(key):"
        }
    }

    /// How deep the file nests a mapping under a top-level key; 2 when it nests none.
    static func indentUnit(_ root: YAMLNode) -> Int {
        for pair in root.mapping ?? [] where pair.value.isMapping && pair.value.location.line > pair.key.location.line {
            return max(1, pair.value.location.column - 1)
        }
        return 2
    }

    /// `value` as a scalar of `style`: plain when it reads back as the same string, double-quoted otherwise.
    static func written(_ value: String, style: YAMLScalar.Style) -> String {
        switch style {
        case .singleQuoted:
            return "'" + value.replacing("'", with: "''") + "'"
        case .plain where isPlainSafe(value):
            return value
        default:
            return "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
    }

    private static func isPlainSafe(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        let allowed = value.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._/:@+-".unicodeScalars.contains($0)) }
        let scalar = YAMLScalar(value)
        return allowed && !scalar.looksLikeFloat && !scalar.looksLikeYAML11Bool && !scalar.isNull && scalar.bool == nil
    }
}

/// The bytes of a file, addressed by the parser's 1-based lines and columns (columns count Unicode scalars).
private struct Source {
    let bytes: [UInt8]
    /// The byte offset where each line starts.
    let lineStarts: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0]
        for (offset, byte) in bytes.enumerated() where byte == 0x0A { starts.append(offset + 1) }
        lineStarts = starts
    }

    var newline: [UInt8] { bytes.contains(0x0D) && bytes.firstRange(of: [0x0D, 0x0A]) != nil ? [0x0D, 0x0A] : [0x0A] }

    func offset(_ location: SourceLocation) -> Int? {
        guard location.line >= 1, location.line <= lineStarts.count else { return nil }
        var offset = lineStarts[location.line - 1]
        var column = 1
        while column < location.column, offset < bytes.count {
            offset += 1
            while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            column += 1
        }
        return offset
    }

    /// Whether the mapping is written in block style on its own lines below `key`.
    func isBlockMapping(_ node: YAMLNode, after key: YAMLNode) -> Bool {
        guard node.location.line > key.location.line, let offset = offset(node.location), offset < bytes.count else { return false }
        return bytes[offset] != UInt8(ascii: "{")
    }

    func appending(_ lines: [String]) -> [UInt8] {
        var result = bytes
        if let last = result.last, last != 0x0A { result += newline }
        for line in lines { result += Array(line.utf8) + newline }
        return result
    }

    func inserting(_ lines: [String], afterLine line: Int) -> [UInt8] {
        guard line < lineStarts.count else { return appending(lines) }
        let at = lineStarts[line]
        var inserted: [UInt8] = []
        for text in lines { inserted += Array(text.utf8) + newline }
        return Array(bytes[..<at]) + inserted + Array(bytes[at...])
    }

    /// The scalar's bytes replaced by `value` in its own style, once they are found to be what the parser read.
    func replacing(_ node: YAMLNode, with value: String, keyPath: String, file: String) throws(ValueError) -> [UInt8] {
        let place = "\(file):\(node.location.line):\(node.location.column): \(keyPath)"
        guard let scalar = node.scalar, !node.isReported, let start = offset(node.location), start < bytes.count else {
            throw ValueError("\(place) is not a scalar; edit it by hand")
        }
        let end: Int?
        switch scalar.style {
        case .plain: end = plainEnd(from: start)
        case .singleQuoted: end = quotedEnd(from: start, quote: UInt8(ascii: "'"))
        case .doubleQuoted: end = quotedEnd(from: start, quote: UInt8(ascii: "\""))
        case .literal, .folded: end = nil
        }
        let expected = scalar.style == .plain ? scalar.text : EnvironmentFileEditor.written(scalar.text, style: scalar.style)
        guard let end, String(decoding: bytes[start..<end], as: UTF8.self) == expected else {
            throw ValueError("\(place) is not written as one simple scalar here (a block scalar, an alias or an escape); edit it by hand")
        }
        let replacement = Array(EnvironmentFileEditor.written(value, style: scalar.style).utf8)
        return Array(bytes[..<start]) + replacement + Array(bytes[end...])
    }

    /// Where a plain scalar on one line ends: before a comment, a flow indicator or the line's end, trailing blanks left out.
    private func plainEnd(from start: Int) -> Int {
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { break }
            if byte == UInt8(ascii: "#"), end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { break }
            end += 1
        }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return end
    }

    /// Just after the closing quote; nil when the line ends first.
    private func quotedEnd(from start: Int, quote: UInt8) -> Int? {
        guard bytes[start] == quote else { return nil }
        var index = start + 1
        while index < bytes.count, bytes[index] != 0x0A {
            if quote == UInt8(ascii: "\""), bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == quote {
                if quote == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return nil
    }
}
