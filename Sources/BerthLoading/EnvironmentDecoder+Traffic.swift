import BerthYAML
import BerthModel
import BerthCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxy and what routed services say about moving their traffic: `proxy`, and per service `route`,
/// `canary`, `verify`, `hooks`, `blue_green`, and the strategies that need a route.
extension EnvironmentDecoder {
    private static let second = TimeSpan(milliseconds: 1_000)
    private static let hour = TimeSpan(milliseconds: 3_600_000)

    // MARK: The proxy

    /// `proxy: { kind, listen, root, ports }`. Its listener is reserved in `checks`, so that a service that
    /// publishes the same host port is told at its port.
    mutating func decodeProxy(
        _ node: YAMLNode, key: SourceLocation?, configRoot: String, _ checks: inout EnvironmentChecks
    ) -> ProxySettings? {
        guard let fields = reader.fields(node, "proxy", EnvironmentSchema.proxy, key: key) else { return nil }
        let errorsBefore = reader.errorCount
        let kind = fields["kind"].flatMap { reader.choice($0, "proxy.kind", ProxySettings.Kind.self) }
        let listen = fields["listen"].flatMap { reader.parse($0, "proxy.listen", HostPort.init(parsingListen:)) }
        let root = fields["root"].flatMap {
            ownFolder($0, "proxy.root", apartFrom: configRoot, because: "the proxy's files (its admin socket, its state) stay in a folder of their own")
        }
        let ports = fields["ports"].flatMap { reader.parse($0, "proxy.ports", Self.loopbackPorts) }
        if let listen, let place = fields["listen"]?.location { checks.reserve(listen: listen, at: place) }
        guard let listen, reader.errorCount == errorsBefore else { return nil }
        return ProxySettings(
            kind: kind ?? .haproxy, listen: listen, root: root ?? context.projectRoot + "/.berth/proxy/\(name)",
            ports: ports ?? ProxySettings.defaultPorts
        )
    }

