import Testing
import BerthCore

/// Lines and columns as an editor shows them, whatever the line endings.
@Suite struct TextLinesTests {
    func position(_ text: [UInt8], byte: Int) -> String {
        let (line, column) = TextLines(text).position(ofByte: byte)
        return "\(line):\(column)"
    }

    @Test("LF, CRLF and a lone CR each end one line; columns count scalars")
    func lineEndings() {
        let lf = Array("ab\ncd\n".utf8), crlf = Array("ab\r\ncd\r\n".utf8), cr = Array("ab\rcd\r".utf8)
        #expect(position(lf, byte: 4) == "2:2")
        #expect(position(crlf, byte: 5) == "2:2")
        #expect(position(cr, byte: 4) == "2:2")
        let mixed = Array("a\rb\r\nc\nd\r\re".utf8)
        #expect(position(mixed, byte: 2) == "2:1")
        #expect(position(mixed, byte: 5) == "3:1")
        #expect(position(mixed, byte: 7) == "4:1")
        #expect(position(mixed, byte: 10) == "6:1")
        #expect(position(Array("é€x".utf8), byte: 5) == "1:3")
    }

    @Test("NEL, U+2028 and U+2029 do not end a line, though YAML reads them so")
    func unicodeSeparators() {
        let text = Array("a\u{2028}b\u{2029}c\u{85}d\ne".utf8)
        #expect(position(text, byte: text.count - 1) == "2:1")
        #expect(position(text, byte: 4) == "1:3")
        #expect(TextLines.firstUnicodeLineBreak(in: text) == 1)
        #expect(TextLines.firstUnicodeLineBreak(in: Array("Å…é\r\n".utf8)) == nil)
    }

    @Test("the end of a file stands on its last real line, with or without a final newline")
    func endOfFile() {
        #expect(position(Array("a: [1".utf8), byte: 5) == "1:6")
        #expect(position(Array("a: [1\n".utf8), byte: 6) == "1:6")
        #expect(position(Array("x\na: [1\r\n\r\n\n".utf8), byte: 100) == "2:6")
        #expect(position([], byte: 0) == "1:1")
        #expect(position(Array("\n\n".utf8), byte: 2) == "1:1")
    }

    @Test("a scalar index, as libyaml counts it (CRLF is two, a byte-order mark none), maps to an editor's place")
    func scalarIndex() {
        let text: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("é\r\nx\u{2028}y: z".utf8)
        let lines = TextLines(text)
        #expect(lines.position(ofScalar: 0) == (1, 1))
        #expect(lines.position(ofScalar: 3) == (2, 1))
        #expect(lines.position(ofScalar: 5) == (2, 3))
        #expect(lines.byteOffset(ofScalar: 5) == text.count - 4)
    }

    @Test("the first byte of ill-formed UTF-8 is found: stray, truncated, overlong, surrogate, beyond U+10FFFF")
    func invalidUTF8() {
        #expect(TextLines.firstInvalidUTF8(in: Array("plain é € 𝄞".utf8)) == nil)
        #expect(TextLines.firstInvalidUTF8(in: [0x61, 0xFF]) == 1)
        #expect(TextLines.firstInvalidUTF8(in: [0x61, 0x80]) == 1)
        #expect(TextLines.firstInvalidUTF8(in: [0x61, 0x62, 0xE2, 0x82]) == 2)
        #expect(TextLines.firstInvalidUTF8(in: [0xC0, 0xAF]) == 0)
        #expect(TextLines.firstInvalidUTF8(in: [0xE0, 0x80, 0xAF]) == 0)
        #expect(TextLines.firstInvalidUTF8(in: [0x20, 0xED, 0xA0, 0x80]) == 1)
        #expect(TextLines.firstInvalidUTF8(in: [0xF4, 0x90, 0x80, 0x80]) == 0)
    }

    @Test("walking on from a cursor gives the same places as mapping each index alone, also when it steps back")
    func cursorAgreesWithDirectMapping() {
        let texts: [[UInt8]] = [
            Array("a: 1\r\nb: \u{2028}c\u{85}d\re: [1\n\n".utf8),
            [0xEF, 0xBB, 0xBF] + Array("é\r\nx\u{2029}y: z\n".utf8),
            Array("\u{2028}\u{2028}only separators\u{2028}".utf8),
        ]
        for text in texts {
            let lines = TextLines(text)
            let scalars = String(decoding: text, as: UTF8.self).unicodeScalars.count - (text.starts(with: [0xEF, 0xBB, 0xBF]) ? 1 : 0)
            var cursor = TextLines.Cursor()
            let order = Array(0...scalars) + [3, 1, scalars, 0, 2]
            for index in order {
                let walked = lines.position(ofScalar: index, from: &cursor)
                let direct = lines.position(ofScalar: index)
                #expect(walked == direct, "index \(index) of \(text)")
            }
        }
    }
}
