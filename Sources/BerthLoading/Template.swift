import BerthCore

/// The placeholders of a config template: `{{ name }}`, with the place each is written.
public enum Template {
    public struct Placeholder: Hashable, Sendable {
        public var name: String
        public var line: Int
        public var column: Int
    }

    public struct Problem: Error, Hashable, Sendable {
        public var message: String
        public var line: Int
        public var column: Int
    }

    /// Scans UTF-8 text once; an unclosed `{{` or a name that is not `[A-Za-z_][A-Za-z0-9_.-]*` is a
    /// problem. Lines and columns are an editor's (`TextLines`): CRLF, CR and LF each end a line.
    public static func placeholders(in bytes: [UInt8]) -> Result<[Placeholder], Problem> {
        if let invalid = TextLines.firstInvalidUTF8(in: bytes) {
            let (line, column) = TextLines(bytes).position(ofByte: invalid)
            return .failure(Problem(message: "the template is not valid UTF-8 text (byte 0x\(String(bytes[invalid], radix: 16)))", line: line, column: column))
        }
        var found: [(name: String, offset: Int)] = []
        var index = 0
        while let start = nextOpening(in: bytes, from: index) {
            guard let end = closing(in: bytes, after: start) else {
                let (line, column) = TextLines(bytes).position(ofByte: start)
                return .failure(Problem(message: "'{{' is not closed by '}}' on the same line", line: line, column: column))
            }
            let written = String(decoding: bytes[(start + 2)..<end], as: UTF8.self)
            let name = written.trimmingSpaces()
            guard isPlaceholderName(name) else {
                let (line, column) = TextLines(bytes).position(ofByte: start)
                return .failure(Problem(message: "'{{\(written)}}' is not a placeholder; write {{ name }}", line: line, column: column))
            }
            found.append((name, start))
            index = end + 2
        }
        guard !found.isEmpty else { return .success([]) }
        let lines = TextLines(bytes)
        return .success(found.map { name, offset in
            let (line, column) = lines.position(ofByte: offset)
            return Placeholder(name: name, line: line, column: column)
        })
    }

    /// The offset of the next `{{` at or after `index`.
    private static func nextOpening(in bytes: [UInt8], from index: Int) -> Int? {
        var index = index
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") { return index }
            index += 1
        }
        return nil
    }

    /// The offset of the `}}` that closes the `{{` at `start` on its line, if there is one.
    private static func closing(in bytes: [UInt8], after start: Int) -> Int? {
        var end = start + 2
        while end + 1 < bytes.count {
            switch (bytes[end], bytes[end + 1]) {
            case (UInt8(ascii: "}"), UInt8(ascii: "}")): return end
            case (UInt8(ascii: "\n"), _), (UInt8(ascii: "\r"), _): return nil
            default: end += 1
            }
        }
        return nil
    }

    /// The template with every `{{ name }}` replaced by its value. Validation has checked that every
    /// placeholder has one; an unknown name is left as written.
    public static func render(_ bytes: [UInt8], values: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{"),
               let end = closing(in: bytes, after: index) {
                let name = String(decoding: bytes[(index + 2)..<end], as: UTF8.self).trimmingSpaces()
                if let value = values[name] {
                    out.append(contentsOf: value.utf8)
                    index = end + 2
                    continue
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }

    static func isPlaceholderName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
