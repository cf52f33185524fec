/// A value bound to a statement's parameter or read from a result column.
///
/// PostgreSQL answers in text: its integer columns (`smallint`, `integer`, `bigint`) come back as
/// `.integer` and every other non-null column as `.text` (a `boolean` as `"t"` or `"f"`, a
/// `numeric` as its digits). SQLite answers with the storage class of each value; a blob comes
/// back as `.text` of its bytes.
public enum SQLValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLValue: CustomStringConvertible {
    /// The value as SQL would write it, for messages and test output.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'" + value.replacingAll("'", with: "''") + "'"
        }
    }
}

extension String {
    /// `self` with every `target` replaced (without Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
