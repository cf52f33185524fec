/// Sends one HTTP request to the engine and returns its complete response.
///
/// ``SocketTransport`` is the real one; tests of ``DockerEngine`` can pass their own.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and waits at most `timeout` for the whole response.
    /// Throws ``EngineError`` for anything other than a complete HTTP response (any status is a response).
    func send(_ request: HTTPRequest, timeout: Duration) async throws(EngineError) -> HTTPResponse
}