    /// `FROM-TO`, within 1024-65535.
    static func loopbackPorts(_ text: String) throws(ValueError) -> ClosedRange<Int> {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]) else {
            throw ValueError("'\(text)' is not a port range; write it like 20000-29999")
        }
        guard (1024...65535).contains(low), (1024...65535).contains(high) else {
            throw ValueError("'\(text)': the ports must be within 1024-65535")
        }
        guard low <= high else { throw ValueError("'\(text)': the range runs backwards") }
        return low...high
    }

    /// Each routed replica takes two loopback ports over a release (the old and the new side by side).
    mutating func checkLoopbackPorts(_ proxy: ProxySettings, at location: SourceLocation, routedReplicas: Int) {
        let needed = 2 * routedReplicas
        guard proxy.ports.count < needed else { return }
        reader.error(
            location, "proxy.ports",
            "\(proxy.ports.lowerBound)-\(proxy.ports.upperBound) holds \(proxy.ports.count) ports, but the routed services' \(routedReplicas) replicas need \(needed): two each, so that a new replica starts beside the old"
        )
    }

    // MARK: A service's route and strategy

    /// `route:` of a service; nil without one, or when it is wrong (reported). A route needs the environment's proxy.
    mutating func decodeRoute(_ fields: Fields, hasProxy: Bool) -> Route? {
        guard let node = fields["route"] else { return nil }
        let path = fields.path("route")
        let key = fields.keyLocation("route") ?? node.location
        if !hasProxy, !noteRemovedUse(of: ["proxy"], kind: "proxy", by: path, verb: "use") {
            reader.error(key, path, "the environment has no proxy to route through; declare proxy: { listen: HOST:PORT }")
        }
        guard let route = reader.fields(node, path, EnvironmentSchema.route, key: key) else { return nil }
        let errorsBefore = reader.errorCount
        let host = route["host"].flatMap { hostName($0, route.path("host")) }
        let prefix = route["path"].flatMap { pathPrefix($0, route.path("path")) }
        let port = route["port"].flatMap { reader.int($0, route.path("port"), in: 1...65535) }
        let drain = route["drain_timeout"].flatMap {
            reader.duration($0, route.path("drain_timeout"), in: TimeSpan(milliseconds: 0)...Self.hour)
        }
        guard let port, reader.errorCount == errorsBefore else { return nil }
        return Route(host: host, path: prefix ?? "/", port: port, drainTimeout: drain ?? Route.defaultDrainTimeout)
    }

    /// A DNS name, lowercased: dot-separated labels of letters, digits and '-', none beginning or ending with '-'.
    private mutating func hostName(_ node: YAMLNode, _ path: String) -> String? {
        guard let written = reader.string(node, path) else { return nil }
        let host = written.lowercased()
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = host.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        }
        guard valid else {
            reader.error(node.location, path, "'\(written)' is not a host name; write a DNS name such as shop.example.com")
            return nil
        }
        return host
    }

    /// `/PREFIX`: begins with '/', holds no space and no `..` step.
    private mutating func pathPrefix(_ node: YAMLNode, _ path: String) -> String? {
        guard let prefix = reader.string(node, path) else { return nil }
        let problem: String? =
            if !prefix.hasPrefix("/") { "must begin with /" }
            else if prefix.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
                "holds a space or a control character"
            } else if prefix.split(separator: "/").contains("..") { "holds a '..' step" }
            else { nil }
        if let problem {
            reader.error(node.location, path, "'\(prefix)' \(problem); a route's path is a prefix such as /api")
            return nil
        }
        return prefix
    }

    /// What a service's releases do: a routed service moves traffic (rolling unless told; start-first is
    /// rolling there), and an unrouted one cannot take a strategy that does.
    mutating func resolvedStrategy(_ written: DeployStrategy?, _ fields: Fields) -> DeployStrategy {
        guard fields["route"] != nil else {
            if let written, written.isRouted, let node = fields["strategy"] {
                reader.error(
                    node.location, fields.path("strategy"),
                    "\(written.rawValue) moves traffic through the proxy; add route: { port: ... } with the container port the service serves on"
                )
            }
            return written ?? .recreate
        }
        switch written {
        case nil, .startFirst?: return .rolling
        case let written?: return written
        }
    }

    // MARK: How traffic moves

    /// The settings of a routed service; nil for one without a route (where each is an error) or a wrong route.
    mutating func decodeTraffic(_ fields: Fields, route: Route?, strategy: DeployStrategy) -> Traffic? {
        let keys = ["canary", "verify", "hooks", "blue_green"]
        guard fields["route"] != nil else {
            for key in keys {
                guard let place = fields.keyLocation(key) else { continue }
                reader.error(place, fields.path(key), "only a routed service takes \(key); this one has no route")
            }
            return nil
        }
        for (key, owner) in [("canary", DeployStrategy.canary), ("blue_green", .blueGreen)] where strategy != owner {
            guard let place = fields.keyLocation(key) else { continue }
            reader.warning(place, fields.path(key), "has no effect: the strategy is \(strategy.rawValue), not \(owner.rawValue)")
        }
        let canary = fields["canary"].flatMap { decodeCanary($0, key: fields.keyLocation("canary"), fields.path("canary")) }
        let verify = fields["verify"].flatMap { decodeVerify($0, key: fields.keyLocation("verify"), fields.path("verify")) }
        let hooks = fields["hooks"].flatMap { decodeHooks($0, key: fields.keyLocation("hooks"), fields.path("hooks")) }
        let blueGreen = fields["blue_green"].flatMap { node -> BlueGreenSettings? in
            guard let settings = reader.fields(node, fields.path("blue_green"), EnvironmentSchema.blueGreen, key: fields.keyLocation("blue_green")) else {
                return nil
            }
            let keep = settings["keep"].flatMap {
                reader.duration($0, settings.path("keep"), in: TimeSpan(milliseconds: 0)...TimeSpan(milliseconds: 7 * 24 * 3_600_000))
            }
            return BlueGreenSettings(keep: keep ?? BlueGreenSettings.defaultKeep)
        }
        guard let route else { return nil }
        return Traffic(
            route: route, canary: canary ?? CanarySettings(steps: CanarySettings.defaultSteps), verify: verify ?? VerifySettings(),
            hooks: hooks ?? SwitchHooks(), blueGreen: blueGreen ?? BlueGreenSettings()
        )
    }

    /// `canary: { steps, sticky }`: at most 20 steps whose weights grow to 100, each but the last with a pause.
    private mutating func decodeCanary(_ node: YAMLNode, key: SourceLocation?, _ path: String) -> CanarySettings? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.canary, key: key) else { return nil }
        let sticky = fields["sticky"].flatMap { reader.choice($0, fields.path("sticky"), CanarySettings.Stickiness.self) }
        var steps = CanarySettings.defaultSteps
        if let stepsNode = fields["steps"], let items = reader.list(stepsNode, fields.path("steps")) {
            steps = canarySteps(items, fields.path("steps"))
            if items.isEmpty {
                reader.error(stepsNode.location, fields.path("steps"), "give at least one step; the last has weight 100")
            } else if items.count > 20 {
                reader.error(stepsNode.location, fields.path("steps"), "\(items.count) steps; a canary takes at most 20")
            }
        }
        return CanarySettings(steps: steps, sticky: sticky ?? .cookie)
    }

    private mutating func canarySteps(_ items: SequenceItems, _ path: String) -> [CanaryStep] {
        var steps: [CanaryStep] = []
        var previous: Int?
        for (index, item) in items.enumerated() {
            let isLast = index == items.count - 1
            let itemPath = NodeReader.join(path, index: index)
            guard let step = reader.fields(item, itemPath, EnvironmentSchema.canaryStep) else { continue }
            let weightNode = step["weight"]
            let weight = weightNode.flatMap { reader.int($0, step.path("weight"), in: 1...100) }
            if let weight, let weightNode {
                if let previous, weight <= previous {
                    reader.error(weightNode.location, step.path("weight"), "\(weight) after \(previous): the weights grow from step to step")
                } else if isLast, weight != 100 {
                    reader.error(weightNode.location, step.path("weight"), "the last step moves every client to the new version: its weight is 100, not \(weight)")
                }
                previous = weight
            }
            var pause: TimeSpan?
            if let pauseNode = step["pause"] {
                pause = reader.parse(pauseNode, step.path("pause"), TimeSpan.init(parsing:))
                if pause?.milliseconds == 0 {
                    reader.error(pauseNode.location, step.path("pause"), "a pause must be longer than 0s: it is the time the step is verified")
                }
            } else if !isLast {
                reader.error(item.location, itemPath, "every step but the last needs a pause: how long it is verified before the next")
            }
            if let weight { steps.append(CanaryStep(weight: weight, pause: pause)) }
        }
        return steps
    }

    /// `verify: { window, min_requests, max_error_percent, max_latency_ratio, log_patterns, max_wait }`.
    private mutating func decodeVerify(_ node: YAMLNode, key: SourceLocation?, _ path: String) -> VerifySettings? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.verify, key: key) else { return nil }
        let defaults = VerifySettings()
        let window = fields["window"].flatMap { reader.duration($0, fields.path("window"), in: Self.second...Self.hour) } ?? defaults.window
        let minRequests = fields["min_requests"].flatMap { reader.int($0, fields.path("min_requests"), in: 1...1_000_000) }
        let errorPercent = fields["max_error_percent"].flatMap {
            reader.number($0, fields.path("max_error_percent"), minimum: 0, maximum: 100)
        }
        let latencyRatio = fields["max_latency_ratio"].flatMap { reader.number($0, fields.path("max_latency_ratio"), minimum: 1) }
        let patterns = fields["log_patterns"].map { logPatterns($0, fields.path("log_patterns")) } ?? []
        var maxWait = fields["max_wait"].flatMap { reader.parse($0, fields.path("max_wait"), TimeSpan.init(parsing:)) }
        if let wait = maxWait, let node = fields["max_wait"], wait < window {
            reader.error(node.location, fields.path("max_wait"), "\(wait) is shorter than the window (\(window)): a step would fail before it is verified")
            maxWait = nil
        }
        return VerifySettings(
            window: window, minRequests: minRequests ?? defaults.minRequests, maxErrorPercent: errorPercent ?? defaults.maxErrorPercent,
            maxLatencyRatio: latencyRatio ?? defaults.maxLatencyRatio, logPatterns: patterns, maxWait: maxWait
        )
    }

    /// Each a POSIX extended regular expression, compiled here so that a wrong one is told at its place.
    private mutating func logPatterns(_ node: YAMLNode, _ path: String) -> [String] {
        guard let items = reader.list(node, path) else { return [] }
        var patterns: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = NodeReader.join(path, index: index)
            guard let pattern = reader.string(item, itemPath) else { continue }
            if let problem = Self.regexProblem(pattern) {
                reader.error(item.location, itemPath, problem)
            } else {
                patterns.append(pattern)
            }
        }
        return patterns
    }

    /// Why `pattern` is no POSIX extended regular expression a log can be searched with; nil when it is one.
    static func regexProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "an empty pattern matches every line; leave it out" }
        if pattern.utf8.contains(0) { return "a pattern cannot hold a NUL character" }
        var regex = regex_t()
        let code = regcomp(&regex, pattern, REG_EXTENDED | REG_NOSUB)
        guard code != 0 else {
            regfree(&regex)
            return nil
        }
        var buffer = [CChar](repeating: 0, count: 256)
        regerror(code, &regex, &buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "'\(pattern)' is not a POSIX extended regular expression: \(reason)"
    }

    /// `hooks: { before_switch, after_switch }`: lists of commands, each an argument vector or a string split as a shell would.
    private mutating func decodeHooks(_ node: YAMLNode, key: SourceLocation?, _ path: String) -> SwitchHooks? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.hooks, key: key) else { return nil }
        return SwitchHooks(
            beforeSwitch: fields["before_switch"].map { commands($0, fields.path("before_switch")) } ?? [],
            afterSwitch: fields["after_switch"].map { commands($0, fields.path("after_switch")) } ?? []
        )
    }

    private mutating func commands(_ node: YAMLNode, _ path: String) -> [[String]] {
        guard let items = reader.list(node, path) else { return [] }
        var commands: [[String]] = []
        for (index, item) in items.enumerated() {
            let itemPath = NodeReader.join(path, index: index)
            guard let words = decodeCommand(item, itemPath) else { continue }
            guard let program = words.first, !program.isEmpty else {
                reader.error(item.location, itemPath, "the command is empty")
                continue
            }
            commands.append(words)
        }
        return commands
    }
}
