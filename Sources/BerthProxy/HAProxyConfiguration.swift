public import BerthModel

/// The HAProxy configuration for a layout: a pure function, compared whole with golden text in the
/// tests and checked by `haproxy -c` before it replaces the running one.
///
/// Server slots are declared disabled at `127.0.0.1:1`; their address, weight and state come from the
/// runtime API (`set server`) and survive a reload through the server state file.
public enum HAProxyConfiguration {
    /// The frontend's name: a dot keeps it apart from every service name (`[a-z0-9][a-z0-9_-]*`).
    public static let frontendName = "berth.http"
    /// The backend that answers requests no route matches with 404.
    public static let noRouteBackend = "berth.no-route"
    /// The variable the running process reports the layout's hash in (`show env BERTH_LAYOUT`).
    public static let layoutVariable = "BERTH_LAYOUT"

    public static func text(for layout: ProxyLayout) -> String {
        let settings = layout.settings
        var lines = [
            "# Written by Berth for the environment \(layout.environment); the next configure replaces it.",
            "global",
            "    master-worker",
            "    pidfile \(word(settings.pidFile))",
            "    stats socket \(word(settings.adminSocket)) mode 600 level admin expose-fd listeners",
            "    server-state-file \(word(settings.serverStateFile))",
            "    setenv \(layoutVariable) \(layout.sha256)",
            "    maxconn 4096",
            "",
            "defaults",
            "    mode http",
            // Every server is a replica on loopback, where a connection takes well under a millisecond:
            // one not made in 250 ms lost its SYN, and is retried at once rather than after the kernel's
            // one-second retransmission (seen here against servers that close each connection).
            "    timeout connect 250ms",
            "    timeout client 30s",
            "    timeout server 30s",
            "    timeout http-request 10s",
            "    timeout http-keep-alive 10s",
            "    option redispatch",
            "    retries 3",
            "    load-server-state-from-file global",
            "    default-server init-addr last,none",
            "",
            "frontend \(frontendName)",
            "    bind \(bindAddress(settings.listen))",
        ]
        let routed = layout.backends.sorted(by: isMoreSpecific)
        for backend in routed {
            if let host = backend.host { lines.append("    acl host_\(backend.name) hdr(host),field(1,:) -i \(word(host))") }
            if backend.path != "/" { lines.append("    acl path_\(backend.name) path_beg \(word(backend.path))") }
        }
        for backend in routed {
            let conditions = (backend.host == nil ? [] : ["host_\(backend.name)"]) + (backend.path == "/" ? [] : ["path_\(backend.name)"])
            lines.append("    use_backend \(backend.name)" + (conditions.isEmpty ? "" : " if " + conditions.joined(separator: " ")))
        }
        lines.append("    default_backend \(noRouteBackend)")
        for backend in layout.backends {
            lines.append("")
            lines += backendLines(backend, environment: layout.environment)
        }
        lines += [
            "",
            "backend \(noRouteBackend)",
            "    http-request return status 404 content-type text/plain string \"no route\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func backendLines(_ backend: ProxyLayout.Backend, environment: String) -> [String] {
        var lines = ["backend \(backend.name)"]
        switch backend.sticky {
        case .source?:
            lines += ["    balance source", "    hash-type consistent"]
        case .cookie?:
            lines += [
                "    balance roundrobin",
                "    cookie BERTH_\(backend.name.uppercased()) insert indirect nocache dynamic",
                "    dynamic-cookie-key \(cookieKey(environment: environment, backend: backend.name))",
            ]
        case nil:
            lines.append("    balance roundrobin")
        }
        if let path = backend.checkPath {
            lines += ["    option httpchk GET \(word(path))", "    http-check expect status 200-399"]
        }
        lines.append(
            "    server-template s 1-\(backend.slotNames.count) 127.0.0.1:1 disabled check inter \(backend.checkIntervalMilliseconds)ms fall 2 rise 1"
        )
        return lines
    }

    /// Host and longest path first: the first `use_backend` that matches wins.
    private static func isMoreSpecific(_ left: ProxyLayout.Backend, _ right: ProxyLayout.Backend) -> Bool {
        if (left.host != nil) != (right.host != nil) { return left.host != nil }
        if left.path.utf8.count != right.path.utf8.count { return left.path.utf8.count > right.path.utf8.count }
        return left.name < right.name
    }

    /// `127.0.0.1:18000`, `[::1]:8080`, `:80` for every IPv4 address, `[::]:80 v4v6` for every address.
    static func bindAddress(_ listen: HostPort) -> String {
        switch listen.hostIP {
        case nil, "": ":\(listen.port)"
        case "::": "[::]:\(listen.port) v4v6"
        case let ip? where ip.contains(":"): "[\(ip)]:\(listen.port)"
        case let ip?: "\(ip):\(listen.port)"
        }
    }

    /// The key dynamic cookies are hashed with: the same for an environment's backend across reloads,
    /// so a client keeps its server; it only has to keep clients from choosing a server by hand.
    static func cookieKey(environment: String, backend: String) -> String {
        String(SHA256.hex("berth dynamic cookie\n\(environment)\n\(backend)").prefix(32))
    }

    /// One word of the configuration: as it is when it has nothing HAProxy reads specially, else in
    /// single quotes (nothing is special inside them; a quote closes, adds `\'` and reopens).
    static func word(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "_", "-", ":", "~", "%", "+", "=", ",", "@": true
            default: false
            }
        }
        return plain ? value : "'" + value.replacing("'", with: "'\\''") + "'"
    }
}
