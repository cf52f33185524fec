/// The SQL a database speaks, for the few places where the two differ.
public enum SQLDialect: Hashable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// The placeholder of parameter `index` (1-based): `?1` for SQLite, `$1` for PostgreSQL.
    public func placeholder(_ index: Int) -> String {
        precondition(index >= 1, "parameters are numbered from 1")
        return switch self {
        case .sqlite: "?\(index)"
        case .postgres: "$\(index)"
        }
    }

    public var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}
