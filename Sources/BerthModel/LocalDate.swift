/// A calendar date without a time or a time zone (proleptic Gregorian), as freezes and holidays name days.
public struct LocalDate: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD` (or `YYYYMMDD` with `separated: false`); nil unless it names a real day.
    public init?(_ text: some StringProtocol, separated: Bool = true) {
        let bytes = Array(text.utf8)
        guard bytes.count == (separated ? 10 : 8) else { return nil }
        if separated, bytes[4] != 0x2D || bytes[7] != 0x2D { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        let monthStart = separated ? 5 : 4, dayStart = separated ? 8 : 6
        guard let year = number(0..<4), let month = number(monthStart..<monthStart + 2), let day = number(dayStart..<dayStart + 2),
              (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (negative before it).
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// A day (or days) when nothing changes, from an iCalendar file's all-day event.
public struct Holiday: Hashable, Sendable, Codable {
    /// The event's `SUMMARY`: what the refusal names.
    public var summary: String
    /// The first day of the first occurrence.
    public var start: LocalDate
    /// How many days each occurrence lasts (`DTEND` is exclusive); at least 1.
    public var days: Int
    /// `RRULE:FREQ=YEARLY`: the same month and day every year from `start.year`.
    public var yearly: Bool
    /// With `yearly`, the last year with an occurrence (from `COUNT` or `UNTIL`); nil: for ever.
    public var lastYear: Int?

    public init(summary: String, start: LocalDate, days: Int = 1, yearly: Bool = false, lastYear: Int? = nil) {
        self.summary = summary
        self.start = start
        self.days = days
        self.yearly = yearly
        self.lastYear = lastYear
    }

    /// Whether `date` falls on one of its occurrences.
    public func covers(_ date: LocalDate) -> Bool {
        let target = date.dayNumber
        guard yearly, date.year >= start.year else { return (start.dayNumber..<start.dayNumber + days).contains(target) }
        // An occurrence lasts at most 366 days, so only the occurrences that start this year or the two before can cover it.
        for year in max(start.year, date.year - 2)...date.year {
            if let lastYear, year > lastYear { break }
            // RFC 5545: a yearly rule on 29 February has no occurrence in other years.
            guard start.day <= LocalDate.daysIn(month: start.month, year: year) else { continue }
            let first = LocalDate(year: year, month: start.month, day: start.day).dayNumber
            if (first..<first + days).contains(target) { return true }
        }
        return false
    }
}
