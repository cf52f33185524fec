/// A scalar as written: its text and how it was quoted.
///
/// Berth resolves types by the YAML 1.2 core schema, and only for plain scalars:
/// `"1.10"` stays the string `1.10`, while a plain `1.10` looks like a number.
public struct YAMLScalar: Hashable, Sendable {
    public enum Style: String, Hashable, Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var text: String
    public var style: Style
    /// An explicit tag such as `!!str`, in its full form (`tag:yaml.org,2002:str`).
    public var tag: String?

    public init(_ text: String, style: Style = .plain, tag: String? = nil) {
        self.text = text
        self.style = style
        self.tag = tag
    }

    /// Plain and untagged: the only scalars whose type is read from their text.
    public var isPlain: Bool { style == .plain && tag == nil }

    public var isNull: Bool {
        if tag == "tag:yaml.org,2002:null" { return true }
        guard isPlain else { return false }
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    public var bool: Bool? {
        guard isPlain || tag == "tag:yaml.org,2002:bool" else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A decimal integer (YAML 1.2 core: `[-+]?[0-9]+`).
    public var int: Int? {
        guard isPlain || tag == "tag:yaml.org,2002:int" else { return nil }
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(text.first == "+" ? String(text.dropFirst()) : text)
    }

    /// A plain scalar that other YAML readers take for a floating-point number (`1.10`, `1e3`, `.inf`).
    public var looksLikeFloat: Bool {
        guard isPlain, int == nil else { return false }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN": return true
        default: break
        }
        var sawDigit = false, sawDot = false, sawExponent = false
        var index = text.startIndex
        if index < text.endIndex, text[index] == "+" || text[index] == "-" { index = text.index(after: index) }
        while index < text.endIndex {
            let c = text[index]
            if c.isASCIIDigit { sawDigit = true }
            else if c == "." && !sawDot && !sawExponent { sawDot = true }
            else if (c == "e" || c == "E") && sawDigit && !sawExponent {
                sawExponent = true
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == "+" || text[next] == "-" { index = next }
            } else { return false }
            index = text.index(after: index)
        }
        return sawDigit && (sawDot || sawExponent)
    }

    /// A plain scalar that YAML 1.1 readers take for a boolean (`yes`, `off`, ...), though YAML 1.2 does not.
    public var looksLikeYAML11Bool: Bool {
        guard isPlain else { return false }
        switch text.lowercased() {
        case "y", "n", "yes", "no", "on", "off": return true
        default: return false
        }
    }

    var kindName: String {
        if isNull { return "null" }
        if bool != nil { return "a boolean" }
        if int != nil { return "an integer" }
        if looksLikeFloat { return "a number" }
        return "a string"
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
