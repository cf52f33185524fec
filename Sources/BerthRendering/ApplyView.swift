public import BerthCore
public import BerthPlan
import BerthApply
public import BerthSession

/// The result of `berth apply` as people and programs read it. With `--json` every case (no changes,
/// applied, failed, declined, refused) is one JSON document, `format_version` 1, on standard output.
public struct ApplyView: Sendable {
    let environment: String
    let outcome: Result<ApplySession.Outcome, SessionError>

    public init(environment: String, outcome: Result<ApplySession.Outcome, SessionError>) {
        self.environment = environment
        self.outcome = outcome
    }

    /// `succeeded`, `failed`, `no-changes`, `declined` or `refused` (nothing was applied: an error before the first action).
    public var status: String {
        switch outcome {
        case .failure: "refused"
        case .success(.noChanges): "no-changes"
        case .success(.declined): "declined"
        case .success(.applied(let applied)): applied.succeeded ? "succeeded" : "failed"
        }
    }

    public var succeeded: Bool { status == "succeeded" || status == "no-changes" }

    /// The plan, when it was limited to targets (`--target`): the JSON names them, the text says so.
    var partial: Plan? {
        let plan: Plan
        switch outcome {
        case .failure: return nil
        case .success(.noChanges(let limited)), .success(.declined(let limited, _)): plan = limited
        case .success(.applied(let applied)): plan = applied.plan
        }
        return plan.isPartial ? plan : nil
    }

    public func json() -> JSONValue {
        var members: [JSONValue.Member] = [
            .init("format_version", .string("1")),
            .init("environment", .string(environment)),
            .init("status", .string(status)),
        ]
        if let partial { members.append(.init("targets", .strings(partial.targets))) }
        switch outcome {
        case .failure(let error):
            members.append(.init("errors", .strings(error.problems)))
        case .success(.noChanges):
            break
        case .success(.declined(_, let reason)):
            members.append(.init("errors", .strings([reason])))
        case .success(.applied(let applied)):
            let report = applied.report
            members += [
                .init("apply_id", applied.id.map { .int(Int($0)) } ?? .null),
                .init("release", applied.release.map { .int($0.number) } ?? .null),
                .init("done", .strings(report.done)),
                .init("failed", .array(report.failed.map { .object(["id": .string($0.id), "error": .string($0.error)]) })),
                .init("undone", .strings(report.undone)),
                .init("left", .strings(report.left)),
                .init("skipped", .strings(report.skipped)),
                .init("halted", report.halted.map(JSONValue.string) ?? .null),
            ]
        }
        return .object(members)
    }

    /// The closing lines on standard output; nil when there are none (an error before the first action, a
    /// refusal: they go to standard error).
    public func text() -> String? {
        switch outcome {
        case .failure:
            return nil
        case .success(.noChanges) where partial != nil:
            return partial.map { PlanView($0).text() }
        case .success(.noChanges):
            return "No changes: \(environment) matches its desired state.\n"
        case .success(.declined):
            return nil
        case .success(.applied(let applied)):
            let report = applied.report
            let release = applied.release.map { " Release \($0.number) (\($0.digest.prefix(19)))." } ?? ""
            if report.succeeded {
                let limited = partial.map { " (limited to \($0.targets.joined(separator: ", ")))" } ?? ""
                return "Applied \(report.done.count) action\(report.done.count == 1 ? "" : "s") to \(environment)\(limited).\(release)\n"
            }
            var summary = "Apply of \(environment) failed:\(applied.release.map { " recorded as release \($0.number), failed." } ?? "")\n"
            if let halted = report.halted { summary += "  stopped: \(halted)\n" }
            for failure in report.failed { summary += "  failed:  \(failure.id): \(failure.error)\n" }
            if !report.done.isEmpty { summary += "  done:    \(report.done.joined(separator: ", "))\n" }
            if !report.undone.isEmpty { summary += "  undone:  \(report.undone.joined(separator: ", "))\n" }
            if !report.left.isEmpty { summary += "  left:    \(report.left.joined(separator: ", "))\n" }
            let migrationsLeft = report.left.filter { $0.hasPrefix("\(PlanAction.Kind.migrate.rawValue):") }
            if !migrationsLeft.isEmpty, let backup = applied.release?.backups.first(where: { $0.kind == .database }) {
                summary += "  the migrations left stay applied (not all have an undo file); the backup \(backup.id) holds the database "
                    + "as it was before this apply: berth restore --env \(environment) --backup \(backup.id)\n"
            }
            if !report.skipped.isEmpty { summary += "  skipped: \(report.skipped.joined(separator: ", "))\n" }
            return summary
        }
    }
}

