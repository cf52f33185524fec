import BerthModel

extension PlanBuilder {
    /// Config files that are missing or differ, written atomically; the change shows the changed lines.
    mutating func planConfigs() {
        for finding in findings {
            let config: ConfigFile
            let seen: ObservedConfig?
            switch finding {
            case .configMissing(let missing):
                (config, seen) = (missing, nil)
            case .configChanged(let changed, let observedConfig, _, _):
                (config, seen) = (changed, observedConfig)
            default:
                continue
            }
            let hash = desired.configHashes[config.name] ?? ""
            var changes: [FieldChange] = []
            var what: [String] = []
            if seen?.sha256 != hash {
                changes.append(FieldChange(field: "content", before: Short.hash(seen?.sha256), after: Short.hash(hash)))
                what.append("content")
            }
            if seen?.mode != config.mode {
                changes.append(FieldChange(field: "mode", before: seen?.mode.map(Short.octal), after: Short.octal(config.mode)))
                if let seen { what.append("mode \(seen.mode.map(Short.octal) ?? "?") -> \(Short.octal(config.mode))") }
            }
            var diff: [String] = []
            // A diff needs both sides as text: a file on disk that is not UTF-8, or too large, is compared by hash only.
            if seen?.sha256 != hash, let new = desired.maskedConfigs[config.name], seen == nil || seen?.maskedContent != nil {
                diff = UnifiedDiff.lines(old: seen?.maskedContent ?? "", new: new)
            }
            let action = PlanAction(
                kind: .writeConfig, resource: "config:\(config.name)",
                cause: seen == nil ? "config \(config.name) is missing at \(config.target)"
                    : "config \(config.name) \(what.joined(separator: " and ")) changed",
                effect: seen == nil ? .create : .update, changes: changes, diff: diff, undo: .restoreConfig,
                target: .config(ConfigWrite(name: config.name, path: config.target, mode: config.mode, sha256: hash))
            )
            graph.add(action, rank: 1)
            configWrites[config.name] = action.id
        }
    }
}
