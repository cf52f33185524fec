public import BerthModel
import BerthApply
import BerthCore

extension Releases {
    /// The release notes of environment `name` from release `from` to release `to`. By default `to`
    /// is the current release (the newest when none is current) and `from` its parent; a first
    /// release has notes from nothing. The commits between the two come from `context.revision`
    /// when both releases recorded one.
    public static func notes(_ name: String, from: Int?, to: Int?, context: Context) throws(SessionError) -> ReleaseNotes {
        let (store, key) = try StateStoreAccess.open(name, context: context)
        guard let newest = try list(store, key: key, limit: 1).first else {
            throw SessionError("\(name) has no releases yet: an apply that changes something makes one")
        }
        func release(_ number: Int) throws(SessionError) -> Release {
            guard (1...newest.number).contains(number) else {
                let range = newest.number == 1 ? "its only release is 1" : "its releases are 1 to \(newest.number)"
                throw SessionError("\(name) has no release \(number): \(range)")
            }
            guard let found = try list(store, key: key, limit: newest.number - number + 1).first(where: { $0.number == number }) else {
                throw SessionError("\(name) has no release \(number) in its state store")
            }
            return found
        }

        let target: Release
        if let to {
            target = try release(to)
        } else {
            target = try current(store, key: key) ?? newest
        }
        let base = try (from ?? target.parent).map(release)
        var commits: [ReleaseNotes.Commit] = []
        if let old = base?.commit, let new = target.commit {
            let directory = Paths.resolve(context.project, against: context.currentDirectory)
            commits = context.revision.commits(in: directory, from: old, to: new).map { ReleaseNotes.Commit(id: $0.id, subject: $0.subject) }
        }
        return ReleaseNotes.between(base, target, environment: name, commits: commits)
    }
}
