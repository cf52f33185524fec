/// The body of `GET /containers/ID/logs` demultiplexed as it arrives, a piece at a time.
///
/// A container without a TTY sends a multiplexed stream: frames of an 8-byte header (the stream, 0
/// stdin, 1 stdout or 2 stderr; three zero bytes; the payload's length as a big-endian UInt32)
/// followed by the payload. A container with a TTY sends its output as it is: a stream whose first
/// byte is not 0, 1 or 2 is passed on unchanged. A frame of stream 3 is the engine's own error,
/// thrown with its message once the frame is complete.
///
/// Pure and incremental: ``feed(_:)`` takes the pieces however they cut headers and payloads and
/// returns the output they complete; memory holds at most a header and the first 64 KiB of an error.
/// ``finish()`` says whether the stream may end where it did. Errors name the byte where the frame began.
struct LogStreamDecoder: Sendable {
    private enum Mode: Sendable {
        case undecided, raw, multiplexed
    }

    /// The most of an engine's error message that is kept.
    static let maximumErrorBytes = 64 * 1024

    private var mode = Mode.undecided
    /// The current frame's header so far; complete (8 bytes) while its payload is read.
    private var header: [UInt8] = []
    private var length = 0
    private var remaining = 0
    private var engineMessage: [UInt8] = []
    /// Bytes consumed before the current frame.
    private var frameStart = 0
    private var consumed = 0

    init() {}

    /// The output that `piece` completes, in order.
    mutating func feed(_ piece: ArraySlice<UInt8>) throws(ContainerLogs.Malformed) -> [UInt8] {
        if case .undecided = mode, let first = piece.first { mode = first <= 2 ? .multiplexed : .raw }
        guard case .multiplexed = mode else {
            consumed += piece.count
            return Array(piece)
        }
        var output: [UInt8] = []
        var index = piece.startIndex
        while index < piece.endIndex {
            if header.count < ContainerLogs.headerBytes {
                let take = min(ContainerLogs.headerBytes - header.count, piece.endIndex - index)
                header.append(contentsOf: piece[index..<(index + take)])
                index += take
                consumed += take
                guard header.count == ContainerLogs.headerBytes else { break }
                guard header[0] <= 3, header[1] == 0, header[2] == 0, header[3] == 0 else {
                    let text = header.map { String($0) }.joined(separator: " ")
                    throw ContainerLogs.Malformed("invalid frame header [\(text)] at byte \(frameStart) of the log stream")
                }
                length = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
                remaining = length
            } else {
                let take = min(remaining, piece.endIndex - index)
                if header[0] == 3 {
                    engineMessage.append(contentsOf: piece[index..<(index + take)].prefix(Self.maximumErrorBytes - engineMessage.count))
                } else {
                    output.append(contentsOf: piece[index..<(index + take)])
                }
                index += take
                consumed += take
                remaining -= take
            }
            if header.count == ContainerLogs.headerBytes && remaining == 0 {
                if header[0] == 3 {
                    throw ContainerLogs.Malformed("the engine reported: \(String(decoding: engineMessage, as: UTF8.self))")
                }
                header = []
                frameStart = consumed
            }
        }
        return output
    }

    /// The stream ended: refused inside a frame's header or payload.
    func finish() throws(ContainerLogs.Malformed) {
        if header.count == ContainerLogs.headerBytes {
            throw ContainerLogs.Malformed("the log stream ends inside a frame of \(length) bytes at byte \(frameStart)")
        }
        if !header.isEmpty {
            throw ContainerLogs.Malformed("the log stream ends inside a frame header at byte \(frameStart)")
        }
    }
}
