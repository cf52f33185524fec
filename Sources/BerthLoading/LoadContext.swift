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

    /// For a file that is not at `path`: the names in its folder that are not UTF-8 text, which no YAML
    /// text can name, so that the file meant (`café.conf`, saved as Latin-1 `caf\xE9.conf`) is not
    /// silently missed; "" when there are none.
    func undecodableNames(besides path: String) -> String {
        let folder = Paths.directory(of: path)
        let names = ((try? fileSystem.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.text == nil }
        guard !names.isEmpty else { return "" }
        let shown = names.prefix(3).map(\.description).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
        let what = names.count == 1 ? "a name that is" : "names that are"
        return "; \(display(folder))/ holds \(what) not UTF-8 text, which no YAML file can name: \(shown); rename the one meant"
    }
}
