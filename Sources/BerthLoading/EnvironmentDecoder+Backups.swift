import BerthYAML
import BerthModel
import BerthCore

extension EnvironmentDecoder {
    /// `backups: { root, keep }`: the root follows the rules of every path Berth writes, and stays apart
    /// from `configs.root` (whose files containers mount; backups hold secrets).
    mutating func decodeBackups(_ node: YAMLNode?, key: SourceLocation?, configRoot: String) -> BackupSettings {
        var settings = BackupSettings(root: context.projectRoot + "/.berth/backups/\(name)")
        guard let node, let fields = reader.fields(node, "backups", EnvironmentSchema.backups, key: key) else { return settings }
        if let root = fields["root"].flatMap({
            ownFolder($0, "backups.root", apartFrom: configRoot, because: "backups hold secrets and stay in a folder of their own")
        }) {
            settings.root = root
        }
        if let keepNode = fields["keep"], let keep = reader.int(keepNode, "backups.keep", in: 1...10_000) {
            settings.keep = keep
        }
        return settings
    }
}
