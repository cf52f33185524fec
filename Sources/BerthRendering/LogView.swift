/// Log lines as `berth logs` prints them: with several containers, each line after its container's
/// label, padded to the longest (`web-1 | ...`), the label coloured on a terminal; with one, the
/// line alone.
public struct LogView: Sendable {
    private static let colors = ["36", "33", "32", "35", "34", "31"]

    private let prefixes: [String: String]

    /// - Parameter sources: the labels of the containers shown, in order.
    public init(sources: [String], style: DiagnosticStyle) {
        guard sources.count > 1 else {
            prefixes = [:]
            return
        }
        let width = sources.map(\.count).max() ?? 0
        var prefixes: [String: String] = [:]
        for (index, label) in sources.enumerated() {
            let padded = label.padding(to: width) + " |"
            let color = Self.colors[index % Self.colors.count]
            prefixes[label] = (style.color ? "\u{1B}[\(color)m\(padded)\u{1B}[0m" : padded) + " "
        }
        self.prefixes = prefixes
    }

    /// One line of output, with its newline.
    public func line(source: String, text: String) -> String {
        (prefixes[source] ?? "") + text + "\n"
    }
}
