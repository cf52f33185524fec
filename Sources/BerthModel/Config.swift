/// Config files Berth owns on the host, and the directory they all live under.
public struct ConfigSettings: Hashable, Sendable, Codable {
    /// Absolute; every config target stays inside it.
    public var root: String
    /// Config files by name, in name order.
    public var files: [ConfigFile]

    public init(root: String, files: [ConfigFile] = []) {
        self.root = root
        self.files = files
    }

    public func file(named name: String) -> ConfigFile? { files.first { $0.name == name } }
}

public struct ConfigFile: Hashable, Sendable, Codable {
    public var name: String
    /// Absolute path of the template, inside the project's `environments/`.
    public var template: String
    /// Absolute path of the file Berth writes, inside `ConfigSettings.root`.
    public var target: String
    /// Unix permission bits, e.g. 0o640.
    public var mode: Int
    /// Values the template's `{{ name }}` placeholders take, in name order.
    public var values: [TemplateValue]

    public init(name: String, template: String, target: String, mode: Int = 0o644, values: [TemplateValue] = []) {
        self.name = name
        self.template = template
        self.target = target
        self.mode = mode
        self.values = values
    }
}

public struct TemplateValue: Hashable, Sendable, Codable {
    public var name: String
    public var value: ConfigValue

    public init(name: String, value: ConfigValue) {
        self.name = name
        self.value = value
    }
}
