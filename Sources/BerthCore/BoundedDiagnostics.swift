/// The diagnostics of one file as a stage collects them, kept up to `limit` and counted past it, so
/// that an input with a problem on every line costs memory in proportion to the limit, not to itself.
/// What is not kept is told by one diagnostic standing for all of it (`Diagnostic.weight`), after the
/// ones kept; only 100 a file are printed anyway.
public struct BoundedDiagnostics: Sendable {
    public static let limit = 1_000

    private var kept: [Diagnostic] = []
    private var omitted = 0
    private var firstOmitted: Diagnostic?
    /// Errors, kept or not.
    public private(set) var errorCount = 0

    public init() {}

    public mutating func append(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .error { errorCount += 1 }
        guard kept.count >= Self.limit else { return kept.append(diagnostic) }
        if firstOmitted == nil { firstOmitted = diagnostic }
        omitted += 1
    }

    /// Every diagnostic kept, then one that stands for those that were not.
    public var all: [Diagnostic] {
        guard let firstOmitted else { return kept }
        var summary = Diagnostic(
            errorCount > kept.filter({ $0.severity == .error }).count ? .error : .warning, at: firstOmitted.location,
            "and \(omitted) more problems in this file, not listed"
        )
        summary.weight = omitted
        return kept + [summary]
    }

    public var hasErrors: Bool { errorCount > 0 }
}
