public import BerthYAML
public import BerthModel
public import BerthCore

/// Stage 1 of the pipeline: reads a project's `environments/`, resolves `extends:` overlays and
/// decodes each environment into an `Environment`, collecting every diagnostic.
///
/// Loading only reads; it never writes a file.
public struct ProjectLoader: Sendable {
    let context: LoadContext
    public var parser = YAMLParser()

    /// - Parameters:
    ///   - project: the directory holding `environments/`, as the user named it (`.`, `infra`, `/srv/infra`).
    ///   - currentDirectory: what a relative `project` is relative to.
    ///   - variables: the process environment (`DOCKER_HOST`).
    public init(
        project: String, currentDirectory: String, fileSystem: any FileSystem = LocalFileSystem(),
        variables: [String: String] = [:]
    ) {
        context = LoadContext(
            projectRoot: Paths.resolve(project, against: currentDirectory), displayRoot: project,
            fileSystem: fileSystem, variables: variables
        )
    }

    public var projectRoot: String { context.projectRoot }
    public var environmentsDirectory: String { context.environmentsDirectory }

    /// A path as messages show it.
    public func display(_ absolute: String) -> String { context.display(absolute) }

    /// The environments of the project: every `environments/*.yaml` but `base.yaml`, by name.
    public func environmentNames() throws(LoadError) -> [String] {
        try environmentFiles().compactMap(\.text).map { String($0.dropLast(5)) }
    }

    /// Every `environments/*.yaml` but `base.yaml`, named as the folder holds it.
    private func environmentFiles() throws(LoadError) -> [FileName] {
        guard context.fileSystem.directoryExists(atPath: context.environmentsDirectory) else {
            throw .noEnvironmentsDirectory(display(context.environmentsDirectory))
        }
        let entries: [FileName]
        do {
            entries = try context.fileSystem.contentsOfDirectory(atPath: context.environmentsDirectory)
        } catch {
            throw .unreadable(error.description)
        }
        // What a name shows keeps its ASCII, so a name that is not UTF-8 text but ends in .yaml is listed too.
        return entries.filter { $0.description.hasSuffix(".yaml") && $0 != FileName("base.yaml") }
    }

    /// Loads one environment.
    public func load(_ name: String) throws(LoadError) -> LoadResult {
        var session = LoadSession(context: context, parser: parser)
        return try session.load(name, known: environmentNames())
    }

    /// Loads every environment (or only `only`); files shared through `extends` are read once. A file
    /// whose name is not UTF-8 text is an environment with an error.
    public func loadAll(only: String? = nil) throws(LoadError) -> [LoadResult] {
        let files = try environmentFiles()
        let names = files.compactMap(\.text).map { String($0.dropLast(5)) }
        var session = LoadSession(context: context, parser: parser)
        if let only { return [try session.load(only, known: names)] }
        guard !files.isEmpty else { throw .noEnvironments(display(context.environmentsDirectory)) }
        var results: [LoadResult] = []
        for file in files {
            if let text = file.text {
                results.append(try session.load(String(text.dropLast(5)), known: names))
            } else {
                results.append(undecodable(file))
            }
        }
        return results
    }

    /// An environment file whose name is not UTF-8 text names no environment a command can be given, and
    /// no `extends:` can name it: it is not read, and its name, shown with `\xE9` escapes, must change.
    private func undecodable(_ file: FileName) -> LoadResult {
        let shown = display(context.environmentsDirectory + "/" + file.description)
        let message = "the file's name is not UTF-8 text, and an environment is named by its file: rename it (lowercase letters, digits, '-' and '_')"
        return LoadResult(
            name: String(file.description.dropLast(5)), file: shown, environment: nil,
            diagnostics: [.error(at: SourceLocation(file: shown, line: 1, column: 1), message)]
        )
    }
}

public struct LoadResult: Sendable {
    public var name: String
    /// The file the environment was read from, as messages show it.
    public var file: String
    /// Nil when the environment has errors.
    public var environment: Environment?
    /// Errors and warnings, sorted by place.
    public var diagnostics: [Diagnostic]
}

