import Testing
import BerthModel
import BerthLoading
import BerthCore

@Suite struct PolicyDecoderTests {
    static let file = """
        policy:
          approval: { distinct: true }
          timezone: Europe/Paris
          windows:
            - name: business-hours
              allow: { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00" }
            - name: friday-evening
              deny: { days: [fri], hours: "16:00-24:00" }
          freezes:
            - { name: year-end, from: 2026-12-21, to: 2027-01-04, reason: "closing the books" }
          holidays: calendars/holidays.ics
          rollback: denied

        """

    static let holidays = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250501\r\nSUMMARY:Labour Day\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

    @Test("policy: is read whole, dates kept as text, the holidays file read at load time")
    func whole() throws {
        let files = ["/p/environments/dev.yaml": Self.file, "/p/environments/calendars/holidays.ics": Self.holidays]
        let result = try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: InMemoryFileSystem(files: files), variables: [:]).load("dev")
        let environment = try #require(result.environment, "\(result.diagnostics)")
        let policy = try #require(environment.policy)
        #expect(policy == DeploymentPolicy(
            approval: ApprovalRule(distinct: true), timeZone: "Europe/Paris",
            windows: [
                DeploymentWindow(name: "business-hours", kind: .allow, days: [.mon, .tue, .wed, .thu, .fri], startMinute: 540, endMinute: 1020),
                DeploymentWindow(name: "friday-evening", kind: .deny, days: [.fri], startMinute: 960, endMinute: 1440),
            ],
            freezes: [Freeze(name: "year-end", from: "2026-12-21", to: "2027-01-04", reason: "closing the books")],
            holidays: "/p/environments/calendars/holidays.ics", rollbackWhenClosed: false,
            holidayDates: [Holiday(summary: "Labour Day", start: LocalDate(year: 2025, month: 5, day: 1), yearly: true)]
        ))
    }

    @Test("approval: required is any approver; without policy: there is none")
    func approvalRequired() throws {
        let files = ["/p/environments/dev.yaml": "policy:\n  approval: required\n", "/p/environments/staging.yaml": "project: p\n"]
        let loader = ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: InMemoryFileSystem(files: files), variables: [:])
        #expect(try loader.load("dev").environment?.policy == DeploymentPolicy(approval: ApprovalRule()))
        #expect(try #require(try loader.load("staging").environment).policy == nil)
    }
}
