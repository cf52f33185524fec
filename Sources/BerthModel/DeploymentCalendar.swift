public import Foundation

/// Whether changes are allowed at an instant, which rule said so, and until when.
public struct WindowDecision: Hashable, Sendable {
    public var open: Bool
    /// What decided: a deny window, a freeze, a holiday's summary, or the allow window; nil when no
    /// rule applies (always open without windows, or closed outside every allow window).
    public var window: String?
    /// When `open` changes next; nil when it does not within a year.
    public var until: Date?
    /// When changes are next allowed, while closed; nil when open, or not within a year.
    public var nextOpen: Date?

    public init(open: Bool, window: String?, until: Date?, nextOpen: Date?) {
        self.open = open
        self.window = window
        self.until = until
        self.nextOpen = nextOpen
    }
}

/// A policy's windows, freezes and holidays evaluated in its time zone (as Argo CD's sync windows and
/// Kargo's: without any window everything is open; with an allow window, only its times are; a deny
/// window, a freeze or a holiday always wins). Pure: the instant is an argument.
public struct DeploymentCalendar: Sendable {
    public let policy: DeploymentPolicy
    public let timeZone: TimeZone
    let calendar: Calendar
    private let freezes: [(name: String, from: LocalDate, to: LocalDate)]

    /// How far `until` and `nextOpen` are searched.
    public static let horizonDays = 366

    public init(policy: DeploymentPolicy) {
        self.policy = policy
        timeZone = TimeZone(identifier: policy.timeZone) ?? TimeZone(secondsFromGMT: 0) ?? .current
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        freezes = policy.freezes.compactMap { freeze in
            guard let from = LocalDate(freeze.from), let to = LocalDate(freeze.to) else { return nil }
            return (freeze.name, from, to)
        }
    }

    /// Whether changes are allowed at `instant`, and which rule decided.
    public func state(at instant: Date) -> (open: Bool, window: String?) {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: instant)
        let date = LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        // Calendar's weekday: 1 is Sunday.
        let weekday = Weekday.allCases[((parts.weekday ?? 1) + 5) % 7]
        if let freeze = freezes.first(where: { $0.from <= date && date <= $0.to }) { return (false, freeze.name) }
        if let holiday = policy.holidayDates.first(where: { $0.covers(date) }) { return (false, holiday.summary) }
        func matches(_ window: DeploymentWindow) -> Bool {
            window.days.contains(weekday) && window.startMinute <= minute && minute < window.endMinute
        }
        if let deny = policy.windows.first(where: { $0.kind == .deny && matches($0) }) { return (false, deny.name) }
        let allows = policy.windows.filter { $0.kind == .allow }
        guard !allows.isEmpty else { return (true, nil) }
        if let allow = allows.first(where: matches) { return (true, allow.name) }
        return (false, nil)
    }

    public func decision(at instant: Date) -> WindowDecision {
        let now = state(at: instant)
        let change = nextChange(after: instant, from: now.open)
        return WindowDecision(open: now.open, window: now.window, until: change, nextOpen: now.open ? nil : change)
    }

    /// The first instant after `instant` when the state is no longer `open`: the state changes only at
    /// a local midnight, a window's edge, or a daylight-saving transition, so only those are tried.
    func nextChange(after instant: Date, from open: Bool) -> Date? {
        let edges = Set([0] + policy.windows.flatMap { [$0.startMinute, $0.endMinute % 1440] }).sorted()
        let startOfDay = calendar.startOfDay(for: instant)
        var transitions: [Date] = []
        var transition = timeZone.nextDaylightSavingTimeTransition(after: instant)
        let horizon = instant.addingTimeInterval(Double(Self.horizonDays + 1) * 86_400)
        while let found = transition, found < horizon, transitions.count < 1_000 {
            transitions.append(found)
            transition = timeZone.nextDaylightSavingTimeTransition(after: found)
        }
        for offset in 0...Self.horizonDays {
            guard let day = calendar.date(byAdding: .day, value: offset, to: startOfDay),
                  let nextDay = calendar.date(byAdding: .day, value: offset + 1, to: startOfDay) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            var candidates = transitions.filter { $0 >= day && $0 < nextDay }
            for edge in edges {
                var wanted = parts
                wanted.hour = edge / 60
                wanted.minute = edge % 60
                if let at = calendar.date(from: wanted) { candidates.append(at) }
            }
            for candidate in candidates.sorted() where candidate > instant && state(at: candidate).open != open {
                return candidate
            }
        }
        return nil
    }
}

extension DeploymentCalendar {
    /// `2026-03-09 09:00 Europe/Paris (08:00 UTC)`: a time as the policy's people read it, and in UTC.
    public func localAndUTC(_ date: Date) -> String {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0) ?? timeZone
        let local = Self.text(calendar, date)
        let universal = Self.text(utc, date)
        if timeZone.identifier == "UTC" || timeZone.identifier == "GMT" { return "\(universal) UTC" }
        let sameDay = local.prefix(10) == universal.prefix(10)
        return "\(local) \(timeZone.identifier) (\(sameDay ? String(universal.dropFirst(11)) : universal) UTC)"
    }

    /// `YYYY-MM-DD HH:MM` in `calendar`'s time zone.
    static func text(_ calendar: Calendar, _ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let day = LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(day) \(two(parts.hour)):\(two(parts.minute))"
    }

    /// What decided a closed window, for people: `the deny window friday-evening`, `the freeze year-end
    /// (closing the books)`, `the holiday Labour Day`, or that it is outside every allow window.
    public func reason(_ decision: WindowDecision) -> String {
        guard let name = decision.window else {
            let allows = policy.windows.filter { $0.kind == .allow }.map(\.name)
            return decision.open ? "no window restricts changes" : "outside the allow windows (\(allows.joined(separator: ", ")))"
        }
        if let window = policy.windows.first(where: { $0.name == name }) { return "the \(window.kind.rawValue) window \(name)" }
        if let freeze = policy.freezes.first(where: { $0.name == name }) {
            return "the freeze \(name)" + (freeze.reason.isEmpty ? "" : " (\(freeze.reason))")
        }
        return "the holiday \(name)"
    }
}
