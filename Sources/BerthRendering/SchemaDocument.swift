import BerthModel
public import BerthCore

/// JSON Schema (draft-07, which editors' YAML support reads) of the environment file,
/// generated from `EnvironmentSchema`. Every key may also be null: null removes an inherited key.
/// Required keys are not marked: a file that `extends` another may leave them to it, and
/// `berth validate` checks them after the overlay.
public enum SchemaDocument {
    public static let id = "https://berth.dev/schemas/environment.schema.json"

    public static func json() -> JSONValue {
        var members: [JSONValue.Member] = [
            .init("$schema", .string("http://json-schema.org/draft-07/schema#")),
            .init("$id", .string(id)),
            .init("title", .string("Berth environment")),
        ]
        if case .object(let root) = object(EnvironmentSchema.environment) { members += root }
        return .object(members)
    }

    static func json(_ schema: Schema) -> JSONValue {
        switch schema {
        case .object(let object):
            return self.object(object)
        case .map(let values, let description, let keyPattern):
            return .object([
                "description": .string(description),
                "type": .string("object"),
                "propertyNames": keyPattern.map { .object(["pattern": .string($0)]) },
                "additionalProperties": nullable(values),
            ])
        case .array(let items, let description):
            return .object(["description": .string(description), "type": .string("array"), "items": json(items)])
        case .string(let string):
            return .object([
                "description": .string(string.description),
                "type": .string("string"),
                "pattern": string.pattern.map(JSONValue.string),
                "enum": string.values.map(JSONValue.strings),
            ])
        case .integer(let description, let minimum, let maximum):
            return bounded(description, type: "integer", minimum.map(JSONValue.int), maximum.map(JSONValue.int))
        case .number(let description, let minimum, let maximum):
            return bounded(description, type: "number", minimum.map(JSONValue.number), maximum.map(JSONValue.number))
        case .boolean(let description):
            return .object(["description": .string(description), "type": .string("boolean")])
        case .anyOf(let options, let description):
            return .object(["description": .string(description), "anyOf": .array(options.map(json))])
        }
    }

    /// An integer or a number, with its bounds when it has them.
    private static func bounded(_ description: String, type: String, _ minimum: JSONValue?, _ maximum: JSONValue?) -> JSONValue {
        .object(["description": .string(description), "type": .string(type), "minimum": minimum, "maximum": maximum])
    }

    static func object(_ object: ObjectSchema) -> JSONValue {
        let required = object.required.isEmpty ? "" : " Required (here or in what the file extends): \(object.required.joined(separator: ", "))."
        return .object([
            "description": .string(object.description + required),
            "type": .string("object"),
            "properties": .object(object.properties.map { JSONValue.Member($0.name, nullable($0.schema)) }),
            "additionalProperties": .bool(false),
        ])
    }

    /// The schema, or null (which removes an inherited key).
    static func nullable(_ schema: Schema) -> JSONValue {
        .object(["anyOf": .array([json(schema), .object(["type": .string("null")])])])
    }
}
