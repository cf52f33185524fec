/// A container image reference: `[registry[:port]/]path[:tag][@digest]`, as the Docker distribution grammar has it.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The reference as written.
    public var text: String
    /// The part before the tag and digest: `localhost/berth-example-web`.
    public var repository: String
    public var tag: String?
    public var digest: String?

    public init(parsing text: String) throws(ValueError) {
        guard !text.isEmpty else { throw ValueError("empty image reference") }
        guard text.count <= 255 else { throw ValueError("image reference longer than 255 characters") }
        var name = Substring(text)
        var digest: String?
        if let at = name.firstIndex(of: "@") {
            let value = name[name.index(after: at)...]
            let pieces = value.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, pieces[0].allSatisfy(Self.isAlgorithmCharacter),
                  pieces[1].count >= 32, pieces[1].allSatisfy(\.isHexDigit) else {
                throw ValueError("'\(text)' has a malformed digest; expected @sha256:<hex>")
            }
            digest = String(value)
            name = name[..<at]
        }
        var tag: String?
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            let value = name[name.index(after: colon)...]
            guard let first = value.first, first.isLetter || first.isNumber || first == "_",
                  value.count <= 128, value.allSatisfy(Self.isTagCharacter) else {
                throw ValueError("'\(text)' has an invalid tag '\(value)'; a tag is letters, digits, '_', '.' and '-'")
            }
            tag = String(value)
            name = name[..<colon]
        }
        var components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = components.first, !first.isEmpty else {
            throw ValueError("'\(text)' is not an image reference")
        }
        // A first component with a '.' or ':' or named localhost is a registry host, which may have a port.
        if components.count > 1, first.contains(".") || first.contains(":") || first == "localhost" {
            guard first.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
                throw ValueError("'\(text)' has an invalid registry host '\(first)'")
            }
            components.removeFirst()
        }
        for component in components {
            guard Self.isPathComponent(component) else {
                throw ValueError(
                    "'\(text)' is not a valid image reference: '\(component)' must be lowercase letters, digits and separators (., _, __, -)"
                )
            }
        }
        self.text = text
        self.repository = String(name)
        self.tag = tag
        self.digest = digest
    }

    public var description: String { text }

    private static func isTagCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-")
    }

    private static func isAlgorithmCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber || c == "+" || c == "." || c == "_" || c == "-")
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    private static func isPathComponent(_ component: Substring) -> Bool {
        guard let first = component.first, let last = component.last,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        var previous: Character = first
        var separatorRun = ""
        for c in component.dropFirst() {
            if isLowerAlphanumeric(c) {
                guard separatorRun.isEmpty || ["." , "_", "__"].contains(separatorRun) || separatorRun.allSatisfy({ $0 == "-" }) else {
                    return false
                }
                separatorRun = ""
            } else if c == "." || c == "_" || c == "-" {
                separatorRun.append(c)
            } else {
                return false
            }
            previous = c
        }
        _ = previous
        return separatorRun.isEmpty
    }

    private static func isLowerAlphanumeric(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber)
    }
}
