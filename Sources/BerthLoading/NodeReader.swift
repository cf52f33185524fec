import BerthYAML
import BerthModel
import BerthCore

/// Reads typed values out of YAML nodes and collects a diagnostic, with its key path, for each
/// one that does not fit. Every reader returns nil for a value it reported, so decoding goes on
/// and one run reports every problem.
struct NodeReader {
    private var collected = BoundedDiagnostics()
    var diagnostics: [Diagnostic] { collected.all }
    /// Errors so far; callers compare counts to learn whether a part of the file was valid.
    var errorCount: Int { collected.errorCount }

    mutating func add(_ diagnostic: Diagnostic) {
        collected.append(diagnostic)
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
        guard node.isMapping else {
            notMapping(node, path)
            return nil
        }
        let count = node.pairCount
        var names: [String] = []
        names.reserveCapacity(count)
        // The positions of the pairs taken, made only once one is left out: a null value is
        // absent (as in `mapping`), an unknown key is reported.
        var taken: [Int]?
        var nulledRequired: [String] = []
        for position in 0..<count {
            if node.valueIsNull(at: position) {
                if taken == nil { taken = Array(0..<position) }
                // Null is absent, but an unknown key is a mistake whatever its value, and a required one
                // set to null is reported at the null.
                let name = node.keyName(at: position)
                if !schema.contains(name) {
                    error(node.key(at: position).location, path, "unknown key '\(name)'\(Suggestion.didYouMean(name, in: schema.keys))")
                } else if schema.required.contains(name) {
                    nulledRequired.append(name)
                    error(node.value(at: position).location, NodeReader.join(path, name), "'\(name)' is required, and null leaves it out")
                }
                continue
            }
            let name = node.keyName(at: position)
            if schema.contains(name) {
                names.append(name)
                taken?.append(position)
                continue
            }
            if taken == nil { taken = Array(0..<position) }
            error(node.key(at: position).location, path, "unknown key '\(name)'\(Suggestion.didYouMean(name, in: schema.keys))")
        }
        for required in schema.required where !names.contains(required) && !nulledRequired.contains(required) {
            error(key ?? node.location, path, "missing required key '\(required)'")
        }
        let pairs = taken.map { MappingPairs(node, positions: $0) } ?? MappingPairs(node, count: count)
        return Fields(pairs: pairs, names: names, location: key ?? node.location, path: path)
    }

    /// A mapping's pairs, whatever its keys. A key set to null removes what an environment inherits; the
    /// overlay has done that already, so a null still here removed nothing, which is a mistake (a
    /// misspelt name, or a value meant to be empty).
    mutating func mapping(_ node: YAMLNode, _ path: @autoclosure () -> String) -> MappingPairs? {
        guard node.isMapping else {
            notMapping(node, path())
            return nil
        }
        let count = node.pairCount
        let nulls = (0..<count).filter { node.valueIsNull(at: $0) }
        guard !nulls.isEmpty else { return MappingPairs(node, count: count) }
        let kept = (0..<count).filter { !node.valueIsNull(at: $0) }
        let names = kept.map { node.keyName(at: $0) }
        for position in nulls {
            let name = node.keyName(at: position)
            error(
                node.key(at: position).location, NodeReader.join(path(), name),
                "null removes nothing here: nothing named '\(name)' is inherited\(Suggestion.didYouMean(name, in: names)) (for an empty value, write \"\")"
            )
        }
        return MappingPairs(node, positions: kept)
    }

    private mutating func notMapping(_ node: YAMLNode, _ path: @autoclosure () -> String) {
        if node.isReported { return }
        error(node.location, path(), "expected a mapping, found \(node.kindName)")
    }

    mutating func list(_ node: YAMLNode, _ path: @autoclosure () -> String) -> SequenceItems? {
        guard node.isSequence else {
            if node.isReported { return nil }
            error(node.location, path(), "expected a list, found \(node.kindName)")
            return nil
        }
        return SequenceItems(node)
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

    /// A number, whole or with a fraction (`1`, `0.5`), at least `minimum` and at most `maximum` when there is one.
    mutating func number(_ node: YAMLNode, _ path: @autoclosure () -> String, minimum: Double, maximum: Double? = nil) -> Double? {
        guard let scalar = node.scalar, scalar.int != nil || scalar.looksLikeFloat, let value = Double(scalar.text), value.isFinite else {
            if node.isReported { return nil }
            error(node.location, path(), "expected a number, found \(node.kindName)")
            return nil
        }
        let bounds = maximum.map { "\(JSONValue.numberText(minimum)) to \(JSONValue.numberText($0))" } ?? "at least \(JSONValue.numberText(minimum))"
        guard value >= minimum, value <= maximum ?? value else {
            error(node.location, path(), "\(scalar.text) is out of range (\(bounds))")
            return nil
        }
        return value
    }

    /// A duration (`500ms`, `1m30s`) within `range`.
    mutating func duration(_ node: YAMLNode, _ path: @autoclosure () -> String, in range: ClosedRange<TimeSpan>) -> TimeSpan? {
        guard let value = parse(node, path(), TimeSpan.init(parsing:)) else { return nil }
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

/// One pair of a mapping, read from the mapping by position: its key's text is made only when asked for.
struct MappingPair {
    let mapping: YAMLNode
    let position: Int

    var key: YAMLNode { mapping.key(at: position) }
    var value: YAMLNode { mapping.value(at: position) }
    var name: String { mapping.keyName(at: position) }
}

/// Pairs of a mapping node, all of them or those at chosen positions, read in place.
struct MappingPairs: RandomAccessCollection {
    let mapping: YAMLNode
    /// The positions of the pairs taken; nil when every pair is.
    private let positions: [Int]?
    let endIndex: Int

    init(_ mapping: YAMLNode, count: Int) {
        self.mapping = mapping
        positions = nil
        endIndex = count
    }

    init(_ mapping: YAMLNode, positions: [Int]) {
        self.mapping = mapping
        self.positions = positions
        endIndex = positions.count
    }

    var startIndex: Int { 0 }

    subscript(index: Int) -> MappingPair {
        MappingPair(mapping: mapping, position: positions?[index] ?? index)
    }
}

/// The items of a sequence node, read in place.
struct SequenceItems: RandomAccessCollection {
    let sequence: YAMLNode
    let endIndex: Int

    init(_ sequence: YAMLNode) {
        self.sequence = sequence
        endIndex = sequence.itemCount
    }

    var startIndex: Int { 0 }

    subscript(index: Int) -> YAMLNode { sequence.item(at: index) }
}

/// The known keys of a mapping, looked up by name.
///
/// A class: the decoder's closures capture it many times per mapping, and a reference is copied
/// at the cost of one count, not one per stored array and string.
final class Fields {
    let pairs: MappingPairs
    /// The key of each pair, in order.
    private let names: [String]
    let location: SourceLocation
    let path: String

    init(pairs: MappingPairs, names: [String], location: SourceLocation, path: String) {
        self.pairs = pairs
        self.names = names
        self.location = location
        self.path = path
    }

    subscript(key: String) -> YAMLNode? {
        guard let index = names.firstIndex(of: key) else { return nil }
        return pairs[index].value
    }

    func keyLocation(_ key: String) -> SourceLocation? {
        guard let index = names.firstIndex(of: key) else { return nil }
        return pairs[index].key.location
    }

    /// The key of the pair at `index` of `pairs`.
    func name(at index: Int) -> String { names[index] }

    func path(_ key: String) -> String { NodeReader.join(path, key) }
}
