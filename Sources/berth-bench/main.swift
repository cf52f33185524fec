// Benchmarks of Berth's stages. Build with -c release:
//
//   swift run -c release berth-bench generate --services 10000 /tmp/bench
//   swift run -c release berth-bench load /tmp/bench            (Berth's whole load of environments/bench.yaml)
//   swift run -c release berth-bench events /tmp/bench          (a bare libyaml event parse of the same file)
//   swift run -c release berth-bench plan --services 10000 -    (the pure planner: 10,000 services, a third changed)
//   swift run -c release berth-bench observe --services 30 /tmp/obs   (30 converged services on the engine in $BERTH_ENGINE)
//   swift run -c release berth-bench apply --services 30 --parallelism 8 /tmp/app   (a cold apply against the bare API)
//   swift run -c release berth-bench migrate --services 100 /tmp/mig   (100 migrations on $BERTH_TEST_POSTGRES_URL against psql)
//   swift run -c release berth-bench backup --megabytes 10 --runs 7 /tmp/bk   (an apply with a migration, with and without
//                                                                              the backup; SQLite, and $BERTH_TEST_POSTGRES_URL)
//   swift build -c release && .build/release/berth-bench pathological /tmp/patho   (issue 8's projects through the release berth)
//   swift run -c release berth-bench fuzz --seconds 600 --seed 1 /tmp/fuzz   (the loader's mutation loop for 10 minutes)
//   swift build -c release && .build/release/berth-bench rollback --runs 5 /tmp/rb   (one image bump applied, then rolled back)
//   swift build -c release && .build/release/berth-bench everyday --services 30 --runs 5 /tmp/ev   (status, logs,
//                                                   plan --target, destroy; the docker CLI on the same engine beside)
//
// Each prints the median and best wall time over the runs and the process's peak resident memory;
// run load and events as separate processes so that each peak is its own.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CYAML
import BerthYAML
import BerthLoading
import BerthModel
import BerthPlan
import BerthCore
import BerthTestSupport

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1_000 + Double(time.tv_nsec) / 1_000_000
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

func measure(_ name: String, runs: Int, _ body: () throws -> Int) rethrows {
    var times: [Double] = []
    var size = 0
    for _ in 0..<runs {
        let start = now()
        size = try body()
        times.append(now() - start)
    }
    times.sort()
    let median = times[times.count / 2]
    print("\(name): median \(format(median)) ms, best \(format(times[0])) ms over \(runs) runs; \(size) items; peak RSS \(format(peakResidentMiB())) MiB")
}

func format(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return "\(rounded)"
}

/// Wall time of one process, its output discarded; its exit status must be one of `expected`.
func timedProcess(_ executable: String, _ arguments: [String], expected: Set<Int32> = [0]) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    let start = now()
    try process.run()
    process.waitUntilExit()
    let elapsed = now() - start
    guard expected.contains(process.terminationStatus) else {
        throw FileSystemError(path: executable, reason: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return elapsed
}

/// A program built beside this one.
func siblingExecutable(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
    guard length > 0 else { return name }
    let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) + "/" + name
}

func readFile(_ path: String) throws -> [UInt8] { try LocalFileSystem().readFile(atPath: path) }

/// libyaml's event parser over the bytes, doing nothing with the events: the floor for any loader.
func parseEvents(_ bytes: [UInt8]) -> Int {
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
    defer { parser.deallocate(); event.deallocate() }
    yaml_parser_initialize(parser)
    defer { yaml_parser_delete(parser) }
    var count = 0
    bytes.withUnsafeBufferPointer { buffer in
        yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
        while yaml_parser_parse(parser, event) == 1 {
            count += 1
            let done = event.pointee.type == YAML_STREAM_END_EVENT
            yaml_event_delete(event)
            if done { break }
        }
    }
    return count
}

