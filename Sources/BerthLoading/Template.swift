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

    /// Scans UTF-8 text; an unclosed `{{` or a name that is not `[A-Za-z_][A-Za-z0-9_.-]*` is a problem.
    public static func placeholders(in bytes: [UInt8]) -> Result<[Placeholder], Problem> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Problem(message: "the template is not valid UTF-8 text", line: 1, column: 1))
        }
        var found: [Placeholder] = []
        let characters = Array(text)
        var line = 1, column = 1
        var index = 0
        while index < characters.count {
            if characters[index] == "{", index + 1 < characters.count, characters[index + 1] == "{" {
                let startLine = line, startColumn = column
                var end = index + 2
                while end + 1 < characters.count, !(characters[end] == "}" && characters[end + 1] == "}"), characters[end] != "\n" {
                    end += 1
                }
                guard end + 1 < characters.count, characters[end] == "}", characters[end + 1] == "}" else {
                    return .failure(Problem(message: "'{{' is not closed by '}}' on the same line", line: startLine, column: startColumn))
                }
                let name = String(characters[(index + 2)..<end]).trimmingSpaces()
                guard isPlaceholderName(name) else {
                    return .failure(Problem(message: "'{{\(String(characters[(index + 2)..<end]))}}' is not a placeholder; write {{ name }}", line: startLine, column: startColumn))
                }
                found.append(Placeholder(name: name, line: startLine, column: startColumn))
                column += end + 2 - index
                index = end + 2
                continue
            }
            if characters[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
        return .success(found)
    }

    /// The template with every `{{ name }}` replaced by its value. Validation has checked that every
    /// placeholder has one; an unknown name is left as written.
    public static func render(_ bytes: [UInt8], values: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") {
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")),
                      bytes[end] != UInt8(ascii: "\n") {
                    end += 1
                }
                if end + 1 < bytes.count, bytes[end] == UInt8(ascii: "}") {
                    let name = String(decoding: bytes[(index + 2)..<end], as: UTF8.self).trimmingSpaces()
                    if let value = values[name] {
                        out.append(contentsOf: value.utf8)
                        index = end + 2
                        continue
                    }
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
