import BerthYAML
import BerthModel

extension YAMLNode {
    /// This node laid over `base`, the rule of `extends:`: mappings merge by key, a key set to
    /// null removes it (readers take any remaining null as absent), and anything else (lists, scalars) replaces what the base had.
    /// Where the schema names keys as alternatives (a secret's `env` and `value`), setting one
    /// drops the others the base had. Locations stay with the file each value came from.
    func overlaid(on base: YAMLNode?, schema: Schema?) -> YAMLNode {
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
                // A required key set to null stays, so that the error is reported at the null that removed it.
                if object?.required.contains(pair.name) == true { result.append(pair) }
                continue
            }
            let child = Self.childSchema(schema, key: pair.name)
            result.append(YAMLPair(key: pair.key, value: pair.value.overlaid(on: basePair.value, schema: child)))
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
