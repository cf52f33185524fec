/// A `postgres://` or `postgresql://` URL as Berth shows it: split just enough to name the target
/// without a password. libpq parses the URL itself when connecting.
struct PostgresURL: Hashable, Sendable {
    /// The URL given.
    let text: String
    /// The URL without a password in its user part or its query (`password`, `sslpassword`).
    let redacted: String
    /// Whether the URL holds the login password (`user:secret@` or `?password=secret`).
    let hasPassword: Bool

    init?(_ text: String) {
        guard let separator = text.firstRange(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound]
        guard scheme == "postgres" || scheme == "postgresql" else { return nil }
        self.text = text

        let afterScheme = text[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        var path = afterScheme[authorityEnd...]
        var query: Substring = ""
        if let mark = path.firstIndex(of: "?") {
            query = path[path.index(after: mark)...]
            path = path[..<mark]
        }

        var passwordFound = false
        // The user part ends at the last `@`, so a password holding a raw `@` is still cut off.
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            let hostPart = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                passwordFound = userInfo.index(after: colon) != userInfo.endIndex
                authority = userInfo[..<colon] + "@" + hostPart
            }
        }
        var kept: [Substring] = []
        for parameter in query.split(separator: "&") {
            let key = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if key == "password" { passwordFound = true }
            if key.hasSuffix("password") { continue }
            kept.append(parameter)
        }

        var redacted = scheme + "://" + authority + path
        if !kept.isEmpty { redacted += "?" + kept.joined(separator: "&") }
        self.redacted = String(redacted)
        self.hasPassword = passwordFound
    }
}
