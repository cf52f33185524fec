import BerthCore
import Foundation

extension SocketTransport {
    /// The exchange on a thread of its own, as ``send(_:timeout:)``, but the caller resumes once the
    /// head has come and the body's pieces are handed on as they are read: unchunked by a
    /// ``ChunkedDecoder``, a `Content-Length` counted down, or up to the close. Memory holds at most
    /// ``AsyncThrowingStream/producingBuffer`` reads: while the consumer lags, the thread waits.
    /// Ending the body's iteration sets the exchange's cancellation flag, so the thread stops within
    /// ``SocketConnection/pollSlice`` and the socket is closed.
    public func stream(_ request: HTTPRequest, timeout: Duration, open: Bool) async throws(EngineError) -> HTTPStreamingResponse {
        let endpoint = self.endpoint
        let cancellation = CancellationFlag()
        let (body, pieces) = AsyncThrowingStream<[UInt8], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(AsyncThrowingStream<[UInt8], any Error>.producingBuffer)
        )
        pieces.onTermination = { _ in cancellation.cancel() }
        let head: Result<(status: Int, headers: [HTTPHeader]), EngineError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    Self.streamingExchange(
                        request, endpoint: endpoint, timeout: timeout, open: open, cancellation: cancellation,
                        head: { continuation.resume(returning: $0) }, body: pieces
                    )
                }
                thread.name = "berth-engine-stream"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        let (status, headers) = try head.get()
        return HTTPStreamingResponse(status: status, headers: headers, body: body)
    }

    /// Connects, sends, reads the head and reports it through `head` (exactly once), then reads the
    /// body into `body` until it ends, fails or is cancelled.
    static func streamingExchange(
        _ request: HTTPRequest, endpoint: EngineEndpoint, timeout: Duration, open: Bool, cancellation: CancellationFlag,
        head report: (Result<(status: Int, headers: [HTTPHeader]), EngineError>) -> Void,
        body: AsyncThrowingStream<[UInt8], any Error>.Continuation
    ) {
        let deadline = ContinuousClock.now + timeout
        var reported = false
        do throws(SocketFailure) {
            let connection = try SocketConnection.connect(to: endpoint, deadline: deadline, cancellation: cancellation)
            try connection.write(request.serialized(host: endpoint.hostHeader), deadline: deadline)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var count = 0
            var parsed: (status: Int, headers: [HTTPHeader], bodyStart: Int)?
            while parsed == nil {
                count = try connection.read(into: &buffer, deadline: deadline)
                received.append(contentsOf: buffer[0..<count])
                parsed = try malformed { () throws(HTTPParseError) in try HTTPResponseParser.head(received, endOfStream: count == 0) }
            }
            guard let (status, headers, bodyStart) = parsed else { throw SocketFailure.malformed(detail: "no response head") }
            report(.success((status, headers)))
            reported = true
            let noBody = request.method.uppercased() == "HEAD" || status == 204 || status == 304
            var decoder = try malformed { () throws(HTTPParseError) in try BodyDecoder(noBody ? .length(0) : HTTPResponseParser.framing(of: headers)) }
            // An open body waits as long as the engine has something to say, or until it is cancelled;
            // another waits at most `timeout` for each read, however long a slow consumer takes.
            let forever = ContinuousClock.now + .seconds(100 * 365 * 24 * 3600)
            var piece = received[bodyStart...]
            while true {
                let data = try malformed { () throws(HTTPParseError) in try decoder.feed(piece) }
                // A full buffer holds the reading back until the consumer catches up.
                while !data.isEmpty, case .dropped = body.yield(data) {
                    if cancellation.isCancelled { throw SocketFailure.cancelled }
                    usleep(5_000)
                }
                if decoder.isFinished { break }
                if count == 0 {
                    try malformed { () throws(HTTPParseError) in try decoder.finish() }
                    break
                }
                count = try connection.read(into: &buffer, deadline: open ? forever : ContinuousClock.now + timeout)
                piece = buffer[0..<count]
            }
            body.finish()
        } catch {
            let failure = engineError(error, endpoint: endpoint, timeout: timeout)
            if reported { body.finish(throwing: failure) } else { report(.failure(failure)); body.finish() }
        }
    }

    private static func malformed<Value>(_ work: () throws(HTTPParseError) -> Value) throws(SocketFailure) -> Value {
        do {
            return try work()
        } catch {
            throw .malformed(detail: error.message)
        }
    }

    /// A body delimited as its head says, decoded piece by piece.
    struct BodyDecoder {
        private var framing: HTTPResponseParser.BodyFraming
        private var chunks = ChunkedDecoder()
        private var received = 0

        init(_ framing: HTTPResponseParser.BodyFraming) {
            self.framing = framing
        }

        var isFinished: Bool {
            switch framing {
            case .chunked: chunks.isFinished
            case .length(let length): received >= length
            case .untilClose: false
            }
        }

        mutating func feed(_ piece: ArraySlice<UInt8>) throws(HTTPParseError) -> [UInt8] {
            switch framing {
            case .chunked:
                return try chunks.feed(piece)
            case .length(let length):
                let data = piece.prefix(max(length - received, 0))
                received += data.count
                return Array(data)
            case .untilClose:
                return Array(piece)
            }
        }

        /// The connection closed.
        func finish() throws(HTTPParseError) {
            switch framing {
            case .chunked: try chunks.finish()
            case .length(let length) where received < length:
                throw HTTPParseError("the connection closed after \(received) of \(length) body bytes")
            case .length, .untilClose: return
            }
        }
    }
}
