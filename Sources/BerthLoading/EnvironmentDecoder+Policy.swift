import BerthYAML
import BerthModel
import BerthCore
import Foundation

extension EnvironmentDecoder {
    /// `policy:` windows, freezes, holidays (the iCalendar file is read here) and approvals.
    mutating func decodePolicy(_ node: YAMLNode, key: SourceLocation?) -> DeploymentPolicy? {
        guard let fields = reader.fields(node, "policy", EnvironmentSchema.policy, key: key) else { return nil }
        var policy = DeploymentPolicy()
        let errors = reader.errorCount
        if let approval = fields["approval"] { policy.approval = decodeApproval(approval) }
        if let zoneNode = fields["timezone"], let zone = reader.string(zoneNode, "policy.timezone") {
            if TimeZone(identifier: zone) == nil {
                reader.error(zoneNode.location, "policy.timezone", "'\(zone)' is not a known time zone; write an IANA name such as Europe/Paris or UTC")
            } else {
                policy.timeZone = zone
            }
        }
        if let node = fields["windows"], let items = reader.list(node, "policy.windows") {
            for (index, item) in items.enumerated() {
                if let window = decodeWindow(item, NodeReader.join("policy.windows", index: index)) { policy.windows.append(window) }
            }
        }
        if let node = fields["freezes"], let items = reader.list(node, "policy.freezes") {
            for (index, item) in items.enumerated() {
                if let freeze = decodeFreeze(item, NodeReader.join("policy.freezes", index: index)) { policy.freezes.append(freeze) }
            }
        }
        if let node = fields["holidays"], let written = reader.string(node, "policy.holidays"),
           let path = sourceInsideEnvironments(written, at: node.location, "policy.holidays", what: "holidays file") {
            policy.holidays = path
            policy.holidayDates = readHolidays(path, written: written, at: node.location)
        }
        if let node = fields["rollback"], let word = reader.string(node, "policy.rollback") {
            switch word {
            case "allowed": policy.rollbackWhenClosed = true
            case "denied": policy.rollbackWhenClosed = false
            default: reader.error(node.location, "policy.rollback", "'\(word)' is not one of allowed, denied\(Suggestion.didYouMean(word, in: ["allowed", "denied"]))")
            }
        }
        return reader.errorCount == errors ? policy : nil
    }

    /// `required` or `{ distinct: BOOL }`.
    private mutating func decodeApproval(_ node: YAMLNode) -> ApprovalRule? {
        if node.scalar != nil {
            guard let word = reader.string(node, "policy.approval") else { return nil }
            guard word == "required" else {
                reader.error(node.location, "policy.approval", "'\(word)' is not an approval rule; write required, or { distinct: true }")
                return nil
            }
            return ApprovalRule()
        }
        guard let fields = reader.fields(node, "policy.approval", EnvironmentSchema.approval) else { return nil }
        let distinct = fields["distinct"].flatMap { reader.bool($0, "policy.approval.distinct") } ?? false
        return ApprovalRule(distinct: distinct)
    }

    private mutating func decodeWindow(_ node: YAMLNode, _ path: String) -> DeploymentWindow? {
        let errors = reader.errorCount
        guard let fields = reader.fields(node, path, EnvironmentSchema.window) else { return nil }
        let name = fields["name"].flatMap { reader.string($0, fields.path("name")) }
        let kinds = [("allow", DeploymentWindow.Kind.allow), ("deny", .deny)].filter { fields[$0.0] != nil }
        guard kinds.count == 1, let (key, kind) = kinds.first, let times = fields[key] else {
            // A misspelt allow or deny is reported as an unknown key already.
            if kinds.count > 1 || reader.errorCount == errors {
                reader.error(kinds.count > 1 ? fields.keyLocation("deny") ?? fields.location : fields.location, path, "give exactly one of allow, deny")
            }
            return nil
        }
        guard let timeFields = reader.fields(times, fields.path(key), EnvironmentSchema.windowTimes, key: fields.keyLocation(key)) else { return nil }
        var days: [Weekday] = []
        if let daysNode = timeFields["days"], let items = reader.list(daysNode, timeFields.path("days")) {
            for (index, item) in items.enumerated() {
                if let day = reader.choice(item, NodeReader.join(timeFields.path("days"), index: index), Weekday.self) { days.append(day) }
            }
            if items.isEmpty { reader.error(daysNode.location, timeFields.path("days"), "name at least one day") }
        }
        var hours: (start: Int, end: Int)? = (0, 1440)
        if let hoursNode = timeFields["hours"] { hours = reader.parse(hoursNode, timeFields.path("hours"), Self.hours) }
        guard let name, let hours, !days.isEmpty else { return nil }
        return DeploymentWindow(name: name, kind: kind, days: days, startMinute: hours.start, endMinute: hours.end)
    }

