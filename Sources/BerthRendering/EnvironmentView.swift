public import BerthModel
public import BerthCore

/// The resolved desired state as `berth render` shows it: after `extends` and defaults,
/// with every secret value as `(sensitive)`. A view of the model, not the model itself.
public struct EnvironmentView: Sendable {
    public static let formatVersion = "1"
    public static let sensitive = "(sensitive)"

    let environment: Environment
    /// Paths under it are shown relative to it.
    let projectRoot: String

    public init(_ environment: Environment, projectRoot: String) {
        self.environment = environment
        self.projectRoot = projectRoot
    }

    public func json() -> JSONValue {
        let env = environment
        return .object([
            "format_version": .string(Self.formatVersion),
            "environment": .string(env.name),
            "project": .string(env.project),
            "production": .bool(env.isProduction),
            "engine": .object(["host": .string(env.engine.host), "default": .bool(env.engine.isDefault)]),
            "state": .object([
                "url": .string(url(env.state.store)),
                "password": env.state.store.hasPassword ? .string(Self.sensitive) : nil,
            ]),
            "services": .object(env.services.map { JSONValue.Member($0.name, service($0)) }),
            "configs": .object([
                "root": .string(path(env.configs.root)),
                "files": .object(env.configs.files.map { JSONValue.Member($0.name, configFile($0)) }),
            ]),
            "database": env.database.map(database),
            "secrets": .object(env.secrets.map { JSONValue.Member($0.name, secret($0)) }),
            "backups": .object(["root": .string(path(env.backups.root)), "keep": .int(env.backups.keep)]),
            "proxy": env.proxy.map { proxy in
                .object([
                    "kind": .string(proxy.kind.rawValue),
                    "listen": .string(proxy.listen.listenText),
                    "root": .string(path(proxy.root)),
                    "ports": .string("\(proxy.ports.lowerBound)-\(proxy.ports.upperBound)"),
                ])
            },
            "promotion": env.promotion.map { .object(["from": .string($0.from), "soak": .string($0.soak.description)]) },
        ])
    }

    private func path(_ absolute: String) -> String {
        if absolute == projectRoot { return "." }
        return absolute.hasPrefix(projectRoot + "/") ? String(absolute.dropFirst(projectRoot.count + 1)) : absolute
    }

    private func url(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let file): "sqlite:" + path(file)
        case .postgres(let url, _): url
        }
    }

    private func value(_ value: ConfigValue) -> JSONValue {
        switch value {
        case .literal(let text): .string(text)
        case .secret: .string(Self.sensitive)
        }
    }

    private func service(_ service: Service) -> JSONValue {
        .object([
            "image": .string(service.image.text),
            "command": service.command.map(JSONValue.strings),
            "environment": .object(service.environment.map { JSONValue.Member($0.name, value($0.value)) }),
            "ports": .strings(service.ports.map(\.description)),
            "volumes": .strings(service.volumes.map { volume in
                switch volume.source {
                case .named: volume.description
                case .bind(let source): VolumeMount(source: .bind(path(source)), target: volume.target, readOnly: volume.readOnly).description
                }
            }),
            "configs": .array(service.configs.map { .object(["source": .string($0.config), "target": .string($0.target)]) }),
            "healthcheck": service.healthcheck.map(healthcheck),
            "depends_on": .object(service.dependsOn.map {
                JSONValue.Member($0.service, .object(["condition": .string($0.condition.rawValue)]))
            }),
            "labels": .object(service.labels.map { JSONValue.Member($0.name, .string($0.value)) }),
            "replicas": .int(service.replicas),
            "restart": .string(service.restart.rawValue),
            "strategy": .string(service.strategy.rawValue),
            "route": service.traffic.map { route($0.route) },
            "canary": service.strategy == .canary ? service.traffic.map { canary($0.canary) } : nil,
            "blue_green": service.strategy == .blueGreen ? service.traffic.map { .object(["keep": .string($0.blueGreen.keep.description)]) } : nil,
            "verify": service.traffic.map { verify($0.verify) },
            "hooks": service.traffic.map { traffic in
                .object([
                    "before_switch": .array(traffic.hooks.beforeSwitch.map(JSONValue.strings)),
                    "after_switch": .array(traffic.hooks.afterSwitch.map(JSONValue.strings)),
                ])
            },
        ])
    }

    private func route(_ route: Route) -> JSONValue {
        .object([
            "host": route.host.map(JSONValue.string),
            "path": .string(route.path),
            "port": .int(route.port),
            "drain_timeout": .string(route.drainTimeout.description),
        ])
    }

    private func canary(_ canary: CanarySettings) -> JSONValue {
        .object([
            "steps": .array(canary.steps.map { step in
                .object(["weight": .int(step.weight), "pause": step.pause.map { .string($0.description) }])
            }),
            "sticky": .string(canary.sticky.rawValue),
        ])
    }

    private func verify(_ verify: VerifySettings) -> JSONValue {
        .object([
            "window": .string(verify.window.description),
            "min_requests": .int(verify.minRequests),
            "max_error_percent": .number(verify.maxErrorPercent),
            "max_latency_ratio": .number(verify.maxLatencyRatio),
            "log_patterns": .strings(verify.logPatterns),
            "max_wait": .string(verify.maxWait.description),
        ])
    }

    private func healthcheck(_ health: HealthCheck) -> JSONValue {
        let check: JSONValue.Member
        switch health.check {
        case .command(let words): check = .init("test", .strings(words))
        case .http(let http): check = .init("url", .string(http.url))
        }
        return .object([
            check,
            .init("interval", .string(health.interval.description)),
            .init("timeout", .string(health.timeout.description)),
            .init("retries", .int(health.retries)),
            .init("start_period", .string(health.startPeriod.description)),
        ])
    }

    private func configFile(_ file: ConfigFile) -> JSONValue {
        let octal = String(file.mode, radix: 8)
        return .object([
            "template": .string(path(file.template)),
            "target": .string(path(file.target)),
            "mode": .string(String(repeating: "0", count: max(0, 4 - octal.count)) + octal),
            "values": .object(file.values.map { JSONValue.Member($0.name, value($0.value)) }),
        ])
    }

    private func database(_ database: Database) -> JSONValue {
        var members: [JSONValue.Member] = [.init("url", .string(url(database.location)))]
        if case .postgres(_, .some) = database.location { members.append(.init("password", .string(Self.sensitive))) }
        members.append(.init("migrations", .string(path(database.migrationsDirectory))))
        if let migrateTo = database.migrateTo { members.append(.init("migrate_to", .string(migrateTo.text))) }
        members.append(.init("versions", .array(database.migrations.map { migration in
            .object([
                "version": .string(migration.version.text),
                "description": .string(migration.description),
                "file": .string(path(migration.path)),
                "undo": migration.undoPath.map { .string(path($0)) },
            ])
        })))
        return .object(members)
    }

    private func secret(_ secret: Secret) -> JSONValue {
        switch secret.source {
        case .environmentVariable(let name): .object(["env": .string(name)])
        case .file(let file): .object(["file": .string(path(file))])
        case .literal: .object(["value": .string(Self.sensitive)])
        }
    }
}

extension DatabaseLocation {
    var hasPassword: Bool {
        if case .postgres(_, .some) = self { return true }
        return false
    }
}
