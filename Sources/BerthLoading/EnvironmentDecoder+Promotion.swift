import BerthYAML
import BerthModel
import BerthCore

extension EnvironmentDecoder {
    /// `promotion: { from, soak }`: the source is a name here; whether that environment exists is
    /// checked when `berth promote` runs, since files may be added in any order.
    mutating func decodePromotion(_ node: YAMLNode?, key: SourceLocation?) -> PromotionSettings? {
        guard let node, let fields = reader.fields(node, "promotion", EnvironmentSchema.promotion, key: key) else { return nil }
        guard let fromNode = fields["from"], let from = reader.string(fromNode, "promotion.from"), checkName(from, at: fromNode.location, "promotion.from") else {
            return nil
        }
        guard from != name else {
            reader.error(fromNode.location, "promotion.from", "'\(name)' cannot be promoted from itself")
            return nil
        }
        var settings = PromotionSettings(from: from)
        if let soakNode = fields["soak"] {
            guard let soak = reader.duration(soakNode, "promotion.soak", in: TimeSpan(milliseconds: 0)...Self.longestSoak) else { return nil }
            settings.soak = soak
        }
        return settings
    }

    /// At most 90 days.
    static let longestSoak = TimeSpan(milliseconds: 90 * 24 * 3_600_000)

    /// `database.migrate_to`: a version as migration files write them; a warning when none of the
    /// folder's migrations has it (the environment then stops below the next one).
    mutating func decodeMigrateTo(_ node: YAMLNode?, migrations: [Migration]) -> MigrationVersion? {
        guard let node, let text = reader.string(node, "database.migrate_to") else { return nil }
        guard let version = MigrationVersion(text) else {
            reader.error(
                node.location, "database.migrate_to",
                "'\(text)' is not a migration version: digits, optionally in parts separated by '.' or '_' (3, 0003, 1.2)"
            )
            return nil
        }
        if !migrations.contains(where: { $0.version == version }) {
            reader.warning(node.location, "database.migrate_to", "no migration in the folder has version \(text)")
        }
        return version
    }
}
