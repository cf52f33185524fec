/// Output cut into whole lines as it arrives: a partial line is held until its newline or the end.
///
/// Pure and incremental. A line ends at LF (a CR before it is dropped, as a TTY writes CRLF); its
/// text is UTF-8, invalid bytes replaced. A line longer than ``maximumLineBytes`` is passed on in
/// pieces of that size, so memory stays bounded however a container writes.
public struct LogLineSplitter: Sendable {
    /// The longest line held whole.
    public static let maximumLineBytes = 64 * 1024

    private var partial: [UInt8] = []

    public init() {}

    /// The whole lines `bytes` complete, without their line ends.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == 0x0A {
                if partial.last == 0x0D { partial.removeLast() }
                lines.append(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
                if partial.count >= Self.maximumLineBytes {
                    lines.append(String(decoding: partial, as: UTF8.self))
                    partial.removeAll(keepingCapacity: true)
                }
            }
        }
        return lines
    }

    /// The partial line left at the end of the output, if any.
    public mutating func finish() -> String? {
        defer { partial = [] }
        if partial.last == 0x0D { partial.removeLast() }
        return partial.isEmpty ? nil : String(decoding: partial, as: UTF8.self)
    }
}
