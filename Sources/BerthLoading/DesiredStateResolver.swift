public import BerthModel

public import BerthCore

/// Reads what the desired state refers to (secret values, templates, migration files) and reduces it
/// to hashes: the `DesiredState` the planner compares. Secret values live only in `Resolution.secrets`
/// and the rendered config contents, in memory, for `apply` to write; they are never in the plan.
public struct DesiredStateResolver: Sendable {
    let fileSystem: any FileSystem
    let variables: [String: String]

    public init(fileSystem: any FileSystem = LocalFileSystem(), variables: [String: String]) {
        self.fileSystem = fileSystem
        self.variables = variables
    }

    public struct Resolution: Sendable {
        public var desired: DesiredState
        /// Secret name -> value. Never printed, logged or stored.
        public var secrets: [String: String]
        /// Config name -> rendered content (secrets filled in).
        public var renderedConfigs: [String: [UInt8]]
        /// Config name -> how to mask secret values in that file's text as it is found on disk.
        public var configMasks: [String: SecretMask]

        /// A config file's text as found on disk with every secret masked, for a plan's diff: nil when
        /// it is not UTF-8 or larger than `ConfigText.limit`.
        public func masked(config name: String, content: [UInt8]) -> String? {
            guard content.count <= ConfigText.limit, let text = String(validating: content, as: UTF8.self) else { return nil }
            let known = (configMasks[name] ?? SecretMask(values: Array(secrets.values), linePrefixes: [])).mask(text)
            return ConfigText.maskOld(known, new: desired.maskedConfigs[name] ?? "")
        }
    }

    /// Every problem at once: unset variables, unreadable files.
    public func resolve(_ environment: Environment) throws(ResolveError) -> Resolution {
        var problems: [String] = []
        var secrets: [String: String] = [:]
        for secret in environment.secrets {
            switch secret.source {
            case .literal(let value):
                secrets[secret.name] = value
            case .environmentVariable(let name):
                if let value = variables[name] { secrets[secret.name] = value }
                else { problems.append("secret \(secret.name): the environment variable \(name) is not set") }
            case .file(let path):
                do {
                    // A secret is text (it goes into environment variables and templates): bytes that are not
                    // UTF-8 are refused, never silently replaced.
                    guard var text = String(validating: try fileSystem.readFile(atPath: path), as: UTF8.self) else {
                        problems.append("secret \(secret.name): \(path) is not UTF-8 text")
                        continue
                    }
                    if text.hasSuffix("\n") { text.removeLast() }
                    secrets[secret.name] = text
                } catch {
                    problems.append("secret \(secret.name): cannot read \(path): \(error.reason)")
                }
            }
        }
        func value(_ value: ConfigValue) -> String {
            switch value {
            case .literal(let text): text
            case .secret(let name): secrets[name] ?? ""
            }
        }

        var rendered: [String: [UInt8]] = [:]
        var configHashes: [String: String] = [:]
        var maskedConfigs: [String: String] = [:]
        var masks: [String: SecretMask] = [:]
        let secretValues = Array(secrets.values)
        for config in environment.configs.files {
            do {
                let template = try fileSystem.readFile(atPath: config.template)
                let values = Dictionary(config.values.map { ($0.name, value($0.value)) }, uniquingKeysWith: { first, _ in first })
                let content = Template.render(template, values: values)
                rendered[config.name] = content
                configHashes[config.name] = SHA256.hex(content)
                // The same template with every secret as `(sensitive)`: what a plan may show of the new content.
                var shown = values
                var secretPlaceholders: Set<String> = []
                for item in config.values {
                    if case .secret = item.value {
                        shown[item.name] = SecretMask.placeholder
                        secretPlaceholders.insert(item.name)
                    }
                }
                let maskedContent = Template.render(template, values: shown)
                if maskedContent.count <= ConfigText.limit, let text = String(validating: maskedContent, as: UTF8.self),
                   let templateText = String(validating: template, as: UTF8.self) {
                    maskedConfigs[config.name] = text
                    let prefixes = SecretMask.linePrefixes(template: templateText, secretPlaceholders: secretPlaceholders)
                    let mask = SecretMask(values: secretValues, linePrefixes: prefixes.prefixes)
                    // A secret that starts a line, or spans lines, has no prefix to find it by in an old file:
                    // then every old line that is not also a line of the new content is masked whole.
                    let bare = prefixes.hasBarePlaceholder || secretValues.contains { $0.contains("\n") }
                    masks[config.name] = bare ? mask.maskingLinesAbsent(from: text) : mask
                }
            } catch {
                problems.append("config \(config.name): cannot read the template \(config.template): \(error.reason)")
            }
        }

        var checksums: [String: String] = [:]
        for migration in environment.database?.migrations ?? [] {
            do {
                checksums[migration.version.text] = SHA256.hex(try fileSystem.readFile(atPath: migration.path))
            } catch {
                problems.append("migration \(migration.version.text): cannot read \(migration.path): \(error.reason)")
            }
        }

        guard problems.isEmpty else { throw ResolveError(problems: problems) }
        let secretHashes = secrets.mapValues { SHA256.hex($0) }
        var specs: [String: ServiceSpec] = [:]
        for service in environment.services {
            specs[service.name] = ServiceSpec(service: service, configHashes: configHashes, secretHashes: secretHashes)
        }
        return Resolution(
            desired: DesiredState(
                environment: environment, configHashes: configHashes, migrationChecksums: checksums, specs: specs,
                maskedConfigs: maskedConfigs
            ),
            secrets: secrets, renderedConfigs: rendered, configMasks: masks
        )
    }
}

/// How much of a config file a plan shows as a diff, and how its old text is made safe to show.
public enum ConfigText {
    /// Larger files are compared by hash only.
    public static let limit = 256 * 1024

    /// The text of a file found on disk, which may hold values nobody knows any more (a rotated secret,
    /// one the template no longer names), made safe to show beside `new`, the masked new content. A line
    /// is shown as it is when the new content has it too, or when the new content gives its key
    /// (`KEY=`, `key:`) a value that is not a secret and the key does not look like a secret's name.
    /// A line whose key the new content has keeps only its key (`DB_PASSWORD=(sensitive)`); any other
    /// line is `(sensitive)`, since its "key" may be a fragment of an old secret.
    public static func maskOld(_ old: String, new: String) -> String {
        var newLines: Set<Substring> = []
        var shownKeys: Set<Substring> = []
        var secretKeys: Set<Substring> = []
        for line in new.split(separator: "\n", omittingEmptySubsequences: false) {
            newLines.insert(line)
            guard let key = key(of: line) else { continue }
            if line.contains(SecretMask.placeholder) { secretKeys.insert(key) } else { shownKeys.insert(key) }
        }
        let lines = old.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            if newLines.contains(line) { return line }
            guard let key = key(of: line) else { return Substring(SecretMask.placeholder) }
            let name = key.dropLast().trimmingCharacters(in: " \t\"'")
            if shownKeys.contains(key), !secretKeys.contains(key), !EnvironmentDecoder.looksSecret(name) { return line }
            // A key is only shown when the new content has it too: any other "key" may be part of an old secret.
            return shownKeys.contains(key) || secretKeys.contains(key) ? key + SecretMask.placeholder : Substring(SecretMask.placeholder)
        }
        return lines.joined(separator: "\n")
    }

    /// `KEY=` or `key:` at the start of a line (before any space in the value), nil when there is none.
    private static func key(of line: Substring) -> Substring? {
        guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }), separator > line.startIndex else { return nil }
        return line[...separator]
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

/// What kept the desired state from being resolved; names what is missing, never a value.
public struct ResolveError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
