public import BerthModel

/// What Berth says to HAProxy's runtime API and how it reads the answers: pure, tested with answers
/// captured from HAProxy 2.6. One connection carries one line of commands separated by `;`; HAProxy
/// answers each in turn (an empty line after most) and closes the connection.
public enum HAProxyRuntimeAPI {
    /// The hash of the layout the process loaded.
    public static let layoutCommand = "show env \(HAProxyConfiguration.layoutVariable)"
    /// The layout's hash, then every server slot.
    public static let observeCommand = layoutCommand + "; " + serverStateCommand
    /// The server table in the format `load-server-state-from-file` reads.
    public static let serverStateCommand = "show servers state"

    /// The servers (type 4) of one backend, as CSV.
    public static func statisticsCommand(backend: String) -> String { "show stat \(backend) 4 -1" }

    // MARK: - Observing

    /// The answer to `observeCommand`.
    public static func parseObserved(_ answer: String) throws(ProxyError) -> ObservedProxy {
        ObservedProxy(configSHA256: parseLayout(answer), servers: try parseServersState(answer))
    }

    /// The hash in the answer to `layoutCommand` (`BERTH_LAYOUT=HASH`). A process without the variable
    /// (not started by Berth) answers `Variable not found` and runs the layout `unknown`, which matches none.
    public static func parseLayout(_ answer: String) -> String {
        let prefix = HAProxyConfiguration.layoutVariable + "="
        return answer.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } ?? "unknown"
    }

    /// The rows of `show servers state` (version 1): columns by the names of its `# be_id be_name ...` header.
    public static func parseServersState(_ answer: String) throws(ProxyError) -> [ProxyServer] {
        let lines = answer.split(separator: "\n")
        guard let headerIndex = lines.firstIndex(where: { $0.hasPrefix("# be_id ") }) else {
            throw ProxyError("HAProxy's server table has no header: \(excerpt(answer))")
        }
        let columns = Columns(lines[headerIndex].dropFirst(2).split(separator: " "))
        var servers: [ProxyServer] = []
        for line in lines[(headerIndex + 1)...] {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == columns.count else { throw ProxyError("HAProxy's server table has a malformed row: \(line)") }
            let admin = columns.integer("srv_admin_state", in: fields)
            servers.append(ProxyServer(
                backend: columns.text("be_name", in: fields), name: columns.text("srv_name", in: fields),
                address: columns.text("srv_addr", in: fields), port: columns.integer("srv_port", in: fields),
                admin: adminState(admin), up: runningStates.contains(columns.integer("srv_op_state", in: fields)),
                weight: columns.integer("srv_uweight", in: fields)
            ))
        }
        return servers
    }

    /// `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping. Starting servers take traffic (slow start).
    static let runningStates: Set<Int> = [1, 2]

    /// `srv_admin_state` is a set of bits: 0x01 forced, 0x02 inherited and 0x20 resolution maintenance,
    /// 0x08 forced and 0x10 inherited drain. 0x04 says the configuration declared the server disabled;
    /// it stays set after `set server ... state ready`, so it says nothing about now.
    static func adminState(_ bits: Int) -> ProxyServer.Admin {
        if bits & 0x23 != 0 { return .maint }
        if bits & 0x18 != 0 { return .drain }
        return .ready
    }

    // MARK: - Statistics

    /// The rows of `show stat` (CSV with a `# pxname,svname,...` header) for `backend`'s servers.
    public static func parseCounters(_ answer: String, backend: String) throws(ProxyError) -> [ServerCounters] {
        let lines = answer.split(separator: "\n")
        guard let header = lines.first, header.hasPrefix("# pxname,") else {
            throw ProxyError("HAProxy answered no statistics for \(backend): \(excerpt(answer))")
        }
        let columns = Columns(header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false))
        var counters: [ServerCounters] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= columns.count else { throw ProxyError("HAProxy's statistics have a malformed row: \(line)") }
            let server = columns.text("svname", in: fields)
            guard columns.text("pxname", in: fields) == backend, server != "BACKEND", server != "FRONTEND" else { continue }
            let unanswered = columns.integer("econ", in: fields) + columns.integer("eresp", in: fields)
            counters.append(ServerCounters(
                backend: backend, slot: server, currentSessions: columns.integer("scur", in: fields),
                responses2xx: columns.integer("hrsp_2xx", in: fields), responses3xx: columns.integer("hrsp_3xx", in: fields),
                responses4xx: columns.integer("hrsp_4xx", in: fields), responses5xx: columns.integer("hrsp_5xx", in: fields),
                otherResponses: columns.integer("hrsp_1xx", in: fields) + columns.integer("hrsp_other", in: fields) + unanswered,
                connectionErrors: unanswered, responseTimeMilliseconds: columns.integer("rtime", in: fields),
                status: columns.text("status", in: fields)
            ))
        }
        return counters
    }

    // MARK: - Setting servers

    /// The commands that set `servers` of `backend`, slots being readied first (address and weight
    /// before `state ready`), so that traffic always has somewhere to go; then those drained or put
    /// in maintenance (state first, so that a new address never takes a request).
    public static func setCommands(backend: String, servers: [ServerSetting]) throws(ProxyError) -> [String] {
        guard isOneWord(backend) else { throw ProxyError("the backend name '\(backend)' cannot be sent to HAProxy") }
        var first: [String] = [], then: [String] = []
        for server in servers {
            guard isOneWord(server.slot) else { throw ProxyError("the slot name '\(server.slot)' cannot be sent to HAProxy") }
            guard isOneWord(server.address) else {
                throw ProxyError("the address '\(server.address)' of \(backend)/\(server.slot) cannot be sent to HAProxy")
            }
            guard (0...65535).contains(server.port) else { throw ProxyError("the port \(server.port) of \(backend)/\(server.slot) is out of range") }
            guard (0...256).contains(server.weight) else {
                throw ProxyError("the weight \(server.weight) of \(backend)/\(server.slot) is not between 0 and 256")
            }
            let target = "set server \(backend)/\(server.slot)"
            let address = "\(target) addr \(server.address) port \(server.port)", weight = "\(target) weight \(server.weight)"
            let state = "\(target) state \(server.admin.rawValue)"
            if server.admin == .ready { first += [address, weight, state] } else { then += [state, address, weight] }
        }
        return first + then
    }

    /// Whether `text` stays one word of one command: no space, no control character, no `;`.
    private static func isOneWord(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: ";") }
    }

    /// Lines of commands of at most `limit` bytes (HAProxy reads one line per connection into a
    /// buffer of 16 KiB); a command is never split.
    public static func lines(_ commands: [String], limit: Int = 8 * 1024) -> [String] {
        var lines: [String] = []
        var current = ""
        for command in commands {
            if !current.isEmpty && current.utf8.count + 2 + command.utf8.count > limit {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : "; ") + command
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The lines of the answer to `set server` commands that report a failure: every line but empty
    /// ones and the reports of a change (`IP changed from ...`, `no need to change the addr, port changed ...`).
    public static func refusals(in answer: String) -> [String] {
        answer.split(separator: "\n").map(String.init).filter { line in
            let lowered = line.lowercased()
            return !lowered.contains("changed from") && !lowered.hasPrefix("no need to change")
        }
    }

    static func excerpt(_ answer: String) -> String {
        let text = answer.split(separator: "\n").prefix(3).joined(separator: " / ")
        return text.isEmpty ? "(nothing)" : String(text.prefix(300))
    }

    /// Columns of a table by the names of its header.
    private struct Columns {
        private var index: [Substring: Int] = [:]
        let count: Int

        init(_ names: [Substring]) {
            count = names.count
            for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        }

        func text(_ name: Substring, in fields: [Substring]) -> String {
            guard let position = index[name], position < fields.count else { return "" }
            return String(fields[position])
        }

        func integer(_ name: Substring, in fields: [Substring]) -> Int { Int(text(name, in: fields)) ?? 0 }
    }
}
