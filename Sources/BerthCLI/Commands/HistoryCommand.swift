import ArgumentParser
import Foundation
import BerthApply
import BerthRendering

/// `berth history --env NAME [--json]`: the journal of applies, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the past applies of an environment, newest first.",
        discussion: "Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("How many applies to show.", valueName: "n"))
    var limit = 20

    func run() throws {
        let pipeline = Pipeline(global)
        let console = pipeline.console
        let (_, environment) = try pipeline.load(env)
        // The store's own password, if any, is the only secret needed here.
        let resolution = try pipeline.resolve(environment)
        let store = try EnvironmentLock.openStore(environment, secrets: resolution.secrets, console: console)
        let records: [ApplyRecord]
        do {
            records = try store.history(environment: EnvironmentLock.key(environment), limit: limit)
        } catch {
            console.fail("cannot read the journal: \(error)")
            throw ExitCode(1)
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

    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"))
    var env: String

    func run() throws {
        let pipeline = Pipeline(global)
        let console = pipeline.console
        let (_, environment) = try pipeline.load(env)
        let resolution = try pipeline.resolve(environment)
        let store = try EnvironmentLock.openStore(environment, secrets: resolution.secrets, console: console)
        do {
            let removed = try store.forceUnlock(environment: EnvironmentLock.key(environment), by: LockOwner.current(), now: Date())
            console.output(removed.map { "Removed the lock of \(env) held by \($0.owner).\n" } ?? "\(env) was not locked.\n")
        } catch {
            console.fail("cannot unlock \(env): \(error)")
            throw ExitCode(1)
        }
    }
}

/// The journal as text and as the contract's JSON.
struct HistoryView {
    let environment: String
    let records: [ApplyRecord]

    func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "environment": .string(environment),
            "applies": .array(records.map { record in
                .object([
                    "id": .int(Int(record.id)),
                    "started_at": .string(Self.time(record.startedAt)),
                    "finished_at": record.finishedAt.map { .string(Self.time($0)) } ?? .null,
                    "status": .string(record.isForcedUnlock ? "unlocked" : record.status.rawValue),
                    "by": .string(record.owner.description),
                    "actions": .array(record.actions.map { action in
                        .object([
                            "id": .string(action.actionID),
                            "type": .string(action.type),
                            "resource": .string(action.resource),
                            "status": .string(action.status.rawValue),
                            "detail": .string(action.detail),
                        ])
                    }),
                ])
            }),
        ])
    }

    func text() -> String {
        guard !records.isEmpty else { return "No applies of \(environment) yet.\n" }
        var out = ""
        for record in records {
            let status = record.isForcedUnlock ? "unlocked" : record.status.rawValue
            out += "#\(record.id)  \(Self.time(record.startedAt))  \(status)  by \(record.owner)\n"
            for action in record.actions {
                out += "    \(action.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(action.type) \(action.resource)\n"
            }
        }
        return out
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
