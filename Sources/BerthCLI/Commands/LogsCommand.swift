import ArgumentParser
import Foundation
import BerthEngine
import BerthSession
import BerthRendering

/// `berth logs --env NAME SERVICE [--replica N] [--follow] [--since DURATION] [--tail N]`: a service's
/// container logs on standard output, secrets masked.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show a service's container logs.",
        discussion: """
            With several replicas each line starts with its replica (web-1 | ...). Without --follow the \
            replicas' lines come one replica after the other; with --follow, as they are written, until \
            every container stops or Ctrl-C. Changes nothing. Exit codes: 0 (also on Ctrl-C), 1 (an error, \
            or a service without containers).
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Argument(help: ArgumentHelp("The service.", valueName: "service"), completion: .services)
    var service: String

    @Option(name: .long, help: ArgumentHelp("Only this replica (1, 2, ...).", valueName: "n"))
    var replica: Int?

    @Flag(name: .long, help: "Keep printing lines as they are written, until the containers stop or Ctrl-C.")
    var follow = false

    @Option(name: .long, help: ArgumentHelp("Only lines written since a time: a duration ago (10m, 1h, 30s) or an RFC 3339 time.", valueName: "duration"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only the last N lines of each replica.", valueName: "n"))
    var tail: Int?

    func validate() throws {
        if let replica, replica < 1 { throw ValidationError("--replica must be 1 or more") }
        if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
        if let since {
            do {
                _ = try ServiceLogs.since(since, now: Date())
            } catch {
                throw ValidationError("--since: \(error)")
            }
        }
    }

    func run() async throws {
        let console = CommandContext.console(global)
        // Ctrl-C ends a follow with exit 0, even before it has started to print.
        let interruptible = follow && CommandContext.override == nil
        if interruptible { Interruption.onSignal { Foundation.exit(0) } }
        let context = CommandContext.make(global, console: console)
        let logs: ServiceLogs
        let options: LogOptions
        do {
            logs = try await Pipeline(context).logs(env, service: service, replica: replica)
            options = LogOptions(since: try since.map { text throws(SessionError) in try ServiceLogs.since(text, now: context.clock.now) }, tail: tail, follow: follow)
        } catch {
            throw error.report(on: console)
        }
        let view = LogView(sources: logs.sources.map(\.label), style: console.outputStyle)
        let stream = logs.lines(options)
        let printing = Task {
            for try await line in stream { console.output(view.line(source: line.source, text: line.text)) }
        }
        // Then it ends cleanly: the streams are cancelled, their connections closed, exit 0.
        if interruptible { Interruption.onSignal { printing.cancel() } }
        do {
            try await printing.value
        } catch {
            console.fail("\(error)")
            throw ExitCode(1)
        }
    }
}
