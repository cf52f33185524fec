import BerthCore
/// Where a project is and how to name its files: shared by the loader and the decoder.
struct LoadContext: Sendable {
    /// Absolute, normalised.
    let projectRoot: String
    /// How the user named the project (`.`, `../infra`, `/srv/infra`): file names in messages start with it.
    let displayRoot: String
    let fileSystem: any FileSystem
    /// The process environment: `DOCKER_HOST` picks the default engine.
    let variables: [String: String]

    var environmentsDirectory: String { projectRoot + "/environments" }

    /// A path as messages show it: under the project as the user named it.
    func display(_ absolute: String) -> String {
        let relative = Paths.relative(absolute, to: projectRoot)
        guard !relative.hasPrefix("/") else { return absolute }
        if displayRoot == "." || displayRoot.isEmpty { return relative }
        return Paths.normalize(displayRoot + "/" + relative)
    }

    func environmentFile(_ name: String) -> String { environmentsDirectory + "/\(name).yaml" }
}
