/// The environment file's schema: the one description of its keys.
public enum EnvironmentSchema {
    static let namePattern = "^[a-z0-9][a-z0-9_-]*$"
    static let durationPattern = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$"

    public static let secretReference = ObjectSchema(
        "A reference to a secret declared under `secrets`; its value is never shown.",
        required: ["secret"],
        [.init("secret", .string("The name of a secret under `secrets`."))]
    )

    /// A value in `environment:` or a config's `values:`: text, or a secret reference.
    public static let value: Schema = .anyOf(
        [
            .string("A literal value."),
            .integer(description: "A number, passed on as text."),
            .boolean(description: "A boolean, passed on as text."),
            .object(secretReference),
        ],
        description: "A literal value, or `{ secret: NAME }`."
    )

    public static let healthcheck = ObjectSchema(
        "How Berth and the engine tell that a replica is healthy. Give `test` or `url`.",
        alternatives: ["test", "url"],
        [
            .init("test", .anyOf(
                [.string("A shell command run inside the container."),
                 .array(items: .string("An argument."), description: "[\"CMD\", ...] or [\"CMD-SHELL\", \"...\"]")],
                description: "A command run inside the container; exit 0 means healthy (compose's `test`)."
            )),
            .init("url", .string(
                "An HTTP URL as the container sees it (http://localhost:80/health); Berth reaches it through the port each replica publishes.",
                pattern: "^https?://"
            )),
            .init("interval", .string("Time between checks (default 10s).", pattern: durationPattern)),
            .init("timeout", .string("How long one check may take (default 5s).", pattern: durationPattern)),
            .init("retries", .integer(description: "Failed checks in a row before unhealthy (default 3).", minimum: 1, maximum: 100)),
            .init("start_period", .string("Grace time after start (default 0s).", pattern: durationPattern)),
        ]
    )

    public static let dependency = ObjectSchema(
        "How a service waits for another.",
        [.init("condition", .string(
            "What to wait for.", oneOf: Dependency.Condition.allCases.map(\.rawValue)
        ))]
    )

    public static let configMount = ObjectSchema(
        "A config file mounted read-only into the container.",
        required: ["source"],
        [
            .init("source", .string("The name of a config under `configs.files`.")),
            .init("target", .string("The absolute path inside the container (default /NAME).", pattern: "^/")),
        ]
    )

    /// The two ways to write a command: a string split like a shell would, or the argument vector.
    static let commandForms: [Schema] = [
        .string("A command line, split into words as a shell would."),
        .array(items: .string("An argument."), description: "The argument vector."),
    ]

    public static let route = ObjectSchema(
        "How the proxy reaches the service: requests for `host` whose path begins with `path` go to the replicas' `port`. A routed service's replicas publish that port on loopback ports Berth chooses, never on a fixed host port.",
        required: ["port"],
        [
            .init("host", .string("The host name clients ask for (a DNS name); any host when absent.")),
            .init("path", .string("The path prefix, beginning with / (default /, every path).", pattern: "^/")),
            .init("port", .integer(description: "The container port the replicas serve on.", minimum: 1, maximum: 65535)),
            .init("drain_timeout", .string("How long a replica taken out of rotation keeps its open connections before it stops (default 30s, at most 1h).", pattern: durationPattern)),
        ]
    )

    public static let canaryStep = ObjectSchema(
        "One step of a canary release.",
        required: ["weight"],
        [
            .init("weight", .integer(description: "The percentage of new clients the new version gets; the steps grow, and the last is 100.", minimum: 1, maximum: 100)),
            .init("pause", .string("How long the step is verified before the next (longer than 0s); the last step may leave it out.", pattern: durationPattern)),
        ]
    )

    public static let canary = ObjectSchema(
        "How a canary release moves traffic (strategy: canary).",
        [
            .init("steps", .array(
                items: .object(canaryStep),
                description: "At most 20 steps, in order (default 10% for 1m, 50% for 1m, then 100%)."
            )),
            .init("sticky", .string(
                "How a client stays on the version it first reached: a cookie the proxy sets, or the client's address (default cookie).",
                oneOf: CanarySettings.Stickiness.allCases.map(\.rawValue)
            )),
        ]
    )

