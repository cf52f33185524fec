import BerthYAML
import BerthModel
import BerthCore

extension YAMLNode {
    /// This node laid over `base`, the rule of `extends:`: mappings merge by key, a key set to
    /// null removes it (readers take any remaining null as absent), and anything else (lists, scalars) replaces what the base had.
    /// Where the schema names keys as alternatives (a secret's `env` and `value`), setting one
    /// drops the others the base had. Locations stay with the file each value came from.
    /// Each removal is recorded in `removals` under its key path (`path` is this node's).
    func overlaid(on base: YAMLNode?, schema: Schema?, path: [String] = [], removals: inout Removals) -> YAMLNode {
        guard case .mapping(let pairs) = content else { return self }
        guard let base, case .mapping(var basePairs) = base.content else { return self }
        let object = schema.flatMap(Self.objectSchema)
        if let alternatives = object?.alternatives, pairs.contains(where: { alternatives.contains($0.name) }) {
            basePairs.removeAll { alternatives.contains($0.name) }
        }
        var result: [YAMLPair] = []
        result.reserveCapacity(basePairs.count + pairs.count)
        var overrides: [String: YAMLPair] = [:]
        for pair in pairs { overrides[pair.name] = pair }
        for basePair in basePairs {
            guard let pair = overrides.removeValue(forKey: basePair.name) else {
                result.append(basePair)
                continue
            }
            if pair.value.isNull {
                removals.record(path + [pair.name], at: pair.value.location)
                // A required key set to null stays, so that the error is reported at the null that removed it.
                if object?.required.contains(pair.name) == true { result.append(pair) }
                continue
            }
            let child = Self.childSchema(schema, key: pair.name)
            let value = pair.value.overlaid(on: basePair.value, schema: child, path: path + [pair.name], removals: &removals)
            result.append(YAMLPair(key: pair.key, value: value))
        }
        // Keys the base lacks; a null among them stays, and readers take it as absent.
        for pair in pairs where overrides[pair.name] != nil {
            result.append(pair)
        }
        return YAMLNode(.mapping(result), at: location)
    }

    /// The object shape of a mapping's schema, looking through `anyOf`.
    private static func objectSchema(_ schema: Schema) -> ObjectSchema? {
        switch schema {
        case .object(let object): return object
        case .anyOf(let options, _): return options.lazy.compactMap(objectSchema).first
        default: return nil
        }
    }

    /// The schema of the value under `key` of a mapping with schema `schema`.
    private static func childSchema(_ schema: Schema?, key: String) -> Schema? {
        switch schema {
        case .object(let object)?: return object.property(key)
        case .map(let values, _, _)?: return values
        case .anyOf(let options, _)?:
            for option in options {
                if case .object = option, let child = childSchema(option, key: key) { return child }
                if case .map = option { return childSchema(option, key: key) }
            }
            return nil
        default: return nil
        }
    }
}

/// The keys that nulls removed from what an environment inherits, by key path (`["secrets", "db_password"]`),
/// so that a use of a removed secret, config or service is reported at the null that removed it.
struct Removals {
    struct Removal: Hashable {
        var path: [String]
        /// The null's place.
        var location: SourceLocation
    }

    private var nulls: [[String]: (order: Int, location: SourceLocation)] = [:]
    private var recorded = 0

    /// Files are laid over their bases in order, so a later record is a null of a file nearer the environment.
    mutating func record(_ path: [String], at location: SourceLocation) {
        nulls[path] = (recorded, location)
        recorded += 1
    }

    /// The null that removed what `path` names, itself or with a key above it (`secrets: null`); the
    /// nearest to the environment when several did. Asked only about something absent, which the last
    /// null on its path removed: nothing but a null takes away what a file declares.
    func removal(of path: [String]) -> Removal? {
        var found: (order: Int, removal: Removal)?
        for length in stride(from: path.count, to: 0, by: -1) {
            let prefix = Array(path.prefix(length))
            if let null = nulls[prefix], null.order > found?.order ?? -1 {
                found = (null.order, Removal(path: prefix, location: null.location))
            }
        }
        return found?.removal
    }
}
