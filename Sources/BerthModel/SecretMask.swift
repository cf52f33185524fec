import Foundation
/// Placeholder until the real mask lands.
public struct SecretMask: Sendable {
    public static let placeholder = "(sensitive)"
    let values: [String]
    let linePrefixes: [String]
    let keepingOnly: Set<String>?

    public init(values: [String], linePrefixes: [String], keepingOnly: Set<String>? = nil) {
        self.values = values.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
        self.linePrefixes = linePrefixes
        self.keepingOnly = keepingOnly
    }

    public func mask(_ text: String) -> String {
        var text = text
        for value in values { text = text.replacingOccurrences(of: value, with: Self.placeholder) }
        return text
    }

    public static func linePrefixes(template: String, secretPlaceholders: Set<String>) -> (prefixes: [String], hasBarePlaceholder: Bool) {
        ([], false)
    }
}
