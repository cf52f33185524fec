import BerthCore

/// `berth init`: the files of a starter project that validates: a base with one commented service,
/// one file per environment extending it, an empty migrations folder, and the JSON Schema that the
/// files' `yaml-language-server` comment points editors at. Pure: the command writes them.
public enum StarterProject {
    public struct File: Hashable, Sendable {
        /// Relative to the project folder.
        public var path: String
        public var text: String
    }

    /// - Parameters:
    ///   - project: the `berth.project` label; made of `[a-z0-9_-]`, as every name.
    ///   - environments: the environments' names (`dev` when none).
    public static func files(project: String, environments: [String]) -> [File] {
        let names = environments.isEmpty ? ["dev"] : environments
        var files = [
            File(path: "environments/base.yaml", text: """
                # yaml-language-server: $schema=../schemas/environment.schema.json
                #
                # What every environment shares. Each environment file `extends: base` and changes only what
                # differs: mappings merge by key, lists replace, a key set to null is removed.
                project: \(project)

                services:
                  web:
                    # An image the engine has (Berth never pulls): build or load it first.
                    image: localhost/\(project)-web:1.0.0
                    replicas: 1
                    # ports: ["127.0.0.1:8080:80"]
                    # healthcheck:
                    #   url: http://localhost:80/health

                """),
            File(path: "environments/migrations/README.md", text: """
                SQL migrations, applied in version order: `V1__create_things.sql`, and optionally
                `U1__create_things.sql` to undo one. Add `database: { url: ..., migrations: migrations }` to an
                environment to use them.

                """),
            File(path: "schemas/environment.schema.json", text: SchemaDocument.json().jsonText()),
        ]
        for name in names {
            let production = name == "production" ? "\n# Production: secrets only by reference (env or file), never written here.\n" : ""
            files.append(File(path: "environments/\(name).yaml", text: """
                # yaml-language-server: $schema=../schemas/environment.schema.json
                #
                # The \(name) environment.\(production)
                extends: base

                """))
        }
        return files
    }

    /// A project name made from a folder's name: lower case, other characters as `-`, at most 63 bytes.
    public static func projectName(fromFolder folder: String) -> String {
        let lowered = folder.lowercased().map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-") ? character : "-"
        }
        let trimmed = String(lowered).trimmingCharacters(in: ["-", "_"])
        let name = String(trimmed.prefix(63))
        return name.isEmpty ? "app" : name
    }
}
