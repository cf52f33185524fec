/// Why bytes from the engine are not an HTTP/1.1 response.
struct HTTPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// HTTP/1.1 response parsing as a pure function of the bytes received so far.
///
/// The transport calls ``parse(_:endOfStream:requestMethod:progress:)`` after every read: `nil` means
/// more bytes are needed, a response means it is complete. Bodies are framed by `Content-Length`,
/// by chunked transfer coding (extensions and trailers skipped), or by the connection's close.
/// Interim 1xx responses are skipped; 204, 304 and answers to HEAD have no body.
///
/// A ``Progress`` carried from one call to the next (the bytes only ever growing) keeps what more
/// bytes cannot change, the final head and the chunks decoded so far (``ChunkedDecoder``), so a
/// chunked body of n bytes read in pieces costs O(n) rather than a decoding from the start after every read.
enum HTTPResponseParser {
    /// Longer header sections are refused rather than buffered forever.
    static let maximumHeaderBytes = 64 * 1024
    /// Longer chunk-size lines are refused.
    static let maximumChunkLineBytes = 4 * 1024

    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D
    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09

    fileprivate struct Head {
        var status: Int
        var headers: [HTTPHeader]
        var bodyStart: Int
    }

    /// What earlier calls learned about the same, shorter, bytes.
    struct Progress {
        /// The final (not interim) head, once complete.
        fileprivate var head: Head?
        /// The chunked coding decoded so far, from the body's start up to `fed`.
        fileprivate var chunks = ChunkedDecoder()
        fileprivate var fed: Int?
        /// The data of the chunks decoded so far.
        fileprivate var chunkedBody: [UInt8] = []

        init() {}
    }

    /// One parse from scratch.
    static func parse(
        _ bytes: [UInt8], endOfStream: Bool, requestMethod: String = "GET"
    ) throws(HTTPParseError) -> HTTPResponse? {
        var progress = Progress()
        return try parse(bytes, endOfStream: endOfStream, requestMethod: requestMethod, progress: &progress)
    }

    /// A parse that starts where the last one with the same `progress` stopped.
    static func parse(
        _ bytes: [UInt8], endOfStream: Bool, requestMethod: String = "GET", progress: inout Progress
    ) throws(HTTPParseError) -> HTTPResponse? {
        if progress.head == nil { progress.head = try finalHead(bytes, endOfStream: endOfStream) }
        guard let head = progress.head else { return nil }
        let hasNoBody = requestMethod.uppercased() == "HEAD" || head.status == 204 || head.status == 304
            || (100..<200).contains(head.status)
        if hasNoBody { return HTTPResponse(status: head.status, headers: head.headers, body: []) }
        guard let body = try parseBody(bytes, head: head, endOfStream: endOfStream, progress: &progress) else { return nil }
        return HTTPResponse(status: head.status, headers: head.headers, body: body)
    }

    // MARK: Head

    /// The final head's status, headers and where its body starts, once complete (interim 1xx heads skipped).
    static func head(_ bytes: [UInt8], endOfStream: Bool) throws(HTTPParseError) -> (status: Int, headers: [HTTPHeader], bodyStart: Int)? {
        try finalHead(bytes, endOfStream: endOfStream).map { ($0.status, $0.headers, $0.bodyStart) }
    }

    private static func finalHead(_ bytes: [UInt8], endOfStream: Bool) throws(HTTPParseError) -> Head? {
        var start = 0
        while true {
            guard let head = try parseHead(bytes, from: start, endOfStream: endOfStream) else { return nil }
            guard (100..<200).contains(head.status) && head.status != 101 else { return head }
            start = head.bodyStart
            // However many interim heads come, together they are one header section's worth at most.
            if start > maximumHeaderBytes {
                throw HTTPParseError("the interim responses are longer than \(maximumHeaderBytes) bytes")
            }
        }
    }

    private static func parseHead(_ bytes: [UInt8], from start: Int, endOfStream: Bool) throws(HTTPParseError) -> Head? {
        var index = start
        func incomplete() throws(HTTPParseError) -> Head? {
            if bytes.count - start > maximumHeaderBytes {
                throw HTTPParseError("the header section is longer than \(maximumHeaderBytes) bytes")
            }
            if endOfStream {
                throw HTTPParseError(
                    bytes.count == start
                        ? "the connection closed without a response"
                        : "the connection closed before the end of the response headers"
                )
            }
            return nil
        }
        guard let (statusLine, afterStatus) = line(in: bytes, from: index) else { return try incomplete() }
        let status = try parseStatusLine(statusLine)
        index = afterStatus
        var headers: [HTTPHeader] = []
        while true {
            guard let (headerLine, next) = line(in: bytes, from: index) else { return try incomplete() }
            index = next
            if headerLine.isEmpty { break }
            headers.append(try parseHeaderLine(headerLine))
        }
        if index - start > maximumHeaderBytes {
            throw HTTPParseError("the header section is longer than \(maximumHeaderBytes) bytes")
        }
        return Head(status: status, headers: headers, bodyStart: index)
    }

