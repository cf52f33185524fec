import ArgumentParser
import BerthRendering

/// `berth schema`: the JSON Schema of environment files, for editors.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of environment files (schemas/environment.schema.json)."
    )

    func run() {
        Console(noColor: true).output(SchemaDocument.json().jsonText())
    }
}
