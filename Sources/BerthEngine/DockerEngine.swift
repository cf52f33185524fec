/// The real ``ContainerEngine``: ``EngineRequests`` sent through an ``HTTPTransport``
/// (a ``SocketTransport`` to the endpoint by default), JSON answers decoded.
///
/// Answers outside 2xx become ``EngineError/Code/status`` errors carrying the engine's own message,
/// except where the protocol says they are fine: 304 on start and stop, 404 on remove. Log streams
/// are demultiplexed (``ContainerLogs``); the transport has already removed chunked coding.
public struct DockerEngine: ContainerEngine {
    public let endpoint: EngineEndpoint
    /// The time allowed for each call (a stop gets its stop timeout on top).
    public let timeout: Duration
    private let transport: any HTTPTransport

    public init(endpoint: EngineEndpoint, transport: (any HTTPTransport)? = nil, timeout: Duration = .seconds(30)) {
        self.endpoint = endpoint
        self.transport = transport ?? SocketTransport(endpoint: endpoint)
        self.timeout = timeout
    }

    /// `GET /_ping`: succeeds when the engine answers.
    public func ping() async throws(EngineError) {
        _ = try await send(EngineRequests.ping())
    }

    public func version() async throws(EngineError) -> EngineVersion {
        let response = try await send(EngineRequests.version())
        return try decode(response, what: "the version", DockerEngineJSON.version(from:))
    }

    public func listContainers(labels: [String: String]) async throws(EngineError) -> [ContainerSummary] {
        let response = try await send(EngineRequests.listContainers(labels: labels))
        return try decode(response, what: "the container list", DockerEngineJSON.containers(from:))
    }

    public func listImages() async throws(EngineError) -> [ImageSummary] {
        let response = try await send(EngineRequests.listImages())
        return try decode(response, what: "the image list", DockerEngineJSON.images(from:))
    }

    public func createContainer(name: String, spec: ContainerSpec) async throws(EngineError) -> String {
        let response = try await send(EngineRequests.createContainer(name: name, spec: spec))
        return try decode(response, what: "the created container's id", DockerEngineJSON.createdID(from:))
    }

    public func startContainer(id: String) async throws(EngineError) {
        _ = try await send(EngineRequests.startContainer(id: id), accepting: [304])
    }

    public func stopContainer(id: String, timeoutSeconds: Int) async throws(EngineError) {
        // The engine answers only once the container is down, up to `timeoutSeconds` later.
        let request = EngineRequests.stopContainer(id: id, timeoutSeconds: timeoutSeconds)
        _ = try await send(request, timeout: timeout + .seconds(max(timeoutSeconds, 0)), accepting: [304])
    }

    public func removeContainer(id: String, force: Bool) async throws(EngineError) {
        _ = try await send(EngineRequests.removeContainer(id: id, force: force), accepting: [404])
    }

    public func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] {
        let response = try await send(EngineRequests.containerLogs(id: id, since: since))
        return try decode(response, what: "the logs") { body throws(ContainerLogs.Malformed) in try ContainerLogs.demultiplex(body) }
    }

    /// `GET /containers/ID/logs` read as it arrives: the body demultiplexed piece by piece
    /// (``LogStreamDecoder``). An answer outside 2xx ends the stream with the engine's message.
    public func logStream(id: String, options: LogOptions) -> AsyncThrowingStream<[UInt8], any Error> {
        let transport = self.transport, timeout = self.timeout, endpoint = self.endpoint.description
        return .producing { continuation in
            let request = EngineRequests.containerLogs(id: id, options: options)
            let response = try await transport.stream(request, timeout: timeout, open: options.follow)
            guard (200..<300).contains(response.status) else {
                let body = await Self.errorBody(response.body, within: timeout)
                let answer = HTTPResponse(status: response.status, headers: response.headers, body: body)
                throw EngineError.status(response.status, message: DockerEngineJSON.errorMessage(from: answer), endpoint: endpoint)
            }
            var decoder = LogStreamDecoder()
            for try await piece in response.body {
                let output = try Self.readingLogs(endpoint) { () throws(ContainerLogs.Malformed) in try decoder.feed(piece[...]) }
                if !output.isEmpty { try await continuation.send(output) }
            }
            // A cancelled stream ends wherever it was.
            if !Task.isCancelled { try Self.readingLogs(endpoint) { () throws(ContainerLogs.Malformed) in try decoder.finish() } }
        }
    }

    /// The start of an error answer's body: at most 64 KiB, read within `timeout` (a followed stream has no
    /// read timeout of its own); empty when it does not come in time.
    static func errorBody(_ body: AsyncThrowingStream<[UInt8], any Error>, within timeout: Duration) async -> [UInt8] {
        await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var collected: [UInt8] = []
                do {
                    for try await piece in body {
                        collected += piece
                        if collected.count >= 64 * 1024 { break }
                    }
                } catch {}
                return Array(collected.prefix(64 * 1024))
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    private static func readingLogs<Value>(_ endpoint: String, _ work: () throws(ContainerLogs.Malformed) -> Value) throws(EngineError) -> Value {
        do {
            return try work()
        } catch {
            throw .malformedResponse(endpoint: endpoint, detail: "cannot read the logs: \(error.description)")
        }
    }

    public func inspect(id: String) async throws(EngineError) -> ContainerInspection {
        let response = try await send(EngineRequests.inspectContainer(id: id))
        return try decode(response, what: "the container's state", DockerEngineJSON.inspection(from:))
    }

    // MARK: Exchange

    private func send(
        _ request: HTTPRequest, timeout: Duration? = nil, accepting accepted: Set<Int> = []
    ) async throws(EngineError) -> HTTPResponse {
        let response = try await transport.send(request, timeout: timeout ?? self.timeout)
        guard response.isSuccess || accepted.contains(response.status) else {
            throw EngineError.status(
                response.status, message: DockerEngineJSON.errorMessage(from: response), endpoint: endpoint.description
            )
        }
        return response
    }

    private func decode<Value, Failure: Error & CustomStringConvertible>(
        _ response: HTTPResponse, what: String, _ decoder: ([UInt8]) throws(Failure) -> Value
    ) throws(EngineError) -> Value {
        do {
            return try decoder(response.body)
        } catch {
            throw .malformedResponse(endpoint: endpoint.description, detail: "cannot read \(what): \(error.description)")
        }
    }
}