    /// `HTTP/1.1 200 OK` (the reason phrase may be empty or missing).
    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let text = String(decoding: line, as: UTF8.self)
        func malformed() -> HTTPParseError {
            HTTPParseError("malformed status line \"\(text.prefix(80))\"")
        }
        let bytes = Array(line)
        // "HTTP/1.x SP DDD"
        guard bytes.count >= 12, Array(bytes[0..<7]) == Array("HTTP/1.".utf8), isDigit(bytes[7]), bytes[8] == space,
            isDigit(bytes[9]), isDigit(bytes[10]), isDigit(bytes[11])
        else { throw malformed() }
        guard bytes.count == 12 || bytes[12] == space else { throw malformed() }
        let status = Int(bytes[9] - 0x30) * 100 + Int(bytes[10] - 0x30) * 10 + Int(bytes[11] - 0x30)
        guard (100...599).contains(status) else { throw malformed() }
        return status
    }

    private static func parseHeaderLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPHeader {
        let text = String(decoding: line, as: UTF8.self)
        guard let first = line.first, first != space, first != tab else {
            throw HTTPParseError("folded header line \"\(text.prefix(80))\"")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPParseError("header line without a colon \"\(text.prefix(80))\"")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, !name.contains(where: { $0 <= space || $0 == 0x7F }) else {
            throw HTTPParseError("invalid header name in \"\(text.prefix(80))\"")
        }
        var value = line[line.index(after: colon)...]
        while let byte = value.first, byte == space || byte == tab { value = value.dropFirst() }
        while let byte = value.last, byte == space || byte == tab { value = value.dropLast() }
        return HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    // MARK: Body

    /// How a response's body is delimited.
    enum BodyFraming: Hashable, Sendable {
        case chunked
        case length(Int)
        /// Up to the close of the connection.
        case untilClose
    }

    /// The framing the headers announce: chunked coding last, else `Content-Length`, else the close.
    static func framing(of headers: [HTTPHeader]) throws(HTTPParseError) -> BodyFraming {
        let codings = headers.filter { $0.matches("Transfer-Encoding") }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingWhitespace().lowercased() }
        if let last = codings.last {
            // Another coding last: the body runs to the close of the connection (RFC 9112, 6.3).
            return last == "chunked" ? .chunked : .untilClose
        }
        let lengths = headers.filter { $0.matches("Content-Length") }
            .flatMap { $0.value.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingWhitespace() }
        guard let first = lengths.first else { return .untilClose }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.count <= 18,
            first.utf8.allSatisfy(isDigit), let length = Int(first)
        else {
            throw HTTPParseError("invalid Content-Length \"\(lengths.joined(separator: ", "))\"")
        }
        return .length(length)
    }

    private static func parseBody(
        _ bytes: [UInt8], head: Head, endOfStream: Bool, progress: inout Progress
    ) throws(HTTPParseError) -> [UInt8]? {
        switch try framing(of: head.headers) {
        case .chunked:
            // Only the bytes not fed before: a body of n bytes read in pieces costs O(n).
            progress.chunkedBody += try progress.chunks.feed(bytes[(progress.fed ?? head.bodyStart)...])
            progress.fed = bytes.count
            if progress.chunks.isFinished { return progress.chunkedBody }
            if endOfStream { try progress.chunks.finish() }
            return nil
        case .length(let length):
            let available = bytes.count - head.bodyStart
            if available >= length { return Array(bytes[head.bodyStart..<(head.bodyStart + length)]) }
            if endOfStream {
                throw HTTPParseError("the connection closed after \(available) of \(length) body bytes")
            }
            return nil
        case .untilClose:
            return endOfStream ? Array(bytes[head.bodyStart...]) : nil
        }
    }

    /// `1a`, `1A;name=value` (extensions ignored).
    static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var digits = line
        if let semicolon = line.firstIndex(of: UInt8(ascii: ";")) { digits = line[line.startIndex..<semicolon] }
        while let byte = digits.last, byte == space || byte == tab { digits = digits.dropLast() }
        let text = String(decoding: digits, as: UTF8.self)
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(isHexDigit), let size = Int(text, radix: 16) else {
            throw HTTPParseError("invalid chunk size \"\(String(decoding: line, as: UTF8.self).prefix(40))\"")
        }
        return size
    }

    // MARK: Lines

    /// The line starting at `start` without its LF or CRLF, and the index after it; nil when no LF follows yet.
    private static func line(in bytes: [UInt8], from start: Int) -> (ArraySlice<UInt8>, Int)? {
        guard start <= bytes.count, let feed = bytes[start...].firstIndex(of: lineFeed) else { return nil }
        var end = feed
        if end > start, bytes[end - 1] == carriageReturn { end -= 1 }
        return (bytes[start..<end], feed + 1)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
