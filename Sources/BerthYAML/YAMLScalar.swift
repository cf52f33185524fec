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
        let utf8 = text.utf8
        guard let first = utf8.first else { return nil }
        let signed = first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
        let digits = utf8.dropFirst(signed ? 1 : 0)
        guard !digits.isEmpty, digits.allSatisfy(Self.isDigit) else { return nil }
        return Int(first == UInt8(ascii: "+") ? String(text.dropFirst()) : text)
    }

    /// A plain scalar that other YAML readers take for a floating-point number (`1.10`, `1e3`, `.inf`).
    public var looksLikeFloat: Bool {
        guard isPlain else { return false }
        let utf8 = text.utf8
        // Quick no: most text does not start like a number.
        guard let first = utf8.first,
              Self.isDigit(first) || first == UInt8(ascii: ".") || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
        else { return false }
        if !Self.isDigit(first) {
            switch text {
            case ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN": return true
            default: break
            }
        }
        guard int == nil else { return false }
        var sawDigit = false, sawDot = false, sawExponent = false
        var index = utf8.startIndex
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { index = utf8.index(after: index) }
        while index < utf8.endIndex {
            let c = utf8[index]
            if Self.isDigit(c) { sawDigit = true }
            else if c == UInt8(ascii: ".") && !sawDot && !sawExponent { sawDot = true }
            else if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && sawDigit && !sawExponent {
                sawExponent = true
                let next = utf8.index(after: index)
                if next < utf8.endIndex, utf8[next] == UInt8(ascii: "+") || utf8[next] == UInt8(ascii: "-") { index = next }
            } else { return false }
            index = utf8.index(after: index)
        }
        return sawDigit && (sawDot || sawExponent)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    /// A plain scalar that YAML 1.1 readers take for a boolean (`yes`, `off`, ...), though YAML 1.2 does not.
    public var looksLikeYAML11Bool: Bool {
        guard isPlain, text.utf8.count <= 3 else { return false }
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
