/// One problem found in the input, with the place it was found.
///
/// Stages collect diagnostics instead of stopping at the first; a caller asks `hasErrors`.
public struct Diagnostic: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// How many problems this one stands for: more than one for a summary of those not kept
    /// (`BoundedDiagnostics`); `capped` counts by it.
    public var weight = 1

    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public static func error(at location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: location, message)
    }

    public static func warning(at location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: location, message)
    }

    /// `PATH:LINE:COLUMN: error: MESSAGE`, the form every tool and editor understands. The path and the
    /// message are `printable`: no input can forge a line or colour a terminal.
    public var description: String {
        "\(Self.printable(location.file)):\(location.line):\(location.column): \(severity.rawValue): \(Self.readable(message))"
    }

    /// A message as printed: `printable`, a quoted value of more than 120 characters cut to its start, and the
    /// whole cut at 2000 characters, so that no input can flood a terminal with one line.
    public static func readable(_ message: String) -> String {
        var out = ""
        var quoted: String?
        for character in message {
            if character == "'" {
                if let value = quoted {
                    out += value.count > 120 ? "\(value.prefix(100))… (\(value.count) characters)" : value
                    out.append("'")
                    quoted = nil
                } else {
                    out.append("'")
                    quoted = ""
                }
            } else if quoted != nil {
                quoted?.append(character)
            } else {
                out.append(character)
            }
        }
        if let value = quoted { out += value }
        if out.count > 2000 { out = "\(out.prefix(2000))… (\(out.count - 2000) more characters)" }
        return printable(out)
    }

    /// `text` with control characters, line and paragraph separators and bidirectional overrides
    /// written as `\u{1B}`: what a file name, a key or a value may hold, shown without acting on the terminal.
    public static func printable(_ text: String) -> String {
        func harmless(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: false
            default: true
            }
        }
        guard !text.unicodeScalars.allSatisfy(harmless) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if harmless(scalar) { out.unicodeScalars.append(scalar) } else { out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" }
        }
        return out
    }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        if lhs.location != rhs.location { return lhs.location < rhs.location }
        if lhs.severity != rhs.severity { return lhs.severity == .error }
        return lhs.message < rhs.message
    }
}

extension Sequence where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by place, each diagnostic once (a shared `base.yaml` is reported once, not once per environment).
    /// The order is total (place, severity, message), so equal diagnostics end up side by side and are dropped
    /// there, without hashing every message: a file with half a million problems is sorted once.
    public func normalized() -> [Diagnostic] {
        let sorted = self.sorted()
        var unique: [Diagnostic] = []
        unique.reserveCapacity(sorted.count)
        for diagnostic in sorted where diagnostic != unique.last { unique.append(diagnostic) }
        return unique
    }

    /// At most `limit` diagnostics per file, in order, and how many more each file had.
    public func capped(perFile limit: Int = 100) -> (shown: [Diagnostic], more: [(file: String, count: Int)]) {
        var counts: [String: Int] = [:]
        var shown: [Diagnostic] = []
        var files: [String] = []
        for diagnostic in self {
            let file = diagnostic.location.file
            if counts[file] == nil { files.append(file) }
            let before = counts[file, default: 0]
            counts[file, default: 0] += diagnostic.weight
            if before < limit { shown.append(diagnostic) }
        }
        return (shown, files.compactMap { file in counts[file].flatMap { $0 > limit ? (file, $0 - limit) : nil } })
    }
}
