import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// A question a command asks before it changes something: only on a terminal, answered by typing `yes`.
enum Confirmation {
    /// Nil when the answer is yes; otherwise why not. Without a terminal on standard input, refuses
    /// with "refusing to VERB without --yes".
    static func ask(_ question: String, verb: String, console: Console) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return "refusing to \(verb) without --yes: standard input is not a terminal" }
        console.error("\n\(question) Type yes to go on: ")
        guard readLine()?.trimmingSpaces() == "yes" else { return "not confirmed" }
        return nil
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
    }
}

/// `--yes` and `--lock-timeout`, as the commands that replace a database take them.
struct DatabaseReplacementOptions: ParsableArguments {
    @Flag(name: .long, help: "Go on without asking.")
    var yes = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for an apply of the environment to finish.", valueName: "seconds"))
    var lockTimeout = 0

    var lockWait: Duration { .seconds(lockTimeout) }

    /// Nil with `--yes`; otherwise `ask`.
    func confirm<Target>(_ ask: @escaping @Sendable (Target) async -> String?) -> (@Sendable (Target) async -> String?)? {
        yes ? nil : ask
    }
}
