public import Foundation
import BerthModel
public import BerthEngine
import BerthCore
import BerthLoading

/// A service's containers as `berth logs` shows them: found with one label-filtered list call, in
/// replica order, and read through the engine's log streams with every secret value of the
/// environment masked.
///
/// Without following, the replicas' lines come one replica after the other, each in the order
/// written. Following, every replica is read at once and each line is passed on as soon as it is
/// whole; the lines end when every followed container has stopped, or when the reader stops.
public struct ServiceLogs: Sendable {
    /// One container whose output is shown, and the label its lines carry (`web-1`).
    public struct Source: Hashable, Sendable {
        public var label: String
        /// The `berth.replica` label's number; nil for a container without one.
        public var replica: Int?
        public var container: String
        public var id: String
        public var state: String
    }

    /// One whole line of a container's output, secrets masked.
    public struct Line: Hashable, Sendable {
        /// The ``Source/label`` of the container that wrote it.
        public var source: String
        public var text: String
    }

    public var environment: String
    public var service: String
    /// In replica order (then oldest first, while a replacement keeps an old container).
    public var sources: [Source]
    private let engine: any ContainerEngine
    private let mask: SecretMask

    init(environment: String, service: String, sources: [Source], engine: any ContainerEngine, mask: SecretMask) {
        self.environment = environment
        self.service = service
        self.sources = sources
        self.engine = engine
        self.mask = mask
    }

    /// The containers' lines, as the options ask (the tail and `since` apply to each container).
    /// A container whose log cannot be read ends the lines with a ``SessionError`` naming it.
    public func lines(_ options: LogOptions) -> AsyncThrowingStream<Line, any Error> {
        let sources = self.sources, engine = self.engine, mask = self.mask
        return .producing { continuation in
            guard options.follow else {
                for source in sources { try await Self.read(source, engine: engine, options: options, mask: mask, into: continuation) }
                return
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for source in sources {
                    group.addTask { try await Self.read(source, engine: engine, options: options, mask: mask, into: continuation) }
                }
                try await group.waitForAll()
            }
        }
    }

    private static func read(
        _ source: Source, engine: any ContainerEngine, options: LogOptions, mask: SecretMask,
        into continuation: AsyncThrowingStream<Line, any Error>.Continuation
    ) async throws {
        var splitter = LogLineSplitter(keepingWhole: mask.values)
        do {
            for try await piece in engine.logStream(id: source.id, options: options) {
                for text in splitter.feed(piece) { try await continuation.send(Line(source: source.label, text: mask.mask(text))) }
            }
        } catch is CancellationError {
            return
        } catch {
            throw SessionError("cannot read the logs of \(source.label) (\(source.container)): \(error)")
        }
        if let last = splitter.finish() { try await continuation.send(Line(source: source.label, text: mask.mask(last))) }
    }

    /// `--since`: a duration before `now` (`10m`, `1h30m`, `30s`) or an RFC 3339 time
    /// (`2026-12-01T09:00:00Z`, fractions and offsets allowed), as seconds since 1970.
    public static func since(_ text: String, now: Date) throws(SessionError) -> Int {
        if let span = try? TimeSpan(parsing: text) {
            return Int(now.timeIntervalSince1970) - span.milliseconds / 1000
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970.rounded(.down)) }
        }
        throw SessionError(
            "'\(text)' is neither a duration (10m, 1h, 30s) nor an RFC 3339 time (2026-12-01T09:00:00Z)"
        )
    }
}

extension Pipeline {
    /// The containers of `service` in environment `name` (only replica `replica` when given): one
    /// container list call, filtered by the project, environment and service labels. An unknown
    /// service, a replica that does not exist and a service without containers are errors that say
    /// what there is instead.
    public func logs(_ name: String, service: String, replica: Int? = nil) async throws(SessionError) -> ServiceLogs {
        let resolution = try resolve(try load(name))
        let environment = resolution.desired.environment
        guard environment.service(named: service) != nil else {
            let names = environment.services.map(\.name)
            let known = names.isEmpty ? "it has no services" : "its services: \(names.joined(separator: ", "))"
            throw SessionError("\(environment.name) has no service '\(service)'\(Suggestion.didYouMean(service, in: names)) (\(known))")
        }
        let engine = try context.engine(environment.engine.host)
        let labels = [BerthLabel.project: environment.project, BerthLabel.environment: environment.name, BerthLabel.service: service]
        let containers: [ContainerSummary]
        do {
            containers = try await engine.listContainers(labels: labels)
        } catch {
            throw SessionError("cannot list the containers of \(service): \(error)")
        }
        var sources = Self.sources(service, containers)
        guard !sources.isEmpty else {
            throw SessionError("\(service) has no container in \(environment.name) (berth apply --env \(environment.name) creates them)")
        }
        if let replica {
            let chosen = sources.filter { $0.replica == replica }
            guard !chosen.isEmpty else {
                let numbers = Set(sources.compactMap(\.replica)).sorted().map(String.init)
                throw SessionError("\(service) has no replica \(replica) in \(environment.name); its replicas: \(numbers.joined(separator: ", "))")
            }
            sources = chosen
        }
        return ServiceLogs(
            environment: environment.name, service: service, sources: sources, engine: engine,
            mask: ServiceLogs.secretMask(resolution.secrets.values)
        )
    }


    /// Replica order, the oldest first within a replica. A replica with one container is labelled
    /// `web-1`; while a replacement keeps two, each is `web-1 (NAME)`.
    static func sources(_ service: String, _ containers: [ContainerSummary]) -> [ServiceLogs.Source] {
        let replica = { (container: ContainerSummary) in container.labels[BerthLabel.replica].flatMap { Int($0) } }
        let sorted = containers.sorted {
            (replica($0) ?? .max, $0.created, $0.name) < (replica($1) ?? .max, $1.created, $1.name)
        }
        let counts = Dictionary(sorted.compactMap { replica($0).map { ($0, 1) } }, uniquingKeysWith: +)
        return sorted.map { container in
            let number = replica(container)
            let label = number.map { counts[$0] == 1 ? "\(service)-\($0)" : "\(service)-\($0) (\(container.name))" } ?? container.name
            return ServiceLogs.Source(label: label, replica: number, container: container.name, id: container.id, state: container.state)
        }
    }
}

extension ServiceLogs {
    /// Output is masked a line at a time, so a value that spans lines (a PEM key) is also hidden line by line.
    static func secretMask(_ secrets: some Collection<String>) -> SecretMask {
        // Bytes, not characters: "\r\n" is one Character, which contains no "\n".
        let lines = secrets.filter { $0.utf8.contains(0x0A) }.flatMap { value in
            value.utf8.split(separator: 0x0A).map { line in String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self) }
        }
        return SecretMask(values: Array(secrets) + lines, linePrefixes: [])
    }
}
