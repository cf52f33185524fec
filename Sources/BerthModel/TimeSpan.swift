/// A duration as written in environment files: `500ms`, `5s`, `1m30s`, `2h`.
public struct TimeSpan: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) {
        self.milliseconds = milliseconds
    }

    public init(parsing text: String) throws(ValueError) {
        let units: [(suffix: String, factor: Int)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)]
        var rest = Substring(text)
        var total = 0
        var lastFactor = Int.max
        guard !rest.isEmpty else { throw ValueError("empty duration") }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let number = Int(digits) else {
                throw ValueError("'\(text)' is not a duration; write it like 500ms, 5s, 1m30s or 2h")
            }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }), unit.factor < lastFactor else {
                throw ValueError("'\(text)' is not a duration; write it like 500ms, 5s, 1m30s or 2h")
            }
            rest = rest.dropFirst(unit.suffix.count)
            lastFactor = unit.factor
            total += number * unit.factor
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
