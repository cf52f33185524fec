import BerthYAML
import BerthModel
import BerthCore

/// What a service may refer to.
struct ServiceScope {
    var serviceNames: Set<String>
    var configNames: Set<String>
    var secretNames: Set<String>
    var hasDatabase: Bool
    /// Whether the environment declares a proxy, which a route needs.
    var hasProxy: Bool
    var isProduction: Bool
}

extension EnvironmentDecoder {
    mutating func decodeService(
        _ name: String, _ node: YAMLNode, key: SourceLocation, _ path: String, _ scope: ServiceScope,
        _ checks: inout EnvironmentChecks
    ) -> Service? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.service, key: key) else { return nil }
        let errorsBefore = reader.errorCount

        let image = fields["image"].flatMap { imageReference($0, fields.path("image")) }
        let command = fields["command"].flatMap { decodeCommand($0, fields.path("command")) }
        let environment = fields["environment"].map { decodeEnvironment($0, fields.path("environment"), scope) } ?? []
        let replicas = fields["replicas"].flatMap { reader.int($0, fields.path("replicas"), in: 0...1000) } ?? 1
        let route = decodeRoute(fields, hasProxy: scope.hasProxy)
        if let route, let place = fields.keyLocation("route") { checks.route(route, service: name, replicas: replicas, at: place) }
        let errorsBeforePorts = reader.errorCount
        let ports = fields["ports"].map {
            decodePorts($0, fields.path("ports"), service: name, replicas: replicas, routePort: route?.port, &checks)
        } ?? []
        // A health check names a published port; when the ports themselves are wrong, that check would only repeat them.
        // The route's port is published too, on the loopback ports the proxy reaches.
        let portsValid = reader.errorCount == errorsBeforePorts
        let published = ports + (route.map { [PortMapping(hostPorts: nil, containerPort: $0.port)] } ?? [])
        let volumes = fields["volumes"].map { decodeVolumes($0, fields.path("volumes")) } ?? []
        let configs = fields["configs"].map { configMounts($0, fields.path("configs"), scope) } ?? []
        let healthcheck = fields["healthcheck"].flatMap {
            decodeHealthcheck($0, key: fields.keyLocation("healthcheck"), fields.path("healthcheck"), ports: portsValid ? published : nil)
        }
        let dependsOn = fields["depends_on"].map {
            dependencies($0, fields.path("depends_on"), service: name, scope, &checks)
        } ?? []
        let labels = fields["labels"].map { decodeLabels($0, fields.path("labels")) } ?? []
        let restart = fields["restart"].flatMap { reader.choice($0, fields.path("restart"), RestartPolicy.self) }
        let written = fields["strategy"].flatMap { reader.choice($0, fields.path("strategy"), DeployStrategy.self) }
        let strategy = resolvedStrategy(written, fields)
        let traffic = decodeTraffic(fields, route: route, strategy: strategy)
        checks.declare(service: name, hasHealthcheck: fields["healthcheck"] != nil)
        // With one replica on a fixed host port, start-first cannot keep the service answering.
        if written == .startFirst, replicas < 2, ports.contains(where: { $0.hostPorts != nil }), let node = fields["strategy"] {
            reader.warning(
                node.location, fields.path("strategy"),
                "start-first cannot run two containers on one fixed host port, and with one replica the service pauses while it is replaced; add a replica or publish no fixed host port"
            )
        }

        guard let image, reader.errorCount == errorsBefore else { return nil }
        return Service(
            name: name, image: image, command: command, environment: environment, ports: ports, volumes: volumes,
            configs: configs, healthcheck: healthcheck, dependsOn: dependsOn, labels: labels, replicas: replicas,
            restart: restart ?? .unlessStopped, strategy: strategy, traffic: traffic
        )
    }

    private mutating func imageReference(_ node: YAMLNode, _ path: @autoclosure () -> String) -> ImageReference? {
        guard let image = reader.parse(node, path(), ImageReference.init(parsing:)) else { return nil }
        if image.digest == nil {
            if image.tag == nil {
                reader.warning(node.location, path(), "'\(image.text)' has no tag, so it means :latest; pin a release (e.g. :1.0.0)")
            } else if image.tag == "latest" {
                reader.warning(node.location, path(), "':latest' is not a release; pin one so that plans say what changes")
            }
        }
        return image
    }

    mutating func decodeCommand(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [String]? {
        if node.isSequence { return reader.strings(node, path()) }
        return reader.parse(node, path(), ShellWords.split)
    }

    private mutating func decodeEnvironment(_ node: YAMLNode, _ path: @autoclosure () -> String, _ scope: ServiceScope) -> [EnvironmentVariable] {
        if node.isSequence {
            var variables: [String: EnvironmentVariable] = [:]
            for (index, item) in SequenceItems(node).enumerated() {
                let itemPath = NodeReader.join(path(), index: index)
                guard let entry = reader.string(item, itemPath) else { continue }
                guard let equals = entry.firstIndex(of: "="), Self.isVariableName(String(entry[..<equals])) else {
                    reader.error(item.location, itemPath, "'\(entry)' is not NAME=value")
                    continue
                }
                let name = String(entry[..<equals])
                if variables[name] != nil { reader.error(item.location, itemPath, "'\(name)' is set twice") }
                let value = String(entry[entry.index(after: equals)...])
                let literal = YAMLNode(.scalar(YAMLScalar(value, style: .doubleQuoted)), at: item.location)
                if let value = configValue(literal, itemPath, name: name, secrets: scope.secretNames, isProduction: scope.isProduction) {
                    variables[name] = EnvironmentVariable(name: name, value: value)
                }
            }
            return variables.values.sorted { $0.name < $1.name }
        }
        guard let pairs = reader.mapping(node, path()) else { return [] }
        var variables: [EnvironmentVariable] = []
        variables.reserveCapacity(pairs.count)
        for pair in pairs {
            let name = pair.name
            func itemPath() -> String { NodeReader.join(path(), name) }
            guard Self.isVariableName(name) else {
                reader.error(pair.key.location, itemPath(), "'\(name)' is not an environment variable name")
                continue
            }
            if let value = configValue(pair.value, itemPath(), name: name, secrets: scope.secretNames, isProduction: scope.isProduction) {
                variables.append(EnvironmentVariable(name: name, value: value))
            }
        }
        // A name written twice (already reported as a duplicate key) keeps its last value.
        variables.sort { $0.name < $1.name }
        var last = 0
        for index in variables.indices.dropFirst() {
            if variables[index].name != variables[last].name { last += 1 }
            variables[last] = variables[index]
        }
        if !variables.isEmpty { variables.removeSubrange((last + 1)...) }
        return variables
    }

    private mutating func decodePorts(
        _ node: YAMLNode, _ path: @autoclosure () -> String, service: String, replicas: Int, routePort: Int?,
        _ checks: inout EnvironmentChecks
    ) -> [PortMapping] {
        guard let items = reader.list(node, path()) else { return [] }
        var ports: [PortMapping] = []
        for (index, item) in items.enumerated() {
            func itemPath() -> String { NodeReader.join(path(), index: index) }
            let mapping: PortMapping?
            if let number = item.scalar?.int {
                mapping = (1...65535).contains(number) ? PortMapping(hostPorts: nil, containerPort: number) : nil
                if mapping == nil { reader.error(item.location, itemPath(), "\(number) is not a port number (1-65535)") }
            } else {
                mapping = reader.parse(item, itemPath(), PortMapping.init(parsing:))
            }
            guard let mapping else { continue }
            if mapping.hostPorts != nil, mapping.containerPort == routePort, mapping.protocol == .tcp {
                reader.error(
                    item.location, itemPath(),
                    "'\(mapping)' publishes the route's port on a fixed host port; routed replicas publish it on loopback ports Berth chooses, and clients come through the proxy: write \(mapping.containerPort) or leave it out"
                )
                continue
            }
            if let hostPorts = mapping.hostPorts, hostPorts.count < replicas {
                reader.error(
                    item.location, itemPath(),
                    "\(replicas) replicas need \(replicas) host ports, '\(mapping)' gives \(hostPorts.count); give a range such as \(hostPorts.lowerBound)-\(hostPorts.lowerBound + replicas - 1):\(mapping.containerPort)"
                )
                continue
            }
            checks.publish(mapping, service: service, replicas: replicas, at: item.location, port: index)
            ports.append(mapping)
        }
        return ports
    }

    private mutating func decodeVolumes(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [VolumeMount] {
        guard let items = reader.list(node, path()) else { return [] }
        var volumes: [VolumeMount] = []
        for (index, item) in items.enumerated() {
            let itemPath = NodeReader.join(path(), index: index)
            guard let text = reader.string(item, itemPath) else { continue }
            if let volume = volume(text, at: item.location, itemPath) { volumes.append(volume) }
        }
        return volumes
    }

    private mutating func volume(_ text: String, at location: SourceLocation, _ path: @autoclosure () -> String) -> VolumeMount? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, !parts[1].isEmpty else {
            reader.error(location, path(), "'\(text)' is not SOURCE:TARGET[:ro|rw]")
            return nil
        }
        var readOnly = false
        if parts.count == 3 {
            guard parts[2] == "ro" || parts[2] == "rw" else {
                reader.error(location, path(), "'\(parts[2])' is not a volume mode; use ro or rw")
                return nil
            }
            readOnly = parts[2] == "ro"
        }
        guard parts[1].hasPrefix("/") else {
            reader.error(location, path(), "the target '\(parts[1])' must be an absolute path inside the container")
            return nil
        }
        let source: VolumeMount.Source
        let written = parts[0]
        if written.hasPrefix("~") {
            reader.error(location, path(), "'~' is not expanded; write the absolute path")
            return nil
        } else if written.hasPrefix("/") {
            source = .bind(Paths.normalize(written))
        } else if written.hasPrefix(".") {
            let resolved = Paths.resolve(written, against: context.projectRoot)
            guard Paths.isInside(resolved, root: context.projectRoot) else {
                reader.error(location, path(), "the bind source '\(written)' leaves the project; use an absolute path for a host folder")
                return nil
            }
            source = .bind(resolved)
        } else {
            guard written.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }),
                  written.first?.isLetter == true || written.first?.isNumber == true else {
                reader.error(location, path(), "'\(written)' is not a volume name (letters, digits, '_', '.', '-') nor a path (./ or /)")
                return nil
            }
            source = .named(written)
        }
        return VolumeMount(source: source, target: Paths.normalize(parts[1]), readOnly: readOnly)
    }

    private mutating func configMounts(_ node: YAMLNode, _ path: @autoclosure () -> String, _ scope: ServiceScope) -> [ConfigMount] {
        guard let items = reader.list(node, path()) else { return [] }
        var mounts: [ConfigMount] = []
        for (index, item) in items.enumerated() {
            let itemPath = NodeReader.join(path(), index: index)
            var sourceNode = item
            var target: String?
            if item.isMapping {
                guard let fields = reader.fields(item, itemPath, EnvironmentSchema.configMount),
                      let source = fields["source"] else { continue }
                sourceNode = source
                if let targetNode = fields["target"] {
                    guard let text = reader.string(targetNode, fields.path("target")) else { continue }
                    guard text.hasPrefix("/") else {
                        reader.error(targetNode.location, fields.path("target"), "'\(text)' must be an absolute path inside the container")
                        continue
                    }
                    target = Paths.normalize(text)
                }
            }
            guard let name = reader.string(sourceNode, itemPath) else { continue }
            guard scope.configNames.contains(name) else {
                if noteRemovedUse(of: ["configs", "files", name], kind: "config", by: itemPath, verb: "mount") { continue }
                reader.error(
                    sourceNode.location, itemPath,
                    "unknown config '\(name)'\(Suggestion.didYouMean(name, in: scope.configNames)) (configs are declared under configs.files)"
                )
                continue
            }
            mounts.append(ConfigMount(config: name, target: target ?? "/" + name))
        }
        return mounts
    }

    /// `ports` is nil when they could not be read, and then a URL's port is not checked against them.
    private mutating func decodeHealthcheck(
        _ node: YAMLNode, key: SourceLocation?, _ path: String, ports: [PortMapping]?
    ) -> HealthCheck? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.healthcheck, key: key) else { return nil }
        let check: HealthCheck.Check?
        switch (fields["test"], fields["url"]) {
        case (let test?, nil):
            if test.isSequence {
                check = reader.strings(test, fields.path("test")).flatMap { words in
                    guard let first = words.first, ["CMD", "CMD-SHELL"].contains(first), words.count > 1,
                          !words[1].allSatisfy(\.isWhitespace) else {
                        reader.error(test.location, fields.path("test"), "a test list starts with CMD or CMD-SHELL and has a command")
                        return nil
                    }
                    return .command(words)
                }
            } else {
                check = reader.string(test, fields.path("test")).flatMap { command in
                    guard !command.allSatisfy(\.isWhitespace) else {
                        reader.error(test.location, fields.path("test"), "the test command is empty")
                        return nil
                    }
                    return .command(["CMD-SHELL", command])
                }
            }
        case (nil, let url?):
            check = reader.parse(url, fields.path("url"), Self.httpCheck).flatMap { http in
                if let ports, !ports.contains(where: { $0.containerPort == http.containerPort && $0.protocol == .tcp }) {
                    reader.error(
                        url.location, fields.path("url"),
                        "container port \(http.containerPort) is not published in ports; Berth checks health through a published port"
                    )
                    return nil
                }
                return .http(http)
            }
        case (.some, .some):
            reader.error(fields.keyLocation("url") ?? fields.location, path, "give test or url, not both")
            check = nil
        case (nil, nil):
            reader.error(fields.location, path, "give test (a command) or url (an HTTP endpoint)")
            check = nil
        }
        let interval = fields["interval"].flatMap { reader.parse($0, fields.path("interval"), TimeSpan.init(parsing:)) }
        let timeout = fields["timeout"].flatMap { reader.parse($0, fields.path("timeout"), TimeSpan.init(parsing:)) }
        let retries = fields["retries"].flatMap { reader.int($0, fields.path("retries"), in: 1...100) }
        let startPeriod = fields["start_period"].flatMap { reader.parse($0, fields.path("start_period"), TimeSpan.init(parsing:)) }
        // The timings are checked whatever the test: every mistake of a file at once.
        let every = interval ?? HealthCheck.defaultInterval
        if every.milliseconds == 0 {
            reader.error(fields["interval"]?.location ?? fields.location, fields.path("interval"), "the interval must be longer than 0s")
        } else if every.milliseconds > 3_600_000, let location = fields["interval"]?.location {
            reader.error(location, fields.path("interval"), "the interval \(every) is longer than 1h: such a check would notice nothing in time")
        }
        if timeout?.milliseconds == 0, let location = fields["timeout"]?.location {
            reader.error(location, fields.path("timeout"), "the timeout must be longer than 0s")
        }
        guard let check else { return nil }
        let health = HealthCheck(
            check: check, interval: every, timeout: timeout ?? HealthCheck.defaultTimeout,
            retries: retries ?? HealthCheck.defaultRetries, startPeriod: startPeriod ?? HealthCheck.defaultStartPeriod
        )
        if health.timeout > health.interval, let location = fields["timeout"]?.location ?? fields["interval"]?.location {
            reader.warning(location, fields.path("timeout"), "the timeout \(health.timeout) is longer than the interval \(health.interval)")
        }
        return health
    }

    /// `http://localhost[:PORT]/PATH` as the container sees it.
    static func httpCheck(_ url: String) throws(ValueError) -> HTTPCheck {
        let bytes = Array(url.utf8)
        let secure = url.hasPrefix("https://")
        guard secure || url.hasPrefix("http://") else { throw ValueError("'\(url)' is not an http:// or https:// URL") }
        let start = secure ? 8 : 7
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.count
        var host = bytes[start..<end]
        var port = secure ? 443 : 80
        if let colon = host.lastIndex(of: UInt8(ascii: ":")), !host[colon...].contains(UInt8(ascii: "]")) {
            let digits = host[(colon + 1)...]
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  case let number = digits.reduce(0, { $0 * 10 + Int($1 - 48) }), (1...65535).contains(number) else {
                throw ValueError("'\(url)' has no valid port")
            }
            port = number
            host = host[..<colon]
        }
        guard ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"].contains(where: { host.elementsEqual($0.utf8) }) else {
            throw ValueError("'\(url)': the host must be localhost, as the container sees itself (Berth reaches it through the published port)")
        }
        let path = end < bytes.count ? String(decoding: bytes[end...], as: UTF8.self) : "/"
        return HTTPCheck(url: url, containerPort: port, path: path)
    }

    private mutating func dependencies(
        _ node: YAMLNode, _ path: @autoclosure () -> String, service: String, _ scope: ServiceScope, _ checks: inout EnvironmentChecks
    ) -> [Dependency] {
        // `index` is the place in a list; nil for a key of a mapping, which is the name.
        var entries: [(name: String, location: SourceLocation, index: Int?, condition: Dependency.Condition)] = []
        if node.isSequence {
            for (index, item) in SequenceItems(node).enumerated() {
                if let name = reader.string(item, NodeReader.join(path(), index: index)) {
                    entries.append((name, item.location, index, .serviceStarted))
                }
            }
        } else if let pairs = reader.mapping(node, path()) {
            for pair in pairs {
                let name = pair.name
                let itemPath = NodeReader.join(path(), name)
                guard let fields = reader.fields(pair.value, itemPath, EnvironmentSchema.dependency, key: pair.key.location) else { continue }
                let condition = fields["condition"].flatMap { reader.choice($0, fields.path("condition"), Dependency.Condition.self) }
                guard fields["condition"] == nil || condition != nil else { continue }
                entries.append((name, pair.key.location, nil, condition ?? .serviceStarted))
            }
        }
        var dependencies: [Dependency] = []
        for entry in entries {
            func entryPath() -> String {
                entry.index.map { NodeReader.join(path(), index: $0) } ?? NodeReader.join(path(), entry.name)
            }
            if entry.condition == .migrationsApplied {
                guard entry.name == "database" else {
                    reader.error(entry.location, entryPath(), "migrations_applied waits for the environment's database: write it under the key 'database'")
                    continue
                }
                guard scope.hasDatabase else {
                    reader.error(entry.location, entryPath(), "migrations_applied, but this environment has no database section")
                    continue
                }
            } else {
                guard scope.serviceNames.contains(entry.name) else {
                    if noteRemovedUse(of: ["services", entry.name], kind: "service", by: entryPath(), verb: "depend on") { continue }
                    reader.error(
                        entry.location, entryPath(),
                        "depends on '\(entry.name)', which is not a service\(Suggestion.didYouMean(entry.name, in: scope.serviceNames))"
                    )
                    continue
                }
                checks.depend(service, on: entry.name, condition: entry.condition, at: entry.location, item: entry.index)
            }
            dependencies.append(Dependency(service: entry.name, condition: entry.condition))
        }
        return dependencies
    }

    private mutating func decodeLabels(_ node: YAMLNode, _ path: @autoclosure () -> String) -> [Label] {
        guard let pairs = reader.mapping(node, path()) else { return [] }
        var labels: [Label] = []
        for pair in pairs {
            func itemPath() -> String { NodeReader.join(path(), pair.name) }
            if pair.name.hasPrefix("berth.") {
                reader.error(pair.key.location, itemPath(), "labels beginning with 'berth.' are Berth's own")
                continue
            }
            if let value = reader.string(pair.value, itemPath()) { labels.append(Label(name: pair.name, value: value)) }
        }
        return labels.sorted { $0.name < $1.name }
    }
}
