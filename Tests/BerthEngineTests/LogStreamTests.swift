import Foundation
import Synchronization
import Testing
import BerthCore
@testable import BerthEngine
import BerthTestSupport

/// Logs read as they arrive: chunked coding and frames decoded piece by piece, lines held until
/// whole, the socket streamed and closed on cancellation, and the in-memory double following a log.
@Suite struct LogStreamTests {
    static let frames = ContainerLogsTests.frame(1, "hello\n") + ContainerLogsTests.frame(2, "oops\n")
        + ContainerLogsTests.frame(1, []) + ContainerLogsTests.frame(1, "done\n")

    /// `bytes` fed in two pieces cut at `cut`, through a fresh decoder.
    static func demultiplexed(_ bytes: [UInt8], cut: Int) throws -> [UInt8] {
        var decoder = LogStreamDecoder()
        let output = try decoder.feed(bytes[..<cut]) + decoder.feed(bytes[cut...])
        try decoder.finish()
        return output
    }

    @Test("frames cut at every byte boundary give the same output")
    func framesAtEveryBoundary() throws {
        for cut in 0...Self.frames.count {
            #expect(try Self.demultiplexed(Self.frames, cut: cut) == Array("hello\noops\ndone\n".utf8), "cut at \(cut)")
        }
        // One byte at a time.
        var decoder = LogStreamDecoder()
        let output = try Self.frames.indices.flatMap { try decoder.feed(Self.frames[$0...$0]) }
        #expect(output == Array("hello\noops\ndone\n".utf8))
    }

