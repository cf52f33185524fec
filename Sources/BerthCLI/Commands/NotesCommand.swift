import ArgumentParser
import BerthModel
import BerthSession
import BerthRendering

/// `berth notes --env NAME [--from N] [--to N] [--format markdown|json]`: what changed between two releases.
struct NotesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes",
        abstract: "Print the release notes between two releases of an environment.",
        discussion: """
            By default from the previous release to the current one; a first release has notes from nothing. \
            Images, config files (by hash), migrations, who applied it and when, and the project's commits between \
            the two when both releases recorded one. Exit codes: 0, 1.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown, json
    }

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Option(name: .long, help: ArgumentHelp("The release to start from (default: the parent of --to).", valueName: "n"))
    var from: Int?

    @Option(name: .long, help: ArgumentHelp("The release to end at (default: the current one).", valueName: "n"))
    var to: Int?

    @Option(name: .long, help: ArgumentHelp("markdown or json (format_version 1).", valueName: "format"))
    var format: Format = .markdown

    func run() throws {
        let console = CommandContext.console(global)
        let notes: ReleaseNotes
        do {
            notes = try Releases.notes(env, from: from, to: to, context: CommandContext.make(global, console: console))
        } catch {
            throw error.report(on: console)
        }
        let view = ReleaseNotesView(notes)
        console.output(format == .json ? view.json().jsonText() : view.markdown())
    }
}
