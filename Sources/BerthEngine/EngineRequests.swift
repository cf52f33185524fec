import BerthCore
/// The Docker Engine API requests Berth sends, built as values without a socket.
///
/// Every path starts with the pinned API version (``apiVersion``), so an engine that speaks a
/// newer version still answers in the shape Berth decodes. Query values and path segments are
/// percent-encoded (everything but RFC 3986's unreserved characters); JSON bodies have sorted keys.
public enum EngineRequests {
    /// The API version Berth speaks: Docker 20.10's, which Podman 4 also serves.
    public static let apiVersion = "1.41"

    static var prefix: String { "/v\(apiVersion)" }

    /// `GET /_ping`: answers "OK".
    public static func ping() -> HTTPRequest {
        HTTPRequest(method: "GET", path: prefix + "/_ping")
    }

    /// `GET /version`
    public static func version() -> HTTPRequest {
        HTTPRequest(method: "GET", path: prefix + "/version")
    }

    /// `GET /containers/json?all=1&filters={"label":["k=v",...]}`: every container, running or not,
    /// carrying all of `labels` (no filter when `labels` is empty).
    public static func listContainers(labels: [String: String]) -> HTTPRequest {
        var query = [("all", "1")]
        if !labels.isEmpty {
            let terms = labels.map { "\($0.key)=\($0.value)" }.sorted()
            let filters = JSONValue.sorted(["label": .array(terms.map(JSONValue.string))])
            query.append(("filters", filters.compactJSONText()))
        }
        return HTTPRequest(method: "GET", path: prefix + "/containers/json" + queryString(query))
    }

    /// `GET /images/json`: every image the engine has, with its tags and digests.
    public static func listImages() -> HTTPRequest {
        HTTPRequest(method: "GET", path: prefix + "/images/json")
    }

    /// `POST /containers/create?name=NAME` with the spec as JSON.
    public static func createContainer(name: String, spec: ContainerSpec) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            path: prefix + "/containers/create" + queryString([("name", name)]),
            headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
            body: Array(createBody(spec).compactJSONText().utf8)
        )
    }

    /// `POST /containers/ID/start`
    public static func startContainer(id: String) -> HTTPRequest {
        HTTPRequest(method: "POST", path: containerPath(id) + "/start")
    }

    /// `POST /containers/ID/stop?t=SECONDS`: SIGTERM, then SIGKILL after the timeout.
    public static func stopContainer(id: String, timeoutSeconds: Int) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            path: containerPath(id) + "/stop" + queryString([("t", String(max(timeoutSeconds, 0)))])
        )
    }

    /// `DELETE /containers/ID?force=1|0`
    public static func removeContainer(id: String, force: Bool) -> HTTPRequest {
        HTTPRequest(
            method: "DELETE",
            path: containerPath(id) + queryString([("force", force ? "1" : "0")])
        )
    }

    /// `GET /containers/ID/logs?stdout=1&stderr=1&since=SECONDS&timestamps=0`: both outputs since a
    /// time in seconds since 1970 (0 for everything; a negative time counts as 0), without timestamps.
    public static func containerLogs(id: String, since: Int) -> HTTPRequest {
        containerLogs(id: id, options: LogOptions(since: since))
    }

    /// The same request with `&tail=N` (the last N lines) and `&follow=1` when the options ask for them.
    public static func containerLogs(id: String, options: LogOptions) -> HTTPRequest {
        var query = [("stdout", "1"), ("stderr", "1"), ("since", String(max(options.since ?? 0, 0))), ("timestamps", "0")]
        if let tail = options.tail { query.append(("tail", String(max(tail, 0)))) }
        if options.follow { query.append(("follow", "1")) }
        return HTTPRequest(method: "GET", path: containerPath(id) + "/logs" + queryString(query))
    }

    /// `GET /containers/ID/json`: the container's full description (Berth reads its state).
    public static func inspectContainer(id: String) -> HTTPRequest {
        HTTPRequest(method: "GET", path: containerPath(id) + "/json")
    }

    // MARK: Bodies

    static func createBody(_ spec: ContainerSpec) -> JSONValue {
        var body: [String: JSONValue] = [
            "Image": .string(spec.image),
            "Env": .array(spec.environment.map(JSONValue.string)),
            "Labels": .sorted(spec.labels.mapValues(JSONValue.string)),
        ]
        if let command = spec.command { body["Cmd"] = .array(command.map(JSONValue.string)) }

        var exposed: [String: JSONValue] = [:]
        var bindings: [String: [JSONValue]] = [:]
        for port in spec.ports {
            exposed[port.portKey] = .sorted([:])
            bindings[port.portKey, default: []].append(
                .sorted([
                    "HostIp": .string(port.hostIP ?? ""),
                    "HostPort": .string(port.hostPort.map(String.init) ?? ""),
                ])
            )
        }
        if !exposed.isEmpty { body["ExposedPorts"] = .sorted(exposed) }

        var hostConfig: [String: JSONValue] = [
            "RestartPolicy": .sorted(["Name": .string(spec.restartPolicy)])
        ]
        if !bindings.isEmpty { hostConfig["PortBindings"] = .sorted(bindings.mapValues(JSONValue.array)) }
        if !spec.binds.isEmpty { hostConfig["Binds"] = .array(spec.binds.map(JSONValue.string)) }
        body["HostConfig"] = .sorted(hostConfig)

        if let check = spec.healthcheck {
            body["Healthcheck"] = .sorted([
                "Test": .array(check.test.map(JSONValue.string)),
                "Interval": .int(Int(check.interval.wholeNanoseconds)),
                "Timeout": .int(Int(check.timeout.wholeNanoseconds)),
                "Retries": .int(check.retries),
                "StartPeriod": .int(Int(check.startPeriod.wholeNanoseconds)),
            ])
        }
        return .sorted(body)
    }


    // MARK: Encoding

    /// `/vX/containers/ID`, the id percent-encoded.
    static func containerPath(_ id: String) -> String {
        prefix + "/containers/" + percentEncoded(id)
    }

    static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { percentEncoded($0.0) + "=" + percentEncoded($0.1) }.joined(separator: "&")
    }

    /// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
