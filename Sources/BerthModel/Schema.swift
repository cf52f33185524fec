/// The shape of an environment file, described once.
///
/// The loader takes the keys it accepts from here (so an unknown key is caught, with a suggestion),
/// and `berth schema` turns the same description into JSON Schema for editors.
public indirect enum Schema: Sendable {
    /// Fixed keys; any other key is an error.
    case object(ObjectSchema)
    /// Keys the user chooses (service names, variable names), all with values of one shape.
    case map(values: Schema, description: String, keyPattern: String? = nil)
    case array(items: Schema, description: String)
    case string(StringSchema)
    case integer(description: String, minimum: Int? = nil, maximum: Int? = nil)
    /// A number that may have a fraction.
    case number(description: String, minimum: Double? = nil, maximum: Double? = nil)
    case boolean(description: String)
    /// Any of several shapes (a command as a string or as a list).
    case anyOf([Schema], description: String)

    public var description: String {
        switch self {
        case .object(let object): object.description
        case .map(_, let description, _), .array(_, let description), .integer(let description, _, _),
             .number(let description, _, _), .boolean(let description), .anyOf(_, let description):
            description
        case .string(let string): string.description
        }
    }

    public static func string(
        _ description: String, pattern: String? = nil, oneOf values: [String]? = nil
    ) -> Schema {
        .string(StringSchema(description: description, pattern: pattern, values: values))
    }
}

public struct ObjectSchema: Sendable {
    public struct Property: Sendable {
        public var name: String
        public var schema: Schema

        public init(_ name: String, _ schema: Schema) {
            self.name = name
            self.schema = schema
        }
    }

    public var description: String
    public var properties: [Property]
    public var required: [String]
    /// Keys that are alternatives to each other (a secret's `env`, `file`, `value`): an overlay
    /// that sets one of them drops the others it inherits.
    public var alternatives: [String]

    public init(_ description: String, required: [String] = [], alternatives: [String] = [], _ properties: [Property]) {
        self.description = description
        self.properties = properties
        self.required = required
        self.alternatives = alternatives
    }

    public func property(_ key: String) -> Schema? { properties.first { $0.name == key }?.schema }

    public var keys: [String] { properties.map(\.name) }

    public func contains(_ key: String) -> Bool { properties.contains { $0.name == key } }
}

public struct StringSchema: Sendable {
    public var description: String
    /// A regular expression (ECMA-262, as JSON Schema uses).
    public var pattern: String?
    /// The only values allowed, when there is such a list.
    public var values: [String]?
}
