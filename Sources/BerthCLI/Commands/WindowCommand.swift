import ArgumentParser
import Foundation
import BerthSession
import BerthRendering

/// `berth window --env NAME [--at ISO8601] [--json]`: whether changes are allowed now, and until when.
struct WindowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "window",
        abstract: "Show whether the deployment window allows changes now (or at a time), and until when.",
        discussion: "Exit codes: 0 open, 2 closed, 1 error."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("The time to ask about, ISO 8601 (2026-03-09T08:00:00Z); default now.", valueName: "time"))
    var at: String?

    @Flag(name: .long, help: "Print JSON (format_version 1).")
    var json = false

    func validate() throws {
        if let at, Self.instant(at) == nil {
            throw ValidationError("--at '\(at)' is not an ISO 8601 time such as 2026-03-09T08:00:00Z or 2026-03-09T09:00:00+01:00")
        }
    }

    static func instant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    func run() throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        let instant = at.flatMap(Self.instant) ?? context.clock.now
        let open: Bool
        do throws(SessionError) {
            let (environment, decision) = try WindowGate.status(env, at: instant, context: context)
            let view = WindowView(environment: env, policy: environment.policy, at: instant, decision: decision)
            console.output(json ? view.json().jsonText() : view.text())
            open = decision.open
        } catch {
            throw error.report(on: console)
        }
        if !open { throw ExitCode(2) }
    }
}
