// Placeholder until inspect and logs land.
public struct ContainerInspection: Hashable, Sendable {
    public var state: String
    public var restartCount: Int
    public var oomKilled: Bool
    public var exitCode: Int?
    public var startedAt: String
    public init(state: String, restartCount: Int = 0, oomKilled: Bool = false, exitCode: Int? = nil, startedAt: String = "") {
        self.state = state
        self.restartCount = restartCount
        self.oomKilled = oomKilled
        self.exitCode = exitCode
        self.startedAt = startedAt
    }
}

extension ContainerEngine {
    public func inspect(id: String) async throws(EngineError) -> ContainerInspection { ContainerInspection(state: "running") }
    public func logs(id: String, since: Int) async throws(EngineError) -> [UInt8] { [] }
}
