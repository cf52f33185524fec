import BerthYAML
import BerthModel

/// Reads typed values out of YAML nodes and collects a diagnostic, with its key path, for each
/// one that does not fit. Every reader returns nil for a value it reported, so decoding goes on
/// and one run reports every problem.
struct NodeReader {
    private(set) var diagnostics: [Diagnostic] = []
    /// Errors so far; callers compare counts to learn whether a part of the file was valid.
    private(set) var errorCount = 0

    mutating func add(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
        if diagnostic.severity == .error { errorCount += 1 }
    }

    mutating func add(contentsOf more: [Diagnostic]) {
        for diagnostic in more { add(diagnostic) }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
    static func join(_ path: String, index: Int) -> String { "\(path)[\(index)]" }

    mutating func error(_ location: SourceLocation, _ path: @autoclosure () -> String, _ message: String) {
        let path = path()
        add(.error(at: location, path.isEmpty ? message : "\(path): \(message)"))
    }

    mutating func warning(_ location: SourceLocation, _ path: @autoclosure () -> String, _ message: String) {
        let path = path()
        add(.warning(at: location, path.isEmpty ? message : "\(path): \(message)"))
    }

    /// The keys of a mapping with fixed keys. Unknown keys are reported with a suggestion,
    /// missing required keys at the mapping.
    /// `key` is where the mapping is named (`web:`), where a missing key is reported.
    mutating func fields(_ node: YAMLNode, _ path: String, _ schema: ObjectSchema, key: SourceLocation? = nil) -> Fields? {
        guard let pairs = mapping(node, path) else { return nil }
        var known: [YAMLPair] = []
        let allKnown = pairs.allSatisfy { schema.contains($0.name) }
        for pair in pairs where !allKnown {
            if schema.contains(pair.name) {
                known.append(pair)
            } else {
                error(
                    pair.key.location, path,
                    "unknown key '\(pair.name)'\(Suggestion.didYouMean(pair.name, in: schema.keys))"
                )
            }
        }
        if allKnown { known = pairs }
        for required in schema.required where !known.contains(where: { $0.name == required }) {
            error(key ?? node.location, path, "missing required key '\(required)'")
        }
        return Fields(pairs: known, location: key ?? node.location, path: path)
    }

    /// A mapping's pairs, whatever its keys; a key whose value is null is absent (that is how an
    /// overlay removes what it inherits).
    mutating func mapping(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [YAMLPair]? {
        guard let pairs = node.mapping else {
            if node.isReported { return nil }
            error(node.location, path(), "expected a mapping, found \(node.kindName)")
            return nil
        }
        guard pairs.contains(where: { $0.value.isNull }) else { return pairs }
        return pairs.filter { !$0.value.isNull }
    }

    mutating func list(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [YAMLNode]? {
        guard let items = node.sequence else {
            if node.isReported { return nil }
            error(node.location, path(), "expected a list, found \(node.kindName)")
            return nil
        }
        return items
    }

    /// Text. Integers and booleans are taken as their text; a plain scalar that other YAML
    /// readers would take for a number or a boolean gets a warning, since the meaning differs between tools.
    mutating func string(_ node: YAMLNode, _ path: @autoclosure () -> String) -> String? {
        guard let scalar = node.scalar, !scalar.isNull, !node.isReported else {
            if node.isReported { return nil }
            error(node.location, path(), "expected a string, found \(node.kindName)")
            return nil
        }
        if scalar.looksLikeFloat {
            warning(
                node.location, path(),
                "\(scalar.text) is a number to other YAML tools (\(scalar.text) may read as \(Self.floatShown(scalar.text))); Berth reads the string \"\(scalar.text)\": quote it to say so"
            )
        } else if scalar.looksLikeYAML11Bool {
            warning(
                node.location, path(),
                "\(scalar.text) is a boolean to YAML 1.1 tools; Berth reads the string \"\(scalar.text)\": quote it to say so"
            )
        }
        return scalar.text
    }

    private static func floatShown(_ text: String) -> String {
        guard let value = Double(text) else { return "a float" }
        return "\(value)"
    }

    mutating func strings(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [String]? {
        guard let items = list(node, path()) else { return nil }
        var result: [String] = []
        var ok = true
        for (index, item) in items.enumerated() {
            if let text = string(item, Self.join(path(), index: index)) { result.append(text) } else { ok = false }
        }
        return ok ? result : nil
    }

    mutating func int(_ node: YAMLNode, _ path: @autoclosure () -> String, in range: ClosedRange<Int>) -> Int? {
        guard let value = node.scalar?.int else {
            if node.isReported { return nil }
            error(node.location, path(), "expected an integer, found \(node.kindName)")
            return nil
        }
        guard range.contains(value) else {
            error(node.location, path(), "\(value) is out of range (\(range.lowerBound) to \(range.upperBound))")
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode, _ path: @autoclosure () -> String) -> Bool? {
        guard let value = node.scalar?.bool else {
            if node.isReported { return nil }
            let hint = node.scalar?.looksLikeYAML11Bool == true ? "; write true or false" : ""
            error(node.location, path(), "expected true or false, found \(node.kindName)\(hint)")
            return nil
        }
        return value
    }

    /// A string parsed by `parse`; its error is reported at the node.
    mutating func parse<T>(_ node: YAMLNode, _ path: @autoclosure () -> String, _ parse: (String) throws(ValueError) -> T) -> T? {
        guard let text = string(node, path()) else { return nil }
        do {
            return try parse(text)
        } catch {
            self.error(node.location, path(), error.message)
            return nil
        }
    }

    /// One of a fixed set of words.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: @autoclosure () -> String, _: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(node, path()) else { return nil }
        if let value = T(rawValue: text) { return value }
        let words = T.allCases.map(\.rawValue)
        error(node.location, path(), "'\(text)' is not one of \(words.joined(separator: ", "))\(Suggestion.didYouMean(text, in: words))")
        return nil
    }
}

/// The known keys of a mapping, looked up by name.
///
/// A class: the decoder's closures capture it many times per mapping, and a reference is copied
/// at the cost of one count, not one per stored array and string.
final class Fields {
    let pairs: [YAMLPair]
    let location: SourceLocation
    let path: String

    init(pairs: [YAMLPair], location: SourceLocation, path: String) {
        self.pairs = pairs
        self.location = location
        self.path = path
    }

    subscript(key: String) -> YAMLNode? {
        guard let index = index(of: key) else { return nil }
        return pairs[index].value
    }

    func keyLocation(_ key: String) -> SourceLocation? {
        guard let index = index(of: key) else { return nil }
        return pairs[index].key.location
    }

    private func index(of key: String) -> Int? {
        for index in pairs.indices where pairs[index].name == key { return index }
        return nil
    }

    func path(_ key: String) -> String { NodeReader.join(path, key) }
}
