import ArgumentParser
import BerthCore
import BerthLoading

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The directory that holds environments/.", valueName: "dir"))
    var project: String = "."

    @Flag(name: .long, help: "Turn colour off (so does NO_COLOR).")
    var noColor = false

    func console() -> Console { Console(noColor: noColor) }

    func loader() -> ProjectLoader {
        ProjectLoader(
            project: project, currentDirectory: LocalFileSystem.currentDirectory(),
            variables: ProcessEnvironment.variables()
        )
    }
}

/// `--env NAME`: the environment a command works on, completed from the project's `environments/`.
/// One declaration, so that every command that takes it describes and completes it alike.
struct EnvironmentOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The environment.", valueName: "name"), completion: .environments)
    var env: String
}
