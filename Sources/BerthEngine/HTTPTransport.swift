import BerthCore

/// Sends one HTTP request to the engine and returns its complete response.
///
/// ``SocketTransport`` is the real one; tests of ``DockerEngine`` can pass their own.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and waits at most `timeout` for the whole response.
    /// Throws ``EngineError`` for anything other than a complete HTTP response (any status is a response).
    func send(_ request: HTTPRequest, timeout: Duration) async throws(EngineError) -> HTTPResponse

    /// Sends `request` and returns once the response's head has come (within `timeout`); its body
    /// follows in pieces as they arrive, chunked coding removed. Each piece of the body must come
    /// within `timeout` too unless `open` is set, for a body that lasts as long as the engine has
    /// something to say.
    func stream(_ request: HTTPRequest, timeout: Duration, open: Bool) async throws(EngineError) -> HTTPStreamingResponse
}

/// A response whose body is still arriving.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    /// The body's pieces, in order; errors are ``EngineError``. Ending the iteration closes the connection.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, headers: [HTTPHeader] = [], body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension HTTPTransport {
    /// For a transport that reads whole responses: the body in one piece.
    public func stream(_ request: HTTPRequest, timeout: Duration, open: Bool) async throws(EngineError) -> HTTPStreamingResponse {
        let response = try await send(request, timeout: timeout)
        return HTTPStreamingResponse(
            status: response.status, headers: response.headers, body: .producing { try await $0.send(response.body) }
        )
    }
}
