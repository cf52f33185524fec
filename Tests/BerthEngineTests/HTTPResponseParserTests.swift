import Testing
@testable import BerthEngine

@Suite struct HTTPResponseParserTests {
    func parse(_ text: String, endOfStream: Bool = false, method: String = "GET") throws -> HTTPResponse? {
        try HTTPResponseParser.parse(Array(text.utf8), endOfStream: endOfStream, requestMethod: method)
    }

    func parseError(_ text: String, endOfStream: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let error = #expect(throws: HTTPParseError.self, sourceLocation: sourceLocation) {
            try HTTPResponseParser.parse(Array(text.utf8), endOfStream: endOfStream)
        }
        return error?.message
    }

    @Test("a Content-Length body is complete once all its bytes are there, extra bytes ignored")
    func contentLength() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n"
        #expect(try parse(head) == nil)
        #expect(try parse(head + "[]") == nil)
        let response = try #require(try parse(head + "[]\n" + "junk"))
        #expect(response.status == 200)
        #expect(response.headers == [
            HTTPHeader(name: "Content-Type", value: "application/json"), HTTPHeader(name: "Content-Length", value: "3"),
        ])
        #expect(response.headers.value(of: "content-type") == "application/json")
        #expect(response.bodyText == "[]\n")
    }

    @Test("every prefix of a response is incomplete, the whole is complete")
    func incrementally() throws {
        let text = "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{\"Id\":\"a\"}"
        let bytes = Array(text.utf8)
        for end in 0..<bytes.count {
            #expect(try HTTPResponseParser.parse(Array(bytes[0..<end]), endOfStream: false) == nil)
        }
        #expect(try HTTPResponseParser.parse(bytes, endOfStream: false)?.bodyText == #"{"Id":"a"}"#)
    }

    @Test("parsing on with the progress of the shorter bytes gives what a parse from scratch gives, at every prefix")
    func resumed() throws {
        let texts = [
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n1;name=value\r\n,\r\nA ; ext\r\n world and\r\n0\r\nX-Trailer: yes\r\n\r\n",
            "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n",
            "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{\"Id\":\"a\"}",
        ]
        for text in texts {
            let bytes = Array(text.utf8)
            var progress = HTTPResponseParser.Progress()
            for end in 0...bytes.count {
                let prefix = Array(bytes[0..<end])
                let resumed = try HTTPResponseParser.parse(prefix, endOfStream: false, progress: &progress)
                #expect(resumed == (try HTTPResponseParser.parse(prefix, endOfStream: false)), "\(text) up to \(end)")
                #expect((resumed != nil) == (end == bytes.count), "\(text) up to \(end)")
            }
        }
    }

    @Test("a chunked body read in small pieces keeps each chunk once, however the reads cut it")
    func resumedInPieces() throws {
        var text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        var expected: [UInt8] = []
        for index in 0..<300 {
            let data = String(repeating: Character(UnicodeScalar(UInt8(65 + index % 26))), count: index % 37 + 1)
            text += String(data.utf8.count, radix: 16) + "\r\n" + data + "\r\n"
            expected += Array(data.utf8)
        }
        let bytes = Array((text + "0\r\n\r\n").utf8)
        for piece in [1, 2, 7, 64, 4096] {
            var progress = HTTPResponseParser.Progress()
            var end = 0
            var response: HTTPResponse?
            while response == nil && end < bytes.count {
                end = min(end + piece, bytes.count)
                response = try HTTPResponseParser.parse(Array(bytes[0..<end]), endOfStream: false, progress: &progress)
            }
            #expect(end == bytes.count && response?.body == expected, "pieces of \(piece)")
        }
    }

    @Test("a chunked body of several chunks, with extensions and trailers, is joined")
    func chunked() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n"
            + "1;name=value\r\n,\r\n"
            + "A ; ext\r\n world and\r\n"
            + "0\r\nX-Trailer: yes\r\n\r\n"
        let response = try #require(try parse(text))
        #expect(response.bodyText == "hello, world and")
        // Up to the final empty line it is not complete.
        #expect(try parse(String(text.dropLast(2))) == nil)
        #expect(try parse(String(text.dropLast(20))) == nil)
    }

    @Test("chunk sizes are hexadecimal in either case")
    func chunkSizeHex() throws {
        let data = String(repeating: "x", count: 26)
        let response = try #require(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n\(data)\r\n1A\r\n\(data)\r\n0\r\n\r\n"))
        #expect(response.body.count == 52)
    }

    @Test("a bad chunk size or missing CRLF after chunk data is malformed")
    func chunkedErrors() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parseError(head + "zz\r\nhello\r\n0\r\n\r\n")?.contains("invalid chunk size") == true)
        #expect(parseError(head + "-1\r\n")?.contains("invalid chunk size") == true)
        #expect(parseError(head + "3\r\nabcd\r\n0\r\n\r\n")?.contains("not followed by CRLF") == true)
        #expect(parseError(head + "5\r\nhel", endOfStream: true)?.contains("closed inside a chunked body") == true)
    }

    @Test("without a length the body runs to the close of the connection")
    func readToClose() throws {
        let text = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it"
        #expect(try parse(text) == nil)
        #expect(try parse(text, endOfStream: true)?.bodyText == "all of it")
    }

    @Test("204, 304 and answers to HEAD have no body; 1xx interim answers are skipped")
    func noBody() throws {
        #expect(try parse("HTTP/1.1 304 Not Modified\r\nApi-Version: 1.41\r\n\r\n")?.status == 304)
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n")?.body == [])
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", method: "HEAD")?.body == [])
        let continued = try #require(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(continued.status == 200 && continued.bodyText == "ok")
    }

    @Test("bare LF line endings are tolerated")
    func bareLineFeeds() throws {
        #expect(try parse("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")?.bodyText == "ok")
    }

    @Test(
        "a malformed status line is refused",
        arguments: ["SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 999 Odd\r\n\r\n"]
    )
    func malformedStatusLine(text: String) {
        #expect(parseError(text)?.hasPrefix("malformed status line") == true)
    }

    @Test("a status line without a reason phrase is fine")
    func noReason() throws {
        #expect(try parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")?.status == 404)
    }

    @Test("bad header lines and Content-Length values are refused")
    func badHeaders() {
        #expect(parseError("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")?.contains("without a colon") == true)
        #expect(parseError("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n")?.contains("folded") == true)
        #expect(parseError("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n")?.contains("invalid Content-Length") == true)
        #expect(parseError("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n")?.contains("invalid Content-Length") == true)
    }

    @Test("a connection closed early is malformed, and says where")
    func closedEarly() {
        #expect(parseError("", endOfStream: true) == "the connection closed without a response")
        #expect(parseError("HTTP/1.1 200 OK\r\nContent-", endOfStream: true)?.contains("before the end of the response headers") == true)
        #expect(parseError("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", endOfStream: true) == "the connection closed after 3 of 10 body bytes")
    }

    @Test("an endless header section is refused")
    func headerLimit() {
        let text = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4000)
        #expect(parseError(text)?.contains("header section is longer") == true)
        // Endless interim answers, each short, are refused as soon as they pass one header section's worth.
        let interim = String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 4000)
        #expect(parseError(interim)?.contains("interim responses are longer") == true)
    }
}