/// A failure that stops loading before any file can be judged.
public struct LoadError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case noEnvironmentsDirectory(String)
        case noEnvironments(String)
        case noSuchEnvironment(String, suggestion: String?, known: [String])
        case unreadable(String)
    }

    private let code: Code

    static func noEnvironmentsDirectory(_ path: String) -> LoadError { LoadError(code: .noEnvironmentsDirectory(path)) }
    static func noEnvironments(_ path: String) -> LoadError { LoadError(code: .noEnvironments(path)) }
    static func unreadable(_ reason: String) -> LoadError { LoadError(code: .unreadable(reason)) }
    static func noSuchEnvironment(_ name: String, known: [String]) -> LoadError {
        LoadError(code: .noSuchEnvironment(name, suggestion: Suggestion.closest(to: name, in: known), known: known))
    }

    public var description: String {
        switch code {
        case .noEnvironmentsDirectory(let path):
            return "no \(path)/ folder; --project names the directory that holds environments/"
        case .noEnvironments(let path):
            return "\(path)/ holds no environment file (NAME.yaml)"
        case .noSuchEnvironment(let name, let suggestion, let known):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            let list = known.isEmpty ? "there are none" : "environments: \(known.joined(separator: ", "))"
            return "no environment '\(name)'\(hint) (\(list))"
        case .unreadable(let reason):
            return reason
        }
    }
}

/// One loading run: parsed files are kept, so a `base.yaml` shared by four environments is parsed once.
struct LoadSession {
    let context: LoadContext
    let parser: YAMLParser
    private var parsed: [String: YAMLParser.Result] = [:]
    /// Each file's tree laid over what it extends, with the diagnostics found on the way: a chain shared by many
    /// environments is laid once. Files extending one another in a circle are not kept, since which of them
    /// the circle is told from depends on where the walk began.
    private var resolved: [String: (tree: YAMLNode?, diagnostics: [Diagnostic], removals: Removals)] = [:]
    private var inCycle: Set<String> = []

    /// A `.yml` file beside the environments is never read: say so, rather than let it be ignored. The folder
    /// is listed once a session, not once an environment.
    private lazy var ignoredFiles: [Diagnostic] = ((try? context.fileSystem.contentsOfDirectory(atPath: context.environmentsDirectory)) ?? [])
        .map(\.description)
        .filter { $0.hasSuffix(".yml") }
        .map { file in
            .warning(
                at: SourceLocation(file: context.display(context.environmentsDirectory + "/" + file), line: 1, column: 1),
                "only .yaml files are read: this file is ignored; rename it to \(file.dropLast(4)).yaml"
            )
        }

    init(context: LoadContext, parser: YAMLParser) {
        self.context = context
        self.parser = parser
    }

    mutating func load(_ name: String, known: [String]) throws(LoadError) -> LoadResult {
        guard known.contains(name) else { throw .noSuchEnvironment(name, known: known) }
        var diagnostics = ignoredFiles
        let file = context.environmentFile(name)
        var environment: Environment?
        var removals = Removals()
        if let tree = resolve(name, diagnostics: &diagnostics, removals: &removals) {
            var decoder = EnvironmentDecoder(name: name, context: context, removals: removals)
            environment = decoder.decode(tree)
            diagnostics += decoder.diagnostics
        }
        let normalized = diagnostics.normalized()
        return LoadResult(
            name: name, file: context.display(file),
            environment: normalized.hasErrors ? nil : environment, diagnostics: normalized
        )
    }

    /// The file's tree laid over the tree of what it extends, with the keys its nulls removed; nil when a
    /// file in the chain cannot be read.
    ///
    /// A loop, not a recursion: a chain of any length walks down to a file resolved before, a file that extends
    /// nothing or one that fails, then lays each file over the tree below it on the way back up.
    private mutating func resolve(_ name: String, diagnostics: inout [Diagnostic], removals: inout Removals) -> YAMLNode? {
        var chain: [(name: String, own: YAMLNode, diagnostics: [Diagnostic])] = []
        var names: [String] = []
        var inChain: Set<String> = []
        var next = name
        var bottom: (tree: YAMLNode?, diagnostics: [Diagnostic], removals: Removals)
        while true {
            if let known = resolved[next] {
                bottom = known
                break
            }
            names.append(next)
            inChain.insert(next)
            var found: [Diagnostic] = []
            let step = step(next, chain: names, inChain: inChain, diagnostics: &found)
            guard case .extends(let own, let parent) = step else {
                bottom = (step.tree, found, Removals())
                if !inCycle.contains(next) { resolved[next] = bottom }
                break
            }
            chain.append((next, own, found))
            next = parent
        }
        var (tree, found, removed) = bottom
        for link in chain.reversed() {
            tree = tree.map { link.own.overlaid(on: $0, schema: .object(EnvironmentSchema.environment), removals: &removed) }
            found = link.diagnostics + found
            if !inCycle.contains(link.name) { resolved[link.name] = (tree, found, removed) }
        }
        diagnostics += found
        removals = removed
        return tree
    }

