public import BerthCore
public import BerthSession

/// `berth parity`: the differences between two environments, one a line, or the contract's JSON.
public struct ParityView: Sendable {
    let report: ParitySession.Report

    public init(_ report: ParitySession.Report) {
        self.report = report
    }

    public func json() -> JSONValue {
        .object([
            "format_version": .string("1"),
            "environment": .string(report.environment),
            "with": .string(report.with),
            "in_parity": .bool(report.inParity),
            "differences": .array(report.differences.map {
                .object(["resource": .string($0.resource), "kind": .string($0.kind), "detail": .string($0.detail)])
            }),
        ])
    }

    public func text() -> String {
        guard !report.inParity else { return "\(report.environment) and \(report.with) are in parity.\n" }
        let count = report.differences.count
        var text = "\(report.environment) and \(report.with) differ in \(count) \(count == 1 ? "way" : "ways"):\n"
        let width = report.differences.map(\.resource.count).max() ?? 0
        for difference in report.differences {
            text += "  \(difference.resource.padding(to: width))  \(difference.kind): \(difference.detail)\n"
        }
        return text
    }
}