/// A desired state of `count` services with a config and a migration each, and an observed state where a
/// third of the services run an older image, a sixth are stopped and a sixth are missing.
func planningInput(services count: Int) -> (DesiredState, ObservedState) {
    var services: [Service] = []
    var configs: [ConfigFile] = []
    var configHashes: [String: String] = [:]
    var migrations: [Migration] = []
    var checksums: [String: String] = [:]
    for index in 0..<count {
        let name = "svc-\(index)"
        configs.append(ConfigFile(name: "cfg-\(index)", template: "/p/environments/t", target: "/p/.berth/c/\(index)", mode: 0o644))
        configHashes["cfg-\(index)"] = SHA256.hex("config \(index)")
        let version = MigrationVersion("\(index + 1)")!
        migrations.append(Migration(version: version, description: "m", path: "/p/environments/migrations/V\(index + 1)__m.sql"))
        checksums[version.text] = SHA256.hex("migration \(index)")
        services.append(Service(
            name: name, image: try! ImageReference(parsing: "localhost/bench:2.0.0"),
            configs: [ConfigMount(config: "cfg-\(index)", target: "/etc/c")],
            dependsOn: index > 0 ? [Dependency(service: "svc-\(index - 1)", condition: .serviceStarted)] : [],
            strategy: index % 2 == 0 ? .startFirst : .recreate
        ))
    }
    let environment = Environment(
        name: "bench", project: "bench", engine: EngineSettings(host: "unix:///x", isDefault: true),
        state: StateSettings(store: .sqlite(path: "/p/s")), services: services,
        configs: ConfigSettings(root: "/p/.berth/c", files: configs),
        database: Database(location: .sqlite(path: "/p/db"), migrationsDirectory: "/p/m", migrations: migrations)
    )
    var specs: [String: ServiceSpec] = [:]
    for service in services {
        specs[service.name] = ServiceSpec(service: service, configHashes: configHashes, secretHashes: [:])
    }
    let desired = DesiredState(environment: environment, configHashes: configHashes, migrationChecksums: checksums, specs: specs)
    var containers: [ObservedContainer] = []
    for (index, service) in services.enumerated() where index % 6 != 5 {
        let old = index % 3 == 0
        var oldService = service
        if old { oldService.image = try! ImageReference(parsing: "localhost/bench:1.0.0") }
        let spec = old ? ServiceSpec(service: oldService, configHashes: configHashes, secretHashes: [:]) : specs[service.name]!
        containers.append(ObservedContainer(
            id: "id\(index)", name: "bench-bench-\(service.name)-1", image: oldService.image.text,
            state: index % 6 == 4 ? "exited" : "running",
            labels: [BerthLabel.environment: "bench", BerthLabel.service: service.name, BerthLabel.replica: "1",
                     BerthLabel.specHash: spec.hash, BerthLabel.specParts: spec.partsLabel,
                     BerthLabel.spec: spec.recorded?.label ?? ""]
        ))
    }
    let observed = ObservedState(
        containers: containers,
        configs: configs.enumerated().map { ObservedConfig(name: $1.name, target: $1.target, sha256: $0 % 10 == 0 ? "old" : configHashes[$1.name], mode: 0o644) },
        migrations: (0..<(count / 2)).map { AppliedMigration(version: "\($0 + 1)", description: "m", checksum: checksums["\($0 + 1)"]!, appliedAt: "", success: true) }
    )
    return (desired, observed)
}

