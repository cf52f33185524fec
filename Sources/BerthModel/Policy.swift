/// When an environment may change, and who must agree: `policy:` in its file.
public struct DeploymentPolicy: Hashable, Sendable, Codable {
    /// `approval: required` (any approver) or `approval: { distinct: true }` (not the one who applies); nil: none.
    public var approval: ApprovalRule?
    /// IANA name (`Europe/Paris`); the windows' days and hours are local to it. Default `UTC`.
    public var timeZone: String
    public var windows: [DeploymentWindow]
    public var freezes: [Freeze]
    /// An iCalendar file (absolute path) whose all-day events deny their whole day.
    public var holidays: String?
    /// Whether `rollback` may run when the window is closed (default true).
    public var rollbackWhenClosed: Bool
    /// The holidays read from `holidays` when the environment was loaded.
    public var holidayDates: [Holiday]

    public init(
        approval: ApprovalRule? = nil, timeZone: String = "UTC", windows: [DeploymentWindow] = [], freezes: [Freeze] = [],
        holidays: String? = nil, rollbackWhenClosed: Bool = true, holidayDates: [Holiday] = []
    ) {
        self.holidayDates = holidayDates
        self.approval = approval
        self.timeZone = timeZone
        self.windows = windows
        self.freezes = freezes
        self.holidays = holidays
        self.rollbackWhenClosed = rollbackWhenClosed
    }
}

extension DeploymentPolicy {
    /// As encoded; every field but `timeZone` may be missing (a snapshot written before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            approval: try container.decodeIfPresent(ApprovalRule.self, forKey: .approval),
            timeZone: try container.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC",
            windows: try container.decodeIfPresent([DeploymentWindow].self, forKey: .windows) ?? [],
            freezes: try container.decodeIfPresent([Freeze].self, forKey: .freezes) ?? [],
            holidays: try container.decodeIfPresent(String.self, forKey: .holidays),
            rollbackWhenClosed: try container.decodeIfPresent(Bool.self, forKey: .rollbackWhenClosed) ?? true,
            holidayDates: try container.decodeIfPresent([Holiday].self, forKey: .holidayDates) ?? []
        )
    }
}

public struct ApprovalRule: Hashable, Sendable, Codable {
    /// The approver must not be the user who applies.
    public var distinct: Bool

    public init(distinct: Bool = false) {
        self.distinct = distinct
    }
}

public enum Weekday: String, Hashable, Sendable, Codable, CaseIterable {
    case mon, tue, wed, thu, fri, sat, sun
}

/// A named window that allows or denies changes on some weekdays between two local times.
public struct DeploymentWindow: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case allow, deny
    }

    public var name: String
    public var kind: Kind
    public var days: [Weekday]
    /// Minutes after local midnight: `09:00-17:00` is 540..<1020; `16:00-24:00` ends at 1440.
    public var startMinute: Int
    public var endMinute: Int

    public init(name: String, kind: Kind, days: [Weekday], startMinute: Int, endMinute: Int) {
        self.name = name
        self.kind = kind
        self.days = days
        self.startMinute = startMinute
        self.endMinute = endMinute
    }
}

/// A one-off period (local dates, both inclusive) when nothing changes.
public struct Freeze: Hashable, Sendable, Codable {
    public var name: String
    /// `YYYY-MM-DD`.
    public var from: String
    public var to: String
    public var reason: String

    public init(name: String, from: String, to: String, reason: String) {
        self.name = name
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// `promotion: { from: ENV, soak: DURATION }`: where this environment's releases come from, and how
/// long the source release must have run first.
public struct PromotionSettings: Hashable, Sendable, Codable {
    public var from: String
    public var soak: TimeSpan

    public init(from: String, soak: TimeSpan = TimeSpan(milliseconds: 0)) {
        self.from = from
        self.soak = soak
    }
}

/// `parity: { ignore: [...] }`: differences from the environment compared with that are expected.
public struct ParitySettings: Hashable, Sendable, Codable {
    /// Resources or kinds to leave out (`service:worker`, `replicas`, `config:app-env`, ...).
    public var ignore: [String]

    public init(ignore: [String] = []) {
        self.ignore = ignore
    }
}
