public import BerthCore
public import BerthApply
import Foundation

/// `berth history`: the journal as text and as the contract's JSON. The text names why an action
/// failed, and why one was skipped.
public struct HistoryView: Sendable {
    let environment: String
    let records: [ApplyRecord]

    public init(environment: String, records: [ApplyRecord]) {
        self.environment = environment
        self.records = records
    }

    public func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "environment": .string(environment),
            "applies": .array(records.map { record in
                .object([
                    "id": .int(Int(record.id)),
                    "started_at": .string(Self.time(record.startedAt)),
                    "finished_at": record.finishedAt.map { .string(Self.time($0)) } ?? .null,
                    "status": .string(Self.status(record)),
                    "by": .string(record.owner.description),
                    "actions": .array(record.actions.map { action in
                        .object([
                            "id": .string(action.actionID),
                            "type": .string(action.type),
                            "resource": .string(action.resource),
                            "status": .string(action.status.rawValue),
                            "detail": .string(action.detail),
                        ])
                    }),
                ])
            }),
        ])
    }

    public func text() -> String {
        guard !records.isEmpty else { return "No applies of \(environment) yet.\n" }
        var out = ""
        for record in records {
            let status = Self.status(record)
            out += "#\(record.id)  \(Self.time(record.startedAt))  \(status)  by \(record.owner)\n"
            for action in record.actions {
                out += "    \(action.status.rawValue.padding(to: 8)) \(action.type) \(action.resource)"
                switch action.status {
                case .failed, .skipped: out += ": \(action.detail)"
                default: if record.isEvent { out += ": \(action.detail)" }
                }
                out += "\n"
            }
        }
        return out
    }

    /// An apply's status; for an event (`StateStore.recordEvent`), what it was: `unlocked`, `approved`, ...
    static func status(_ record: ApplyRecord) -> String {
        if record.isForcedUnlock { return "unlocked" }
        if record.isEvent, let type = record.actions.first?.type { return type }
        return record.status.rawValue
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