/// An apply's progress, a line per event: for people (`  done create container:web-1 (0.41s)`) or one
/// JSON object per line (`{"event":"finished","action":"create:container:web-1","milliseconds":410}`).
public struct ProgressView: Sendable {
    public let json: Bool
    let style: DiagnosticStyle

    public init(json: Bool, style: DiagnosticStyle) {
        self.json = json
        self.style = style
    }

    public func started(_ action: PlanAction) -> String {
        json ? event("started", action.id) : "  ... \(action.kind.rawValue) \(action.resource)\n"
    }

    public func progress(_ action: PlanAction, _ message: String) -> String {
        json ? event("progress", action.id, [.init("message", .string(message))]) : "      \(message)\n"
    }

    public func finished(_ action: PlanAction, error: String?, duration: Duration) -> String {
        if json {
            return event(
                error == nil ? "finished" : "failed", action.id,
                [.init("milliseconds", .int(Int(duration.wholeMilliseconds)))] + (error.map { [.init("error", .string($0))] } ?? [])
            )
        }
        let time = duration.shortDescription
        if let error { return style.red("  failed \(action.kind.rawValue) \(action.resource) (\(time)): \(error)") + "\n" }
        return style.green("  done \(action.kind.rawValue) \(action.resource) (\(time))") + "\n"
    }

    public func undone(_ actionID: String, succeeded: Bool) -> String {
        json ? event(succeeded ? "undone" : "undo-failed", actionID) : "  \(succeeded ? "undone" : "could not undo") \(actionID)\n"
    }

    /// A session notice; the plan about to be applied is shown by `PlanView` in text, not as an event.
    public func notice(_ notice: SessionNotice) -> String {
        switch notice {
        case .diagnostics(let diagnostics):
            // At most 100 a file, then how many more.
            let (shown, more) = diagnostics.capped(perFile: 100)
            let tails = more.map { "\(Diagnostic.printable($0.file)): and \($0.count) more" }
            if json {
                return shown.map { d in
                    line(["event": .string("diagnostic"), "severity": .string(d.severity.rawValue), "message": .string(d.description)])
                }.joined() + tails.map { message("diagnostics", $0) }.joined()
            }
            return shown.map { style.format($0) + "\n" }.joined() + tails.map { $0 + "\n" }.joined()
        case .waitingForLock(let environment, let holder, let since):
            return message("waiting", "waiting for the lock of \(environment), held by \(holder) since \(since)")
        case .lockTakenOver(let environment, let holder):
            return message("lock-taken-over", "the lock of \(environment) is held by \(holder), which is no longer running: taking it over")
        case .interruptedApply(let environment, let id, let owner):
            return message("interrupted", "apply \(id) of \(environment) by \(owner) did not finish; this apply converges what it left")
        case .warning(let text):
            return json ? message("warning", text) : style.yellow("warning: \(text)") + "\n"
        case .plan(let plan):
            return json ? line(["event": .string("plan"), "actions": .int(plan.actions.count), "fingerprint": .string(plan.fingerprint)]) : ""
        case .backup(let backup):
            if json {
                return line([
                    "event": .string("backup"), "id": .string(backup.id), "kind": .string(backup.kind.rawValue), "path": .string(backup.path),
                    "sha256": .string(backup.sha256), "size": .int(backup.size),
                ])
            }
            return "  backup \(backup.id): \(backup.kind.rawValue) \(backup.resource), \(ByteSize.text(backup.size)), \(backup.path)\n"
        }
    }

    private func message(_ name: String, _ text: String) -> String {
        json ? line(["event": .string(name), "message": .string(text)]) : text + "\n"
    }

    private func event(_ name: String, _ action: String, _ extra: [JSONValue.Member] = []) -> String {
        JSONValue.object([.init("event", .string(name)), .init("action", .string(action))] + extra).compactJSONText() + "\n"
    }

    private func line(_ members: KeyValuePairs<String, JSONValue?>) -> String {
        JSONValue.object(members).compactJSONText() + "\n"
    }
}
