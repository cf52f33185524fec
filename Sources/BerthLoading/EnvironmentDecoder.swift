import BerthYAML
import BerthModel
import BerthCore

/// Decodes the merged tree of one environment into an `Environment`, collecting every problem.
///
/// Sections are read in the order references need them: secrets, configs and the database
/// before the services that name them, then the checks that need every service at once.
struct EnvironmentDecoder {
    let name: String
    let context: LoadContext
    /// What the nulls of the environment's files removed from their bases.
    let removals: Removals
    var reader = NodeReader()
    /// Uses of what a null removed, reported at the null once every use is known.
    private var removedUses: [RemovedUse] = []

    init(name: String, context: LoadContext, removals: Removals = Removals()) {
        self.name = name
        self.context = context
        self.removals = removals
    }

    var diagnostics: [Diagnostic] { reader.diagnostics }

    mutating func decode(_ root: YAMLNode) -> Environment? {
        guard let fields = reader.fields(root, "", EnvironmentSchema.environment) else { return nil }

        let project = fields["project"].flatMap { projectName($0) } ?? Self.defaultProjectName(context.projectRoot)
        let isProduction = fields["production"].flatMap { reader.bool($0, "production") } ?? (name == "production")
        if fields["production"] == nil, name != "production", Self.looksLikeProduction(name) {
            reader.warning(
                root.location, "production",
                "'\(name)' looks like a production environment, but only 'production' is one by its name: add production: true for its checks (no literal secrets)"
            )
        }
        let secrets = fields["secrets"].map { decodeSecrets($0, isProduction: isProduction) } ?? []
        // References are checked against what is declared, so a secret with a bad source is reported
        // once, not again at every reference.
        let secretNames = Set(fields["secrets"]?.mapping?.map(\.name) ?? [])
        let engine = decodeEngine(fields["engine"], key: fields.keyLocation("engine"))
        let state = decodeState(fields["state"], key: fields.keyLocation("state"), secrets: secretNames)
        let configs = decodeConfigs(fields["configs"], secrets: secretNames, isProduction: isProduction)
        let backups = decodeBackups(fields["backups"], key: fields.keyLocation("backups"), configRoot: configs.root)
        let database = fields["database"].flatMap { decodeDatabase($0, key: fields.keyLocation("database"), secrets: secretNames) }
        let parity = decodeParity(fields["parity"], key: fields.keyLocation("parity"))
        let promotion = decodePromotion(fields["promotion"], key: fields.keyLocation("promotion"))
        var checks = EnvironmentChecks()
        let proxy = fields["proxy"].flatMap { decodeProxy($0, key: fields.keyLocation("proxy"), configRoot: configs.root, &checks) }
        var services: [Service] = []
        if let node = fields["services"], let pairs = reader.mapping(node, "services") {
            let names = pairs.map(\.name)
            let scope = ServiceScope(
                serviceNames: Set(names),
                configNames: Set(fields["configs"]?["files"]?.mapping?.map(\.name) ?? []),
                secretNames: secretNames, hasDatabase: fields["database"] != nil, hasProxy: fields["proxy"] != nil,
                isProduction: isProduction
            )
            services.reserveCapacity(pairs.count)
            for (pair, name) in zip(pairs, names) {
                let path = NodeReader.join("services", name)
                guard checkName(name, at: pair.key.location, path) else { continue }
                if let service = decodeService(name, pair.value, key: pair.key.location, path, scope, &checks) { services.append(service) }
            }
            reader.add(contentsOf: checks.findCycles())
            reader.add(contentsOf: checks.findPortConflicts())
            reader.add(contentsOf: checks.findRouteConflicts())
            services.sort { $0.name < $1.name }
        }
        if let proxy, let place = fields["proxy"]?["ports"]?.location ?? fields.keyLocation("proxy") {
            checkLoopbackPorts(proxy, at: place, routedReplicas: checks.routedReplicas)
        }
        let policy = fields["policy"].flatMap { decodePolicy($0, key: fields.keyLocation("policy")) }
        reportRemovedUses()

        guard reader.errorCount == 0, let state, let configs = Optional(configs) else { return nil }
        return Environment(
            name: name, project: project, isProduction: isProduction, engine: engine, state: state,
            services: services, configs: configs, database: database, secrets: secrets, backups: backups, proxy: proxy,
            policy: policy, promotion: promotion, parity: parity
        )
    }

