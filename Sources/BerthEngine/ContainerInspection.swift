/// What a release's verification reads about one container: whether it runs, and whether it
/// crashed, was restarted or was killed for memory since it started.
public struct ContainerInspection: Hashable, Sendable {
    /// "running", "exited", "created", "restarting", "paused", "dead", ...
    public var state: String
    /// How often the engine restarted the container under its restart policy.
    public var restartCount: Int
    /// Whether the kernel killed the container's process for running out of memory.
    public var oomKilled: Bool
    /// The last exit code of the container's process (0 while it has never exited).
    public var exitCode: Int
    /// When the container last started, as the engine gives it (RFC 3339, e.g.
    /// "2026-12-01T02:34:48.440015079Z"; "0001-01-01T00:00:00Z" when it never started).
    public var startedAt: String

    public init(state: String, restartCount: Int = 0, oomKilled: Bool = false, exitCode: Int = 0, startedAt: String = "") {
        self.state = state
        self.restartCount = restartCount
        self.oomKilled = oomKilled
        self.exitCode = exitCode
        self.startedAt = startedAt
    }

    public var isRunning: Bool { state == "running" }
}
