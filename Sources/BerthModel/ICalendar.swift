/// The all-day events of an iCalendar file (RFC 5545) as holidays: `VEVENT`s with `DTSTART;VALUE=DATE`,
/// an optional exclusive `DTEND;VALUE=DATE`, `SUMMARY`, and `RRULE:FREQ=YEARLY` with `COUNT` or `UNTIL`.
///
/// Other components and properties are ignored, and so are events with a time of day. Work is linear in
/// the text and bounded: a malformed file is an error naming its line, never a crash.
public enum ICalendar {
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// 1-based line of the file where the problem is.
        public var line: Int
        public var message: String

        public var description: String { "line \(line): \(message)" }
    }

    /// At most this many events are read.
    public static let maximumEvents = 10_000
    /// An event lasts at most this many days.
    public static let maximumDays = 366

    /// One logical line: folded continuation lines (CRLF followed by a space or tab) joined back.
    struct ContentLine {
        var line: Int
        var name: String
        var parameters: [String: String]
        var value: String
    }

    public static func holidays(_ text: String) throws(ParseError) -> [Holiday] {
        var holidays: [Holiday] = []
        var event: [ContentLine]?
        var nested = 0
        for line in try contentLines(text) {
            switch (line.name, line.value.uppercased()) {
            case ("BEGIN", "VEVENT") where event == nil && nested == 0:
                event = []
            case ("BEGIN", _):
                if event != nil { nested += 1 }
            case ("END", "VEVENT") where nested == 0:
                guard let lines = event else { throw ParseError(line: line.line, message: "END:VEVENT without BEGIN:VEVENT") }
                if let holiday = try holiday(lines, end: line.line) { holidays.append(holiday) }
                guard holidays.count <= maximumEvents else {
                    throw ParseError(line: line.line, message: "more than \(maximumEvents) events")
                }
                event = nil
            case ("END", _):
                if event != nil { nested = max(0, nested - 1) }
            default:
                if nested == 0 { event?.append(line) }
            }
        }
        if event != nil { throw ParseError(line: physicalLines(text).count, message: "a VEVENT is not ended (END:VEVENT)") }
        return holidays
    }

    /// The file's content lines, unfolded, each split into name, parameters and value.
    static func contentLines(_ text: String) throws(ParseError) -> [ContentLine] {
        var result: [ContentLine] = []
        var current: (line: Int, text: String)?
        var number = 0
        for raw in physicalLines(text) {
            number += 1
            let physical = raw
            if let first = physical.first, first == " " || first == "\t" {
                guard current != nil else { throw ParseError(line: number, message: "a continuation line with no line before it") }
                current?.text += physical.dropFirst()
                continue
            }
            if let done = current { result.append(try split(done.text, line: done.line)) }
            current = physical.isEmpty ? nil : (number, String(physical))
        }
        if let done = current { result.append(try split(done.text, line: done.line)) }
        return result
    }

    /// Lines ended by LF or CRLF, without their CR; split as bytes, since CRLF is one `Character`.
    static func physicalLines(_ text: String) -> [Substring] {
        text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            Substring(line.last == 0x0D ? line.dropLast() : line)
        }
    }

    /// `NAME;PARAM=VALUE;...:VALUE`; a colon inside a quoted parameter value does not end the parameters.
    static func split(_ text: String, line: Int) throws(ParseError) -> ContentLine {
        var quoted = false
        var colon: String.Index?
        for index in text.indices {
            let character = text[index]
            if character == "\"" { quoted.toggle() }
            if character == ":", !quoted { colon = index; break }
        }
        guard let colon else { throw ParseError(line: line, message: "'\(text.prefix(40))' is not NAME:VALUE") }
        let head = text[..<colon].split(separator: ";", omittingEmptySubsequences: false)
        guard let name = head.first, !name.isEmpty else { throw ParseError(line: line, message: "a line without a property name") }
        var parameters: [String: String] = [:]
        for parameter in head.dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ParseError(line: line, message: "the parameter '\(parameter.prefix(40))' is not NAME=VALUE") }
            parameters[parts[0].uppercased()] = String(parts[1])
        }
        return ContentLine(line: line, name: name.uppercased(), parameters: parameters, value: String(text[text.index(after: colon)...]))
    }

    /// The holiday of one event; nil for an event with a time of day.
    static func holiday(_ lines: [ContentLine], end: Int) throws(ParseError) -> Holiday? {
        guard let startLine = lines.first(where: { $0.name == "DTSTART" }) else {
            throw ParseError(line: end, message: "a VEVENT without DTSTART")
        }
        guard let start = try date(startLine) else { return nil }
        var holiday = Holiday(summary: lines.first { $0.name == "SUMMARY" }.map { unescape($0.value) } ?? "holiday", start: start)
        if let endLine = lines.first(where: { $0.name == "DTEND" }) {
            guard let endDate = try date(endLine) else {
                throw ParseError(line: endLine.line, message: "DTEND has a time of day, but DTSTART is a date")
            }
            let days = endDate.dayNumber - start.dayNumber
            guard days >= 1 else { throw ParseError(line: endLine.line, message: "DTEND \(endDate) is not after DTSTART \(start)") }
            guard days <= maximumDays else {
                throw ParseError(line: endLine.line, message: "the event lasts \(days) days; at most \(maximumDays)")
            }
            holiday.days = days
        }
        if let rule = lines.first(where: { $0.name == "RRULE" }) { try applyRule(rule, to: &holiday) }
        return holiday
    }

    /// A `DATE` value (`YYYYMMDD`); nil for a `DATE-TIME`.
    static func date(_ line: ContentLine) throws(ParseError) -> LocalDate? {
        let isDate = line.parameters["VALUE"]?.uppercased() == "DATE" || (line.value.utf8.count == 8 && !line.value.contains("T"))
        guard isDate else { return nil }
        guard let date = LocalDate(line.value, separated: false) else {
            throw ParseError(line: line.line, message: "\(line.name) '\(line.value.prefix(40))' is not a date YYYYMMDD")
        }
        return date
    }

    /// `FREQ=YEARLY`, with `COUNT` or `UNTIL`; `BYMONTH` and `BYMONTHDAY` only when they repeat `DTSTART`'s.
    static func applyRule(_ line: ContentLine, to holiday: inout Holiday) throws(ParseError) {
        var frequency: String?
        for part in line.value.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw ParseError(line: line.line, message: "RRULE part '\(part.prefix(40))' is not NAME=VALUE") }
            let value = String(pair[1])
            switch pair[0].uppercased() {
            case "FREQ":
                frequency = value.uppercased()
            case "COUNT":
                guard let count = Int(value), count >= 1, count <= 10_000 else {
                    throw ParseError(line: line.line, message: "RRULE COUNT '\(value.prefix(20))' is not a number from 1 to 10000")
                }
                holiday.lastYear = holiday.start.year + count - 1
            case "UNTIL":
                guard let until = LocalDate(value.prefix(8), separated: false) else {
                    throw ParseError(line: line.line, message: "RRULE UNTIL '\(value.prefix(20))' is not a date YYYYMMDD")
                }
                let sameDayPassed = (holiday.start.month, holiday.start.day) <= (until.month, until.day)
                holiday.lastYear = sameDayPassed ? until.year : until.year - 1
            case "BYMONTH" where Int(value) == holiday.start.month, "BYMONTHDAY" where Int(value) == holiday.start.day, "INTERVAL" where value == "1":
                continue
            default:
                throw ParseError(line: line.line, message: "RRULE '\(part.prefix(40))' is not supported; holidays repeat with FREQ=YEARLY, COUNT and UNTIL")
            }
        }
        guard frequency == "YEARLY" else {
            throw ParseError(line: line.line, message: "RRULE FREQ=\(frequency ?? "(none)") is not supported; holidays repeat with FREQ=YEARLY")
        }
        holiday.yearly = true
    }

    /// TEXT escapes: `\,` `\;` `\\` `\n`.
    static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                result.append(character == "n" || character == "N" ? " " : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
