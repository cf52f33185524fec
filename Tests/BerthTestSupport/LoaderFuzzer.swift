import Foundation
import Glibc
import Synchronization
import BerthCore
import BerthModel
import BerthLoading
import BerthPlan
import BerthRendering

/// A seeded mutation loop over the loader: each iteration takes a project of the seed corpus, mutates it
/// (`ProjectMutator`), writes it to disk and runs what `validate`, `render` and `plan` run short of the engine:
/// load every environment, print the diagnostics, render each valid one, resolve it and plan it against an
/// empty observation.
///
/// Iteration `n` of seed `s` is always the same input, so a finding is reproduced by its two numbers. The input
/// being run is on disk (`current/`, described in `current.txt`) before it runs, so a crash leaves it behind.
public struct LoaderFuzzer: Sendable {
    public struct Limits: Sendable {
        /// An iteration slower than this is a finding.
        public var iterationSeconds: Double = 2
        /// A peak resident size above this is a finding.
        public var residentMiB: Double = 300
        /// An iteration still running after this long is a hang: the process says so and exits with 3.
        public var hangSeconds: Double? = nil

        public init(iterationSeconds: Double = 2, residentMiB: Double = 300, hangSeconds: Double? = nil) {
            self.iterationSeconds = iterationSeconds
            self.residentMiB = residentMiB
            self.hangSeconds = hangSeconds
        }
    }

    public struct Finding: Sendable, CustomStringConvertible {
        public var iteration: Int
        public var problem: String
        public var mutations: [String]
        /// Where the input was kept.
        public var input: String

        public var description: String {
            "iteration \(iteration): \(problem) (input in \(input)); mutations: \(mutations.joined(separator: "; "))"
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var seed: UInt64
        public var iterations = 0
        public var seconds = 0.0
        public var slowestIteration = 0
        public var slowestSeconds = 0.0
        public var peakResidentMiB = 0.0
        /// Runs that stopped before judging a file (no environments, say).
        public var loadErrors = 0
        public var environments = 0
        public var validEnvironments = 0
        public var diagnostics = 0
        public var plans = 0
        public var findings: [Finding] = []

        public var description: String {
            func rounded(_ value: Double, _ places: Double = 1000) -> Double { (value * places).rounded() / places }
            return """
                seed \(seed): \(iterations) iterations in \(rounded(seconds, 10)) s; slowest iteration \(rounded(slowestSeconds)) s \
                (\(slowestIteration)); peak RSS \(rounded(peakResidentMiB, 10)) MiB; \(environments) environments loaded, \
                \(validEnvironments) valid, \(plans) planned, \(diagnostics) diagnostics, \(loadErrors) load errors; \
                \(findings.count) findings
                """
        }
    }

    public let seed: UInt64
    /// Holds `current/`, `current.txt` and the inputs of findings.
    public let directory: String
    public var limits = Limits()
    /// The process environment the loader and the resolver see: the example project's secrets are set.
    public var variables = ["SHOP_API_TOKEN": "token-value", "SHOP_DB_PASSWORD": "db-password", "DOCKER_HOST": "unix:///nonexistent"]
    let corpus: [FuzzProject]
    let mutator: ProjectMutator

    public var corpusSize: Int { corpus.count }

    /// `largest`: about the most bytes a mutation adds to a file at once.
    public init(seed: UInt64, directory: String, corpus: [FuzzProject], largest: Int = 1 << 20) {
        self.seed = seed
        self.directory = directory
        self.corpus = corpus
        let pool = corpus.flatMap { project in
            project.entries.values.compactMap { entry -> [UInt8]? in
                if case .file(let bytes) = entry { return bytes }
                return nil
            }
        }
        mutator = ProjectMutator(pool: pool, largest: largest)
    }

    /// The example project, the projects under `Tests/Fixtures/projects` and every marked fixture, markers removed.
    public static func seedCorpus() throws -> [FuzzProject] {
        let root = BerthProcess.packageRoot
        var projects = [try project(root + "/environments")]
        let fixtures = root + "/Tests/Fixtures/projects"
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures).sorted() {
            // Their environment files are written by the tests that use them: lend them the example's.
            var project = try project(fixtures + "/" + name + "/environments")
            project.entries.merge(projects[0].entries.filter { $0.key.hasSuffix(".yaml") }) { own, _ in own }
            projects.append(project)
        }
        for name in MarkedFixture.names() {
            let fixture = try MarkedFixture(directory: MarkedFixture.corpusDirectory + "/" + name)
            projects.append(FuzzProject(entries: fixture.files.mapValues { .file($0) }))
        }
        return projects
    }

    /// Every file below `environments`, keyed `environments/...`.
    private static func project(_ environments: String) throws -> FuzzProject {
        var entries: [String: FuzzProject.Entry] = [:]
        let enumerator = FileManager.default.enumerator(atPath: environments)
        while let relative = enumerator?.nextObject() as? String {
            let path = environments + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            entries["environments/" + relative] = .file([UInt8](data))
        }
        return FuzzProject(entries: entries)
    }

