import ArgumentParser
import BerthCore
import BerthLoading

extension CompletionKind {
    /// The environments of the project on the command line, for `--env` and the options like it.
    static var environments: CompletionKind {
        .custom { words, _, prefix in EnvironmentCompletion.names(words: words, prefix: prefix) }
    }
}

/// What a shell completes an environment option with: the names of `environments/*.yaml` (not `base.yaml`)
/// in the project that the words typed so far name with `--project`, else in the current directory.
enum EnvironmentCompletion {
    static func names(words: [String], prefix: String, currentDirectory: String = LocalFileSystem.currentDirectory()) -> [String] {
        var project = "."
        for (index, word) in words.enumerated() {
            if word == "--project", index + 1 < words.count { project = words[index + 1] }
            if word.hasPrefix("--project=") { project = String(word.dropFirst("--project=".count)) }
        }
        let loader = ProjectLoader(project: project, currentDirectory: currentDirectory)
        let names = (try? loader.environmentNames()) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }
}
