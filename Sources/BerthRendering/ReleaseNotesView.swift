public import BerthCore
public import BerthModel

/// `berth notes`: release notes as Markdown a team pastes into its changelog (a section only when
/// something is in it), and as the contract's JSON. Hashes and image IDs, never a config's content.
public struct ReleaseNotesView: Sendable {
    let notes: ReleaseNotes

    public init(_ notes: ReleaseNotes) {
        self.notes = notes
    }

    public func json() -> JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            "format_version": .string("1"),
            "environment": .string(notes.environment),
            "from": notes.from.map { .int($0) } ?? .null,
            "to": .int(notes.to),
            "applied_by": .string(notes.appliedBy),
            "applied_at": .string(HistoryView.time(notes.appliedAt)),
            "summary": .string(notes.summary),
            "services_added": .strings(notes.servicesAdded),
            "services_removed": .strings(notes.servicesRemoved),
            "images": .array(notes.images.map {
                .object([
                    "service": .string($0.service), "before": optional($0.before), "after": optional($0.after),
                    "before_id": optional($0.beforeID), "after_id": optional($0.afterID),
                ])
            }),
            "configs": .array(notes.configs.map { .object(["name": .string($0.name), "before": optional($0.before), "after": optional($0.after)]) }),
            "migrations": .array(notes.migrations.map {
                .object(["version": .string($0.version), "description": .string($0.description), "change": .string($0.change.rawValue)])
            }),
            "commits": .array(notes.commits.map { .object(["id": .string($0.id), "subject": .string($0.subject)]) }),
        ])
    }

    public func markdown() -> String {
        let added = Set(notes.servicesAdded), removed = Set(notes.servicesRemoved)
        let title = notes.from.map { "release \($0) → \(notes.to)" } ?? "release \(notes.to) (the first)"
        var out = "## \(notes.environment): \(title)\n\n"
        let how = notes.summary == "apply" ? "" : " (\(notes.summary))"
        out += "Applied by \(notes.appliedBy) at \(HistoryView.time(notes.appliedAt))\(how).\n"
        if notes.isEmpty { out += "\nNothing changed.\n" }

        func section(_ heading: String, _ lines: [String]) {
            guard !lines.isEmpty else { return }
            out += "\n### \(heading)\n\n" + lines.map { "- \($0)\n" }.joined()
        }
        let images = Dictionary(notes.images.map { ($0.service, $0) }, uniquingKeysWith: { first, _ in first })
        section("Services added", notes.servicesAdded.map { name in
            "`\(name)`" + (images[name].map { ": " + Self.image($0.after, $0.afterID) } ?? "")
        })
        section("Services removed", notes.servicesRemoved.map { name in
            "`\(name)`" + (images[name].map { " (was " + Self.image($0.before, $0.beforeID) + ")" } ?? "")
        })
        section("Images", notes.images.filter { !added.contains($0.service) && !removed.contains($0.service) }.map {
            "`\($0.service)`: \(Self.image($0.before, $0.beforeID)) → \(Self.image($0.after, $0.afterID))"
        })
        section("Config files", notes.configs.map { config in
            let hash = { (sha256: String?) in sha256.map { "`\($0.prefix(12))`" } ?? "(none)" }
            return "`\(config.name)`: \(hash(config.before)) → \(hash(config.after))"
        })
        section("Migrations", notes.migrations.map { "\($0.change == .applied ? "Applied" : "Undone") \($0.version): \($0.description)" })
        section("Commits", notes.commits.map { "`\($0.id.prefix(12))` \($0.subject)" })
        return out
    }

    /// `` `localhost/web:1.1.0` (`0123456789ab`) ``.
    static func image(_ image: String?, _ id: String?) -> String {
        guard let image else { return "(none)" }
        return "`\(image)`" + (id.map { " (`\(ImageReference.shortID($0))`)" } ?? "")
    }
}
