/// The one place durations turn into numbers, and numbers into durations.
extension Duration {
    /// Seconds as a floating-point number: `1.5` for 1500 ms.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded down; saturates instead of overflowing.
    public var wholeMilliseconds: Int64 { whole(unitsPerSecond: 1000) }

    /// Whole nanoseconds, as the Docker Engine API takes them; saturates instead of overflowing.
    public var wholeNanoseconds: Int64 { whole(unitsPerSecond: 1_000_000_000) }

    private func whole(unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = scaled.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
        return overflowed ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole milliseconds, rounded up: a wait with this timeout never returns before the duration.
    public var millisecondsRoundedUp: Int64 {
        let down = wholeMilliseconds
        return (self - .milliseconds(down)) > .zero && down < .max ? down + 1 : down
    }

    /// `30s`, `1.5s`, `250ms`: short, for messages and progress lines.
    public var shortDescription: String {
        let milliseconds = wholeMilliseconds
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let tenths = milliseconds / 100
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
