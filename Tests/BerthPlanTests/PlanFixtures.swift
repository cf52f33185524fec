import BerthModel

/// A small desired state built in code: web (2 replicas, start-first, mounts app-env, waits for
/// migrations), worker (recreate, depends on web), two migrations, one config.
enum PlanFixtures {
    static func environment(
        webImage: String = "localhost/web:1.0.0", webReplicas: Int = 2, webStrategy: DeployStrategy = .startFirst,
        workerDependsOnWeb: Bool = true, webPort: String = "80", webEnvironment: [EnvironmentVariable] = [],
        webHealth: HealthCheck? = nil
    ) -> Environment {
        let web = Service(
            name: "web", image: try! ImageReference(parsing: webImage), environment: webEnvironment,
            ports: [try! PortMapping(parsing: webPort)],
            configs: [ConfigMount(config: "app-env", target: "/etc/app.env")], healthcheck: webHealth,
            dependsOn: [Dependency(service: "database", condition: .migrationsApplied)], replicas: webReplicas, strategy: webStrategy
        )
        let worker = Service(
            name: "worker", image: try! ImageReference(parsing: "localhost/worker:1.0.0"),
            dependsOn: workerDependsOnWeb ? [Dependency(service: "web", condition: .serviceStarted)] : [], strategy: .recreate
        )
        return Environment(
            name: "dev", project: "shop", engine: EngineSettings(host: "unix:///run/e.sock", isDefault: false),
            state: StateSettings(store: .sqlite(path: "/p/.berth/state.sqlite")),
            services: [web, worker],
            configs: ConfigSettings(root: "/p/.berth/configs/dev", files: [
                ConfigFile(name: "app-env", template: "/p/environments/app.tmpl", target: "/p/.berth/configs/dev/app.env", mode: 0o640),
            ]),
            database: Database(location: .sqlite(path: "/p/db.sqlite"), migrationsDirectory: "/p/environments/migrations", migrations: [
                Migration(version: MigrationVersion("1")!, description: "init", path: "/p/environments/migrations/V1__init.sql"),
                Migration(version: MigrationVersion("2")!, description: "more", path: "/p/environments/migrations/V2__more.sql"),
            ])
        )
    }

    static func desired(
        _ environment: Environment = environment(), configHash: String = "c0ffee", secretHashes: [String: String] = [:],
        maskedConfig: String? = nil
    ) -> DesiredState {
        let configHashes = ["app-env": configHash]
        var specs: [String: ServiceSpec] = [:]
        for service in environment.services {
            specs[service.name] = ServiceSpec(service: service, configHashes: configHashes, secretHashes: secretHashes)
        }
        return DesiredState(
            environment: environment, configHashes: configHashes, migrationChecksums: ["1": "aaa", "2": "bbb"], specs: specs,
            maskedConfigs: maskedConfig.map { ["app-env": $0] } ?? [:]
        )
    }

    /// What a finished apply of `desired` leaves behind.
    static func converged(_ desired: DesiredState) -> ObservedState {
        var containers: [ObservedContainer] = []
        for service in desired.environment.services {
            let spec = desired.specs[service.name]!
            for replica in 1...max(service.replicas, 1) where replica <= service.replicas {
                    var container = container(service: service.name, replica: replica, image: service.image.text, spec: spec)
                container.ports = service.ports.compactMap { mapping in
                    mapping.hostPort(forReplica: replica - 1).map {
                        HostPort(hostIP: mapping.hostIP, port: $0, protocol: mapping.protocol.rawValue)
                    }
                }
                containers.append(container)
            }
        }
        return ObservedState(
            containers: containers,
            configs: desired.environment.configs.files.map {
                ObservedConfig(name: $0.name, target: $0.target, sha256: desired.configHashes[$0.name], mode: $0.mode)
            },
            migrations: desired.migrationChecksums.sorted { $0.key < $1.key }.map {
                AppliedMigration(version: $0.key, description: "", checksum: $0.value, appliedAt: "2026-11-01T00:00:00Z", success: true)
            }
        )
    }

    static func container(
        service: String, replica: Int, image: String, spec: ServiceSpec, state: String = "running", id: String? = nil
    ) -> ObservedContainer {
        ObservedContainer(
            id: id ?? "id-\(service)-\(replica)", name: "shop-dev-\(service)-\(replica)-\(spec.hash.prefix(8))", image: image, state: state,
            labels: [
                BerthLabel.project: "shop", BerthLabel.environment: "dev", BerthLabel.service: service,
                BerthLabel.replica: "\(replica)", BerthLabel.specHash: spec.hash, BerthLabel.specParts: spec.partsLabel,
                BerthLabel.spec: spec.recorded?.label ?? "",
            ]
        )
    }
}
