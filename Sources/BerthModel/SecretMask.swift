/// Hides secret values in rendered config text, so that a plan can show a config file's diff.
///
/// A plan diffs the file on disk against the newly rendered content. The new content holds today's
/// secret values, which are known; the file on disk may hold an old, rotated value nobody knows. So
/// `mask` hides, in this order:
/// 1. every occurrence of a known value (values shorter than 3 characters are ignored, they would
///    hide noise; longer values win where values overlap; a value may span lines);
/// 2. the rest of every line that begins with one of `linePrefixes`, the literal template text before
///    a secret placeholder on its line (`API_TOKEN=`, `  password: `): this catches rotated values.
///    Where several prefixes fit, the shortest wins, hiding the most;
/// 3. if `maskEveryLineNotIn` is set, every whole line not in that set. A secret placeholder that
///    starts a template line (see `linePrefixes(template:secretPlaceholders:)`) or a value spanning
///    lines leaves lines that no prefix can recognise; masking the old text with the set of the new
///    text's masked lines (`maskingLinesAbsent(from:)`) hides each old line that is not also a line of
///    the new content, which is all a diff needs to show of it.
///
/// Lines are split on "\n"; a final newline is kept and does not count as a line. Matching is byte
/// for byte. Nothing else in the text changes.
public struct SecretMask: Sendable {
    public static let placeholder = "(sensitive)"

    /// The known values hidden anywhere, longest first.
    public let values: [String]
    /// The line beginnings after which the rest of a line is hidden, shortest first.
    public let linePrefixes: [String]
    /// When set, a line (after the other rules) that is not in this set is replaced by the placeholder.
    public var maskEveryLineNotIn: Set<String>?

    public init(values: [String], linePrefixes: [String], maskEveryLineNotIn: Set<String>? = nil) {
        self.values = Array(Set(values.filter { $0.count >= 3 }))
            .sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
        self.linePrefixes = Array(Set(linePrefixes.filter { !$0.isEmpty })).sorted { ($0.utf8.count, $0) < ($1.utf8.count, $1) }
        self.maskEveryLineNotIn = maskEveryLineNotIn
    }

    /// This mask, also hiding every line not among the lines of `mask(newText)`: the mask for the old
    /// text of a diff whose template has a bare secret placeholder or whose values span lines.
    public func maskingLinesAbsent(from newText: String) -> SecretMask {
        var copy = self
        copy.maskEveryLineNotIn = nil
        copy.maskEveryLineNotIn = Set(Self.splitLines(copy.mask(newText)).lines)
        return copy
    }

    public func mask(_ text: String) -> String {
        let (lines, endsWithNewline) = Self.splitLines(maskingValues(text))
        let masked = lines.map { line -> String in
            var line = line
            if let prefix = linePrefixes.first(where: { line.utf8.starts(with: $0.utf8) }) {
                // A carriage return ending the line is kept, so that a CRLF file stays one.
                line = prefix + Self.placeholder + (line.utf8.last == 0x0D ? "\r" : "")
            }
            if let allowed = maskEveryLineNotIn, !allowed.contains(line) { line = Self.placeholder }
            return line
        }
        return masked.joined(separator: "\n") + (endsWithNewline && !masked.isEmpty ? "\n" : "")
    }

    /// One pass over the bytes: at each place the longest value that starts there is replaced, so a
    /// placeholder already written is never searched again.
    func maskingValues(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let needles = values.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        outer: while index < bytes.count {
            for needle in needles where needle[0] == bytes[index] && bytes.count - index >= needle.count {
                if bytes[index..<(index + needle.count)].elementsEqual(needle) {
                    out.append(contentsOf: Self.placeholder.utf8)
                    index += needle.count
                    continue outer
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The lines of a text split on "\n", without the empty line after a final newline.
    static func splitLines(_ text: String) -> (lines: [String], endsWithNewline: Bool) {
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let endsWithNewline = text.utf8.last == 0x0A
        if endsWithNewline || text.isEmpty { lines.removeLast() }
        return (lines, endsWithNewline)
    }

    /// The line prefixes of a template's secret placeholders (`{{ name }}`, as `Template` reads them).
    /// A prefix is the literal text of a line before its first secret placeholder, cut at any other
    /// placeholder before it (whose rendered value is not known here). A line whose prefix is empty or
    /// only spaces and tabs is bare: `hasBarePlaceholder` then tells the caller to mask the old text
    /// with `maskEveryLineNotIn` too.
    public static func linePrefixes(template: String, secretPlaceholders: Set<String>) -> (prefixes: [String], hasBarePlaceholder: Bool) {
        let isBlank = { (character: Character) in character == " " || character == "\t" }
        var prefixes: [String] = []
        var hasBare = false
        for line in splitLines(template).lines {
            let bytes = Array(line.utf8)
            var firstPlaceholder: Int?
            var index = 0
            while index + 1 < bytes.count {
                guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else { index += 1; continue }
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")) { end += 1 }
                guard end + 1 < bytes.count else { break }
                let inside = String(decoding: bytes[(index + 2)..<end], as: UTF8.self)
                let name = String(inside.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
                if firstPlaceholder == nil { firstPlaceholder = index }
                if secretPlaceholders.contains(name) {
                    let prefix = String(decoding: bytes[0..<(firstPlaceholder ?? index)], as: UTF8.self)
                    if prefix.allSatisfy(isBlank) {
                        hasBare = true
                    } else if !prefixes.contains(prefix) {
                        prefixes.append(prefix)
                    }
                    break
                }
                index = end + 2
            }
        }
        return (prefixes, hasBare)
    }
}