func main() async throws {
    var arguments = Array(CommandLine.arguments.dropFirst())
    func option(_ name: String, default value: Int) -> Int {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else {
            return value
        }
        arguments.removeSubrange(index...(index + 1))
        return number
    }
    let services = option("--services", default: 10_000)
    let runs = option("--runs", default: 5)
    let parallelism = option("--parallelism", default: 4)
    let megabytes = option("--megabytes", default: 10)
    let seconds = option("--seconds", default: 600)
    let seed = option("--seed", default: 1)
    let iterations = option("--iterations", default: .max)
    let replay = option("--replay", default: -1)
    let timeout = option("--timeout", default: 120)
    func textOption(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        defer { arguments.removeSubrange(index...(index + 1)) }
        return arguments[index + 1]
    }
    let berth = textOption("--berth") ?? siblingExecutable("berth")
    let only = textOption("--case")
    let writeOnly = arguments.contains("--write-only")
    arguments.removeAll { $0 == "--write-only" }
    guard arguments.count == 2 || (["plan", "parts"].contains(arguments.first) && arguments.count == 1) else {
        print("usage: berth-bench generate|load|events [--services N] [--runs N] PROJECT_DIR")
        print("       berth-bench pathological [--berth PATH] [--case NAME] [--runs N] [--timeout S] DIR")
        print("       berth-bench traffic [--runs N] DIR   (HAProxy and wrk on this machine)")
        print("       berth-bench everyday [--services N] [--runs N] DIR   (status, logs, --target, destroy; docker CLI beside)")
        print("       berth-bench fuzz [--seconds N] [--seed N] [--iterations N] [--replay I] DIR")
        exit(2)
    }
    let project = arguments.count > 1 ? arguments[1] : "-"
    let file = project + "/environments/bench.yaml"
    switch arguments[0] {
    case "generate":
        mkdir(project, 0o755)
        mkdir(project + "/environments", 0o755)
        let text = PathologicalProjects.environment(services: services)
        guard let handle = fopen(file, "w") else { throw FileSystemError(path: file, reason: "cannot create") }
        fputs(text, handle)
        fclose(handle)
        print("wrote \(file): \(services) services, \(text.utf8.count) bytes")
    case "events":
        let bytes = try readFile(file)
        measure("libyaml events", runs: runs) { parseEvents(bytes) }
    case "parse":
        let bytes = try readFile(file)
        measure("berth YAML tree", runs: runs) {
            YAMLParser(limits: .init(maxAliasExpansion: 10_000_000)).parse(bytes, file: file).root?.mapping?.count ?? 0
        }
    case "plan":
        let (desired, observed) = planningInput(services: services)
        measure("planner (\(services) services, \(observed.containers.count) containers)", runs: runs) {
            let plan = Planner.plan(desired: desired, observed: observed)
            return plan.actions.count
        }
    case "parts":
        // The planner's parts on their own: the fingerprint, and SHA-256 over as many bytes.
        let (desired, observed) = planningInput(services: services)
        measure("fingerprint", runs: runs) { Fingerprint.of(desired: desired, observed: observed).count }
        let bytes = [UInt8](repeating: 0x61, count: 8 << 20)
        measure("SHA-256 of 8 MiB", runs: runs) { SHA256.hex(bytes).count }
    case "observe":
        let engine = getenv("BERTH_ENGINE").map { String(cString: $0) } ?? "unix:///run/berth-podman.sock"
        try await ObserveBenchmark.run(services: services, runs: runs, engineHost: engine, directory: project)
    case "apply":
        let engine = getenv("BERTH_ENGINE").map { String(cString: $0) } ?? "unix:///run/berth-podman.sock"
        try await ApplyBenchmark.run(services: services, runs: runs, parallelism: parallelism, engineHost: engine, directory: project)
    case "rollback":
        let engine = getenv("BERTH_ENGINE").map { String(cString: $0) } ?? "unix:///run/berth-podman.sock"
        try await RollbackBenchmark.run(runs: runs, engineHost: engine, directory: project)
    case "everyday":
        let engine = getenv("BERTH_ENGINE").map { String(cString: $0) } ?? "unix:///run/berth-podman.sock"
        try await EverydayBenchmark.run(services: services, runs: runs, engineHost: engine, directory: project)
    case "traffic":
        let engine = getenv("BERTH_ENGINE").map { String(cString: $0) } ?? "unix:///run/berth-podman.sock"
        try await TrafficBenchmark.run(runs: runs, engineHost: engine, directory: project)
    case "migrate":
        try MigrateBenchmark.run(migrations: services, runs: runs, directory: project)
    case "backup":
        try await BackupBenchmark.run(megabytes: megabytes, runs: runs, directory: project)
    case "pathological" where writeOnly:
        try PathologicalBenchmark.write(directory: project, only: only)
    case "pathological":
        try PathologicalBenchmark.run(directory: project, berth: berth, only: only, runs: runs, timeout: Double(timeout))
    case "fuzz":
        try LoaderFuzzBenchmark.run(
            directory: project, seed: UInt64(seed), seconds: Double(seconds), iterations: iterations, replay: replay >= 0 ? replay : nil
        )
    case "load":
        let loader = ProjectLoader(project: project, currentDirectory: "/")
        try measure("berth load", runs: runs) {
            let result = try loader.load("bench")
            if result.diagnostics.hasErrors {
                print(result.diagnostics.prefix(5).map(\.description).joined(separator: "\n"))
                exit(1)
            }
            return result.environment?.services.count ?? 0
        }
    default:
        print("unknown benchmark \(arguments[0])")
        exit(2)
    }
}

try await main()
