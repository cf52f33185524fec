/// The body of `GET /containers/ID/logs`, turned into the output it carries; a pure function.
public enum ContainerLogs {
    /// The most output ``ContainerEngine/logs(id:since:)`` returns: the last 1 MiB.
    public static let maximumBytes = 1 << 20

    /// Why a multiplexed log stream cannot be read.
    struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        var message: String

        init(_ message: String) {
            self.message = message
        }

        var description: String { message }
    }

    /// The size of a frame header in a multiplexed stream.
    static let headerBytes = 8

    /// The output `stream` carries, at most its last `limit` bytes.
    ///
    /// A container without a TTY sends a multiplexed stream: frames of an 8-byte header (the
    /// stream, 0 stdin, 1 stdout or 2 stderr; three zero bytes; the payload's length as a big-endian
    /// UInt32) followed by the payload. The payloads are joined in order. A container with a TTY
    /// sends its output as it is: a stream whose first byte is not 0, 1 or 2 is returned unchanged.
    /// A frame of stream 3 is the engine's own error, thrown as its message.
    static func demultiplex(_ stream: [UInt8], keepingLast limit: Int = maximumBytes) throws(Malformed) -> [UInt8] {
        guard let first = stream.first, first <= 2 else { return suffix(stream[...], limit) }
        var output: [UInt8] = []
        var index = 0
        while index < stream.count {
            guard stream.count - index >= headerBytes else {
                throw Malformed("the log stream ends inside a frame header at byte \(index)")
            }
            let kind = stream[index]
            guard kind <= 3, stream[index + 1] == 0, stream[index + 2] == 0, stream[index + 3] == 0 else {
                let header = stream[index..<(index + headerBytes)].map { String($0) }.joined(separator: " ")
                throw Malformed("invalid frame header [\(header)] at byte \(index) of the log stream")
            }
            let length = stream[(index + 4)..<(index + headerBytes)].reduce(0) { $0 << 8 | Int($1) }
            let start = index + headerBytes
            guard stream.count - start >= length else {
                throw Malformed("the log stream ends inside a frame of \(length) bytes at byte \(index)")
            }
            let payload = stream[start..<(start + length)]
            if kind == 3 {
                throw Malformed("the engine reported: \(String(decoding: payload, as: UTF8.self))")
            }
            output.append(contentsOf: payload)
            // Memory stays within twice the limit however long the stream is.
            if output.count > 2 * max(limit, 0) { output.removeFirst(output.count - max(limit, 0)) }
            index = start + length
        }
        return suffix(output[...], limit)
    }

    /// At most the last `limit` bytes of `bytes`.
    static func suffix(_ bytes: ArraySlice<UInt8>, _ limit: Int) -> [UInt8] {
        Array(bytes.suffix(max(limit, 0)))
    }
}
