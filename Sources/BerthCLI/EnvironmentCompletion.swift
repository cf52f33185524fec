import ArgumentParser
import BerthCore
import BerthModel
import BerthLoading
import BerthPlan

extension CompletionKind {
    /// The environments of the project on the command line, for `--env` and the options like it.
    static var environments: CompletionKind {
        .custom { words, _, prefix in EnvironmentCompletion.names(words: words, prefix: prefix) }
    }

    /// The services of the environment that `--env` names on the line.
    static var services: CompletionKind {
        .custom { words, _, prefix in
            EnvironmentCompletion.environment(words: words).map { $0.services.map(\.name).filter { $0.hasPrefix(prefix) }.sorted() } ?? []
        }
    }

    /// The resources the environment that `--env` names on the line declares (`service:web`, `container:web-1`, ...).
    static var targets: CompletionKind {
        .custom { words, _, prefix in
            EnvironmentCompletion.environment(words: words).map { PlanTargets.declared($0).filter { $0.hasPrefix(prefix) } } ?? []
        }
    }
}

/// What a shell completes an environment option with: the names of `environments/*.yaml` (not `base.yaml`)
/// in the project that the words typed so far name with `--project`, else in the current directory.
enum EnvironmentCompletion {
    static func names(words: [String], prefix: String, currentDirectory: String = LocalFileSystem.currentDirectory()) -> [String] {
        let names = (try? loader(words: words, currentDirectory: currentDirectory).environmentNames()) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The environment `--env NAME` names on the line, loaded; nil without one, or when it does not load.
    static func environment(words: [String], currentDirectory: String = LocalFileSystem.currentDirectory()) -> Environment? {
        guard let name = value(of: "--env", in: words) else { return nil }
        return try? loader(words: words, currentDirectory: currentDirectory).load(name).environment
    }

    static func loader(words: [String], currentDirectory: String) -> ProjectLoader {
        ProjectLoader(project: value(of: "--project", in: words) ?? ".", currentDirectory: currentDirectory)
    }

    /// The last value given to `option` on the line (`--env dev` or `--env=dev`).
    static func value(of option: String, in words: [String]) -> String? {
        var found: String?
        for (index, word) in words.enumerated() {
            if word == option, index + 1 < words.count, !words[index + 1].isEmpty { found = words[index + 1] }
            if word.hasPrefix(option + "=") { found = String(word.dropFirst(option.count + 1)) }
        }
        return found
    }
}
