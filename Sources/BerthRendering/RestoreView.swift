public import BerthSession

/// What `berth restore` says: the question before, the result after. Ids, sizes and paths; never a password.
public struct RestoreView: Sendable {
    let environment: String

    public init(environment: String) {
        self.environment = environment
    }

    /// The question asked on a terminal before anything changes.
    public func question(_ target: RestoreSession.Target) -> String {
        "Restore \(describe(target)) into \(target.database)? What the database holds now is replaced."
    }

    /// The closing line on standard output.
    public func text(_ outcome: RestoreSession.Outcome) -> String? {
        switch outcome {
        case .declined:
            return nil
        case .restored(let target, let id):
            let entry = id.map { " (history entry \($0))" } ?? ""
            return "Restored \(describe(target)) into \(target.database)\(entry).\n"
                + "Migrations applied after it are pending again: berth plan --env \(environment) shows them.\n"
        }
    }

    func describe(_ target: RestoreSession.Target) -> String {
        "\(target.backup.id) (\(target.backup.resource), \(ByteSize.text(target.backup.size)), taken \(HistoryView.time(target.takenAt)) before release \(target.release))"
    }
}

/// What `berth refresh-data` says: the question before, the result after. Never a password.
public struct RefreshView: Sendable {
    let restore: RestoreView

    public init(environment: String) {
        restore = RestoreView(environment: environment)
    }

    public func question(_ target: RestoreSession.Target, from source: String) -> String {
        "Restore \(source)'s \(restore.describe(target)) into \(target.database) of \(restore.environment)? What the database holds now is replaced."
    }

    public func text(_ outcome: RefreshSession.Outcome) -> String? {
        guard case .refreshed(let target, let source, let mask, let id) = outcome else { return nil }
        let entry = id.map { " (history entry \($0))" } ?? ""
        let masked = mask == nil ? "; no database.refresh.mask ran" : ", masked"
        return "Refreshed \(restore.environment) from \(source): \(restore.describe(target)) into \(target.database)\(masked)\(entry).\n"
    }
}
