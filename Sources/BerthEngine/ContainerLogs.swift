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

    /// The output `stream` carries, at most its last `limit` bytes: the whole body decoded by a
    /// ``LogStreamDecoder`` (multiplexed frames joined in order, a TTY's raw output unchanged, a frame of
    /// stream 3 thrown as the engine's message).
    static func demultiplex(_ stream: [UInt8], keepingLast limit: Int = maximumBytes) throws(Malformed) -> [UInt8] {
        var decoder = LogStreamDecoder()
        var output: [UInt8] = []
        var index = 0
        while index < stream.count {
            let end = min(index + max(limit, 64 * 1024), stream.count)
            output += try decoder.feed(stream[index..<end])
            // Memory stays within twice the limit however long the stream is.
            if output.count > 2 * max(limit, 0) { output.removeFirst(output.count - max(limit, 0)) }
            index = end
        }
        try decoder.finish()
        return suffix(output[...], limit)
    }

    /// The last `count` lines of `output` (all of it when `count` is nil); a final line without a newline counts.
    static func lastLines(_ output: [UInt8], _ count: Int?) -> [UInt8] {
        guard let count else { return output }
        var index = output.endIndex
        var lines = 0
        // Skip the newline that ends the last line, then count the newlines before it.
        if output.last == 0x0A { index -= 1 }
        while index > output.startIndex {
            if output[index - 1] == 0x0A {
                lines += 1
                if lines == max(count, 0) { break }
            }
            index -= 1
        }
        if index == output.startIndex && count > 0 { return output }
        return count <= 0 ? [] : Array(output[index...])
    }

    /// At most the last `limit` bytes of `bytes`.
    static func suffix(_ bytes: ArraySlice<UInt8>, _ limit: Int) -> [UInt8] {
        Array(bytes.suffix(max(limit, 0)))
    }
}
