import BerthCLI
@main struct Entrypoint { static func main() async { await BerthCommand.main(arguments: Array(CommandLine.arguments.dropFirst())) } }