    // MARK: Names

    /// `[a-z0-9][a-z0-9_-]*`, at most 63 bytes.
    static func isName(_ text: String) -> Bool {
        func lowerOrDigit(_ byte: UInt8) -> Bool { (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) }
        guard let first = text.utf8.first, text.utf8.count <= 63, lowerOrDigit(first) else { return false }
        return text.utf8.allSatisfy { lowerOrDigit($0) || $0 == 45 || $0 == 95 }
    }

    /// Names become container names and labels: lowercase letters, digits, '-' and '_'.
    mutating func checkName(_ name: String, at location: SourceLocation, _ path: @autoclosure () -> String) -> Bool {
        guard Self.isName(name) else {
            reader.error(location, path(), "'\(name)' is not a valid name: use lowercase letters, digits, '-' and '_', starting with a letter or digit (at most 63)")
            return false
        }
        return true
    }

    private mutating func projectName(_ node: YAMLNode) -> String? {
        guard let text = reader.string(node, "project") else { return nil }
        return checkName(text, at: node.location, "project") ? text : nil
    }

    static func defaultProjectName(_ root: String) -> String {
        let base = Paths.fileName(of: root).lowercased()
        var name = String(base.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" ? $0 : "-" })
        while name.first == "-" || name.first == "_" { name.removeFirst() }
        return name.isEmpty ? "berth" : String(name.prefix(63))
    }

    // MARK: Secrets

    private mutating func decodeSecrets(_ node: YAMLNode, isProduction: Bool) -> [Secret] {
        guard let pairs = reader.mapping(node, "secrets") else { return [] }
        var secrets: [Secret] = []
        for pair in pairs {
            let path = NodeReader.join("secrets", pair.name)
            guard checkName(pair.name, at: pair.key.location, path),
                  let fields = reader.fields(pair.value, path, EnvironmentSchema.secret, key: pair.key.location) else { continue }
            guard fields.pairs.count == 1, let source = fields.pairs.first else {
                let place = fields.pairs.count > 1 ? fields.pairs[1].key.location : fields.location
                reader.error(place, path, "give exactly one of env, file, value")
                continue
            }
            let sourcePath = fields.path(source.name)
            switch source.name {
            case "env":
                guard let variable = reader.string(source.value, sourcePath) else { continue }
                guard Self.isVariableName(variable) else {
                    reader.error(source.value.location, sourcePath, "'\(variable)' is not an environment variable name")
                    continue
                }
                secrets.append(Secret(name: pair.name, source: .environmentVariable(variable)))
            case "file":
                guard let file = reader.string(source.value, sourcePath) else { continue }
                // An absolute path is where the host keeps it (/run/secrets/...); a relative one stays in environments/.
                let resolved = file.hasPrefix("/") ? Paths.normalize(file)
                    : sourceInsideEnvironments(file, at: source.value.location, sourcePath, what: "secret file")
                if let resolved { secrets.append(Secret(name: pair.name, source: .file(resolved))) }
            default:
                guard let value = reader.string(source.value, sourcePath) else { continue }
                if isProduction {
                    reader.error(
                        source.value.location, sourcePath,
                        "a literal secret in a production environment; reference it with env: or file:"
                    )
                    continue
                }
                secrets.append(Secret(name: pair.name, source: .literal(value)))
            }
        }
        return secrets.sorted { $0.name < $1.name }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`
    static func isVariableName(_ text: String) -> Bool {
        func letter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 || byte == 95 }
        guard let first = text.utf8.first, letter(first) else { return false }
        return text.utf8.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// `{ secret: NAME }` naming a declared secret.
    mutating func secretReference(_ node: YAMLNode, _ path: @autoclosure () -> String, secrets: Set<String>) -> String? {
        let nameNode: YAMLNode
        if node.pairCount == 1, node.keyName(at: 0) == "secret", !node.valueIsNull(at: 0) {
            // The usual form, whose fields hold nothing to report: read without making them.
            nameNode = node.value(at: 0)
        } else {
            guard let fields = reader.fields(node, path(), EnvironmentSchema.secretReference), let value = fields["secret"] else { return nil }
            nameNode = value
        }
        func namePath() -> String { NodeReader.join(path(), "secret") }
        guard let name = reader.string(nameNode, namePath()) else { return nil }
        guard secrets.contains(name) else {
            if noteRemovedUse(of: ["secrets", name], kind: "secret", by: namePath(), verb: "use") { return nil }
            let declared = secrets.isEmpty ? "no secrets are declared" : "declared: \(secrets.sorted().joined(separator: ", "))"
            reader.error(
                nameNode.location, namePath(),
                "unknown secret '\(name)'\(Suggestion.didYouMean(name, in: secrets)) (\(declared))"
            )
            return nil
        }
        return name
    }

    /// A literal or `{ secret: NAME }`. A literal under a name that looks secret is an error in production.
    mutating func configValue(
        _ node: YAMLNode, _ path: @autoclosure () -> String, name: String, secrets: Set<String>, isProduction: Bool
    ) -> ConfigValue? {
        if node.isMapping {
            // A mapping is a secret reference and nothing else: anything without `secret` gets one clear message.
            let keys = (0..<node.pairCount).compactMap { node.keyName(at: $0) }
            guard keys.contains("secret") || keys.contains(where: { !Suggestion.didYouMean($0, in: ["secret"]).isEmpty }) else {
                reader.error(node.location, path(), "a value is text, or { secret: NAME } for a secret; this mapping is neither")
                return nil
            }
            return secretReference(node, path(), secrets: secrets).map { .secret($0) }
        }
        guard let text = reader.string(node, path()) else { return nil }
        if Self.urlHoldsPassword(text) {
            let advice = "the value is a URL with a password in it; make the whole URL a secret: { secret: NAME }"
            if isProduction {
                reader.error(node.location, path(), advice + " (required in production)")
                return nil
            }
            reader.warning(node.location, path(), advice)
        } else if Self.looksSecret(name), !text.isEmpty {
            let advice = "a literal value for what looks like a secret; use { secret: NAME }"
            if isProduction {
                reader.error(node.location, path(), advice + " (required in production)")
                return nil
            }
            reader.warning(node.location, path(), advice)
        }
        return .literal(text)
    }

    /// `prod`, `prd`, `production-eu`, `eu-prod`: a name that says production, by its dash-separated words.
    static func looksLikeProduction(_ name: String) -> Bool {
        name.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." })
            .contains { ["prod", "prd", "production", "live"].contains($0) }
    }

    /// Why Berth must not write at `path` (configs.root, a SQLite file, the state store): the root, a system
    /// folder, or `environments/` itself; nil for a place such as `.berth/...` or `/srv/shop`.
    func hostPathProblem(_ path: String) -> String? {
        let system = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/dev", "/proc", "/sys"]
        if path == "/" { return "is the root folder; Berth writes there, so name a folder of its own such as .berth/configs" }
        if let folder = system.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            return "is inside the system folder \(folder); name a folder of Berth's own, such as /srv/NAME"
        }
        if Paths.isInside(path, root: context.environmentsDirectory) {
            return "is inside environments/, which holds what people write; Berth's own files go elsewhere, such as .berth/"
        }
        return nil
    }

    /// A folder of Berth's own files (`backups.root`, `proxy.root`), relative to the project: it follows the
    /// rules of every path Berth writes, and stays apart from `configs.root`, whose files containers mount.
    mutating func ownFolder(_ node: YAMLNode, _ path: String, apartFrom configRoot: String, because reason: String) -> String? {
        guard let written = reader.string(node, path) else { return nil }
        let resolved = Paths.resolve(written, against: context.projectRoot)
        if let problem = hostPathProblem(resolved) {
            reader.error(node.location, path, "'\(written)' \(problem)")
            return nil
        }
        if Paths.isInside(resolved, root: configRoot) || Paths.isInside(configRoot, root: resolved) {
            reader.error(node.location, path, "'\(written)' overlaps configs.root (\(context.display(configRoot))); \(reason)")
            return nil
        }
        return resolved
    }

    /// Whether `text` holds a URL whose authority carries `user:password@`, or whose query has a
    /// `password=` parameter (libpq takes one there too).
    /// Bytes, not Foundation's searches: it runs on every value of every environment.
    static func urlHoldsPassword(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var index = 0
            while index + 2 < bytes.count, !(bytes[index] == 0x3A && bytes[index + 1] == 0x2F && bytes[index + 2] == 0x2F) { index += 1 }
            guard index + 2 < bytes.count else { return false }
            let start = index + 3
            var end = start
            var lastAt: Int?
            while end < bytes.count, !Self.authorityEnds.contains(bytes[end]) {
                if bytes[end] == 0x40 { lastAt = end }
                end += 1
            }
            if let lastAt, bytes[start..<lastAt].contains(0x3A) { return true }
            guard var parameter = bytes[end...].firstIndex(of: 0x3F).map({ $0 + 1 }) else { return false }
            let key = Array("password=".utf8)
            while parameter < bytes.count {
                var stop = parameter
                while stop < bytes.count, bytes[stop] != 0x26, bytes[stop] != 0x23 { stop += 1 }
                // Any case: libpq's keywords are lower case, but a reader should not have to know that.
                if stop - parameter >= key.count, zip(bytes[parameter..<(parameter + key.count)], key).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                    return true
                }
                guard stop < bytes.count, bytes[stop] == 0x26 else { return false }
                parameter = stop + 1
            }
            return false
        }
    }

    /// `/ ? # space tab newline`: where a URL's authority ends.
    private static let authorityEnds: Set<UInt8> = [0x2F, 0x3F, 0x23, 0x20, 0x09, 0x0A]

    private static let secretWords: [[UInt8]] = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL"]
        .map { Array($0.utf8) }

    /// A name such as `DB_PASSWORD` or `apiToken`, compared as ASCII without regard to case.
    static func looksSecret(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            secretWords.contains { word in
                guard bytes.count >= word.count else { return false }
                return (0...(bytes.count - word.count)).contains { start in
                    word.indices.allSatisfy { offset in
                        let byte = bytes[start + offset]
                        return (byte >= 97 && byte <= 122 ? byte - 32 : byte) == word[offset]
                    }
                }
            }
        }
    }

    // MARK: Paths from the file

    /// A source path (template, migrations, secret file) written relative to the environment file:
    /// it must stay inside `environments/`, also through symbolic links.
    mutating func sourceInsideEnvironments(
        _ written: String, at location: SourceLocation, _ path: String, what: String
    ) -> String? {
        let directory = context.environmentsDirectory
        let resolved = Paths.resolve(written, against: directory)
        guard Paths.isInside(resolved, root: directory) else {
            reader.error(location, path, "the \(what) '\(written)' is outside \(context.display(directory))/; paths here stay inside it")
            return nil
        }
        if let real = context.fileSystem.resolvingSymlinks(resolved),
           let realDirectory = context.fileSystem.resolvingSymlinks(directory),
           !Paths.isInside(real, root: realDirectory) {
            reader.error(location, path, "the \(what) '\(written)' leads through a symbolic link to \(real), outside \(context.display(directory))/")
            return nil
        }
        return resolved
    }

    // MARK: Removed by a null

    private struct RemovedUse {
        var removal: Removals.Removal
        /// What was removed: "secret", "config", "service".
        var kind: String
        /// The key path of what was removed: `["secrets", "db_password"]`, `["proxy"]`.
        var path: [String]
        /// The key path of the use.
        var use: String
        /// What the use does with it, as a verb in the plural: "use", "mount", "depend on".
        var verb: String
    }

    /// Whether a null removed `path` (`["secrets", "db_password"]`), which the key `use` names; if so the
    /// use is kept, to be reported at the null, where the mistake is: the use may be right in the file it
    /// is written in, for the other environments that extend it.
    mutating func noteRemovedUse(of path: [String], kind: String, by use: @autoclosure () -> String, verb: String) -> Bool {
        guard let removal = removals.removal(of: path) else { return false }
        removedUses.append(RemovedUse(removal: removal, kind: kind, path: path, use: use(), verb: verb))
        return true
    }

    /// One error at each null for each thing it removed that is still used, naming the uses.
    private mutating func reportRemovedUses() {
        struct Removed: Hashable {
            var removal: Removals.Removal
            var path: [String]
        }
        var groups: [Removed: [RemovedUse]] = [:]
        var order: [Removed] = []
        for use in removedUses {
            let removed = Removed(removal: use.removal, path: use.path)
            if groups[removed] == nil { order.append(removed) }
            groups[removed, default: []].append(use)
        }
        for removed in order {
            guard let uses = groups[removed], let first = uses.first else { continue }
            let path = removed.removal.path
            let what = path == removed.path ? "this \(first.kind)" : "the \(first.kind) '\(removed.path.last ?? "")'"
            let names = uses.map(\.use)
            let listed = names.count <= 3 ? names : names.prefix(3) + ["\(names.count - 3) more"]
            let users = listed.dropLast().joined(separator: ", ") + (listed.count > 1 ? " and " : "") + (listed.last ?? "")
            let verb = names.count == 1 ? Self.singular(first.verb) : first.verb
            reader.error(removed.removal.location, path.joined(separator: "."), "null removes \(what), but \(users) still \(verb) it")
        }
    }

    /// "use" -> "uses", "depend on" -> "depends on".
    private static func singular(_ verb: String) -> String {
        guard let space = verb.firstIndex(of: " ") else { return verb + "s" }
        return verb[..<space] + "s" + verb[space...]
    }

    // MARK: Engine, state, database

    private mutating func decodeEngine(_ node: YAMLNode?, key: SourceLocation?) -> EngineSettings {
        if let node, let fields = reader.fields(node, "engine", EnvironmentSchema.engine, key: key),
           let hostNode = fields["host"], let host = reader.string(hostNode, "engine.host") {
            if let problem = Self.endpointProblem(host) {
                reader.error(hostNode.location, "engine.host", problem)
            }
            return EngineSettings(host: host, isDefault: false)
        }
        return EngineSettings(host: defaultEngineHost(), isDefault: true)
    }

    /// `DOCKER_HOST`, else Docker's socket if it exists, else Podman's.
    func defaultEngineHost() -> String {
        if let host = context.variables["DOCKER_HOST"], !host.isEmpty { return host }
        if context.fileSystem.resolvingSymlinks("/var/run/docker.sock") != nil { return "unix:///var/run/docker.sock" }
        return "unix:///run/podman/podman.sock"
    }

    static func endpointProblem(_ host: String) -> String? {
        if host.hasPrefix("unix://") {
            return host.dropFirst(7).hasPrefix("/") ? nil : "'\(host)': a unix socket endpoint is unix:///ABSOLUTE/PATH"
        }
        if host.hasPrefix("tcp://") {
            let rest = host.dropFirst(6)
            let parts = rest.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else {
                return "'\(host)': a TCP endpoint is tcp://HOST:PORT"
            }
            return nil
        }
        return "'\(host)' is not an engine endpoint; use unix:///PATH or tcp://HOST:PORT"
    }

    private mutating func decodeState(_ node: YAMLNode?, key: SourceLocation?, secrets: Set<String>) -> StateSettings? {
        let defaultStore = DatabaseLocation.sqlite(path: context.projectRoot + "/.berth/state.sqlite")
        guard let node else { return StateSettings(store: defaultStore) }
        guard let fields = reader.fields(node, "state", EnvironmentSchema.state, key: key) else { return nil }
        guard let urlNode = fields["url"] else {
            if let password = fields["password"] {
                reader.error(password.location, "state.password", "a password needs a postgres:// url")
            }
            return StateSettings(store: defaultStore)
        }
        return databaseLocation(urlNode, fields, "state", secrets: secrets).map(StateSettings.init(store:))
    }

    /// `sqlite:PATH` (relative to the project) or `postgres://USER@HOST:PORT/DB` with an optional password secret.
    private mutating func databaseLocation(
        _ urlNode: YAMLNode, _ fields: Fields, _ path: String, secrets: Set<String>
    ) -> DatabaseLocation? {
        let urlPath = NodeReader.join(path, "url")
        guard let url = reader.string(urlNode, urlPath) else { return nil }
        let password = fields["password"].flatMap { secretReference($0, NodeReader.join(path, "password"), secrets: secrets) }
        if url.hasPrefix("sqlite:") {
            var file = String(url.dropFirst("sqlite:".count))
            if file.hasPrefix("//") { file.removeFirst(2) }
            guard !file.isEmpty else {
                reader.error(urlNode.location, urlPath, "'\(url)' names no file; write sqlite:PATH")
                return nil
            }
            if let node = fields["password"] {
                reader.error(node.location, NodeReader.join(path, "password"), "SQLite takes no password")
            }
            let resolved = Paths.resolve(file, against: context.projectRoot)
            if let problem = hostPathProblem(resolved) {
                reader.error(urlNode.location, urlPath, "'\(url)' \(problem)")
                return nil
            }
            return .sqlite(path: resolved)
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            reader.error(urlNode.location, urlPath, "'\(url)' is neither postgres://... nor sqlite:PATH")
            return nil
        }
        if Self.urlHoldsPassword(url) {
            reader.error(urlNode.location, urlPath, "the url holds a password; move it to a secret: password: { secret: NAME }")
            return nil
        }
        let afterScheme = url[(url.range(of: "://")?.upperBound ?? url.startIndex)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
        let host = authority.split(separator: "@").last ?? ""
        guard !host.isEmpty else {
            reader.error(urlNode.location, urlPath, "'\(url)' names no host")
            return nil
        }
        return .postgres(url: url, passwordSecret: password)
    }

    private mutating func decodeDatabase(_ node: YAMLNode, key: SourceLocation?, secrets: Set<String>) -> Database? {
        guard let fields = reader.fields(node, "database", EnvironmentSchema.database, key: key),
              let urlNode = fields["url"] else { return nil }
        let location = databaseLocation(urlNode, fields, "database", secrets: secrets)
        let migrationsNode = fields["migrations"]
        let written = migrationsNode.flatMap { reader.string($0, "database.migrations") } ?? "migrations"
        let place = migrationsNode?.location ?? fields.location
        guard let directory = sourceInsideEnvironments(written, at: place, "database.migrations", what: "migrations folder") else {
            return nil
        }
        guard context.fileSystem.directoryExists(atPath: directory) else {
            reader.error(place, "database.migrations", "the migrations folder '\(written)' does not exist (\(context.display(directory)))")
            return nil
        }
        var scanner = MigrationScanner(context: context, location: place)
        let migrations = scanner.scan(directory)
        reader.add(contentsOf: scanner.diagnostics)
        let mask = decodeRefreshMask(fields["refresh"], key: fields.keyLocation("refresh"))
        let migrateTo = decodeMigrateTo(fields["migrate_to"], migrations: migrations)
        guard let location else { return nil }
        return Database(location: location, migrationsDirectory: directory, migrations: migrations, migrateTo: migrateTo, refreshMask: mask)
    }
}
