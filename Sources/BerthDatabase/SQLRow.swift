/// One row of a result: the column names of the statement and this row's values, in the same order.
public struct SQLRow: Hashable, Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of the first column named `column`, or nil when the row has no such column.
    public subscript(column: String) -> SQLValue? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return values[index]
    }

    /// Text as it is; a number in its decimal form; nil for NULL or a missing column.
    public func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null, nil: nil
        }
    }

    /// An integer, or text holding one (PostgreSQL's `numeric` arrives as text); nil otherwise.
    public func int(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let value): value
        case .text(let value): Int64(value)
        case .real(let value): Int64(exactly: value)
        case .null, nil: nil
        }
    }

    /// A boolean as either database stores it: integer 0 or 1 (SQLite), `t` or `f` (PostgreSQL),
    /// or the text `true` or `false`; nil for anything else.
    public func bool(_ column: String) -> Bool? {
        switch self[column] {
        case .integer(0): false
        case .integer(1): true
        case .text(let value):
            switch value.lowercased() {
            case "t", "true": true
            case "f", "false": false
            default: nil
            }
        default: nil
        }
    }
}