    /// The input of iteration `iteration`, and the mutations that made it.
    public func input(_ iteration: Int) -> (FuzzProject, [String]) {
        var random = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(iteration))
        var project = random.pick(corpus)
        let count = random.oneIn(8) ? 1 + random.below(12) : 1 + random.below(3)
        let mutations = mutator.mutate(&project, count: count, random: &random)
        return (project, mutations)
    }

    /// What one run found, to be added up.
    public struct Outcome: Sendable {
        public var loadError: String?
        public var environments = 0
        public var valid = 0
        public var diagnostics: [String] = []
        public var plans = 0
        /// The size of everything rendered, so that none of it is computed for nothing.
        public var renderedBytes = 0
    }

    /// Loads the project at `root` as `validate` does, then renders, resolves and plans each valid environment.
    public func exercise(_ root: String) -> Outcome {
        var outcome = Outcome()
        let loader = ProjectLoader(project: ".", currentDirectory: root, variables: variables)
        let results: [LoadResult]
        do {
            results = try loader.loadAll()
        } catch {
            outcome.loadError = error.description
            return outcome
        }
        let (shown, _) = results.flatMap(\.diagnostics).normalized().capped(perFile: 100)
        let style = DiagnosticStyle(color: false)
        outcome.diagnostics = shown.map { style.format($0) }
        outcome.environments = results.count
        for result in results {
            guard let environment = result.environment else { continue }
            outcome.valid += 1
            outcome.renderedBytes += EnvironmentView(environment, projectRoot: root).json().yamlText().utf8.count
            guard let resolution = try? DesiredStateResolver(variables: variables).resolve(environment) else { continue }
            let plan = Planner.plan(desired: resolution.desired, observed: ObservedState())
            outcome.renderedBytes += PlanView(plan).text().utf8.count
            outcome.plans += 1
        }
        return outcome
    }

    /// Runs iterations from `first` until `iterations` are done or `seconds` have passed, whichever comes first;
    /// `progress` is told the report every `every` seconds.
    public func run(
        from first: Int = 0, iterations: Int = .max, seconds: Double = .infinity, every: Double = 30,
        progress: (Report) -> Void = { _ in }
    ) throws -> Report {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let current = directory + "/current"
        let watchdog = limits.hangSeconds.map { Watchdog(limit: $0, directory: directory) }
        var report = Report(seed: seed)
        let start = Self.monotonicSeconds()
        var lastProgress = start
        var iteration = first
        while report.iterations < iterations, Self.monotonicSeconds() - start < seconds {
            let (project, mutations) = input(iteration)
            let description = "seed \(seed) iteration \(iteration)\n" + mutations.map { $0 + "\n" }.joined()
            try Data(description.utf8).write(to: URL(fileURLWithPath: directory + "/current.txt"))
            try project.write(to: current)

            watchdog?.begin(iteration)
            let began = Self.monotonicSeconds()
            let outcome = exercise(current)
            let elapsed = Self.monotonicSeconds() - began
            watchdog?.end()

            report.iterations += 1
            report.environments += outcome.environments
            report.validEnvironments += outcome.valid
            report.diagnostics += outcome.diagnostics.count
            report.plans += outcome.plans
            if outcome.loadError != nil { report.loadErrors += 1 }
            if elapsed > report.slowestSeconds {
                report.slowestSeconds = elapsed
                report.slowestIteration = iteration
            }
            let resident = Self.peakResidentMiB()
            var problems: [String] = []
            if elapsed > limits.iterationSeconds { problems.append("took \(elapsed) s") }
            if resident > limits.residentMiB, report.peakResidentMiB <= limits.residentMiB {
                problems.append("peak RSS reached \(resident) MiB")
            }
            report.peakResidentMiB = resident
            for problem in problems {
                let kept = directory + "/finding-\(iteration)"
                try project.write(to: kept)
                try Data(description.utf8).write(to: URL(fileURLWithPath: kept + ".txt"))
                report.findings.append(Finding(iteration: iteration, problem: problem, mutations: mutations, input: kept))
            }
            iteration += 1
            report.seconds = Self.monotonicSeconds() - start
            if report.seconds - (lastProgress - start) >= every {
                lastProgress = Self.monotonicSeconds()
                progress(report)
            }
        }
        watchdog?.stop()
        report.seconds = Self.monotonicSeconds() - start
        return report
    }

    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// This process's peak resident size so far.
    public static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// A thread that ends the process when an iteration runs past the limit: an input that hangs the loader
/// would otherwise hang the loop, and say nothing.
final class Watchdog: Sendable {
    /// The iteration running and when it began; nil between iterations.
    private let running = Mutex<(iteration: Int, began: Double)?>(nil)
    private let stopped = Atomic<Bool>(false)

    init(limit: Double, directory: String) {
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                usleep(100_000)
                guard let (iteration, began) = running.withLock({ $0 }) else { continue }
                let elapsed = LoaderFuzzer.monotonicSeconds() - began
                if elapsed > limit {
                    let message = Array("hang: iteration \(iteration) has run \(elapsed) s; its input is in \(directory)/current\n".utf8)
                    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                    exit(3)
                }
            }
        }
    }

    func begin(_ iteration: Int) { running.withLock { $0 = (iteration, LoaderFuzzer.monotonicSeconds()) } }
    func end() { running.withLock { $0 = nil } }
    func stop() { stopped.store(true, ordering: .relaxed) }
}
