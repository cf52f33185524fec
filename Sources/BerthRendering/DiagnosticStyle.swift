
public import BerthCore

/// How diagnostics look on a terminal: `PATH:LINE:COLUMN: error: MESSAGE`, with colour when asked.
public struct DiagnosticStyle: Sendable {
    public var color: Bool

    public init(color: Bool) {
        self.color = color
    }

    public func format(_ diagnostic: Diagnostic) -> String {
        guard color else { return diagnostic.description }
        let label = diagnostic.severity == .error ? "\u{1B}[1;31merror:\u{1B}[0m" : "\u{1B}[1;33mwarning:\u{1B}[0m"
        let place = "\(Diagnostic.printable(diagnostic.location.file)):\(diagnostic.location.line):\(diagnostic.location.column)"
        return "\u{1B}[1m\(place):\u{1B}[0m \(label) \(Diagnostic.readable(diagnostic.message))"
    }

    public func format(error message: String) -> String {
        let message = Diagnostic.readable(message)
        return color ? "\u{1B}[1;31merror:\u{1B}[0m \(message)" : "error: \(message)"
    }

    public func green(_ text: String) -> String { color ? "\u{1B}[32m\(text)\u{1B}[0m" : text }
    public func red(_ text: String) -> String { color ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
    public func yellow(_ text: String) -> String { color ? "\u{1B}[33m\(text)\u{1B}[0m" : text }
}
