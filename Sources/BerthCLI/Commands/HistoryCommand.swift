import ArgumentParser
import BerthModel
import BerthApply
import BerthSession
import BerthRendering

/// `berth history --env NAME [--json]`: the journal of applies, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the past applies of an environment, newest first.",
        discussion: "Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("How many applies to show.", valueName: "n"))
    var limit = 20

    func run() throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        let records = try CommandContext.readStateStore(env, context: context, console: console) { store, key throws(SessionError) in
            do {
                return try store.history(environment: key, limit: limit)
            } catch {
                throw SessionError("cannot read the journal: \(error)")
            }
        }
        let view = HistoryView(environment: env, records: records)
        console.output(json ? view.json().jsonText() : view.text())
    }
}

/// `berth unlock --env NAME`: for the rare lock that outlives its apply; recorded in the journal.
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove the lock of an environment (recorded in its history).",
        discussion: "A lock whose holder died expires by itself; this is for the rare case. Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    func run() throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        do throws(SessionError) {
            let (store, key) = try StateStoreAccess.open(env, context: context)
            do {
                let removed = try store.forceUnlock(environment: key, by: context.owner, now: context.clock.now)
                console.output(removed.map { "Removed the lock of \(env) held by \($0.owner).\n" } ?? "\(env) was not locked.\n")
            } catch {
                throw SessionError("cannot unlock \(env): \(error)")
            }
        } catch {
            throw error.report(on: console)
        }
    }
}
