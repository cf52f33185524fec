/// HTTP/1.1 chunked transfer coding removed as the bytes arrive, a piece at a time.
///
/// Pure and incremental: ``feed(_:)`` takes whatever a read returned, however it cuts a size line,
/// the data or the CRLF after it, and returns the data those bytes complete. Memory stays bounded: a
/// size line longer than ``HTTPResponseParser/maximumChunkLineBytes`` is refused, trailer fields are
/// skipped without being kept, and data is handed on rather than held. Bytes after the last chunk's
/// trailers are ignored.
struct ChunkedDecoder: Sendable {
    private enum State: Sendable {
        /// Reading a chunk-size line (kept in `line`).
        case size
        /// Inside a chunk's data.
        case data(remaining: Int)
        /// After a chunk's data: CRLF (or a bare LF) must follow; `sawCarriageReturn` once the CR came.
        case dataEnd(sawCarriageReturn: Bool)
        /// Reading trailer lines after the last chunk (`line` holds one byte of a field, to tell it from the empty line).
        case trailers
        case done
    }

    private var state = State.size
    private var line: [UInt8] = []

    init() {}

    /// The last chunk and its trailers have arrived.
    var isFinished: Bool {
        if case .done = state { return true }
        return false
    }

    /// The data `bytes` complete, in order.
    mutating func feed(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> [UInt8] {
        var output: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch state {
            case .size:
                index += 1
                guard byte == 0x0A else {
                    line.append(byte)
                    if line.count > HTTPResponseParser.maximumChunkLineBytes { throw HTTPParseError("a chunk-size line is too long") }
                    continue
                }
                if line.last == 0x0D { line.removeLast() }
                let size = try HTTPResponseParser.parseChunkSize(line[...])
                line = []
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let end = bytes.index(index, offsetBy: remaining, limitedBy: bytes.endIndex) ?? bytes.endIndex
                output.append(contentsOf: bytes[index..<end])
                let left = remaining - (end - index)
                index = end
                state = left == 0 ? .dataEnd(sawCarriageReturn: false) : .data(remaining: left)
            case .dataEnd(let sawCarriageReturn):
                index += 1
                if byte == 0x0A {
                    state = .size
                } else if byte == 0x0D && !sawCarriageReturn {
                    state = .dataEnd(sawCarriageReturn: true)
                } else {
                    throw HTTPParseError("chunk data not followed by CRLF")
                }
            case .trailers:
                index += 1
                if byte == 0x0A {
                    if line.isEmpty { state = .done }
                    line = []
                } else if byte != 0x0D {
                    line = [byte]
                }
            case .done:
                return output
            }
        }
        return output
    }

    /// The stream ended: refused unless the last chunk had arrived.
    func finish() throws(HTTPParseError) {
        guard isFinished else { throw HTTPParseError("the connection closed inside a chunked body") }
    }
}