    /// `HH:MM-HH:MM`, the end after the start; `24:00` only as the end.
    static func hours(_ text: String) throws(ValueError) -> (start: Int, end: Int) {
        func minutes(_ part: Substring, end: Bool) -> Int? {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, pieces.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
                  let hour = Int(pieces[0]), let minute = Int(pieces[1]), (0..<60).contains(minute) else { return nil }
            if end, hour == 24, minute == 0 { return 1440 }
            return (0..<24).contains(hour) ? hour * 60 + minute : nil
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minutes(parts[0], end: false), let end = minutes(parts[1], end: true) else {
            throw ValueError("'\(text)' is not HH:MM-HH:MM (such as 09:00-17:00; 24:00 may end a day)")
        }
        guard end > start else { throw ValueError("'\(text)' ends before it starts; a window stays within one day (write 22:00-24:00 and 00:00-06:00)") }
        return (start, end)
    }

    private mutating func decodeFreeze(_ node: YAMLNode, _ path: String) -> Freeze? {
        guard let fields = reader.fields(node, path, EnvironmentSchema.freeze) else { return nil }
        let name = fields["name"].flatMap { reader.string($0, fields.path("name")) }
        let reason = fields["reason"].flatMap { reader.string($0, fields.path("reason")) } ?? ""
        func date(_ key: String) -> (text: String, date: LocalDate)? {
            guard let node = fields[key], let text = reader.string(node, fields.path(key)) else { return nil }
            guard let date = LocalDate(text) else {
                reader.error(node.location, fields.path(key), "'\(text)' is not a date YYYY-MM-DD")
                return nil
            }
            return (text, date)
        }
        guard let from = date("from"), let to = date("to"), let name else { return nil }
        guard from.date <= to.date else {
            reader.error(fields["to"]?.location ?? fields.location, fields.path("to"), "\(to.text) is before from (\(from.text)); both days are included")
            return nil
        }
        return Freeze(name: name, from: from.text, to: to.text, reason: reason)
    }

    /// The all-day events of the iCalendar file; its problems are reported in it, at their line.
    private mutating func readHolidays(_ path: String, written: String, at location: SourceLocation) -> [Holiday] {
        let kind = context.fileSystem.entryKind(atPath: path)
        guard kind == .regular else {
            reader.error(location, "policy.holidays", "the holidays file '\(written)' \(kind.notAFile ?? "is not a regular file") (\(context.display(path)))")
            return []
        }
        let bytes: [UInt8]
        do {
            bytes = try context.fileSystem.readFile(atPath: path)
        } catch {
            reader.error(location, "policy.holidays", "cannot read the holidays file '\(written)': \(error.reason)")
            return []
        }
        guard bytes.count <= 4 << 20 else {
            reader.error(location, "policy.holidays", "the holidays file '\(written)' is larger than 4 MiB")
            return []
        }
        do {
            return try ICalendar.holidays(String(decoding: bytes, as: UTF8.self))
        } catch {
            reader.error(SourceLocation(file: context.display(path), line: error.line, column: 1), "", error.message)
            return []
        }
    }
}
