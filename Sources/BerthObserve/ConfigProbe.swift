public import BerthModel

public import BerthCore

/// Content hash, mode and existence of every config target, read in parallel.
public struct ConfigProbe: Sendable {
    let fileSystem: any FileSystem

    public init(fileSystem: any FileSystem = LocalFileSystem()) {
        self.fileSystem = fileSystem
    }

    /// - Parameter mask: a file's text with its secrets masked (nil to keep none of it), for a plan's diff.
    public func observe(
        _ configs: [ConfigFile], mask: @escaping @Sendable (_ config: String, _ content: [UInt8]) -> String? = { _, _ in nil }
    ) async -> [ObservedConfig] {
        let fileSystem = self.fileSystem
        return await withTaskGroup(of: ObservedConfig.self) { group in
            for config in configs {
                group.addTask {
                    guard let mode = fileSystem.fileMode(atPath: config.target),
                          let bytes = try? fileSystem.readFile(atPath: config.target) else {
                        return ObservedConfig(name: config.name, target: config.target, sha256: nil, mode: nil)
                    }
                    return ObservedConfig(
                        name: config.name, target: config.target, sha256: SHA256.hex(bytes), mode: mode,
                        maskedContent: mask(config.name, bytes)
                    )
                }
            }
            var observed: [ObservedConfig] = []
            for await config in group { observed.append(config) }
            return observed.sorted { $0.name < $1.name }
        }
    }
}
