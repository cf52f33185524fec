import Testing
import Foundation
import BerthModel

@Suite struct DeploymentCalendarTests {
    static let paris = DeploymentPolicy(
        timeZone: "Europe/Paris",
        windows: [
            DeploymentWindow(name: "business-hours", kind: .allow, days: [.mon, .tue, .wed, .thu, .fri], startMinute: 540, endMinute: 1020),
            DeploymentWindow(name: "friday-evening", kind: .deny, days: [.fri], startMinute: 960, endMinute: 1440),
        ],
        freezes: [Freeze(name: "year-end", from: "2026-12-21", to: "2027-01-04", reason: "closing the books")],
        holidayDates: [Holiday(summary: "Labour Day", start: LocalDate(year: 2025, month: 5, day: 1), yearly: true)]
    )

    static func utc(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else {
            Issue.record("not a date: \(text)", sourceLocation: sourceLocation)
            return Date(timeIntervalSince1970: 0)
        }
        return date
    }

    @Test("without windows, freezes or holidays, always open")
    func alwaysOpen() {
        let decision = DeploymentCalendar(policy: DeploymentPolicy()).decision(at: Self.utc("2026-03-01T03:00:00Z"))
        #expect(decision == WindowDecision(open: true, window: nil, until: nil, nextOpen: nil))
    }

    @Test("inside the allow window: open until it ends (local 17:00 in winter is 16:00 UTC)")
    func insideAllow() {
        let decision = DeploymentCalendar(policy: Self.paris).decision(at: Self.utc("2026-03-03T10:00:00Z"))
        #expect(decision == WindowDecision(open: true, window: "business-hours", until: Self.utc("2026-03-03T16:00:00Z"), nextOpen: nil))
    }

    @Test("outside every allow window: closed, next open the next working morning")
    func outsideAllow() {
        let decision = DeploymentCalendar(policy: Self.paris).decision(at: Self.utc("2026-03-07T10:00:00Z"))  // a Saturday
        #expect(!decision.open)
        #expect(decision.window == nil)
        #expect(decision.nextOpen == Self.utc("2026-03-09T08:00:00Z"))
        #expect(decision.until == decision.nextOpen)
    }

    @Test("a deny window overlapping an allow window wins")
    func denyWins() {
        let calendar = DeploymentCalendar(policy: Self.paris)
        let decision = calendar.decision(at: Self.utc("2026-03-06T15:30:00Z"))  // Friday 16:30 local
        #expect(!decision.open)
        #expect(decision.window == "friday-evening")
        #expect(decision.nextOpen == Self.utc("2026-03-09T08:00:00Z"))
        #expect(calendar.decision(at: Self.utc("2026-03-06T14:00:00Z")).until == Self.utc("2026-03-06T15:00:00Z"))
    }

    @Test("a freeze inside working hours wins, dates inclusive, and ends after its last day")
    func freeze() {
        let decision = DeploymentCalendar(policy: Self.paris).decision(at: Self.utc("2026-12-22T10:00:00Z"))
        #expect(!decision.open)
        #expect(decision.window == "year-end")
        #expect(decision.nextOpen == Self.utc("2027-01-05T08:00:00Z"))
    }

    @Test("a yearly holiday closes its whole day")
    func holiday() {
        let decision = DeploymentCalendar(policy: Self.paris).decision(at: Self.utc("2026-05-01T10:00:00Z"))  // a Friday
        #expect(decision.window == "Labour Day")
        #expect(decision.nextOpen == Self.utc("2026-05-04T07:00:00Z"))  // Monday 09:00, summer time
    }

    @Test("holidays from the .ics fixture close their days")
    func holidaysFromFile() throws {
        var policy = Self.paris
        policy.holidayDates = try ICalendar.holidays(String(contentsOfFile: ICalendarTests.fixture, encoding: .utf8))
        let calendar = DeploymentCalendar(policy: policy)
        #expect(calendar.decision(at: Self.utc("2026-03-16T10:00:00Z")).window == "Inventory")
        #expect(calendar.decision(at: Self.utc("2028-12-26T10:00:00Z")).window == "Christmas and Boxing Day")
        #expect(calendar.decision(at: Self.utc("2026-03-17T10:00:00Z")).open)
    }

    @Test("09:00-17:00 local lasts eight hours on both sides of March's and October's changes")
    func daylightSaving() {
        let calendar = DeploymentCalendar(policy: Self.paris)
        // Friday 27 March 2026 is winter time (UTC+1), Monday 30 March summer time (UTC+2).
        #expect(calendar.decision(at: Self.utc("2026-03-27T08:00:00Z")).until == Self.utc("2026-03-27T15:00:00Z"))  // the deny at 16:00
        #expect(calendar.decision(at: Self.utc("2026-03-27T16:30:00Z")).nextOpen == Self.utc("2026-03-30T07:00:00Z"))
        #expect(calendar.decision(at: Self.utc("2026-03-30T07:00:00Z")).until == Self.utc("2026-03-30T15:00:00Z"))
        // October: Friday 23 in summer time, Monday 26 in winter time.
        #expect(calendar.decision(at: Self.utc("2026-10-23T06:59:00Z")).nextOpen == Self.utc("2026-10-23T07:00:00Z"))
        #expect(calendar.decision(at: Self.utc("2026-10-24T12:00:00Z")).nextOpen == Self.utc("2026-10-26T08:00:00Z"))
        #expect(calendar.decision(at: Self.utc("2026-10-26T08:00:00Z")).until == Self.utc("2026-10-26T16:00:00Z"))
    }

    @Test("a window that starts at a time skipped on spring-forward day opens when the clocks go forward")
    func skippedTime() {
        let policy = DeploymentPolicy(
            timeZone: "Europe/Paris",
            windows: [DeploymentWindow(name: "night", kind: .allow, days: Weekday.allCases, startMinute: 150, endMinute: 240)]
        )
        let calendar = DeploymentCalendar(policy: policy)
        // Sunday 29 March 2026: 02:00 local becomes 03:00 at 01:00 UTC.
        let decision = calendar.decision(at: Self.utc("2026-03-29T00:30:00Z"))
        #expect(!decision.open)
        #expect(decision.nextOpen == Self.utc("2026-03-29T01:00:00Z"))
        #expect(calendar.decision(at: Self.utc("2026-03-29T01:10:00Z")).until == Self.utc("2026-03-29T02:00:00Z"))
    }

    @Test("nothing ever opens: no next open within the horizon")
    func neverOpens() {
        let policy = DeploymentPolicy(windows: [DeploymentWindow(name: "never", kind: .deny, days: Weekday.allCases, startMinute: 0, endMinute: 1440)])
        let decision = DeploymentCalendar(policy: policy).decision(at: Self.utc("2026-03-01T00:00:00Z"))
        #expect(decision == WindowDecision(open: false, window: "never", until: nil, nextOpen: nil))
    }

    @Test("a policy decodes from a snapshot without the newer fields")
    func oldSnapshot() throws {
        let policy = try JSONDecoder().decode(DeploymentPolicy.self, from: Data(#"{"timeZone":"UTC","windows":[],"freezes":[],"rollbackWhenClosed":true}"#.utf8))
        #expect(policy == DeploymentPolicy())
    }
}
