/// A duration as written in environment files: `500ms`, `5s`, `1m30s`, `2h`.
public struct TimeSpan: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) {
        self.milliseconds = milliseconds
    }

    public init(parsing text: String) throws(ValueError) {
        // Units from largest to smallest, each at most once: 1h30m, 1m30s, 500ms.
        let bytes = Array(text.utf8)
        let invalid = ValueError("'\(text)' is not a duration; write it like 500ms, 5s, 1m30s or 2h")
        guard !bytes.isEmpty else { throw ValueError("empty duration") }
        var index = 0, total = 0, lastFactor = Int.max
        while index < bytes.count {
            var number = 0, digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57, digits < 10 {
                number = number * 10 + Int(bytes[index] - 48)
                index += 1
                digits += 1
            }
            guard digits > 0, digits <= 9, index < bytes.count else { throw invalid }
            let factor: Int
            switch bytes[index] {
            case UInt8(ascii: "h"): factor = 3_600_000
            case UInt8(ascii: "s"): factor = 1_000
            case UInt8(ascii: "m"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "s") {
                    factor = 1
                    index += 1
                } else {
                    factor = 60_000
                }
            default: throw invalid
            }
            index += 1
            guard factor < lastFactor else { throw invalid }
            lastFactor = factor
            total += number * factor
        }
        milliseconds = total
    }

    /// The shortest form that reads back the same: `1m30s`, `500ms`, `0s`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var text = ""
        for (suffix, factor) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] where rest >= factor {
            text += "\(rest / factor)\(suffix)"
            rest %= factor
        }
        return text
    }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.milliseconds < rhs.milliseconds }
}
