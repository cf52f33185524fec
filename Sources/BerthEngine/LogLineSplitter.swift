/// Output cut into whole lines as it arrives: a partial line is held until its newline or the end.
///
/// Pure and incremental. A line ends at LF (a CR before it is dropped, as a TTY writes CRLF); its
/// text is UTF-8, invalid bytes replaced. A line longer than ``maximumLineBytes`` is passed on in
/// pieces of at most that size, so memory stays bounded however a container writes. Such a cut is
/// moved back so that it splits no UTF-8 character and none of the byte strings the splitter keeps
/// whole (the secret values a caller masks each piece for), not even one whose start is all that
/// has come so far.
public struct LogLineSplitter: Sendable {
    /// The longest line held whole.
    public static let maximumLineBytes = 64 * 1024

    private var partial: [UInt8] = []
    /// What a forced cut never splits; values longer than half a line are left out (a cut before one
    /// could leave no room).
    private let whole: [[UInt8]]

    public init(keepingWhole whole: some Sequence<String> = [String]()) {
        self.whole = whole.map { Array($0.utf8) }.filter { $0.count > 1 && $0.count <= Self.maximumLineBytes / 2 }
    }

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
                    let cut = safeCut()
                    lines.append(String(decoding: partial[..<cut], as: UTF8.self))
                    partial.removeFirst(cut)
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

    /// Where to cut the full `partial`: its end, moved back before any kept value that spans it (or that
    /// its last bytes begin), then to the start of a UTF-8 character. Never 0.
    private func safeCut() -> Int {
        var cut = partial.count
        var moved = true
        while moved {
            moved = false
            for value in whole {
                // An occurrence starting before the cut and ending after it, or running past what has come.
                for start in max(0, cut - value.count + 1)..<cut {
                    let available = min(value.count, partial.count - start)
                    if partial[start..<(start + available)].elementsEqual(value[..<available]) {
                        cut = start
                        moved = true
                        break
                    }
                }
            }
        }
        let character = Self.characterStart(partial, before: cut)
        return character > 0 ? character : (cut > 0 ? cut : partial.count)
    }

    /// `cut`, or the start of the UTF-8 character it would split: one whose continuation bytes (10xxxxxx)
    /// follow it, or, at the end, one whose bytes have not all come.
    static func characterStart(_ bytes: [UInt8], before cut: Int) -> Int {
        guard cut > 0 else { return cut }
        // The first byte of the character that holds the last byte before the cut.
        var lead = cut - 1
        while lead > 0, cut - lead < 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard bytes[lead] & 0xC0 == 0xC0 else { return cut }
        let length = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : 2
        return lead + length > cut ? lead : cut
    }
}
