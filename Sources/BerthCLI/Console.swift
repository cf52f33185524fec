#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BerthYAML
import BerthRendering

/// Where a command writes: results to standard output, diagnostics and progress to standard error.
/// Colour only on a terminal, and never with `NO_COLOR` or `--no-color`.
struct Console {
    let errorStyle: DiagnosticStyle
    let outputStyle: DiagnosticStyle

    init(noColor: Bool) {
        let allowed = !noColor && ProcessEnvironment.value("NO_COLOR").map(\.isEmpty) ?? true
        errorStyle = DiagnosticStyle(color: allowed && isatty(STDERR_FILENO) == 1)
        outputStyle = DiagnosticStyle(color: allowed && isatty(STDOUT_FILENO) == 1)
    }

    func output(_ text: String) { write(text, to: STDOUT_FILENO) }

    func error(_ text: String) { write(text, to: STDERR_FILENO) }

    func report(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        error(diagnostics.map { errorStyle.format($0) + "\n" }.joined())
    }

    func fail(_ message: String) { error(errorStyle.format(error: message) + "\n") }

    private func write(_ text: String, to fd: Int32) {
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
