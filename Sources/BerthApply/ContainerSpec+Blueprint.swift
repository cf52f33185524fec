public import BerthModel
public import BerthEngine

extension ContainerSpec {
    /// What the engine is sent for a plan's blueprint: secret references filled in from `secrets` at
    /// the moment of sending. Fails, naming the secret, when one is not given.
    public init(_ blueprint: ContainerBlueprint, secrets: [String: String]) throws(ApplyError) {
        var variables: [String] = []
        for variable in blueprint.environment {
            if let secret = variable.secret {
                guard let value = secrets[secret] else {
                    throw ApplyError("\(blueprint.name): the secret \(secret) of \(variable.name) was not resolved")
                }
                variables.append("\(variable.name)=\(value)")
            } else {
                variables.append("\(variable.name)=\(variable.value ?? "")")
            }
        }
        self.init(
            image: blueprint.image, command: blueprint.command, environment: variables, labels: blueprint.labels,
            ports: blueprint.ports.map {
                PublishedPort(containerPort: $0.containerPort, protocol: $0.protocol, hostIP: $0.hostIP, hostPort: $0.hostPort)
            },
            binds: blueprint.binds, restartPolicy: blueprint.restart,
            healthcheck: blueprint.healthcheck.map { check in
                EngineHealthcheck(
                    test: check.test, interval: .milliseconds(check.intervalMilliseconds),
                    timeout: .milliseconds(check.timeoutMilliseconds), retries: check.retries,
                    startPeriod: .milliseconds(check.startPeriodMilliseconds)
                )
            }
        )
    }
}
