/// The application's database and the migrations Berth applies to it.
public struct Database: Hashable, Sendable, Codable {
    public var location: DatabaseLocation
    /// Absolute path of the folder holding `V<version>__<description>.sql` files.
    public var migrationsDirectory: String
    /// In version order.
    public var migrations: [Migration]
    /// `migrate_to`: the highest version this environment applies (a promotion writes the version its
    /// source ran); nil applies every migration in the folder.
    public var migrateTo: MigrationVersion?
    /// `refresh.mask`: an SQL file (absolute) run in the same transaction after `refresh-data` restores
    /// another environment's backup here.
    public var refreshMask: String?

    public init(
        location: DatabaseLocation, migrationsDirectory: String, migrations: [Migration], migrateTo: MigrationVersion? = nil,
        refreshMask: String? = nil
    ) {
        self.migrateTo = migrateTo
        self.refreshMask = refreshMask
        self.location = location
        self.migrationsDirectory = migrationsDirectory
        self.migrations = migrations
    }
}

public struct Migration: Hashable, Sendable, Codable {
    public var version: MigrationVersion
    public var description: String
    /// Absolute path of the `V...sql` file.
    public var path: String
    /// Absolute path of the matching `U<version>__<description>.sql`, if there is one.
    public var undoPath: String?

    public init(version: MigrationVersion, description: String, path: String, undoPath: String? = nil) {
        self.version = version
        self.description = description
        self.path = path
        self.undoPath = undoPath
    }
}

/// A migration version as written (`3`, `0003`, `1.2`), ordered by its numeric parts:
/// `0003` and `3` are the same version.
public struct MigrationVersion: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let text: String
    public let parts: [Int]

    /// Digits, optionally in parts separated by `.` or `_` (`1`, `0003`, `1.2`, `2_1`).
    public init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        var parts: [Int] = []
        for piece in pieces {
            guard !piece.isEmpty, piece.count <= 18, piece.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(piece) else { return nil }
            parts.append(value)
        }
        // Trailing zero parts do not make a new version: 1 and 1.0 are the same.
        while parts.count > 1, parts.last == 0 { parts.removeLast() }
        self.text = text
        self.parts = parts
    }

    public var description: String { text }

    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool { lhs.parts == rhs.parts }
    public func hash(into hasher: inout Hasher) { hasher.combine(parts) }
    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        lhs.parts.lexicographicallyPrecedes(rhs.parts)
    }
}