    public static let verify = ObjectSchema(
        "What is checked after traffic moves to a new version, before the release goes on (or is undone).",
        [
            .init("window", .string("How long the new version is watched (default 60s, 1s to 1h).", pattern: durationPattern)),
            .init("min_requests", .integer(description: "Fewer requests than this is inconclusive, never a pass (default 20).", minimum: 1, maximum: 1_000_000)),
            .init("max_error_percent", .number(description: "The share of 5xx responses, in percent, above which the new version fails (default 1).", minimum: 0, maximum: 100)),
            .init("max_latency_ratio", .number(description: "The new version fails when its mean response time is more than this many times the old one's (default 3).", minimum: 1)),
            .init("log_patterns", .array(
                items: .string("A POSIX extended regular expression."),
                description: "Patterns a new container's log must not match."
            )),
            .init("max_wait", .string("How long an inconclusive step waits for requests before the release fails (default 5 times the window).", pattern: durationPattern)),
        ]
    )

    public static let hooks = ObjectSchema(
        "Commands run on the host around the switch of traffic, with the release's facts in BERTH_* variables.",
        [
            .init("before_switch", .array(items: .anyOf(commandForms, description: "A command run on the host."), description: "Run before traffic moves; a failure stops the release.")),
            .init("after_switch", .array(items: .anyOf(commandForms, description: "A command run on the host."), description: "Run after traffic moved; a failure is reported, traffic stays.")),
        ]
    )

    public static let blueGreen = ObjectSchema(
        "How a blue-green release keeps the old set (strategy: blue-green).",
        [.init("keep", .string(
            "How long the old set is kept out of rotation, so that a rollback is a switch back (default 10m, at most 7d).",
            pattern: durationPattern
        ))]
    )

