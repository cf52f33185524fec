import BerthYAML
import BerthModel
import BerthCore

extension EnvironmentDecoder {
    /// `backups: { root, keep }`: the root follows the rules of every path Berth writes, and stays apart
    /// from `configs.root` (whose files containers mount; backups hold secrets).
    mutating func decodeBackups(_ node: YAMLNode?, key: SourceLocation?, configRoot: String) -> BackupSettings {
        var settings = BackupSettings(root: context.projectRoot + "/.berth/backups/\(name)")
        guard let node, let fields = reader.fields(node, "backups", EnvironmentSchema.backups, key: key) else { return settings }
        if let rootNode = fields["root"], let written = reader.string(rootNode, "backups.root") {
            let resolved = Paths.resolve(written, against: context.projectRoot)
            if let problem = hostPathProblem(resolved) {
                reader.error(rootNode.location, "backups.root", "'\(written)' \(problem)")
            } else if Paths.isInside(resolved, root: configRoot) || Paths.isInside(configRoot, root: resolved) {
                reader.error(
                    rootNode.location, "backups.root",
                    "'\(written)' overlaps configs.root (\(context.display(configRoot))); backups hold secrets and stay in a folder of their own"
                )
            } else {
                settings.root = resolved
            }
        }
        if let keepNode = fields["keep"], let keep = reader.int(keepNode, "backups.keep", in: 1...10_000) {
            settings.keep = keep
        }
        return settings
    }
}
