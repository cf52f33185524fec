#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BerthCore
import BerthRendering

/// Where a command writes: results to standard output, diagnostics and progress to standard error.
/// Colour only on a terminal, and never with `NO_COLOR` or `--no-color`. Tests give it sinks of their own.
struct Console: Sendable {
    let errorStyle: DiagnosticStyle
    let outputStyle: DiagnosticStyle
    private let sink: @Sendable (_ fd: Int32, _ text: String) -> Void

    init(noColor: Bool) {
        let allowed = !noColor && ProcessEnvironment.value("NO_COLOR").map(\.isEmpty) ?? true
        errorStyle = DiagnosticStyle(color: allowed && isatty(STDERR_FILENO) == 1)
        outputStyle = DiagnosticStyle(color: allowed && isatty(STDOUT_FILENO) == 1)
        sink = Console.write
    }

    /// A console without colour whose writes go to `sink` (1 for standard output, 2 for standard error).
    init(sink: @escaping @Sendable (_ fd: Int32, _ text: String) -> Void) {
        errorStyle = DiagnosticStyle(color: false)
        outputStyle = DiagnosticStyle(color: false)
        self.sink = sink
    }

    func output(_ text: String) { sink(STDOUT_FILENO, text) }

    func error(_ text: String) { sink(STDERR_FILENO, text) }

    /// Every diagnostic, at most 100 a file, then how many more that file had.
    func report(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        let (shown, more) = diagnostics.capped(perFile: 100)
        error(shown.map { errorStyle.format($0) + "\n" }.joined()
            + more.map { "\(Diagnostic.printable($0.file)): and \($0.count) more\n" }.joined())
    }

    func fail(_ message: String) { error(errorStyle.format(error: message) + "\n") }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

enum ProcessEnvironment {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static func variables() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