    private enum Step {
        /// The file's tree, which extends nothing; nil when it cannot be used.
        case tree(YAMLNode?)
        /// The file's own keys, to be laid over `parent`.
        case extends(own: YAMLNode, parent: String)

        var tree: YAMLNode? {
            if case .tree(let tree) = self { return tree }
            return nil
        }
    }

    /// One file of a chain of `extends`: its tree, or its own keys and the file it extends. `chain` holds the files
    /// walked so far, this one last, and `inChain` the same names as a set.
    private mutating func step(_ name: String, chain: [String], inChain: Set<String>, diagnostics: inout [Diagnostic]) -> Step {
        let path = context.environmentFile(name)
        let display = context.display(path)
        let result = parse(path, display: display)
        diagnostics += result.diagnostics
        guard let root = result.root else {
            if !result.diagnostics.hasErrors {
                diagnostics.append(.error(at: SourceLocation(file: display, line: 1, column: 1), "the file is empty; an environment file is a mapping of keys such as services and configs"))
            }
            return .tree(nil)
        }
        guard let pairs = root.mapping else {
            diagnostics.append(.error(at: root.location, "an environment file is a mapping of keys such as services and configs, not \(root.kindName)"))
            return .tree(nil)
        }
        guard let extends = root["extends"] else { return .tree(root) }
        let own = YAMLNode(.mapping(pairs.filter { $0.name != "extends" }), at: root.location)

        guard let parent = extends.scalar.map(\.text), !extends.isNull, extends.scalar?.style != nil, EnvironmentDecoder.isName(parent) else {
            diagnostics.append(.error(at: extends.location, "extends: expected the name of an environment file, such as base"))
            return .tree(nil)
        }
        if inChain.contains(parent) {
            let cycle = chain.drop { $0 != parent } + [parent]
            inCycle.formUnion(cycle)
            diagnostics.append(.error(at: extends.location, "extends: cycle \(cycle.joined(separator: " -> "))"))
            return .tree(nil)
        }
        let parentPath = context.environmentFile(parent)
        let parentKind = context.fileSystem.entryKind(atPath: parentPath)
        if parentKind != .regular, parentKind != .missing, let problem = parentKind.notAFile {
            diagnostics.append(.error(at: extends.location, "extends: \(context.display(parentPath)) \(problem)"))
            return .tree(nil)
        }
        guard parentKind == .regular else {
            let files = (try? context.fileSystem.contentsOfDirectory(atPath: context.environmentsDirectory)) ?? []
            let names = files.compactMap(\.text).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
            diagnostics.append(.error(
                at: extends.location,
                "extends: there is no \(context.display(parentPath))\(Suggestion.didYouMean(parent, in: names))"
            ))
            return .tree(nil)
        }
        return .extends(own: own, parent: parent)
    }

    private mutating func parse(_ path: String, display: String) -> YAMLParser.Result {
        if let cached = parsed[path] {
            // Diagnostics of a shared file are reported with the first environment that reads it;
            // `normalized()` removes the copies when several environments are shown together.
            return cached
        }
        let result: YAMLParser.Result
        do {
            result = parser.parse(try context.fileSystem.readFile(atPath: path), file: display)
        } catch {
            result = YAMLParser.Result(
                root: nil, diagnostics: [.error(at: SourceLocation(file: display, line: 1, column: 1), "cannot read the file: \(error.reason)")]
            )
        }
        parsed[path] = result
        return result
    }
}
