/// The lines of a file as a person's editor numbers them, so that every position Berth prints is the
/// one they see: a line ends at LF, at CRLF, or at a CR alone. NEL (U+0085) and the Unicode line and
/// paragraph separators (U+2028, U+2029) do not end a line in an editor, though YAML 1.1 reads them
/// as line breaks. Columns count Unicode scalars from 1, as libyaml does; a leading byte-order mark
/// is not counted.
///
/// A position past the last character that is not a line break (the end of a file, with or without
/// a final newline) is reported just after that character: on the last real line, never one past it.
public struct TextLines: Sendable {
    /// Byte offset at which each line begins.
    private let lineStarts: [Int]
    /// Scalars before each line's start, not counting a byte-order mark.
    private let scalarStarts: [Int]
    /// Byte offset just after the last byte that is not CR or LF.
    private let contentEnd: Int
    private let bytes: [UInt8]
    private let bomLength: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        bomLength = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineStarts = [bomLength]
        var scalarStarts = [0]
        var scalars = 0
        var contentEnd = bomLength
        var index = bomLength
        while index < bytes.count {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 { scalars += 1 }
            index += 1
            if byte == 0x0A || (byte == 0x0D && (index == bytes.count || bytes[index] != 0x0A)) {
                lineStarts.append(index)
                scalarStarts.append(scalars)
            } else if byte != 0x0D {
                contentEnd = index
            }
        }
        self.lineStarts = lineStarts
        self.scalarStarts = scalarStarts
        self.contentEnd = contentEnd
    }

    /// Where the byte at `offset` stands (an offset at or past the end stands at the end).
    public func position(ofByte offset: Int) -> (line: Int, column: Int) {
        let offset = min(max(offset, bomLength), contentEnd)
        let line = Self.lastIndex(in: lineStarts, notAbove: offset)
        var column = 1
        for byte in bytes[lineStarts[line]..<offset] where byte & 0xC0 != 0x80 { column += 1 }
        return (line + 1, column)
    }

    /// Where the Unicode scalar numbered `index` from 0 stands, a leading byte-order mark not counted:
    /// libyaml's `mark.index`.
    public func position(ofScalar index: Int) -> (line: Int, column: Int) {
        var cursor = Cursor.unset
        return position(ofScalar: index, from: &cursor)
    }

    /// The byte offset of the Unicode scalar numbered `index` from 0, a byte-order mark not counted.
    public func byteOffset(ofScalar index: Int) -> Int {
        var cursor = Cursor.unset
        _ = position(ofScalar: index, from: &cursor)
        return cursor.byte
    }

    /// Where a reader of marks in document order stands: mapping the next mark walks on from the last,
    /// so a file's marks cost one pass over it, not one pass each (a 1 MB file on one editor line).
    public struct Cursor: Sendable {
        var scalar = 0
        var byte: Int
        var line = 0
        var column = 1

        public init() { byte = 0 }

        /// A cursor that starts from the line of the first index asked for.
        static var unset: Cursor {
            var cursor = Cursor()
            cursor.scalar = .max
            return cursor
        }
    }

    /// `position(ofScalar:)`, walking on from `cursor` when `index` is not behind it.
    public func position(ofScalar index: Int, from cursor: inout Cursor) -> (line: Int, column: Int) {
        if index < cursor.scalar || cursor.byte < bomLength {
            let line = Self.lastIndex(in: scalarStarts, notAbove: index)
            cursor = Cursor()
            cursor.scalar = scalarStarts[line]
            cursor.byte = lineStarts[line]
            cursor.line = line
        }
        while cursor.scalar < index, cursor.byte < bytes.count {
            let byte = bytes[cursor.byte]
            cursor.byte += 1
            while cursor.byte < bytes.count, bytes[cursor.byte] & 0xC0 == 0x80 { cursor.byte += 1 }
            cursor.scalar += 1
            if byte == 0x0A || (byte == 0x0D && (cursor.byte == bytes.count || bytes[cursor.byte] != 0x0A)) {
                cursor.line += 1
                cursor.column = 1
            } else {
                cursor.column += 1
            }
        }
        // Past the last character that is not a line break: the end of the last real line.
        guard cursor.byte <= contentEnd else { return position(ofByte: cursor.byte) }
        return (cursor.line + 1, cursor.column)
    }

    /// Whether YAML would see line breaks here that an editor does not show: NEL, U+2028 or U+2029.
    /// Returns the byte offset of the first one.
    public static func firstUnicodeLineBreak(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < bytes.count {
            switch bytes[index] {
            case 0xC2 where bytes[index + 1] == 0x85:
                return index
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                return index
            default:
                index += 1
            }
        }
        return nil
    }

    /// The byte offset of the first byte that does not belong to well-formed UTF-8, or nil when all do.
    public static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            for next in 1..<length {
                guard index + next < bytes.count else { return index }
                let byte = bytes[index + next]
                let (lower, upper) = next == 1 ? (low, high) : (0x80, 0xBF)
                guard byte >= lower, byte <= upper else { return index }
            }
            index += length
        }
        return nil
    }

    /// The last index whose value is not above `value`, in an ascending array starting at or below it.
    private static func lastIndex(in array: [Int], notAbove value: Int) -> Int {
        var low = 0, high = array.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if array[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
