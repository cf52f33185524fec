import BerthCore

/// The container operations Berth needs from Docker or Podman.
///
/// ``DockerEngine`` is the real one, ``InMemoryEngine`` the double for tests of the layers above.
public protocol ContainerEngine: Sendable {
    func version() async throws(EngineError) -> EngineVersion

    /// ONE list call: every container (running or not) carrying all of these labels.
    func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary]

    /// ONE list call: every image the engine has (no per-image inspect).
    func listImages() async throws(EngineError) -> [ImageSummary]

    /// Creates (does not start) a container; returns its id.
    /// A taken name fails with ``EngineError/isNameConflict``.
    func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String

    /// Starts a container; one already running is fine.
    func startContainer(id: String) async throws(EngineError)

    /// SIGTERM, then SIGKILL after `timeoutSeconds`. A container already stopped is fine;
    /// an unknown one fails with ``EngineError/isNotFound``.
    func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError)

    /// Removes a container (`force` also kills a running one). One already gone is fine.
    func removeContainer(id: String, force: Bool) async throws(EngineError)

    /// What a container wrote to standard output and standard error since `since` (seconds since
    /// 1970, inclusive; 0 for everything), in the order written, at most the last
    /// ``ContainerLogs/maximumBytes``. An unknown container fails with ``EngineError/isNotFound``.
    func logs(id: String, since: Int) async throws(EngineError) -> [UInt8]

    /// What a container wrote to standard output and standard error, demultiplexed, in pieces as the
    /// engine sends them (a piece may end inside a line). With ``LogOptions/follow`` the stream stays
    /// open and ends when the container stops; without it, once the output written so far has come.
    /// Errors (an unknown container is ``EngineError/isNotFound``) end the stream as ``EngineError``.
    /// Ending the iteration (or cancelling its task) closes the connection.
    func logStream(id: String, options: LogOptions) -> AsyncThrowingStream<[UInt8], any Error>

    /// A container's state, exit code and restart count, for verifying a release.
    /// An unknown container fails with ``EngineError/isNotFound``.
    func inspect(id: String) async throws(EngineError) -> ContainerInspection
}

/// The operations of ``ContainerEngine``, for fault injection in ``InMemoryEngine``.
public enum EngineOperation: String, Hashable, Sendable, CaseIterable {
    case version, list, images, create, start, stop, remove, logs, inspect
}

extension ContainerEngine {
    /// For an engine that cannot stream: one piece, what ``logs(id:since:)`` returns cut to its last
    /// `tail` lines; it never follows.
    public func logStream(id: String, options: LogOptions) -> AsyncThrowingStream<[UInt8], any Error> {
        .producing { continuation in
            try await continuation.send(ContainerLogs.lastLines(try await logs(id: id, since: options.since ?? 0), options.tail))
        }
    }
}
