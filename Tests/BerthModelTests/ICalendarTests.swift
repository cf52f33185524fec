import Testing
import Foundation
import BerthModel

@Suite struct ICalendarTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/holidays/holidays.ics").path

    @Test("reads the all-day events of a file, unfolded, with yearly rules; ignores timed events and other components")
    func fixtureFile() throws {
        let holidays = try ICalendar.holidays(String(contentsOfFile: Self.fixture, encoding: .utf8))
        #expect(holidays == [
            Holiday(summary: "Christmas and Boxing Day", start: LocalDate(year: 2024, month: 12, day: 25), days: 2, yearly: true),
            Holiday(summary: "Labour Day", start: LocalDate(year: 2025, month: 5, day: 1), yearly: true, lastYear: 2027),
            Holiday(summary: "Inventory", start: LocalDate(year: 2026, month: 3, day: 16)),
        ])
    }

    @Test("a yearly rule covers its day every year, within COUNT or UNTIL, and never before its start")
    func yearly() throws {
        let text = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200704\nRRULE:FREQ=YEARLY;UNTIL=20230704T000000Z\nSUMMARY:Fourth\nEND:VEVENT\n"
        let holiday = try #require(try ICalendar.holidays(text).first)
        #expect(holiday.lastYear == 2023)
        #expect(holiday.covers(LocalDate(year: 2023, month: 7, day: 4)))
        #expect(!holiday.covers(LocalDate(year: 2024, month: 7, day: 4)))
        #expect(!holiday.covers(LocalDate(year: 2019, month: 7, day: 4)))
        #expect(!holiday.covers(LocalDate(year: 2021, month: 7, day: 5)))
        let labour = Holiday(summary: "Labour Day", start: LocalDate(year: 2025, month: 5, day: 1), yearly: true, lastYear: 2027)
        #expect(labour.covers(LocalDate(year: 2027, month: 5, day: 1)))
        #expect(!labour.covers(LocalDate(year: 2028, month: 5, day: 1)))
        let boxing = Holiday(summary: "Christmas", start: LocalDate(year: 2024, month: 12, day: 31), days: 2, yearly: true)
        #expect(boxing.covers(LocalDate(year: 2026, month: 1, day: 1)))
    }

    @Test("a malformed file is an error naming its line", arguments: [
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261340\nEND:VEVENT\n", 2),
        ("BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n", 3),
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n", 3),
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;COUNT=0\nEND:VEVENT\n", 3),
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260102\nDTEND;VALUE=DATE:20260101\nEND:VEVENT\n", 3),
        ("BEGIN:VEVENT\nno colon here\nEND:VEVENT\n", 2),
        (" folded first\n", 1),
        ("END:VEVENT\n", 1),
    ])
    func malformed(text: String, line: Int) {
        #expect(throws: ICalendar.ParseError.self) { try ICalendar.holidays(text) }
        do {
            _ = try ICalendar.holidays(text)
        } catch {
            #expect(error.line == line, "\(error)")
        }
    }

    @Test("garbage and an unended event end in an error or nothing, quickly")
    func garbage() throws {
        var bytes: [UInt8] = []
        var seed: UInt64 = 42
        for _ in 0..<200_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            bytes.append(UInt8(truncatingIfNeeded: seed >> 33) & 0x7F)
        }
        _ = try? ICalendar.holidays(String(decoding: bytes, as: UTF8.self))
        #expect(throws: ICalendar.ParseError.self) { try ICalendar.holidays("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n") }
        #expect(try ICalendar.holidays("") == [])
    }
}
