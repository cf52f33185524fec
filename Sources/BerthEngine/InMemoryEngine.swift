import Foundation
import BerthCore

/// The in-memory ``ContainerEngine`` for fast tests of the layers above.
///
/// It keeps containers in a dictionary, records every call in ``calls`` ("version", "list", "images",
/// "create web-1", "start web-1", "stop web-1", "remove web-1", "logs web-1", "inspect web-1": by
/// container name when the id is known, else by the id given), and throws injected faults (``fail(_:with:times:)``) before doing
/// anything. It answers the way Docker does: 409 for a taken name or removing a running container
/// without force, 404 for an unknown container on start and stop; a second start or stop, and
/// removing a container already gone, are fine. Lists come in name order (Docker's is newest
/// first; callers should not rely on either). Image labels registered with
/// ``init(version:images:imageLabels:clockStart:)`` merge into the labels of containers made from the image.
///
/// Images given at init or with ``seedImage(reference:id:)`` are what ``listImages()`` answers. Once
/// there is at least one, creating a container from an image that is not among them fails with
/// Docker's 404 "No such image: REF"; with none (image labels alone do not count), any image will do.
///
/// A container's logs are what a test appends (``appendLog(ofContainerNamed:_:at:)``), each piece
/// written at a time of its own; ``logStream(id:options:)`` answers them (the call recorded as "logs NAME"),
/// and while it follows a running container hands on each piece appended, until the container stops or
/// is removed (``followers(ofContainerNamed:)`` says how many follow it); ``inspect(id:)`` answers from the stored container, whose exit code,
/// out-of-memory kill and restart count a test sets (``setExited(ofContainerNamed:exitCode:oomKilled:)``,
/// ``setRestartCount(ofContainerNamed:_:)``).
public actor InMemoryEngine: ContainerEngine {
    /// How the double names itself in the errors it throws.
    public static let endpointName = "memory://in-memory-engine"

    private struct Stored {
        var summary: ContainerSummary
        var spec: ContainerSpec?
        /// Output pieces in the order written, each with its time in seconds since 1970.
        var logs: [(time: Int, output: [UInt8])] = []
        var restartCount = 0
        var oomKilled = false
        var exitCode = 0
        /// Docker's zero time until the container starts.
        var startedAt = InMemoryEngine.neverStarted
    }

    /// The `StartedAt` Docker and Podman give a container that never started.
    public static let neverStarted = "0001-01-01T00:00:00Z"

    private struct Fault {
        var error: EngineError
        var remaining: Int
    }

    /// Every call, in order.
    public private(set) var calls: [String] = []

    private let engineVersion: EngineVersion
    private let imageLabels: [String: [String: String]]
    private var images: [ImageSummary]
    private var stored: [String: Stored] = [:]
    private var faults: [EngineOperation: [Fault]] = [:]
    /// The streams following a container's log, by the container's key, each under a number of its own.
    private var followers: [String: [Int: AsyncStream<[UInt8]>.Continuation]] = [:]
    private var nextFollower = 0
    private var clock: Int
    private var serial = 0
    private var nextHostPort = 40000

    /// - Parameters:
    ///   - images: the images the engine has, in the order ``listImages()`` answers them.
    ///   - imageLabels: labels of images, by reference, merged into containers created from them.
    ///   - clockStart: the `created` time of the first container; each later one is a second newer.
    public init(
        version: EngineVersion = EngineVersion(
            version: "in-memory", apiVersion: EngineRequests.apiVersion, minAPIVersion: "1.24"
        ),
        images: [ImageSummary] = [],
        imageLabels: [String: [String: String]] = [:],
        clockStart: Int = 1_700_000_000
    ) {
        self.engineVersion = version
        self.images = images
        self.imageLabels = imageLabels
        self.clock = clockStart
    }

    // MARK: Fault injection and inspection

    /// The next `times` calls of `operation` throw `error` (after being recorded), then it works again.
    /// Faults for one operation queue up in the order they were given.
    public func fail(_ operation: EngineOperation, with error: EngineError, times: Int = 1) {
        guard times > 0 else { return }
        faults[operation, default: []].append(Fault(error: error, remaining: times))
    }

    /// Drops every fault not thrown yet.
    public func clearFaults() {
        faults = [:]
    }

    /// Forgets the calls recorded so far (e.g. after seeding through the protocol).
    public func clearCalls() {
        calls = []
    }

    /// Every container, by name.
    public var containers: [ContainerSummary] {
        stored.values.map(\.summary).sorted { $0.name < $1.name }
    }

    public func container(named name: String) -> ContainerSummary? {
        stored.values.first { $0.summary.name == name }?.summary
    }

    /// The spec a container was created or seeded with (nil for one seeded as a summary).
    public func spec(ofContainerNamed name: String) -> ContainerSpec? {
        stored.values.first { $0.summary.name == name }?.spec
    }

    // MARK: Seeding

    /// Adds a container as if created (and started, for "running") earlier; records no call.
    @discardableResult
    public func seed(name: String, spec: ContainerSpec, state: String = "running") -> String {
        let id = makeID(name)
        stored[id] = Stored(summary: summary(id: id, name: name, spec: spec, state: state), spec: spec)
        if state == "running", let created = stored[id]?.summary.created { stored[id]?.startedAt = Self.timestamp(created) }
        return id
    }

    /// Adds a container exactly as given; records no call.
    public func seed(_ summary: ContainerSummary) {
        stored[summary.id] = Stored(summary: summary, spec: nil)
        if summary.isRunning { stored[summary.id]?.startedAt = Self.timestamp(summary.created) }
    }

    /// Adds an image tagged `reference` (to the image with `id` when there is one, else a new image);
    /// a tag another image had moves over, as `docker tag` does. Records no call.
    public func seedImage(reference: String, id: String? = nil) {
        for index in images.indices { images[index].repoTags.removeAll { $0 == reference } }
        if let id, let index = images.firstIndex(where: { $0.id == id }) {
            images[index].repoTags.append(reference)
        } else {
            images.append(ImageSummary(id: id ?? "sha256:" + makeID(reference), repoTags: [reference]))
        }
    }

    /// Changes a container's state behind Berth's back (it crashed, someone stopped it, ...).
    public func setState(ofContainerNamed name: String, to state: String, status: String? = nil) {
        guard let id = key(ofContainerNamed: name) else { return }
        setState(id, state)
        if let status { stored[id]?.summary.status = status }
    }

    /// The container's process ended with `exitCode` (killed for lack of memory when `oomKilled`):
    /// it is "exited", as after a crash.
    public func setExited(ofContainerNamed name: String, exitCode: Int, oomKilled: Bool = false) {
        guard let id = key(ofContainerNamed: name) else { return }
        setState(id, "exited")
        stored[id]?.summary.status = "Exited (\(exitCode)) Less than a second ago"
        stored[id]?.exitCode = exitCode
        stored[id]?.oomKilled = oomKilled
    }

    /// The engine has restarted the container `count` times under its restart policy.
    public func setRestartCount(ofContainerNamed name: String, _ count: Int) {
        guard let id = key(ofContainerNamed: name) else { return }
        stored[id]?.restartCount = count
    }

    /// Adds `output` to the container's log, written at `time` (seconds since 1970; by default the
    /// engine's clock, which stands at the creation time of the newest container). Records no call.
    public func appendLog(ofContainerNamed name: String, _ output: String, at time: Int? = nil) {
        guard let id = key(ofContainerNamed: name) else { return }
        stored[id]?.logs.append((time: time ?? clock, output: Array(output.utf8)))
        for follower in (followers[id] ?? [:]).values { follower.yield(Array(output.utf8)) }
    }

    /// How many streams follow the container's log now.
    public func followers(ofContainerNamed name: String) -> Int {
        key(ofContainerNamed: name).map { followers[$0]?.count ?? 0 } ?? 0
    }

    // MARK: ContainerEngine

    public func version() async throws(EngineError) -> EngineVersion {
        try record(.version, "version")
        return engineVersion
    }

    public func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] {
        try record(.list, "list")
        return containers.filter { container in labels.allSatisfy { container.labels[$0.key] == $0.value } }
    }

    public func listImages() async throws(EngineError) -> [ImageSummary] {
        try record(.images, "images")
        return images
    }

    public func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        try record(.create, "create \(name)")
        if !images.isEmpty && !images.contains(where: { Self.image($0, isNamedBy: spec.image) }) {
            throw EngineError.status(404, message: "No such image: \(spec.image)", endpoint: Self.endpointName)
        }
        if let existing = stored.values.first(where: { $0.summary.name == name }) {
            throw EngineError.status(
                409,
                message: "Conflict. The container name \"/\(name)\" is already in use by container \"\(existing.summary.id)\". "
                    + "You have to remove (or rename) that container to be able to reuse that name.",
                endpoint: Self.endpointName
            )
        }
        let id = makeID(name)
        stored[id] = Stored(summary: summary(id: id, name: name, spec: spec, state: "created"), spec: spec)
        return id
    }

    public func startContainer(id: String) async throws(EngineError) {
        let key = try existing(id, .start)
        if stored[key]?.summary.state != "running" {
            setState(key, "running")
            stored[key]?.startedAt = Self.timestamp(clock)
        }
    }

    public func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) {
        let key = try existing(id, .stop)
        if stored[key]?.summary.state == "running" || stored[key]?.summary.state == "paused" { setState(key, "exited") }
    }

    public func removeContainer(id: String, force: Bool) async throws(EngineError) {
        guard let key = try recordCall(.remove, on: id), let container = stored[key]?.summary else { return }
        if container.isRunning && !force {
            throw EngineError.status(
                409,
                message: "cannot remove container \"/\(container.name)\": container is running: "
                    + "stop the container before removing or force remove",
                endpoint: Self.endpointName
            )
        }
        stored[key] = nil
        endFollowing(key)
    }

    public func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] {
        let key = try existing(id, .logs)
        let written = (stored[key]?.logs ?? []).filter { $0.time >= since }.flatMap(\.output)
        return ContainerLogs.suffix(written[...], ContainerLogs.maximumBytes)
    }

    /// The pieces written since `since`, cut to the last `tail` lines, in one piece; then, following a
    /// running container, each piece as it is appended.
    public nonisolated func logStream(id: String, options: LogOptions) -> AsyncThrowingStream<[UInt8], any Error> {
        .producing { continuation in
            let (written, live) = try await self.openLog(id, options)
            if !written.isEmpty { try await continuation.send(written) }
            guard let live else { return }
            for await piece in live { try await continuation.send(piece) }
        }
    }

    private func openLog(_ id: String, _ options: LogOptions) throws(EngineError) -> ([UInt8], AsyncStream<[UInt8]>?) {
        let key = try existing(id, .logs)
        let written = (stored[key]?.logs ?? []).filter { $0.time >= options.since ?? 0 }.flatMap(\.output)
        let output = ContainerLogs.lastLines(written, options.tail)
        guard options.follow, stored[key]?.summary.isRunning == true else { return (output, nil) }
        let (live, continuation) = AsyncStream<[UInt8]>.makeStream()
        let number = nextFollower
        nextFollower += 1
        followers[key, default: [:]][number] = continuation
        continuation.onTermination = { _ in Task { await self.unfollow(key, number) } }
        return (output, live)
    }

    private func unfollow(_ key: String, _ number: Int) {
        followers[key]?[number] = nil
        if followers[key]?.isEmpty == true { followers[key] = nil }
    }

    /// The container stopped or is gone: its followers' streams end.
    private func endFollowing(_ key: String) {
        for follower in (followers[key] ?? [:]).values { follower.finish() }
        followers[key] = nil
    }

    public func inspect(id: String) async throws(EngineError) -> ContainerInspection {
        let key = try existing(id, .inspect)
        guard let container = stored[key] else { throw Self.noSuchContainer(id) }
        return ContainerInspection(
            state: container.summary.state, restartCount: container.restartCount, oomKilled: container.oomKilled,
            exitCode: container.exitCode, startedAt: container.startedAt
        )
    }

    // MARK: Helpers

    /// Records `OPERATION NAME` (the id as given when the container is unknown), throwing an injected
    /// fault; returns the container's key, nil when it is unknown.
    private func recordCall(_ operation: EngineOperation, on id: String) throws(EngineError) -> String? {
        let key = lookup(id)
        try record(operation, "\(operation.rawValue) \(key.flatMap { stored[$0]?.summary.name } ?? id)")
        return key
    }

    /// As ``recordCall(_:on:)``, then Docker's 404 for an unknown container.
    private func existing(_ id: String, _ operation: EngineOperation) throws(EngineError) -> String {
        guard let key = try recordCall(operation, on: id) else { throw Self.noSuchContainer(id) }
        return key
    }

    private func key(ofContainerNamed name: String) -> String? {
        stored.first { $0.value.summary.name == name }?.key
    }

    private func record(_ operation: EngineOperation, _ call: String) throws(EngineError) {
        calls.append(call)
        guard var queue = faults[operation], !queue.isEmpty else { return }
        let error = queue[0].error
        queue[0].remaining -= 1
        if queue[0].remaining <= 0 { queue.removeFirst() }
        faults[operation] = queue.isEmpty ? nil : queue
        throw error
    }

    /// The stored id for a full id, a unique id prefix or a name, as Docker resolves them.
    private func lookup(_ reference: String) -> String? {
        if stored[reference] != nil { return reference }
        if let byName = stored.first(where: { $0.value.summary.name == reference }) { return byName.key }
        let prefixed = stored.keys.filter { $0.hasPrefix(reference) }
        return !reference.isEmpty && prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Whether `reference` names `image`: one of its tags (`:latest` when the reference has none),
    /// its digests, or its id, with or without the "sha256:" prefix.
    private static func image(_ image: ImageSummary, isNamedBy reference: String) -> Bool {
        let lastComponent = reference.split(separator: "/").last ?? ""
        let tagged = lastComponent.contains(":") || lastComponent.contains("@") ? reference : reference + ":latest"
        return image.repoTags.contains(tagged) || image.repoDigests.contains(reference) || image.id == reference
            || image.id == "sha256:" + reference
    }

    private func setState(_ key: String, _ state: String) {
        stored[key]?.summary.state = state
        stored[key]?.summary.status = Self.status(for: state)
        if state != "running" && state != "paused" { endFollowing(key) }
    }

    private func summary(id: String, name: String, spec: ContainerSpec, state: String) -> ContainerSummary {
        clock += 1
        var ports: [PortSummary] = []
        for port in spec.ports {
            let publicPort = port.hostPort ?? nextHostPort
            if port.hostPort == nil { nextHostPort += 1 }
            ports.append(
                PortSummary(ip: port.hostIP ?? "0.0.0.0", privatePort: port.containerPort, publicPort: publicPort, type: port.protocol)
            )
        }
        // The image's id when the engine knows the image; otherwise one made from its name, stable from run to run.
        let imageID = images.first { Self.image($0, isNamedBy: spec.image) }?.id ?? "sha256:" + makeHexID(spec.image)
        return ContainerSummary(
            id: id, name: name, image: spec.image, imageID: imageID, state: state, status: Self.status(for: state),
            labels: (imageLabels[spec.image] ?? [:]).merging(spec.labels) { _, own in own },
            ports: ports, created: clock - 1
        )
    }

    /// 64 hex digits, different for every container and stable from run to run.
    private func makeID(_ name: String) -> String {
        serial += 1
        return makeHexID("\(serial)/\(name)")
    }

    /// 64 hex digits made from `seed`.
    private func makeHexID(_ seed: String) -> String {
        (0..<4).map { part in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for byte in "\(seed)/\(part)".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// `2023-11-14T22:13:20Z`: seconds since 1970 as the engine writes times.
    private static func timestamp(_ seconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }

    private static func status(for state: String) -> String {
        switch state {
        case "running": "Up Less than a second"
        case "exited": "Exited (0) Less than a second ago"
        case "created": "Created"
        case "paused": "Up Less than a second (Paused)"
        default: state.prefix(1).uppercased() + state.dropFirst()
        }
    }

    private static func noSuchContainer(_ id: String) -> EngineError {
        .status(404, message: "No such container: \(id)", endpoint: endpointName)
    }
}