    @Test("a TTY container's raw stream passes unchanged, however it is cut")
    func rawStream() throws {
        let raw = Array("\u{1b}[32mready\r\nserving\r\n".utf8)
        for cut in 0...raw.count { #expect(try Self.demultiplexed(raw, cut: cut) == raw) }
    }

    @Test("the engine's error frame is thrown once complete, after the output before it")
    func errorFrame() throws {
        let stream = ContainerLogsTests.frame(1, "ok\n") + ContainerLogsTests.frame(3, "log driver gone")
        var decoder = LogStreamDecoder()
        #expect(try decoder.feed(stream[..<14]) == Array("ok\n".utf8))
        #expect(throws: ContainerLogs.Malformed("the engine reported: log driver gone")) { try decoder.feed(stream[14...]) }
    }

    @Test("a stream that ends inside a header or a payload is refused by finish, not by feed")
    func endsInsideFrame() throws {
        var decoder = LogStreamDecoder()
        #expect(try decoder.feed(ContainerLogsTests.frame(1, "ok")[...] + [2, 0, 0]) == Array("ok".utf8))
        #expect(throws: ContainerLogs.Malformed("the log stream ends inside a frame header at byte 10")) { try decoder.finish() }
        var inPayload = LogStreamDecoder()
        _ = try inPayload.feed(ContainerLogsTests.frame(1, "hello")[..<10])
        #expect(throws: ContainerLogs.Malformed("the log stream ends inside a frame of 5 bytes at byte 0")) { try inPayload.finish() }
    }

    @Test("chunked coding, with extensions, trailers and bare LFs, is removed however the reads cut it")
    func chunkedAtEveryBoundary() throws {
        let wire = Array("5;ext=1\r\nhello\r\n1\r\n \r\n5\nworld\n0\r\nTrailer: x\r\n\r\nignored".utf8)
        for cut in 0...wire.count {
            var decoder = ChunkedDecoder()
            let first = try decoder.feed(wire[..<cut])
            let output = first + (try decoder.feed(wire[cut...]))
            #expect(String(decoding: output, as: UTF8.self) == "hello world", "cut at \(cut)")
            #expect(decoder.isFinished)
            try decoder.finish()
        }
    }

    @Test("a chunked body cut short, a bad size and data without CRLF are refused")
    func chunkedErrors() throws {
        var short = ChunkedDecoder()
        _ = try short.feed(Array("5\r\nhel".utf8)[...])
        #expect(throws: HTTPParseError("the connection closed inside a chunked body")) { try short.finish() }
        var bad = ChunkedDecoder()
        #expect(throws: HTTPParseError("invalid chunk size \"zz\"")) { try bad.feed(Array("zz\r\n".utf8)[...]) }
        var noLineEnd = ChunkedDecoder()
        #expect(throws: HTTPParseError("chunk data not followed by CRLF")) { try noLineEnd.feed(Array("2\r\nabc".utf8)[...]) }
    }

    @Test("lines are passed on whole; a partial line waits for its newline or the end; CRLF loses its CR")
    func lines() {
        var splitter = LogLineSplitter()
        #expect(splitter.feed(Array("one\ntw".utf8)) == ["one"])
        #expect(splitter.feed(Array("o\r".utf8)) == [])
        #expect(splitter.feed(Array("\nthree\n\nfo".utf8)) == ["two", "three", ""])
        #expect(splitter.finish() == "fo")
        #expect(splitter.finish() == nil)
        var long = LogLineSplitter()
        let lines = long.feed([UInt8](repeating: 0x61, count: LogLineSplitter.maximumLineBytes + 3) + [0x0A])
        #expect(lines.map(\.count) == [LogLineSplitter.maximumLineBytes, 3])
    }

    @Test("a line longer than the limit is cut before a kept value that would span the cut, or whose start ends the piece")
    func cutKeepsValuesWhole() {
        let secret = "token-4711-abcdef"
        let limit = LogLineSplitter.maximumLineBytes
        for offset in [10, 5, 1, -3, -12] {
            // The secret starts `offset` bytes before the limit: inside the first piece, across the cut, or after it.
            let line = String(repeating: "a", count: limit - offset) + secret + String(repeating: "b", count: 40)
            var splitter = LogLineSplitter(keepingWhole: [secret])
            var pieces = [String]()
            // Bytes come one read at a time, as small as they may be.
            for chunk in Array(line.utf8).chunked(by: 4096) { pieces += splitter.feed(chunk) }
            pieces += splitter.finish().map { [$0] } ?? []
            #expect(pieces.joined() == line, "offset \(offset)")
            #expect(pieces.contains { $0.contains(secret) }, "offset \(offset): \(pieces.map(\.count))")
            #expect(pieces.allSatisfy { $0.utf8.count <= limit })
        }
    }

    @Test("a cut never splits a UTF-8 character")
    func cutKeepsCharactersWhole() {
        let limit = LogLineSplitter.maximumLineBytes
        for pad in 0..<4 {
            let line = String(repeating: "a", count: limit - 2 - pad) + String(repeating: "é€😀", count: 3)
            var splitter = LogLineSplitter()
            var pieces = splitter.feed(Array(line.utf8))
            pieces += splitter.finish().map { [$0] } ?? []
            #expect(pieces.joined() == line, "pad \(pad)")
            #expect(!pieces.joined().contains("\u{FFFD}"))
        }
        #expect(LogLineSplitter.characterStart(Array("aé".utf8), before: 2) == 1)
        #expect(LogLineSplitter.characterStart(Array("aé".utf8), before: 3) == 3)
        #expect(LogLineSplitter.characterStart(Array("a😀".utf8), before: 4) == 1)
        #expect(LogLineSplitter.characterStart(Array("ab".utf8), before: 1) == 1)
    }

    @Test("the last lines of an output, with or without a final newline")
    func lastLines() {
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        let output = Array("a\nb\nc\n".utf8)
        #expect(text(ContainerLogs.lastLines(output, 2)) == "b\nc\n")
        #expect(text(ContainerLogs.lastLines(output, 9)) == "a\nb\nc\n")
        #expect(text(ContainerLogs.lastLines(output, nil)) == "a\nb\nc\n")
        #expect(ContainerLogs.lastLines(output, 0) == [])
        #expect(text(ContainerLogs.lastLines(Array("a\nb".utf8), 1)) == "b")
    }

    @Test("the logs request asks for the tail and to follow only when told")
    func request() {
        #expect(EngineRequests.containerLogs(id: "web", options: LogOptions()).path
            == "/v1.41/containers/web/logs?stdout=1&stderr=1&since=0&timestamps=0")
        #expect(EngineRequests.containerLogs(id: "web", options: LogOptions(since: 1_700_000_000, tail: 5, follow: true)).path
            == "/v1.41/containers/web/logs?stdout=1&stderr=1&since=1700000000&timestamps=0&tail=5&follow=1")
    }

    static func collect(_ stream: AsyncThrowingStream<[UInt8], any Error>) async throws -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        for try await piece in stream { pieces.append(piece) }
        return pieces
    }

    @Test("over a socket: a chunked, multiplexed answer comes in pieces as they are written, demultiplexed")
    func socketStream() async throws {
        let wire = DockerEngineTests.chunkedLogs(Self.frames, chunkSize: 7, contentType: "application/octet-stream")
        let text = String(decoding: wire, as: UTF8.self)
        let head = text.range(of: "\r\n\r\n").map { text[..<$0.upperBound] } ?? ""
        let rest = String(text.dropFirst(head.count))
        let server = try LoopbackServer(pieces: [String(head), String(rest.prefix(20)), String(rest.dropFirst(20))])
        let engine = DockerEngine(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeout: .seconds(5))
        let pieces = try await Self.collect(engine.logStream(id: "web-1", options: LogOptions(tail: 3, follow: true)))
        #expect(pieces.count >= 2, "\(pieces)")
        #expect(pieces.flatMap { $0 } == Array("hello\noops\ndone\n".utf8))
        #expect(server.receivedRequest?.hasPrefix("GET /v1.41/containers/web-1/logs?stdout=1&stderr=1&since=0&timestamps=0&tail=3&follow=1 ") == true)
    }

    @Test("over a socket: ending the iteration of a followed log closes the connection")
    func socketCancellation() async throws {
        let server = try LoopbackServer(
            pieces: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "4\r\nup\r\n\r\n"], holdingOpen: true
        )
        let engine = DockerEngine(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeout: .seconds(5))
        for try await piece in engine.logStream(id: "web-1", options: LogOptions(follow: true)) {
            #expect(piece == Array("up\r\n".utf8))
            break
        }
        var waited = 0
        while !server.clientClosed && waited < 100 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(server.clientClosed)
    }

    @Test("over a socket without follow: a body that stops coming runs into the timeout, after the pieces before")
    func socketIdleTimeout() async throws {
        let server = try LoopbackServer(
            pieces: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "4\r\nup\r\n\r\n"], holdingOpen: true
        )
        let engine = DockerEngine(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeout: .milliseconds(300))
        var pieces: [[UInt8]] = []
        let error = await #expect(throws: EngineError.self) {
            for try await piece in engine.logStream(id: "web-1", options: LogOptions()) { pieces.append(piece) }
        }
        #expect(error?.code == .timeout)
        #expect(pieces == [Array("up\r\n".utf8)])
    }

    @Test("over a socket: an unknown container is the engine's 404 with its message")
    func socketNotFound() async throws {
        let body = #"{"message":"No such container: nope"}"#
        let server = try LoopbackServer(pieces: ["HTTP/1.1 404 Not Found\r\nContent-Length: \(body.utf8.count)\r\n\r\n", body])
        let engine = DockerEngine(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeout: .seconds(5))
        let error = await #expect(throws: EngineError.self) { _ = try await Self.collect(engine.logStream(id: "nope", options: LogOptions())) }
        #expect(error?.isNotFound == true)
        #expect(error?.reason == "No such container: nope")
    }

    @Test("over a socket with follow: an error answer whose body stalls ends within the timeout, with its status")
    func socketErrorThatStalls() async throws {
        let server = try LoopbackServer(
            pieces: ["HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\n{\"mes\r\n"], holdingOpen: true
        )
        let engine = DockerEngine(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeout: .milliseconds(300))
        let error = await #expect(throws: EngineError.self) {
            _ = try await Self.collect(engine.logStream(id: "web-1", options: LogOptions(follow: true)))
        }
        #expect(error?.status == 500, "\(String(describing: error))")
    }

    @Test("the double answers the tail, then follows a running container until it stops")
    func inMemoryFollow() async throws {
        let engine = InMemoryEngine()
        await engine.seed(name: "web-1", spec: ContainerSpec(image: "web"))
        await engine.appendLog(ofContainerNamed: "web-1", "one\ntwo\nthree\n")
        #expect(try await Self.collect(engine.logStream(id: "web-1", options: LogOptions(tail: 2))) == [Array("two\nthree\n".utf8)])

        let stream = engine.logStream(id: "web-1", options: LogOptions(tail: 1, follow: true))
        let reader = Task { try await Self.collect(stream) }
        while await engine.followers(ofContainerNamed: "web-1") == 0 { await Task.yield() }
        await engine.appendLog(ofContainerNamed: "web-1", "four\n")
        await engine.setExited(ofContainerNamed: "web-1", exitCode: 0)
        #expect(try await reader.value == [Array("three\n".utf8), Array("four\n".utf8)])
        #expect(await engine.calls == ["logs web-1", "logs web-1"])
        #expect(await engine.followers(ofContainerNamed: "web-1") == 0)
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    @Test("a producer waits for a slow consumer, never more than the buffer ahead, and loses nothing")
    func backpressure() async throws {
        let produced = Counter()
        let stream = AsyncThrowingStream<Int, any Error>.producing { continuation in
            for number in 0..<100 {
                try await continuation.send(number)
                produced.value.withLock { $0 += 1 }
            }
        }
        var seen: [Int] = []
        for try await number in stream {
            seen.append(number)
            if seen.count == 1 {
                try await Task.sleep(for: .milliseconds(100))
                #expect(produced.value.withLock { $0 } <= AsyncThrowingStream<Int, any Error>.producingBuffer + 1)
            }
        }
        #expect(seen == Array(0..<100))
    }
}

extension Array {
    /// The elements in runs of `size` (the last one shorter).
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