    public static let proxy = ObjectSchema(
        "The proxy in front of the routed services: clients reach them where it listens, and releases move traffic inside it.",
        required: ["listen"],
        [
            .init("kind", .string("The proxy Berth runs (default haproxy).", oneOf: ProxySettings.Kind.allCases.map(\.rawValue))),
            .init("listen", .string(
                "Where clients reach the routed services: IPV4:PORT or [IPV6]:PORT (0.0.0.0:80, 127.0.0.1:18000).",
                pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[0-9.]+):[0-9]+$"
            )),
            .init("root", .string("The host directory of the proxy's configuration, sockets and state, relative to the project (default .berth/proxy/ENV).")),
            .init("ports", .string(
                "FROM-TO: the loopback ports routed replicas publish on, two per replica, within 1024-65535 (default 20000-29999).",
                pattern: "^[0-9]+-[0-9]+$"
            )),
        ]
    )

    public static let service = ObjectSchema(
        "A service: one or more replicas of a container.",
        required: ["image"],
        [
            .init("image", .string("The image reference, with a tag: localhost/web:1.4.2.")),
            .init("command", .anyOf(commandForms, description: "The command; the image's own when absent.")),
            .init("environment", .anyOf(
                [.map(values: value, description: "Variables by name.", keyPattern: "^[A-Za-z_][A-Za-z0-9_]*$"),
                 .array(items: .string("NAME=value", pattern: "^[A-Za-z_][A-Za-z0-9_]*="), description: "NAME=value entries.")],
                description: "Environment variables of the container."
            )),
            .init("ports", .array(
                items: .anyOf(
                    [.string("[HOST_IP:][HOST_PORT[-HOST_PORT]:]CONTAINER_PORT[/tcp|udp]"),
                     .integer(description: "A container port.", minimum: 1, maximum: 65535)],
                    description: "A published port; a host port range gives each replica its own."
                ),
                description: "Published ports."
            )),
            .init("volumes", .array(items: .string("SOURCE:TARGET[:ro|rw]"), description: "Named volumes and bind mounts.")),
            .init("configs", .array(
                items: .anyOf([.string("The name of a config, mounted at /NAME."), .object(configMount)], description: "A config mount."),
                description: "Config files mounted into the container."
            )),
            .init("healthcheck", .object(healthcheck)),
            .init("depends_on", .anyOf(
                [.array(items: .string("A service name."), description: "Services started first."),
                 .map(values: .object(dependency), description: "Services by name, with a condition.")],
                description: "What must be ready before this service starts."
            )),
            .init("labels", .map(values: .string("The label's value."), description: "Container labels; `berth.*` are Berth's own.")),
            .init("replicas", .integer(description: "How many containers run (default 1).", minimum: 0, maximum: 1000)),
            .init("restart", .string("The engine's restart policy (default unless-stopped).", oneOf: RestartPolicy.allCases.map(\.rawValue))),
            .init("strategy", .string(
                "How a changed service is replaced (default recreate; rolling for a routed service). rolling, blue-green and canary move traffic through the proxy and need a route.",
                oneOf: DeployStrategy.allCases.map(\.rawValue)
            )),
            .init("route", .object(route)),
            .init("canary", .object(canary)),
            .init("verify", .object(verify)),
            .init("hooks", .object(hooks)),
            .init("blue_green", .object(blueGreen)),
        ]
    )

    public static let configFile = ObjectSchema(
        "A file Berth writes from a template.",
        required: ["template", "target"],
        [
            .init("template", .string("The template, relative to the environment file; {{ name }} takes a value.")),
            .init("target", .string("Where Berth writes it, relative to `configs.root` (and never outside it).")),
            .init("mode", .anyOf(
                [.string("Octal permission bits, e.g. \"0640\".", pattern: "^0?[0-7]{3}$"),
                 .integer(description: "Permission bits.", minimum: 0, maximum: 777)],
                description: "Permission bits (default 0644)."
            )),
            .init("values", .map(values: value, description: "Values of the template's placeholders.")),
        ]
    )

    public static let configs = ObjectSchema(
        "Config files Berth owns on the host.",
        [
            .init("root", .string("The host directory every config target stays under, relative to the project (default .berth/configs/ENV).")),
            .init("files", .map(values: .object(configFile), description: "Config files by name.", keyPattern: namePattern)),
        ]
    )

    public static let database = ObjectSchema(
        "The application's database and its migrations.",
        required: ["url"],
        [
            .init("url", .string("postgres://USER@HOST:PORT/DB, or sqlite:PATH (relative to the project).", pattern: "^(postgres(ql)?://|sqlite:)")),
            .init("password", .object(secretReference)),
            .init("migrations", .string("The folder of V<version>__<description>.sql files, relative to the environment file (default migrations).")),
            .init("refresh", .object(databaseRefresh)),
            .init("migrate_to", .string(
                "The highest migration version applied here; later ones wait (default: all). berth promote writes the version its source ran.",
                pattern: "^[0-9]+([._][0-9]+)*$"
            )),
        ]
    )

    public static let databaseRefresh = ObjectSchema(
        "What `berth refresh-data` does after it restores another environment's backup into this database.",
        [.init("mask", .string(
            "An SQL file, relative to the environment file, run in the same transaction as the restore (to mask personal data)."
        ))]
    )

    public static let parity = ObjectSchema(
        "What `berth parity` leaves out when this environment is compared with another.",
        [.init("ignore", .array(
            items: .string(
                "A kind (service, image, config, migration) or a resource (service:NAME, config:NAME, migration:VERSION).",
                pattern: "^(image|(service|config|migration)(:.+)?)$"
            ),
            description: "Differences expected between the two environments."
        ))]
    )

    public static let secret = ObjectSchema(
        "Where a secret's value lives. Give exactly one of env, file, value.",
        alternatives: ["env", "file", "value"],
        [
            .init("env", .string("An environment variable of the process that runs Berth.", pattern: "^[A-Za-z_][A-Za-z0-9_]*$")),
            .init("file", .string("A file holding the value: absolute, or relative to the environment file.")),
            .init("value", .string("The value itself; refused in a production environment.")),
        ]
    )

    public static let engine = ObjectSchema(
        "The container engine.",
        [.init("host", .string(
            "The Docker Engine API endpoint: unix:///PATH or tcp://HOST:PORT (default $DOCKER_HOST, /var/run/docker.sock, /run/podman/podman.sock).",
            pattern: "^(unix|tcp)://"
        ))]
    )

    public static let state = ObjectSchema(
        "Where Berth keeps its journal and locks.",
        [
            .init("url", .string("sqlite:PATH (relative to the project; default sqlite:.berth/state.sqlite) or postgres://USER@HOST:PORT/DB.", pattern: "^(postgres(ql)?://|sqlite:)")),
            .init("password", .object(secretReference)),
        ]
    )

    public static let backups = ObjectSchema(
        "Copies taken before an apply changes something: the database before a migration, a config file before it is rewritten. Files are mode 0600.",
        [
            .init("root", .string("The host directory of this environment's backups, relative to the project (default .berth/backups/ENV).")),
            .init("keep", .integer(
                description: "The files of this many newest releases that took backups are kept; older ones are deleted (default \(BackupSettings.defaultKeep)).",
                minimum: 1, maximum: 10_000
            )),
        ]
    )

    public static let promotion = ObjectSchema(
        "Where this environment's releases come from: berth promote refuses another source, and a release that has not run long enough there.",
        required: ["from"],
        [
            .init("from", .string("The environment whose current release is promoted here.", pattern: namePattern)),
            .init("soak", .string("How long the source release must have run first (default 0s, at most 90 days).", pattern: durationPattern)),
        ]
    )

    static let hoursPattern = "^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
    static let datePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

    public static let approval = ObjectSchema(
        "Who must approve a saved plan before it is applied.",
        [.init("distinct", .boolean(description: "The approver must be another user than the one who applies."))]
    )

    public static let windowTimes = ObjectSchema(
        "Weekdays and local hours.",
        required: ["days"],
        [
            .init("days", .array(items: .string("A weekday.", oneOf: Weekday.allCases.map(\.rawValue)), description: "The weekdays it applies on.")),
            .init("hours", .string("HH:MM-HH:MM, local to policy.timezone; the end is after the start, and may be 24:00 (default 00:00-24:00).", pattern: hoursPattern)),
        ]
    )

    public static let window = ObjectSchema(
        "A named window that allows or denies changes. Give `allow` or `deny`.",
        required: ["name"],
        alternatives: ["allow", "deny"],
        [
            .init("name", .string("What a refusal or `berth window` names.")),
            .init("allow", .object(windowTimes)),
            .init("deny", .object(windowTimes)),
        ]
    )

    public static let freeze = ObjectSchema(
        "A period when nothing changes; both dates are included.",
        required: ["name", "from", "to"],
        [
            .init("name", .string("What a refusal or `berth window` names.")),
            .init("from", .string("The first day, YYYY-MM-DD.", pattern: datePattern)),
            .init("to", .string("The last day, YYYY-MM-DD.", pattern: datePattern)),
            .init("reason", .string("Why, for people.")),
        ]
    )

    public static let policy = ObjectSchema(
        "When changes are allowed, and who must approve them. Without windows, freezes or holidays changes are always allowed; with an allow window, only inside allow windows; a deny window, a freeze or a holiday always wins.",
        [
            .init("approval", .anyOf(
                [.string("Any approval of the saved plan.", oneOf: ["required"]), .object(approval)],
                description: "`required`, or `{ distinct: true }`: apply takes a saved plan approved with berth approve."
            )),
            .init("timezone", .string("An IANA time zone (Europe/Paris); the windows' days and hours are local to it (default UTC).")),
            .init("windows", .array(items: .object(window), description: "Allow and deny windows.")),
            .init("freezes", .array(items: .object(freeze), description: "Periods when nothing changes.")),
            .init("holidays", .string("An iCalendar file beside the environment file; its all-day events deny their whole day.")),
            .init("rollback", .string("Whether berth rollback runs while the window is closed (default allowed).", oneOf: ["allowed", "denied"])),
        ]
    )

    public static let environment = ObjectSchema(
        "A Berth environment: the desired state of one deployment.",
        [
            .init("extends", .string("An environment file to inherit from (base, or another environment).", pattern: namePattern)),
            .init("project", .string("The project's name, on every container's berth.project label.", pattern: namePattern)),
            .init("production", .boolean(description: "Production rules: secrets only by reference (default: true for the environment named production).")),
            .init("engine", .object(engine)),
            .init("state", .object(state)),
            .init("services", .map(values: .object(service), description: "Services by name.", keyPattern: namePattern)),
            .init("configs", .object(configs)),
            .init("database", .object(database)),
            .init("secrets", .map(values: .object(secret), description: "Secrets by name.", keyPattern: namePattern)),
            .init("backups", .object(backups)),
            .init("proxy", .object(proxy)),
            .init("parity", .object(parity)),
            .init("promotion", .object(promotion)),
            .init("policy", .object(policy)),
        ]
    )
}
