import Foundation

/// HTTP/1.1 over a POSIX stream socket, unix or TCP.
///
/// Sends `Host` (Podman answers 400 without one), `Content-Length` for bodies and
/// `Connection: close`, so every request has a connection of its own and the body may also end at
/// the close. Reads `Content-Length`, chunked and read-to-close bodies, the whole response in memory
/// (a chunked body decoded as it arrives, in time linear in its size). Connecting, sending and
/// reading together honour the timeout.
///
/// The socket is blocking work, so each exchange runs on a thread of its own and resumes the
/// waiting task when done; the Swift concurrency pool is never tied up. Cancelling the task ends
/// the exchange within about 100 ms with ``EngineError/Code/cancelled``.
public struct SocketTransport: HTTPTransport {
    public let endpoint: EngineEndpoint

    public init(endpoint: EngineEndpoint) {
        self.endpoint = endpoint
    }

    public func send(_ request: HTTPRequest, timeout: Duration) async throws(EngineError) -> HTTPResponse {
        let endpoint = self.endpoint
        let cancellation = CancellationFlag()
        let result: Result<HTTPResponse, EngineError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(
                        returning: Self.exchange(request, endpoint: endpoint, timeout: timeout, cancellation: cancellation)
                    )
                }
                thread.name = "berth-engine-io"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// The whole exchange, synchronously: connect, send, read until the parser has a complete response.
    static func exchange(
        _ request: HTTPRequest, endpoint: EngineEndpoint, timeout: Duration, cancellation: CancellationFlag
    ) -> Result<HTTPResponse, EngineError> {
        let deadline = ContinuousClock.now + timeout
        do throws(SocketFailure) {
            let connection = try SocketConnection.connect(to: endpoint, deadline: deadline, cancellation: cancellation)
            try connection.write(request.serialized(host: endpoint.hostHeader), deadline: deadline)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var progress = HTTPResponseParser.Progress()
            while true {
                let count = try connection.read(into: &buffer, deadline: deadline)
                if count > 0 { received.append(contentsOf: buffer[0..<count]) }
                if let response = try parse(received, endOfStream: count == 0, method: request.method, progress: &progress) {
                    return .success(response)
                }
            }
        } catch {
            return .failure(engineError(error, endpoint: endpoint, timeout: timeout))
        }
    }

    /// A socket failure told in terms of the endpoint.
    static func engineError(_ failure: SocketFailure, endpoint: EngineEndpoint, timeout: Duration) -> EngineError {
        let name = endpoint.description
        switch failure {
        case .connect(let reason): return .unreachable(endpoint: name, reason: reason)
        case .lost(let reason): return .connectionLost(endpoint: name, reason: reason)
        case .timeout: return .timeout(endpoint: name, after: timeout)
        case .cancelled: return .cancelled(endpoint: name)
        case .malformed(let detail): return .malformedResponse(endpoint: name, detail: detail)
        }
    }

    private static func parse(
        _ bytes: [UInt8], endOfStream: Bool, method: String, progress: inout HTTPResponseParser.Progress
    ) throws(SocketFailure) -> HTTPResponse? {
        do {
            return try HTTPResponseParser.parse(bytes, endOfStream: endOfStream, requestMethod: method, progress: &progress)
        } catch {
            throw .malformed(detail: error.message)
        }
    }
}
