/// A container image reference: `[registry[:port]/]path[:tag][@digest]`, as the Docker distribution grammar has it.
public struct ImageReference: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The reference as written.
    public var text: String
    /// The part before the tag and digest: `localhost/berth-example-web`.
    public var repository: String
    public var tag: String?
    public var digest: String?

    /// An image by the ID the engine gave it (`sha256:...`): the exact bits a release ran, whatever tag moved since.
    public init(imageID: String) {
        text = imageID
        repository = imageID
        tag = nil
        digest = nil
    }

    public init(parsing text: String) throws(ValueError) {
        // The grammar is ASCII: work on bytes.
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw ValueError("empty image reference") }
        guard bytes.count <= 255 else { throw ValueError("image reference longer than 255 characters") }
        if let scheme = text.range(of: "://") {
            throw ValueError("'\(text)' is a URL, not an image reference: drop the scheme, as in '\(text[scheme.upperBound...])'")
        }
        var nameEnd = bytes.count
        var digest: String?
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
            let value = bytes[(at + 1)...]
            guard let colon = value.firstIndex(of: UInt8(ascii: ":")),
                  value[..<colon].allSatisfy(Self.isAlgorithmByte), colon > value.startIndex,
                  bytes.count - colon - 1 >= 32, value[(colon + 1)...].allSatisfy(Self.isHexByte) else {
                throw ValueError("'\(text)' has a malformed digest; expected @sha256:<hex>")
            }
            digest = String(decoding: value, as: UTF8.self)
            nameEnd = at
        }
        var tag: String?
        if let colon = bytes[..<nameEnd].lastIndex(of: UInt8(ascii: ":")),
           !bytes[colon..<nameEnd].contains(UInt8(ascii: "/")) {
            let value = bytes[(colon + 1)..<nameEnd]
            guard let first = value.first, Self.isAlphanumeric(first) || first == UInt8(ascii: "_"),
                  value.count <= 128, value.allSatisfy(Self.isTagByte) else {
                throw ValueError("'\(text)' has an invalid tag '\(String(decoding: value, as: UTF8.self))'; a tag is letters, digits, '_', '.' and '-'")
            }
            tag = String(decoding: value, as: UTF8.self)
            nameEnd = colon
        }
        let name = bytes[..<nameEnd]
        var components = name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard let first = components.first, !first.isEmpty else {
            throw ValueError("'\(text)' is not an image reference")
        }
        // A first component with a '.' or ':' or named localhost is a registry host, which may have a port.
        if components.count > 1,
           first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":")) || first.elementsEqual("localhost".utf8) {
            guard first.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ":") })
            else {
                throw ValueError("'\(text)' has an invalid registry host '\(String(decoding: first, as: UTF8.self))'")
            }
            components.removeFirst()
        }
        for component in components where !Self.isPathComponent(component) {
            throw ValueError(
                "'\(text)' is not a valid image reference: '\(String(decoding: component, as: UTF8.self))' must be lowercase letters, digits and separators (., _, __, -)"
            )
        }
        self.text = text
        self.repository = String(decoding: name, as: UTF8.self)
        self.tag = tag
        self.digest = digest
    }

    public var description: String { text }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isTagByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    private static func isHexByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isAlgorithmByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    private static func isPathComponent(_ component: ArraySlice<UInt8>) -> Bool {
        guard let first = component.first, let last = component.last,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        var dots = 0, underscores = 0, dashes = 0
        for byte in component {
            switch byte {
            case UInt8(ascii: "."): dots += 1
            case UInt8(ascii: "_"): underscores += 1
            case UInt8(ascii: "-"): dashes += 1
            default:
                guard isLowerAlphanumeric(byte) else { return false }
                // A run of separators between two alphanumerics: '.', '_', '__' or any number of '-'.
                let separators = dots + underscores + dashes
                guard separators == 0 || (dots == 1 && separators == 1) || (underscores <= 2 && separators == underscores)
                        || separators == dashes else { return false }
                dots = 0; underscores = 0; dashes = 0
            }
        }
        return true
    }
}

extension ImageReference {
    /// An image ID as people read it: `sha256:0123456789abcdef...` -> `0123456789ab`.
    public static func shortID(_ id: String) -> String {
        String((id.hasPrefix("sha256:") ? id.dropFirst(7) : Substring(id)).prefix(12))
    }
}
