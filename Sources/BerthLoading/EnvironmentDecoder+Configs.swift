import BerthYAML
import BerthModel
import BerthCore

extension EnvironmentDecoder {
    mutating func decodeConfigs(_ node: YAMLNode?, secrets: Set<String>, isProduction: Bool) -> ConfigSettings {
        let defaultRoot = context.projectRoot + "/.berth/configs/\(name)"
        guard let node, let fields = reader.fields(node, "configs", EnvironmentSchema.configs, key: nil) else {
            return ConfigSettings(root: defaultRoot)
        }
        var root = defaultRoot
        if let rootNode = fields["root"], let written = reader.string(rootNode, "configs.root") {
            let resolved = Paths.resolve(written, against: context.projectRoot)
            if let problem = hostPathProblem(resolved) {
                reader.error(rootNode.location, "configs.root", "'\(written)' \(problem)")
            } else {
                root = resolved
            }
        }
        var files: [ConfigFile] = []
        var targets: [String: String] = [:]
        if let filesNode = fields["files"], let pairs = reader.mapping(filesNode, "configs.files") {
            for pair in pairs {
                let path = NodeReader.join("configs.files", pair.name)
                guard checkName(pair.name, at: pair.key.location, path),
                      let file = configFile(pair.name, pair.value, key: pair.key.location, path, root: root, secrets: secrets, isProduction: isProduction)
                else { continue }
                if let other = targets[file.target] {
                    reader.error(pair.value["target"]?.location ?? pair.value.location, NodeReader.join(path, "target"),
                                 "configs \(other) and \(pair.name) write the same file")
                    continue
                }
                targets[file.target] = pair.name
                files.append(file)
            }
        }
        return ConfigSettings(root: root, files: files.sorted { $0.name < $1.name })
    }

    private mutating func configFile(
        _ name: String, _ node: YAMLNode, key: SourceLocation, _ path: String, root: String, secrets: Set<String>,
        isProduction: Bool
    ) -> ConfigFile? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.configFile, key: key) else { return nil }

        var target: String?
        if let targetNode = fields["target"], let written = reader.string(targetNode, fields.path("target")) {
            let resolved = Paths.resolve(written, against: root)
            if !Paths.isInside(resolved, root: root) || resolved == root {
                reader.error(
                    targetNode.location, fields.path("target"),
                    "'\(written)' leaves the config root \(context.display(root)); targets stay inside it"
                )
            } else {
                target = resolved
            }
        }

        var mode = 0o644
        if let modeNode = fields["mode"] {
            // Octal digits, as chmod takes them, whether written 0640, "0640" or 640.
            // Only octal digits: no sign, no space, not empty (a type error is reported by `string`).
            if let text = reader.string(modeNode, fields.path("mode")) {
                let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
                if (3...4).contains(digits.count), digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }),
                   let value = Int(digits, radix: 8), value <= 0o777 {
                    mode = value
                } else {
                    reader.error(modeNode.location, fields.path("mode"), "'\(text)' is not a file mode; write octal permission bits such as \"0640\"")
                }
            }
        }

        var values: [TemplateValue] = []
        var valueLocations: [String: SourceLocation] = [:]
        if let valuesNode = fields["values"], let pairs = reader.mapping(valuesNode, fields.path("values")) {
            for pair in pairs {
                let valuePath = NodeReader.join(fields.path("values"), pair.name)
                valueLocations[pair.name] = pair.key.location
                if let value = configValue(pair.value, valuePath, name: pair.name, secrets: secrets, isProduction: isProduction) {
                    values.append(TemplateValue(name: pair.name, value: value))
                }
            }
        }

        var template: String?
        if let templateNode = fields["template"], let written = reader.string(templateNode, fields.path("template")),
           let resolved = sourceInsideEnvironments(written, at: templateNode.location, fields.path("template"), what: "template") {
            let kind = context.fileSystem.entryKind(atPath: resolved)
            if kind == .regular {
                template = resolved
                checkPlaceholders(resolved, values: valueLocations, path: fields.path("values"))
            } else {
                let problem = kind.notAFile ?? "is not a regular file"
                let note = kind == .missing ? context.undecodableNames(besides: resolved) : ""
                reader.error(templateNode.location, fields.path("template"), "the template '\(written)' \(problem) (\(context.display(resolved)))\(note)")
            }
        }

        guard let template, let target else { return nil }
        return ConfigFile(name: name, template: template, target: target, mode: mode, values: values.sorted { $0.name < $1.name })
    }

    /// Every `{{ name }}` of the template has a value; a value no placeholder uses gets a warning.
    private mutating func checkPlaceholders(_ template: String, values: [String: SourceLocation], path: String) {
        let bytes: [UInt8]
        do {
            bytes = try context.fileSystem.readFile(atPath: template)
        } catch {
            reader.error(SourceLocation(file: context.display(template), line: 1, column: 1), "", "cannot read the template: \(error.reason)")
            return
        }
        let file = context.display(template)
        var used: Set<String> = []
        switch Template.placeholders(in: bytes) {
        case .failure(let problem):
            // Which values the template uses is unknown until it scans: no warning about unused ones.
            reader.error(SourceLocation(file: file, line: problem.line, column: problem.column), "", problem.message)
            return
        case .success(let placeholders):
            for placeholder in placeholders {
                used.insert(placeholder.name)
                if values[placeholder.name] == nil {
                    reader.error(
                        SourceLocation(file: file, line: placeholder.line, column: placeholder.column), "",
                        "the placeholder '\(placeholder.name)' has no value in \(path)\(Suggestion.didYouMean(placeholder.name, in: values.keys))"
                    )
                }
            }
        }
        for (name, location) in values where !used.contains(name) {
            reader.warning(location, NodeReader.join(path, name), "no placeholder of \(file) uses this value")
        }
    }
}
