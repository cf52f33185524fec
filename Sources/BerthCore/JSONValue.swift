/// A JSON document with its keys in the order they are given, the form every view is built in
/// before it is written as JSON or YAML.
public indirect enum JSONValue: Hashable, Sendable {
    case string(String)
    case int(Int)
    /// A number that may have a fraction (a percentage, a ratio).
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([Member])

    public struct Member: Hashable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// An object from key-value pairs; nil values are left out.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { key, value in value.map { Member(key, $0) } })
    }

    public static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    /// A number as JSON and YAML both read it: `3` for a whole one, `0.5`, `1e-07`; null when it is not finite.
    public static func numberText(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    /// An object with its keys sorted: for documents compared as exact text (engine request bodies).
    public static func sorted(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.sorted { $0.key < $1.key }.map { Member($0.key, $0.value) })
    }

    /// JSON on one line, for event streams.
    public func compactJSONText() -> String {
        switch self {
        case .array(let items): return "[" + items.map { $0.compactJSONText() }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { member in
                var key = ""
                Self.writeJSONString(member.key, to: &key)
                return key + ":" + member.value.compactJSONText()
            }.joined(separator: ",") + "}"
        default: return jsonText().dropLast().description
        }
    }

    /// Pretty JSON with two-space indentation and a final newline.
    public func jsonText() -> String {
        var out = ""
        writeJSON(to: &out, indent: 0)
        out += "\n"
        return out
    }

    private func writeJSON(to out: inout String, indent: Int) {
        switch self {
        case .string(let text): Self.writeJSONString(text, to: &out)
        case .int(let value): out += String(value)
        case .number(let value): out += Self.numberText(value)
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.writeJSON(to: &out, indent: indent + 2)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                Self.writeJSONString(member.key, to: &out)
                out += ": "
                member.value.writeJSON(to: &out, indent: indent + 2)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    public static func writeJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
