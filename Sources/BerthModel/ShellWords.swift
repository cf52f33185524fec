/// Splits a command string into words as a POSIX shell would for simple input:
/// whitespace separates, single and double quotes group, a backslash escapes.
public enum ShellWords {
    public static func split(_ text: String) throws(ValueError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if let open = quote {
                if c == open { quote = nil }
                else if c == "\\" && open == "\"" { escaped = true }
                else { current.append(c) }
                continue
            }
            switch c {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = c; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(c); inWord = true
            }
        }
        if quote != nil { throw ValueError("unclosed quote in '\(text)'") }
        if escaped { throw ValueError("'\(text)' ends with a lone backslash") }
        if inWord { words.append(current) }
        return words
    }
}
