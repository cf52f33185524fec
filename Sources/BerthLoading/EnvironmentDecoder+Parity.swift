import BerthYAML
import BerthModel
import BerthCore

extension EnvironmentDecoder {
    /// The kinds of difference `berth parity` reports, each also the prefix of a resource (`service:web`).
    static let parityKinds = ["service", "image", "config", "migration"]

    /// `parity: { ignore: [...] }`: each entry a kind (`image`) or a resource (`service:web`, `config:app-conf`,
    /// `migration:3`); images are told by service, so `service:NAME` also leaves out its image.
    mutating func decodeParity(_ node: YAMLNode?, key: SourceLocation?) -> ParitySettings? {
        guard let node, let fields = reader.fields(node, "parity", EnvironmentSchema.parity, key: key) else { return nil }
        var settings = ParitySettings()
        guard let listNode = fields["ignore"], let items = reader.list(listNode, "parity.ignore") else { return settings }
        for (index, item) in items.enumerated() {
            let path = NodeReader.join("parity.ignore", index: index)
            guard let entry = reader.string(item, path) else { continue }
            if let problem = Self.parityIgnoreProblem(entry) {
                reader.error(item.location, path, problem)
            } else if !settings.ignore.contains(entry) {
                settings.ignore.append(entry)
            }
        }
        return settings
    }

    /// Why `entry` is neither a kind nor `KIND:NAME`; nil when it is one.
    static func parityIgnoreProblem(_ entry: String) -> String? {
        let kinds = ["service", "config", "migration"]
        let forms = "(kinds: \(parityKinds.joined(separator: ", ")); resources: service:NAME, config:NAME, migration:VERSION)"
        guard let colon = entry.firstIndex(of: ":") else {
            if parityKinds.contains(entry) { return nil }
            return "'\(entry)' is not something parity compares \(forms)\(Suggestion.didYouMean(entry, in: parityKinds))"
        }
        let kind = String(entry[..<colon])
        let name = String(entry[entry.index(after: colon)...])
        guard kinds.contains(kind) else {
            return "'\(entry)': '\(kind)' is no kind of resource \(forms)\(Suggestion.didYouMean(kind, in: kinds))"
        }
        if kind == "migration" {
            return MigrationVersion(name) == nil ? "'\(entry)': '\(name)' is not a migration version (digits, as in migration:3)" : nil
        }
        return isName(name) ? nil : "'\(entry)': '\(name)' is not a \(kind) name"
    }

    /// `database.refresh: { mask: FILE }`: an SQL file beside the environment file, inside `environments/`.
    mutating func decodeRefreshMask(_ node: YAMLNode?, key: SourceLocation?) -> String? {
        guard let node, let fields = reader.fields(node, "database.refresh", EnvironmentSchema.databaseRefresh, key: key),
              let maskNode = fields["mask"], let written = reader.string(maskNode, "database.refresh.mask"),
              let resolved = sourceInsideEnvironments(written, at: maskNode.location, "database.refresh.mask", what: "masking file")
        else { return nil }
        let kind = context.fileSystem.entryKind(atPath: resolved)
        guard kind == .regular else {
            let problem = kind.notAFile ?? "is not a regular file"
            let note = kind == .missing ? context.undecodableNames(besides: resolved) : ""
            reader.error(maskNode.location, "database.refresh.mask", "the masking file '\(written)' \(problem) (\(context.display(resolved)))\(note)")
            return nil
        }
        return resolved
    }
}
