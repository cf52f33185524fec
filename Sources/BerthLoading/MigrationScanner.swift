import BerthYAML
import BerthModel
import BerthCore

/// Lists a migrations folder: `V<version>__<description>.sql` to apply, `U<version>__<description>.sql`
/// to undo one. Any other `.sql` name, a version used twice, or an undo with no migration is an error,
/// reported at the `database.migrations` key with the file's name.
struct MigrationScanner {
    let context: LoadContext
    let location: SourceLocation
    var diagnostics: [Diagnostic] = []

    init(context: LoadContext, location: SourceLocation) {
        self.context = context
        self.location = location
    }

    struct Name: Hashable {
        var isUndo: Bool
        var version: MigrationVersion
        var description: String
    }

    /// `V1__init.sql` -> (false, 1, "init"); nil for a name out of pattern.
    static func parse(_ file: String) -> Name? {
        guard file.hasSuffix(".sql"), let prefix = file.first, prefix == "V" || prefix == "U" else { return nil }
        let stem = file.dropFirst().dropLast(4)
        let characters = Array(stem)
        guard let separator = characters.indices.dropLast().first(where: { characters[$0] == "_" && characters[$0 + 1] == "_" })
        else { return nil }
        let description = String(characters[(separator + 2)...])
        guard let version = MigrationVersion(String(characters[..<separator])), !description.isEmpty,
              description.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return nil }
        return Name(isUndo: prefix == "U", version: version, description: String(description.map { $0 == "_" ? " " : $0 }))
    }

    mutating func scan(_ directory: String) -> [Migration] {
        let listed: [FileName]
        do {
            listed = try context.fileSystem.contentsOfDirectory(atPath: directory)
        } catch {
            diagnostics.append(.error(at: location, "database.migrations: cannot list \(context.display(directory)): \(error.reason)"))
            return []
        }
        // A name that is not UTF-8 text cannot follow the pattern; shown with `\xE9` escapes, it is named as it is.
        for file in listed where file.text == nil && file.description.lowercased().hasSuffix(".sql") {
            diagnostics.append(.error(
                at: location, "database.migrations: the name '\(file)' is not UTF-8 text; rename it V<version>__<description>.sql"
            ))
        }
        let entries = listed.compactMap(\.text)
        var migrations: [MigrationVersion: (migration: Migration, file: String)] = [:]
        var undos: [(name: Name, file: String)] = []
        for file in entries where !file.hasSuffix(".sql") && file.lowercased().hasSuffix(".sql") {
            diagnostics.append(.warning(
                at: location, "database.migrations: '\(file)' is not read: migration files end in .sql, in lower case"
            ))
        }
        for file in entries where file.hasSuffix(".sql") {
            guard let name = Self.parse(file) else {
                diagnostics.append(.error(
                    at: location,
                    "database.migrations: '\(file)' does not match V<version>__<description>.sql (or U<version>__<description>.sql for an undo)"
                ))
                continue
            }
            // A migration is a regular file: a folder, a pipe or a dangling link named like one is a mistake.
            if let problem = context.fileSystem.entryKind(atPath: directory + "/" + file).notAFile {
                diagnostics.append(.error(at: location, "database.migrations: '\(file)' \(problem)"))
                continue
            }
            if name.isUndo {
                undos.append((name, file))
                continue
            }
            if let other = migrations[name.version] {
                diagnostics.append(.error(at: location, "database.migrations: '\(file)' and '\(other.file)' have the same version \(name.version)"))
                continue
            }
            let migration = Migration(version: name.version, description: name.description, path: directory + "/" + file)
            migrations[name.version] = (migration, file)
        }
        for (name, file) in undos {
            guard migrations[name.version] != nil else {
                diagnostics.append(.error(at: location, "database.migrations: the undo '\(file)' has no migration V\(name.version.text)__...sql"))
                continue
            }
            if migrations[name.version]?.migration.undoPath != nil {
                diagnostics.append(.error(at: location, "database.migrations: a second undo for version \(name.version): '\(file)'"))
                continue
            }
            migrations[name.version]?.migration.undoPath = directory + "/" + file
        }
        return migrations.values.map(\.migration).sorted { $0.version < $1.version }
    }
}
