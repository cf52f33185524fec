// Placeholder until the hook runner lands.
public struct HookOutcome: Sendable {
    public var exitCode: Int32?
    public var output: String
    public var failure: String?
    public init(exitCode: Int32?, output: String, failure: String?) {
        self.exitCode = exitCode
        self.output = output
        self.failure = failure
    }
}

public protocol HookRunner: Sendable {
    func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome
}

public struct LocalHookRunner: HookRunner {
    public init() {}
    public func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome {
        HookOutcome(exitCode: nil, output: "", failure: "not implemented")
    }
}
