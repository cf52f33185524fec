import BerthYAML
public import BerthCore

extension JSONValue {
    /// Block-style YAML that reads back as the same value; strings that YAML would take for
    /// something else (numbers, booleans, null, special characters) are double-quoted.
    public func yamlText() -> String {
        var out = ""
        switch self {
        case .object(let members) where !members.isEmpty:
            Self.writeMembers(members, to: &out, indent: 0)
        case .array(let items) where !items.isEmpty:
            Self.writeItems(items, to: &out, indent: 0)
        default:
            out += inlineYAML() + "\n"
        }
        return out
    }

    private static func writeMembers(_ members: [Member], to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for member in members {
            out += pad + yamlKey(member.key) + ":"
            switch member.value {
            case .object(let nested) where !nested.isEmpty:
                out += "\n"
                writeMembers(nested, to: &out, indent: indent + 2)
            case .array(let items) where !items.isEmpty:
                out += "\n"
                writeItems(items, to: &out, indent: indent + 2)
            default:
                out += " " + member.value.inlineYAML() + "\n"
            }
        }
    }

    private static func writeItems(_ items: [JSONValue], to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                // The first key on the dash's line, the rest under it.
                var nested = ""
                writeMembers(members, to: &nested, indent: indent + 2)
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                writeItems(inner, to: &out, indent: indent + 2)
            default:
                out += pad + "- " + item.inlineYAML() + "\n"
            }
        }
    }

    private func inlineYAML() -> String {
        switch self {
        case .string(let text): return Self.yamlString(text)
        case .int(let value): return String(value)
        case .number(let value): return Self.numberText(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    private static func yamlKey(_ key: String) -> String { yamlString(key) }

    static func yamlString(_ text: String) -> String {
        guard needsQuotes(text) else { return text }
        var out = ""
        writeJSONString(text, to: &out) // a JSON string is a valid double-quoted YAML scalar
        return out
    }

    /// The characters that mean something at the start of a plain scalar, as bytes: all are ASCII.
    private static let indicators = Set("-?:,[]{}#&*!|>'\"%@`~".utf8)

    private static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return true }
        if first == " " || last == " " { return true }
        if let byte = text.utf8.first, indicators.contains(byte),
           !(first == "-" && text.count > 1 && text.dropFirst().first != " " && !text.allSatisfy({ $0 == "-" })) {
            return true
        }
        // ": " or " #" anywhere, a ":" at the end, a control character: one pass over the bytes (a control
        // character is one byte, and no byte of a longer character is below 0x80).
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == UInt8(ascii: ":") && byte == UInt8(ascii: " "))
                || (previous == UInt8(ascii: " ") && byte == UInt8(ascii: "#")) {
                return true
            }
            previous = byte
        }
        if previous == UInt8(ascii: ":") { return true }
        // Whatever a YAML reader would take for a number, a boolean or null reads back as a string only quoted.
        let scalar = YAMLScalar(text)
        if scalar.isNull || scalar.bool != nil || scalar.int != nil || scalar.looksLikeFloat || scalar.looksLikeYAML11Bool {
            return true
        }
        if text.hasPrefix("0x") || text.hasPrefix("0o") || text.hasPrefix("+") { return true }
        return false
    }
}
