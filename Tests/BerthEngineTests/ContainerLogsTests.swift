import Testing
@testable import BerthEngine

/// Demultiplexing the log stream: Docker's 8-byte frame headers, raw TTY output, the 1 MiB bound.
@Suite struct ContainerLogsTests {
    /// One frame: stream byte, three zero bytes, the big-endian length, the payload.
    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        frame(stream, Array(text.utf8))
    }

    static func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + payload
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("stdout and stderr frames are joined in the order written (Podman's bytes for echo hello; echo oops >&2)")
    func podmanStream() throws {
        let podman: [UInt8] = [
            0x01, 0, 0, 0, 0, 0, 0, 0x06, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
            0x02, 0, 0, 0, 0, 0, 0, 0x05, 0x6f, 0x6f, 0x70, 0x73, 0x0a,
        ]
        #expect(Self.text(try ContainerLogs.demultiplex(podman)) == "hello\noops\n")
    }

    @Test("stdin frames count, empty frames and an empty stream give nothing")
    func emptyAndStdin() throws {
        #expect(try ContainerLogs.demultiplex([]) == [])
        #expect(try ContainerLogs.demultiplex(Self.frame(1, "")) == [])
        #expect(Self.text(try ContainerLogs.demultiplex(Self.frame(0, "in") + Self.frame(1, "") + Self.frame(2, "err"))) == "inerr")
    }

    @Test("a frame longer than 255 bytes reads its length big-endian")
    func longFrame() throws {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 70_000)
        let stream = Self.frame(1, payload) + Self.frame(2, "!")
        #expect(Array(stream[4..<8]) == [0, 1, 0x11, 0x70])
        #expect(try ContainerLogs.demultiplex(stream) == payload + [UInt8(ascii: "!")])
    }

    @Test("a TTY container's raw output (first byte not 0, 1 or 2) comes back unchanged", arguments: ["hello\r\noops\r\n", "\u{03}x", "\u{1b}[31mred"])
    func rawStream(output: String) throws {
        #expect(Self.text(try ContainerLogs.demultiplex(Array(output.utf8))) == output)
    }

    @Test("only the last bytes are kept, across frames and for raw output")
    func bounded() throws {
        let stream = (0..<10).flatMap { Self.frame(1, "line \($0)\n") }
        #expect(Self.text(try ContainerLogs.demultiplex(stream, keepingLast: 14)) == "line 8\nline 9\n")
        #expect(Self.text(try ContainerLogs.demultiplex(stream, keepingLast: 3)) == " 9\n")
        #expect(try ContainerLogs.demultiplex(stream, keepingLast: 0) == [])
        #expect(Self.text(try ContainerLogs.demultiplex(Array("abcdef".utf8), keepingLast: 2)) == "ef")
    }

    @Test("3 MiB of frames keep exactly the last MiB")
    func boundedByDefault() throws {
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        let last = [UInt8](repeating: UInt8(ascii: "z"), count: 64 * 1024)
        let stream = (0..<47).flatMap { _ in Self.frame(1, chunk) } + Self.frame(2, last)
        let output = try ContainerLogs.demultiplex(stream)
        #expect(output.count == ContainerLogs.maximumBytes)
        #expect(output.suffix(last.count) == last[...] && output.first == UInt8(ascii: "a"))
    }

    @Test(
        "a broken multiplexed stream is refused, saying where",
        arguments: [
            ([1, 0, 0], "the log stream ends inside a frame header at byte 0"),
            (frame(1, "ok") + [2, 0, 0, 0, 0, 0, 0, 9, 0x61], "the log stream ends inside a frame of 9 bytes at byte 10"),
            (frame(1, "ok") + [1, 0, 7, 0, 0, 0, 0, 1, 0x61], "invalid frame header [1 0 7 0 0 0 0 1] at byte 10 of the log stream"),
            (frame(1, "ok") + [9, 0, 0, 0, 0, 0, 0, 0], "invalid frame header [9 0 0 0 0 0 0 0] at byte 10 of the log stream"),
            (frame(1, "ok") + frame(3, "log driver gone"), "the engine reported: log driver gone"),
        ] as [([UInt8], String)]
    )
    func malformed(stream: [UInt8], message: String) {
        #expect(throws: ContainerLogs.Malformed(message)) { try ContainerLogs.demultiplex(stream) }
    }
}
